import BackOffice
import Foundation
import Hummingbird
import JobQueue
import Scheduler

/// The read models, as the library returns them: queues, schedules, extratos, backups.
struct ReadRoutes {
    let dependencies: APIDependencies

    func register(_ routes: RouteTable) {
        let d = dependencies
        routes.add(.get, "/api/queues", role: .viewer) { _, _ in try Reply.json(try await d.store.queueStats()) }
        routes.add(.get, "/api/schedules", role: .viewer) { _, _ in
            try Reply.json(try await SlotStore(jobs: d.store).statuses(of: d.schedules))
        }
        routes.add(.get, "/api/extratos", role: .viewer) { _, _ in
            try Reply.json(try await d.extratos.all())
        }
        routes.add(.get, "/api/extratos/{year}/{month}", role: .viewer) { _, context in
            let month = try Self.month(year: context.parameters.get("year"), month: context.parameters.get("month"))
            guard let extrato = try await d.extratos.summary(month) else {
                throw APIError.notFound("no extrato for \(month.slashed): the month is not closed")
            }
            return try Reply.json(extrato)
        }
        routes.add(.get, "/api/backups", role: .viewer) { request, _ in
            let status = try Input.query(request, "status").map { (text: String) throws -> BackupRecord.Status in
                guard let status = BackupRecord.Status(rawValue: text) else {
                    throw APIError.invalid("status", "status '\(text)' is not one of \(BackupRecord.Status.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return status
            }
            let limit = Int(try Input.integer(request, "limit", in: 1...500) ?? 50)
            return try Reply.json(try await d.backups
                .list(branch: try Input.query(request, "branch"), status: status, limit: limit))
        }
        routes.add(.get, "/api/backups/{id}", role: .viewer) { _, context in
            let id = try Input.parameter(context, "id")
            guard let record = try await d.backups.record(id) else {
                throw APIError.notFound("backup \(id) not found")
            }
            return try Reply.json(record)
        }
    }

    /// A month named by path or body values, refused naming the field.
    static func month(year: String?, month: String?) throws -> StudioMonth {
        guard let yearText = year, let yearValue = Int(yearText) else { throw APIError.invalid("year", "year must be a whole number like 2026") }
        guard let monthText = month, let monthValue = Int(monthText) else { throw APIError.invalid("month", "month must be a whole number 1…12") }
        return try StudioMonth(year: yearValue, month: monthValue)
    }
}
