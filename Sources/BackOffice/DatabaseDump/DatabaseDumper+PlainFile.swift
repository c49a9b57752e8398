import Foundation
import ObjectStorage
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseDumper {
    /// A plain dump: pg_dump writes the temporary file; it is checked whole, hashed, listed by
    /// `pg_restore --list`, and moved into place. Returns the tables' contents, and the file's
    /// size and SHA-256.
    func plainDump(_ pgDump: PostgresTool, _ pgRestore: PostgresTool, to final: URL, temporary: URL,
                   applicationName: String, phases: inout PhaseClock) async throws -> ([String: TableContent], Int64, String) {
        let tables = try await pgDumpInOneSnapshot(pgDump, output: .file(temporary), applicationName: applicationName)
        phases.lap("dump")
        try await requireWhole(temporary, pgRestore)
        phases.lap("whole")
        // pg_dump has synced the file; one read, from the page cache, for its hash.
        let (size, sha256) = try FileDigest.sha256(of: temporary)
        phases.lap("hash")
        let listing = try await pgRestore.run(["--list", temporary.path], database: database, applicationName: "nightshift-dump check")
        guard listing.status == 0 else {
            throw DumpError.toolFailed(name: "pg_restore --list", status: listing.status, message: listing.errors)
        }
        try moveIntoPlace(temporary, final)
        phases.lap("check")
        return (tables, size, sha256)
    }

    /// pg_dump's exit status is not enough (see ``ArchiveCompleteness``): the archive it wrote
    /// must be on disk and whole. An archive format newer than the check knows is read to its
    /// end by pg_restore instead.
    private func requireWhole(_ file: URL, _ pgRestore: PostgresTool) async throws {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DumpError.file("cannot open the dump \(file.path): \(String(cString: strerror(errno)))") }
        let synced = fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
        close(descriptor)
        if let synced { throw DumpError.incompleteArchive(path: file.path, reason: "it could not be synced to disk (\(synced))") }
        let verdict: ArchiveCompleteness.Verdict
        do { verdict = try ArchiveCompleteness.check(file) } catch {
            throw DumpError.file("cannot read the dump \(file.path) to check it: \(error)")
        }
        switch verdict {
        case .complete:
            return
        case .incomplete(let reason):
            throw DumpError.incompleteArchive(path: file.path, reason: reason)
        case .unknownFormat(let format):
            logger.notice("the dump's \(format) is newer than the completeness check knows: pg_restore reads it whole instead")
            let read = try await pgRestore.run(["--file=/dev/null", file.path], database: database, applicationName: "nightshift-dump check")
            guard read.status == 0 else { throw DumpError.incompleteArchive(path: file.path, reason: read.errors) }
        }
    }

    private func moveIntoPlace(_ temporary: URL, _ final: URL) throws {
        guard rename(temporary.path, final.path) == 0 else {
            throw DumpError.file("cannot move the dump into place at \(final.path): \(String(cString: strerror(errno)))")
        }
        let folder = open(final.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }
}
