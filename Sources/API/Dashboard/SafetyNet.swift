import BackOffice
import Foundation
import JobQueue

/// The home page's lines: one per safety net, green, amber or red, with when it last
/// succeeded and what to do when it is not green. The readings are ``SafetyNetReadings``'s (the
/// gauges and the alert SQL use the same), plus the month backup's manifest on disk.
struct SafetyNet {
    enum Status: String { case green, amber, red }

    struct Line {
        /// The safety net the line reads, for those ``SafetyNetReadings`` keeps.
        var net: SafetyNetReadings.Net?
        var name: String
        var status: Status
        var lastSuccess: Date?
        var detail: String
        var todo: String?
    }

    static func lines(dependencies: APIDependencies, format: PageFormat) async throws -> [Line] {
        let now = format.now, t = format.catalog, settings = dependencies.backOffice
        let branch = settings.branch.id
        async let readings = dependencies.safetyNets.read(now: now)
        async let discardedJobs = dependencies.store.discardedCount(within: .seconds(7 * 86_400))
        async let pauses = dependencies.store.pausedQueues()
        let nets = try await readings, discarded = try await discardedJobs
        let month = nets.previousMonth
        let closed = nets.previousMonthClosed
        let lastDump = nets.lastSuccess(.nightlyDump, branch: branch)
        let drillVerdict = nets.drills[branch]?.latest
        let lastDrillOK = nets.lastSuccess(.restoreDrill, branch: branch)
        let lastPush = nets.lastSuccess(.metricsPush, branch: branch)
        let lastPrune = nets.lastSuccess(.cloudPrune, branch: branch)
        let hours = { (date: Date?) in date.map { now.timeIntervalSince($0) / 3600 } ?? .infinity }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = settings.timeZone
        let earlyInMonth = calendar.component(.day, from: now) <= 2
        let args = "'{\"year\": \(month.year), \"month\": \(month.month)}'"

        var lines: [Line] = []
        let manifest = Self.manifest(settings: settings, month: month)
        lines.append(Line(
            net: .monthBackup,
            name: t("home_backup_name", ["month": month.slashed]), status: manifest != nil ? .green : earlyInMonth ? .amber : .red,
            lastSuccess: nets.lastSuccess(.monthBackup, branch: branch),
            detail: manifest.map {
                t($0.encryption != nil ? "home_backup_detail_encrypted" : "home_backup_detail",
                  ["records": format.count($0.recordsForMonth), "file": $0.file])
            } ?? t["home_backup_none"],
            todo: manifest == nil ? "nightshift backup create --year \(month.year) --month \(month.month)" : nil))
        lines.append(Line(
            net: .extrato,
            name: t("home_close_name", ["month": month.slashed]), status: closed ? .green : earlyInMonth ? .amber : .red,
            lastSuccess: nets.lastSuccess(.extrato, branch: branch),
            detail: t[closed ? "home_close_done" : earlyInMonth ? "home_close_early" : "home_close_missing"],
            todo: closed ? nil : "nightshift enqueue generate-extrato --args \(args)"))
        // Due months never closed (a downtime across month-ends, a close failed for good), oldest first.
        let gaps = nets.monthCloseGaps
        lines.append(Line(
            net: nil,
            name: t["home_gaps_name"], status: gaps.isEmpty ? .green : .red, lastSuccess: nil,
            detail: gaps.isEmpty ? t["home_gaps_none"]
                : t("home_gaps_detail", ["months": gaps.prefix(12).map(\.slashed).joined(separator: ", ") + (gaps.count > 12 ? " (+\(gaps.count - 12))" : "")]),
            todo: gaps.first.map { "nightshift backup create --year \($0.year) --month \($0.month) && nightshift extrato generate --year \($0.year) --month \($0.month) --force" }))
        let dumpAge = hours(lastDump)
        lines.append(Line(
            net: .nightlyDump,
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
            net: .restoreDrill,
            name: t["home_drill_name"], status: drillStatus, lastSuccess: lastDrillOK,
            detail: drillDetail,
            todo: drillStatus == .green ? nil : drillVerdict == "unverified"
                ? t("home_drill_todo_identity", ["command": "nightshift backups drill --wait"])
                : "nightshift backups drill --wait"))
        let pushAge = hours(lastPush)
        lines.append(Line(
            net: .metricsPush,
            name: t["home_push_name"], status: pushAge <= 26 ? .green : pushAge <= 72 ? .amber : .red, lastSuccess: lastPush,
            detail: lastPush.map { t("home_push_last", ["ago": format.ago($0)]) } ?? t["home_push_none"],
            todo: pushAge > 26 ? "nightshift enqueue push-metrics" : nil))
        let pruneAge = hours(lastPrune)
        lines.append(Line(
            net: .cloudPrune,
            name: t["home_prune_name"], status: pruneAge <= 8 * 24 ? .green : pruneAge <= 15 * 24 || lastPrune == nil ? .amber : .red,
            lastSuccess: lastPrune,
            detail: lastPrune == nil ? t["home_prune_none"] : t("home_prune_retention", ["days": settings.dumps.cloudRetentionDays]),
            todo: pruneAge > 8 * 24 ? "nightshift backups prune --dry-run" : nil))
        lines.append(Line(
            net: nil, name: t["home_discarded_name"], status: discarded == 0 ? .green : .red, lastSuccess: nil,
            detail: discarded == 0 ? t["home_discarded_none"] : t("home_discarded_some", ["count": format.count(discarded)]),
            todo: discarded == 0 ? nil : "/ui/jobs?state=discarded"))
        for pause in try await pauses {
            let (queue, pausedAt, pausedBy, reason) = (pause.queue, pause.pausedAt, pause.pausedBy, pause.reason)
            lines.append(Line(
                net: nil, name: t("home_paused_name", ["queue": queue]), status: .amber, lastSuccess: nil,
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
