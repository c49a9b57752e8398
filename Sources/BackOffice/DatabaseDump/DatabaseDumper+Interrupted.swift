import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseDumper {
    /// A retry: an earlier attempt's pg_dump may still be running (a child outlives a
    /// SIGKILLed worker), and its temporary file, its object or its open upload may be there.
    /// Stops the one, removes the others, and marks a row left `running` failed. Only a
    /// `pg_dump` of the database this dumper dumps is stopped: job ids are per queue database,
    /// and pg_stat_activity is the whole server's (break-office2 16: a dump of another
    /// database on the server, by a job with the same id, was killed).
    func cleanUpInterrupted(_ attempt: Attempt) async throws {
        guard let history else { return }
        try await history.client.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name LIKE \("nightshift-dump job \(attempt.jobID) attempt %") AND pid <> pg_backend_pid()
              AND datname = \(database.database)
            """, logger: logger)
        let folder = settings.dumpDirectory
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where file.hasPrefix(".") && file.contains(".tmp-job\(attempt.jobID)-") {
            unlink(folder.appendingPathComponent(file).path)
        }
        for record in try await history.closeUnfinished(jobID: attempt.jobID, before: attempt.number) {
            _ = try await DumpLeftovers.remove(record, store: store, logger: logger)
        }
    }

    /// Called with the branch's dump lock held: no other dump of the branch is running anywhere
    /// (each holds that lock for its whole run, and the server drops it when its process
    /// dies), so a row of the branch still `running` belongs to an attempt or a
    /// `migrate --backup-first` that died. Marks each failed with the reason and removes what it left.
    func sweepAbandoned() async throws {
        guard let history else { return }
        _ = try await DumpLeftovers.closeAbandoned(branch: settings.branch.id, history: history, store: store, logger: logger)
        // And what a killed drill or `backups restore` left: a plaintext copy of an encrypted
        // dump must not wait for the weekly drill to go (break-office2 19).
        do {
            try await DrillLeftovers(history: history, dumpDirectory: settings.dumpDirectory, logger: logger).sweep()
        } catch {
            logger.warning("a killed drill's or restore's leftovers were not removed this time", metadata: ["error": "\(error)"])
        }
    }
}
