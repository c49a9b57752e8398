import ArgumentParser
import BackOffice
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
    @Option(name: .customLong("base-dir"), help: "Backup folder (default: $BACKUP_DIR or ./backups).") var baseDir: String?
    @Flag(help: "Regenerate an existing extrato, merging records that arrived since.") var force = false
    @Flag(name: .customLong("print-sql"), help: .hidden) var printSQL = false

    func run() async throws {
        let settings = try BackOfficeEnvironment.settings(baseDirectory: baseDir)
        let target = month.resolved(settings)
        if printSQL {
            print((["BEGIN"] + ExtratoGenerator.script(target) + ["COMMIT"]).map { $0 + ";" }.joined(separator: "\n"))
            return
        }
        let force = self.force
        try await Database.with(database) { client, logger in
            if settings.requireBackup {
                do {
                    _ = try await BackupVerifier(client: client, baseDirectory: settings.backupDirectory, logger: logger).verifiedManifest(target)
                } catch let error as BackupError {
                    throw CommandFailure(error.description)
                }
            }
            let generator = ExtratoGenerator(logger: logger)
            let outcome = try await Transaction.run(on: client, logger: logger) { connection in
                try await generator.close(target, force: force, jobID: nil, on: connection)
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
        let settings = try BackOfficeEnvironment.settings()
        let target = month.resolved(settings)
        let json = self.json
        try await Database.with(database) { client, logger in
            let rows = try await client.query("""
                SELECT total_receita::text, total_comissoes::text, total_gastos::text, saldo::text,
                       receita_por_forma::text, contagens::text, created_at
                FROM extratos WHERE ano = \(target.year) AND mes = \(target.month)
                """, logger: logger)
            for try await (receita, comissoes, gastos, saldo, porForma, contagens, createdAt) in rows.decode((String, String, String, String, String, String, Date).self) {
                if json {
                    print(#"{"month":"\#(target.label)","total_receita":"\#(receita)","total_comissoes":"\#(comissoes)","total_gastos":"\#(gastos)","saldo":"\#(saldo)","receita_por_forma":\#(porForma),"contagens":\#(contagens)}"#)
                    return
                }
                print("extrato \(target.slashed) (generated \(createdAt.shortISO))")
                print("receita:      R$ \(receita)\ncomissões:    R$ \(comissoes)\ngastos:       R$ \(gastos)\nsaldo:        R$ \(saldo)")
                print("por forma:    \(porForma)\ncontagens:    \(contagens)")
                return
            }
            throw CommandFailure("no extrato for \(target.slashed): run `nightshift extrato generate --year \(target.year) --month \(target.month)`")
        }
    }
}
