import BackOffice
import Foundation
import NightshiftCore

/// One dump's page (`/ui/backups/{id}`): what it is, per table the rows at dump time and what
/// the last drill found, the drill's reason when it failed, and the exact commands to fetch
/// and restore it.
struct BackupPage {
    let record: BackupRecord
    let zone: TimeZone

    var title: String { "Backup \(record.id) de \(record.branch)" }

    func render() -> String {
        let esc = HTML.escape
        var facts: [(String, String)] = [
            ("Tipo", esc(record.type.rawValue)), ("Estado", esc(Self.status[record.status] ?? record.status.rawValue)),
            ("Início", HTML.when(record.startedAt, in: zone)), ("Fim", HTML.when(record.finishedAt, in: zone)),
            ("Tamanho", record.sizeBytes.map { esc(ByteCount.text($0)) } ?? "—"),
            ("SHA-256", record.sha256.map { "<code>\(esc($0))</code>" } ?? "—"),
            ("Arquivo local", record.localPath.map { "<code>\(esc($0))</code>" } ?? "—"),
            ("Objeto no bucket", record.objectKey.map { "<code>\(esc($0))</code>" } ?? "—"),
            ("Criptografia", record.encryption.map(esc) ?? "nenhuma"),
            ("Guardado até", HTML.when(record.retentionUntil, in: zone)),
            ("Teste de restauração", esc(verdict)), ("Testado em", HTML.when(record.verifiedAt, in: zone)),
        ]
        if let reason = drillReason { facts.append(("Achado do teste", "<span class=\"error\" id=\"drill-reason\">\(esc(reason))</span>")) }
        if let error = record.error { facts.append(("Erro", "<span class=\"error\">\(esc(error))</span>")) }
        if let job = record.jobID { facts.append(("Job", "<a href=\"/ui/jobs/\(job)\">\(job)</a>, tentativa \(record.attempt ?? 0)")) }
        let rows = facts.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined()
        let tables = record.tableFindings.map { finding in
            "<tr data-table=\"\(esc(finding.table))\" data-check=\"\(finding.check.rawValue)\"><td><code>\(esc(finding.table))</code></td>"
                + "<td class=\"num\">\(finding.rows.map { "\($0)" } ?? "—")</td><td>\(esc(Self.text(finding)))</td></tr>"
        }.joined()
        return """
            <p><a href="/ui/backups">← Backups</a></p>
            <table class="facts">\(rows)</table>
            <h2>Tabelas</h2>
            <p>Linhas de cada tabela no instante do dump e, depois de um teste de restauração, se o conteúdo restaurado é o mesmo.</p>
            <div class="scroll"><table id="tables"><tr><th>tabela</th><th>linhas</th><th>teste</th></tr>\(tables)</table></div>
            <h2>Baixar e restaurar</h2>
            \(commands)
            """
    }

    static let status: [BackupRecord.Status: String] = [.running: "em andamento", .completed: "concluído", .failed: "falhou", .expired: "expirado"]

    private var verdict: String {
        switch record.verificationStatus {
        case "true"?: record.tableDigests.isEmpty ? "passou (contagens de linhas; dump anterior aos resumos de conteúdo)" : "passou: linhas e conteúdo de cada tabela iguais"
        case "false"?: "FALHOU"
        case "unverified"?: "não verificado: criptografado, e o teste não tinha a identidade para abrir"
        default: "ainda não testado"
        }
    }

    private var drillReason: String? {
        guard record.verificationStatus == "false", let details = record.verificationDetails else { return nil }
        return (try? JSONDecoder().decode(RestoreDrill.Report.self, from: Data(details.utf8)))?.reason ?? details
    }

    static func text(_ finding: TableFinding) -> String {
        switch finding.check {
        case .matched: "conteúdo igual"
        case .countMatched: "contagem igual (dump sem resumo de conteúdo)"
        case .notDrilled: "não testado"
        case .notCompared: "não comparado (a restauração falhou)"
        case .differs where finding.contentOnly: "CONTEÚDO DIFERENTE (mesmo número de linhas)"
        case .differs: "CONTAGEM DIFERENTE: restauradas \(finding.restoredRows.map { "\($0)" } ?? "nenhuma")"
        }
    }

    /// The commands, each in its own copyable block: Nightshift's restore (downloads, checks
    /// the SHA-256 and restores in one step), then the same by hand.
    private var commands: String {
        guard record.status == .completed || record.status == .expired else {
            return "<p>Só um backup concluído pode ser restaurado.</p>"
        }
        let esc = HTML.escape
        var steps: [(String, String)] = [(
            "Com o Nightshift (baixa, confere o SHA-256 e restaura; o banco de destino precisa existir):",
            "nightshift backups restore --id \(record.id) --target-url postgres://USUARIO:SENHA@HOST:5432/BANCO_NOVO --yes"
        )]
        let file = record.localPath.map { ($0 as NSString).lastPathComponent } ?? "backup-\(record.id).dump"
        if let key = record.objectKey {
            steps.append(("À mão, do bucket:", "aws s3 cp \"s3://$BACKUP_S3_BUCKET/\(key)\" \(file) --endpoint-url \"$BACKUP_S3_ENDPOINT\""))
        } else if let path = record.localPath {
            steps.append(("À mão, do disco deste servidor:", "cp \(path) ."))
        }
        if let sha = record.sha256 { steps.append(("Conferir:", "echo \"\(sha)  \(file)\" | sha256sum -c")) }
        var dump = file
        if record.encryption != nil {
            dump = file.hasSuffix(".age") ? String(file.dropLast(4)) : file + ".plain"
            steps.append(("Decifrar (com a identidade age):", "nightshift backup decrypt \(file) --identity-file ~/nightshift-backup.key -o \(dump)"))
        }
        steps.append(("Restaurar num banco novo:", "createdb BANCO_NOVO && pg_restore --no-owner --no-privileges -d BANCO_NOVO \(dump)"))
        return steps.map { "<p>\(esc($0.0))</p><pre class=\"command\">\(esc($0.1))</pre>" }.joined(separator: "\n")
    }
}
