import BackOffice
import Foundation
import Logging
import PostgresNIO

/// The home page's lines: one per safety net, green, amber or red, with when it last
/// succeeded and what to do when it is not green. Read in one query, plus the month backup's
/// manifest on disk.
struct SafetyNet {
    enum Status: String { case green, amber, red }

    struct Line {
        var name: String
        var status: Status
        var lastSuccess: Date?
        var detail: String
        var todo: String?
    }

    static func lines(client: PostgresClient, settings: BackOfficeSettings, now: Date = Date(), logger: Logger) async throws -> [Line] {
        let month = StudioMonth.previous(of: now, in: settings.timeZone)
        let branch = settings.branch.id
        let rows = try await client.query("""
            SELECT (SELECT created_at FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)),
                   (SELECT max(finished_at) FROM backup_history WHERE branch = \(branch) AND status = 'completed'),
                   (SELECT verification_status FROM backup_history WHERE branch = \(branch) AND verified_at IS NOT NULL
                    ORDER BY verified_at DESC LIMIT 1),
                   (SELECT max(verified_at) FROM backup_history WHERE branch = \(branch) AND verification_status = 'true'),
                   (SELECT max(pushed_at) FROM daily_summaries WHERE branch = \(branch)),
                   (SELECT max(finished_at) FROM jobs WHERE kind = 'prune-cloud' AND state = 'succeeded'),
                   (SELECT count(*)::int FROM jobs WHERE state = 'discarded' AND finished_at > now() - interval '7 days')
            """, logger: logger)
        var closedAt: Date?, lastDump: Date?, drillVerdict: String?, lastDrillOK: Date?, lastPush: Date?, lastPrune: Date?, discarded = 0
        for try await row in rows {
            (closedAt, lastDump, drillVerdict, lastDrillOK, lastPush, lastPrune, discarded) =
                try row.decode((Date?, Date?, String?, Date?, Date?, Date?, Int).self)
        }
        let hours = { (date: Date?) in date.map { now.timeIntervalSince($0) / 3600 } ?? .infinity }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = settings.timeZone
        let earlyInMonth = calendar.component(.day, from: now) <= 2
        let args = "'{\"year\": \(month.year), \"month\": \(month.month)}'"

        var lines: [Line] = []
        let manifest = Self.manifest(settings: settings, month: month)
        lines.append(Line(
            name: "Backup do mês \(month.slashed)", status: manifest != nil ? .green : earlyInMonth ? .amber : .red,
            lastSuccess: manifest?.createdAt,
            detail: manifest.map { "\($0.totalRecords) registros em \($0.file)\($0.encryption != nil ? " (criptografado)" : "")" }
                ?? "nenhum backup válido do mês ainda",
            todo: manifest == nil ? "nightshift backup create --year \(month.year) --month \(month.month)" : nil))
        lines.append(Line(
            name: "Fechamento do mês \(month.slashed)", status: closedAt != nil ? .green : earlyInMonth ? .amber : .red,
            lastSuccess: closedAt,
            detail: closedAt != nil ? "extrato gerado" : earlyInMonth ? "roda no dia 1 às 02:00; a rede do dia 2 tenta de novo" : "o mês não foi fechado",
            todo: closedAt == nil ? "nightshift enqueue generate-extrato --args \(args)" : nil))
        let dumpAge = hours(lastDump)
        lines.append(Line(
            name: "Dump do banco (\(branch))", status: dumpAge <= 26 ? .green : dumpAge <= 50 ? .amber : .red, lastSuccess: lastDump,
            detail: lastDump.map { "o último terminou \(RelativeTime.ago($0, now: now))" } ?? "nenhum dump concluído",
            todo: dumpAge > 26 ? "nightshift backups create --wait" : nil))
        let drillAge = hours(lastDrillOK)
        let drillStatus: Status = drillVerdict == "false" ? .red : drillVerdict == "true" && drillAge <= 8 * 24 ? .green : .amber
        let drillDetail = switch drillVerdict {
        case "true": "o último restaurou e as contagens bateram"
        case "false": "o último FALHOU: veja o motivo em Backups"
        case "unverified": "dump criptografado testado sem a identidade: conteúdo não restaurado"
        default: "nenhum teste ainda"
        }
        lines.append(Line(
            name: "Teste de restauração", status: drillStatus, lastSuccess: lastDrillOK,
            detail: drillDetail,
            todo: drillStatus == .green ? nil : drillVerdict == "unverified"
                ? "BACKUP_AGE_IDENTITY_FILE onde o teste roda, depois: nightshift backups drill --wait"
                : "nightshift backups drill --wait"))
        let pushAge = hours(lastPush)
        lines.append(Line(
            name: "Métricas do dia", status: pushAge <= 26 ? .green : pushAge <= 72 ? .amber : .red, lastSuccess: lastPush,
            detail: lastPush.map { "enviadas \(RelativeTime.ago($0, now: now))" } ?? "nenhuma métrica enviada",
            todo: pushAge > 26 ? "nightshift enqueue push-metrics" : nil))
        let pruneAge = hours(lastPrune)
        lines.append(Line(
            name: "Limpeza da nuvem", status: pruneAge <= 8 * 24 ? .green : pruneAge <= 15 * 24 || lastPrune == nil ? .amber : .red, lastSuccess: lastPrune,
            detail: lastPrune == nil ? "ainda não rodou (domingos às 02:00)" : "retenção de \(settings.dumps.cloudRetentionDays) dias",
            todo: pruneAge > 8 * 24 ? "nightshift backups prune --dry-run" : nil))
        lines.append(Line(
            name: "Jobs descartados (7 dias)", status: discarded == 0 ? .green : .red, lastSuccess: nil,
            detail: discarded == 0 ? "nenhum" : "\(discarded) job(s) falharam de vez",
            todo: discarded == 0 ? nil : "/ui/jobs?state=discarded"))
        for try await (queue, pausedAt, pausedBy, reason) in try await client.query(
            "SELECT queue, paused_at, paused_by, reason FROM queue_pauses ORDER BY paused_at", logger: logger
        ).decode((String, Date, String, String?).self) {
            lines.append(Line(
                name: "Fila \(queue) pausada", status: .amber, lastSuccess: nil,
                detail: "pausada por \(pausedBy) em \(HTML.when(pausedAt, in: settings.timeZone))\(reason.map { ": \($0)" } ?? ""); nenhum job dela começa",
                todo: "nightshift queue resume \(queue)"))
        }
        return lines
    }

    private static func manifest(settings: BackOfficeSettings, month: StudioMonth) -> BackupManifest? {
        let location = BackupLocation.found(baseDirectory: settings.backupDirectory, month: month)
        guard FileManager.default.fileExists(atPath: location.csv.path), let data = try? Data(contentsOf: location.manifest) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(BackupManifest.self, from: data)
    }
}
