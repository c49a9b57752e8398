import ArgumentParser
import BackOffice
import Foundation
import JobQueue

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demo data.", subcommands: [DemoSeedCommand.self])
}

struct DemoSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Add realistic studio records to the last months (accents, quotes, commas, every payment method).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "How many past months, ending with the previous one.") var months: Int = 3
    @Option(name: .customLong("rows-per-month"), help: "Records per month, split across the four tables.") var rowsPerMonth: Int = 200
    @Option(help: "Seed only this month, YYYY-MM, instead of the last --months.") var month: String?

    func validate() throws {
        guard (1...120).contains(months) else { throw ValidationError("--months must be 1…120") }
        guard (4...10_000_000).contains(rowsPerMonth) else { throw ValidationError("--rows-per-month must be 4…10000000") }
        if let month, Self.parse(month) == nil { throw ValidationError("--month '\(month)' is not YYYY-MM, e.g. 2026-10") }
    }

    static func parse(_ text: String) -> StudioMonth? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let year = Int(parts[0]), let month = Int(parts[1]) else { return nil }
        return try? StudioMonth(year: year, month: month)
    }

    func run() async throws {
        let settings = try database.settings()
        var list: [StudioMonth] = month.flatMap(Self.parse).map { [$0] } ?? []
        if list.isEmpty {
            var cursor: StudioMonth? = StudioMonth.previous(of: Date(), in: settings.backOffice.timeZone)
            while let month = cursor, list.count < months {
                list.append(month)
                cursor = month.previous
            }
        }
        let (months, rows) = (list, rowsPerMonth)
        try await CommandDatabase.with(settings) { client, logger in
            let progress = TerminalProgress("seeding", logger: logger)
            let added = try await DemoSeeder(client: client, logger: logger).seed(months: months, rowsPerMonth: rows, progress: progress)
            progress.finish()
            print("seeded \(added) records in each of \(months.map(\.label).joined(separator: ", "))")
        }
    }
}
