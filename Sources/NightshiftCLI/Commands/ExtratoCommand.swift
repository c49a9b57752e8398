import ArgumentParser
import BackOffice
import Database
import Foundation
import JobQueue

struct ExtratoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extrato", abstract: "Close a month into its extrato, or show one.",
        subcommands: [ExtratoGenerateCommand.self, ExtratoShowCommand.self])
}

struct ExtratoGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Close a month now: backup check, then one transaction that moves its records into the extrato.",
        discussion: "With EXTRATO_REQUIRE_BACKUP=true (the default) the month's backup must verify first. To run it on a worker instead: nightshift enqueue generate-extrato --args '{\"year\":2026,\"month\":10}'")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var month: MonthOptions
    @OptionGroup var directory: BackupDirectoryOption
    @Flag(help: "Regenerate an existing extrato, merging records that arrived since.") var force = false
    @Flag(name: .customLong("print-sql"), help: .hidden) var printSQL = false

    func run() async throws {
        var settings = try database.settings()
        directory.apply(to: &settings)
        let target = month.resolved(settings.backOffice)
        if printSQL {
            print((["BEGIN"] + ExtratoGenerator.script(target) + ["COMMIT"]).map { $0 + ";" }.joined(separator: "\n"))
            return
        }
        do { try target.requireEnded(at: Date(), in: settings.backOffice.timeZone) } catch {
            throw CommandFailure("--\(error.field ?? "month"): \(error.message)")
        }
        let (force, backOffice) = (self.force, settings.backOffice)
        try await CommandDatabase.with(settings) { client, logger in
            var checked: BackupVerifier.Report?
            if backOffice.requireBackup {
                checked = try await BackupVerifier(client: client, baseDirectory: backOffice.backupDirectory, encryption: backOffice.encryption, logger: logger)
                    .verified(target).report
            }
            let generator = ExtratoGenerator(logger: logger)
            let held = checked
            let outcome = try await Transaction.run(on: client, logger: logger) { connection in
                try await generator.close(target, force: force, jobID: nil, backedUp: held?.heldLive, backedUpTotals: held?.heldTotals, backedUpRecords: held?.heldRecords, backedUpFingerprint: held?.heldFingerprint, on: connection)
            }
            switch outcome {
            case .alreadyGenerated: print("extrato for \(target.slashed) already generated: use --force to regenerate")
            case .generated(let moved):
                print("extrato for \(target.slashed) generated: moved \(moved.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))")
            }
        }
    }
}

struct ExtratoShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Totals and counts of a month's extrato.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var month: MonthOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let settings = try database.settings()
        let target = month.resolved(settings.backOffice)
        let json = self.json
        try await CommandDatabase.with(settings) { client, logger in
            guard let extrato = try await ExtratoStore(client: client, logger: logger).summary(target) else {
                throw CommandFailure("no extrato for \(target.slashed): run `nightshift extrato generate --year \(target.year) --month \(target.month)`")
            }
            if json { try JSONOutput.print(extrato); return }
            func list<V>(_ values: [String: V]) -> String { values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
            print("extrato \(target.slashed) (generated \(extrato.createdAt.shortISO))")
            print("receita:      R$ \(extrato.totalReceita)\ncomissões:    R$ \(extrato.totalComissoes)\ngastos:       R$ \(extrato.totalGastos)\nsaldo:        R$ \(extrato.saldo)")
            print("por forma:    \(list(extrato.receitaPorForma))\ncontagens:    \(list(extrato.contagens))")
        }
    }
}
