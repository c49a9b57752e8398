import Foundation

extension DatabaseDumper {
    /// The dump's name, by the second (seed 004's layout). Two dumps of a branch in one second
    /// (a manual one right after another) would share it, and the second would overwrite the
    /// first's file and object: the name moves on a second until no file and no live history
    /// row holds it. Dumps of a branch run one at a time (the branch's lock), so the check
    /// does not race with another dump of the same branch (see ``dump(type:attempt:at:progress:)``).
    func freeName(at instant: Date, encrypted: Bool) async throws -> DumpName {
        var moment = instant
        for _ in 0..<120 {
            let name = DumpName(branch: settings.branch.id, at: moment, in: settings.branch.timeZone, encrypted: encrypted)
            let file = name.localFile(in: settings.dumpDirectory).path
            var taken = FileManager.default.fileExists(atPath: file)
            if !taken, let history { taken = try await history.holdsName(objectKey: name.objectKey, localPath: file) }
            if !taken { return name }
            moment = moment.addingTimeInterval(1)
        }
        throw DumpError.file("no free dump name within two minutes of \(instant): remove stale rows or files in \(settings.dumpDirectory.path)")
    }
}
