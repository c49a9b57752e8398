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

    static func lines(client: PostgresClient, settings: BackOfficeSettings, format: PageFormat, logger: Logger) async throws -> [Line] {
        let now = format.now, t = format.catalog
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
            name: t("home_backup_name", ["month": month.slashed]), status: manifest != nil ? .green : earlyInMonth ? .amber : .red,
            lastSuccess: manifest?.createdAt,
            detail: manifest.map {
                t($0.encryption != nil ? "home_backup_detail_encrypted" : "home_backup_detail",
                  ["records": format.count($0.totalRecords), "file": $0.file])
            } ?? t["home_backup_none"],
            todo: manifest == nil ? "nightshift backup create --year \(month.year) --month \(month.month)" : nil))
        lines.append(Line(
            name: t("home_close_name", ["month": month.slashed]), status: closedAt != nil ? .green : earlyInMonth ? .amber : .red,
            lastSuccess: closedAt,
            detail: t[closedAt != nil ? "home_close_done" : earlyInMonth ? "home_close_early" : "home_close_missing"],
            todo: closedAt == nil ? "nightshift enqueue generate-extrato --args \(args)" : nil))
        // Due months never closed (a downtime across month-ends, a close failed for good), oldest first.
        let gaps = try await MonthCloseGaps.read(client: client, zone: settings.timeZone, now: now, logger: logger)
        lines.append(Line(
            name: t["home_gaps_name"], status: gaps.isEmpty ? .green : .red, lastSuccess: nil,
            detail: gaps.isEmpty ? t["home_gaps_none"]
                : t("home_gaps_detail", ["months": gaps.prefix(12).map(\.slashed).joined(separator: ", ") + (gaps.count > 12 ? " (+\(gaps.count - 12))" : "")]),
            todo: gaps.first.map { "nightshift backup create --year \($0.year) --month \($0.month) && nightshift extrato generate --year \($0.year) --month \($0.month)" }))
        let dumpAge = hours(lastDump)
        lines.append(Line(
            name: t("home_dump_name", ["branch": branch]), status: dumpAge <= 26 ? .green : dumpAge <= 50 ? .amber : .red, lastSuccess: lastDump,
            detail: lastDump.map { t("home_dump_last", ["ago": format.ago($0)]) } ?? t["home_dump_none"],
            todo: dumpAge > 26 ? "nightshift backups create --wait" : nil))
        let drillAge = hours(lastDrillOK)
        let drillStatus: Status = drillVerdict == "false" ? .red : drillVerdict == "true" && drillAge <= 8 * 24 ? .green : .amber
        let drillDetail = switch drillVerdict {
        case "true": t["home_drill_true"]
        case "false": t["home_drill_false"]
        case "unverified": t["home_drill_unverified"]
        default: t["home_drill_none"]
        }
        lines.append(Line(
            name: t["home_drill_name"], status: drillStatus, lastSuccess: lastDrillOK,
            detail: drillDetail,
            todo: drillStatus == .green ? nil : drillVerdict == "unverified"
                ? t("home_drill_todo_identity", ["command": "nightshift backups drill --wait"])
                : "nightshift backups drill --wait"))
        let pushAge = hours(lastPush)
        lines.append(Line(
            name: t["home_push_name"], status: pushAge <= 26 ? .green : pushAge <= 72 ? .amber : .red, lastSuccess: lastPush,
            detail: lastPush.map { t("home_push_last", ["ago": format.ago($0)]) } ?? t["home_push_none"],
            todo: pushAge > 26 ? "nightshift enqueue push-metrics" : nil))
        let pruneAge = hours(lastPrune)
        lines.append(Line(
            name: t["home_prune_name"], status: pruneAge <= 8 * 24 ? .green : pruneAge <= 15 * 24 || lastPrune == nil ? .amber : .red,
            lastSuccess: lastPrune,
            detail: lastPrune == nil ? t["home_prune_none"] : t("home_prune_retention", ["days": settings.dumps.cloudRetentionDays]),
            todo: pruneAge > 8 * 24 ? "nightshift backups prune --dry-run" : nil))
        lines.append(Line(
            name: t["home_discarded_name"], status: discarded == 0 ? .green : .red, lastSuccess: nil,
            detail: discarded == 0 ? t["home_discarded_none"] : t("home_discarded_some", ["count": format.count(discarded)]),
            todo: discarded == 0 ? nil : "/ui/jobs?state=discarded"))
        for try await (queue, pausedAt, pausedBy, reason) in try await client.query(
            "SELECT queue, paused_at, paused_by, reason FROM queue_pauses ORDER BY paused_at", logger: logger
        ).decode((String, Date, String, String?).self) {
            lines.append(Line(
                name: t("home_paused_name", ["queue": queue]), status: .amber, lastSuccess: nil,
                detail: reason.map { t("home_paused_detail_reason", ["who": pausedBy, "when": format.when(pausedAt), "reason": $0]) }
                    ?? t("home_paused_detail", ["who": pausedBy, "when": format.when(pausedAt)]),
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
