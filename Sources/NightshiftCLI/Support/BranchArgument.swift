import BackOffice
import Foundation

/// The kinds whose work belongs to a branch (`branch` in their arguments): `nightshift enqueue`
/// of one without `branch` gives it the enqueuer's BRANCH_ID, as the schedules and the API do,
/// so the worker that claims it files the dump or the month's backup under that branch
/// (break-office2 18).
enum BranchArgument {
    static let kinds: Set<String> = [NightlyDumpJob.kind, BackupMonthJob.kind, GenerateExtratoJob.kind]

    /// `args` with `"branch": branch` added when `kind` takes one and it is not given; `args`
    /// unchanged otherwise (and when it is not a JSON object: the kind's check says so).
    static func filled(kind: String, args: String, branch: String) -> String {
        guard kinds.contains(kind),
              var object = (try? JSONSerialization.jsonObject(with: Data(args.utf8))) as? [String: Any],
              object["branch"] == nil else { return args }
        object["branch"] = branch
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return args }
        return String(decoding: data, as: UTF8.self)
    }
}
