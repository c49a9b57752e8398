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

    func validate() throws {
        guard (1...120).contains(months) else { throw ValidationError("--months must be 1…120") }
        guard (4...10_000_000).contains(rowsPerMonth) else { throw ValidationError("--rows-per-month must be 4…10000000") }
    }

    func run() async throws {
        let settings = try BackOfficeEnvironment.settings()
        var list: [StudioMonth] = []
        var cursor = StudioMonth.previous(of: Date(), in: settings.timeZone)
        for _ in 0..<months {
            list.append(cursor)
            cursor = try StudioMonth(year: cursor.month == 1 ? cursor.year - 1 : cursor.year, month: cursor.month == 1 ? 12 : cursor.month - 1)
        }
        let (months, rows) = (list, rowsPerMonth)
        try await Database.with(database) { client, logger in
            let added = try await DemoSeeder(client: client, logger: logger).seed(months: months, rowsPerMonth: rows)
            print("seeded \(added) records in each of \(months.map(\.label).joined(separator: ", "))")
        }
    }
}
