import BackOffice
import Foundation
import NightshiftCore

/// One dump's page (`/ui/backups/{id}`): what it is, per table the rows at dump time and what
/// the last drill found, the drill's reason when it failed, and the exact commands to fetch
/// and restore it.
struct BackupPage {
    struct Fact {
        var label: String
        var text: String
        var code = false
        var error = false
        var spanID: String?
        var href: String?
    }

    struct Table {
        var name: String
        var check: String
        var rows: String
        var finding: String
    }

    struct Command {
        var caption: String
        var command: String
    }

    struct View {
        var facts: [Fact]
        var tables: [Table]
        var commands: NonEmpty<Command>?
    }

    let record: BackupRecord
    /// The folder standing for the bucket in local-only mode (no `BACKUP_S3_*`); nil with a
    /// bucket. An object key is a path under it, not an S3 key.
    let localStore: URL?
    let format: PageFormat

    func content() -> DashboardPage<View> {
        let t = format.catalog
        let dash = "—"
        var facts = [
            Fact(label: t["backup_type"], text: Self.kind(record.type, t)),
            Fact(label: t["backup_state"], text: Self.status(record.status, t)),
            Fact(label: t["backup_started"], text: format.when(record.startedAt)),
            Fact(label: t["backup_finished"], text: format.when(record.finishedAt)),
            Fact(label: t["backup_size"], text: format.size(record.sizeBytes)),
            Fact(label: "SHA-256", text: record.sha256 ?? dash, code: record.sha256 != nil),
            Fact(label: t["backup_local_file"], text: record.localPath ?? dash, code: record.localPath != nil),
            Fact(label: t["backup_object"], text: record.objectKey ?? dash, code: record.objectKey != nil),
            Fact(label: t["backup_encryption"], text: record.encryption ?? t["backup_encryption_none"]),
            Fact(label: t["backup_kept_until"], text: format.when(record.retentionUntil)),
            Fact(label: t["backup_drill"], text: verdict),
            Fact(label: t["backup_drilled_at"], text: format.when(record.verifiedAt)),
        ]
        if let reason = drillReason { facts.append(Fact(label: t["backup_drill_reason"], text: reason, error: true, spanID: "drill-reason")) }
        if let error = record.error { facts.append(Fact(label: t["backup_error"], text: error, error: true)) }
        if let job = record.jobID {
            facts.append(Fact(label: t["backup_job"], text: t("backup_job_value", ["id": job, "attempt": record.attempt ?? 0]), href: "/ui/jobs/\(job)"))
        }
        let tables = record.tableFindings.map { finding in
            Table(name: finding.table, check: finding.check.rawValue, rows: finding.rows.map(format.count) ?? dash, finding: Self.text(finding, format))
        }
        return DashboardPage(template: .backup, title: t("backup_title", ["id": record.id, "branch": record.branch]),
                           view: View(facts: facts, tables: tables, commands: NonEmpty(commands)))
    }

    static func status(_ status: BackupRecord.Status, _ t: Catalog) -> String { t["backup_status_\(status.rawValue)"] }

    /// `daily`, `manual`, `pre-migration` as the page's language names them.
    static func kind(_ kind: BackupRecord.Kind, _ t: Catalog) -> String {
        t["backup_kind_\(kind.rawValue.replacingOccurrences(of: "-", with: "_"))"]
    }

    private var verdict: String {
        let t = format.catalog
        return switch record.verificationStatus {
        case "true"?: t[record.tableDigests.isEmpty ? "backup_verdict_true_counts" : "backup_verdict_true"]
        case "false"?: t["backup_verdict_false"]
        case "unverified"?: t["backup_verdict_unverified"]
        default: t["backup_verdict_none"]
        }
    }

    private var drillReason: String? {
        guard record.verificationStatus == "false", let details = record.verificationDetails else { return nil }
        return (try? JSONDecoder().decode(RestoreDrill.Report.self, from: Data(details.utf8)))?.reason ?? details
    }

    static func text(_ finding: TableFinding, _ format: PageFormat) -> String {
        let t = format.catalog
        return switch finding.check {
        case .matched: t["finding_matched"]
        case .countMatched: t["finding_count_matched"]
        case .notDrilled: t["finding_not_drilled"]
        case .notCompared: t["finding_not_compared"]
        case .differs where finding.contentOnly: t["finding_content_differs"]
        case .differs: t("finding_count_differs", ["restored": finding.restoredRows.map(format.count) ?? t["finding_none_restored"]])
        }
    }

    /// The commands, each in its own copyable block: Nightshift's restore (downloads, checks
    /// the SHA-256 and restores in one step), then the same by hand. None for a dump that did
    /// not complete: the template says it cannot be restored.
    private var commands: [Command] {
        guard record.status == .completed || record.status == .expired else { return [] }
        let t = format.catalog
        let database = t["cmd_new_database"]
        var steps = [Command(
            caption: t["cmd_nightshift"],
            command: "nightshift backups restore --id \(record.id) --target-url postgres://\(t["cmd_user"]):\(t["cmd_password"])@HOST:5432/\(database) --yes")]
        let file = record.localPath.map { ($0 as NSString).lastPathComponent } ?? "backup-\(record.id).dump"
        if let key = record.objectKey, let folder = localStore {
            steps.append(Command(caption: t["cmd_from_folder"], command: "cp \"\(folder.appendingPathComponent(key).path)\" \(file)"))
        } else if let key = record.objectKey {
            steps.append(Command(caption: t["cmd_from_bucket"],
                                 command: "aws s3 cp \"s3://$BACKUP_S3_BUCKET/\(key)\" \(file) --endpoint-url \"$BACKUP_S3_ENDPOINT\""))
        } else if let path = record.localPath {
            steps.append(Command(caption: t["cmd_from_disk"], command: "cp \(path) ."))
        }
        if let sha = record.sha256 { steps.append(Command(caption: t["cmd_check"], command: "echo \"\(sha)  \(file)\" | sha256sum -c")) }
        var dump = file
        if record.encryption != nil {
            dump = file.hasSuffix(".age") ? String(file.dropLast(4)) : file + ".plain"
            steps.append(Command(caption: t["cmd_decrypt"], command: "nightshift backup decrypt \(file) --identity-file ~/nightshift-backup.key -o \(dump)"))
        }
        steps.append(Command(caption: t["cmd_restore"], command: "createdb \(database) && pg_restore --no-owner --no-privileges -d \(database) \(dump)"))
        return steps
    }
}
