import Age
import Foundation

extension DatabaseDumper {
    /// An encrypted dump: pg_dump writes to a pipe; each block is encrypted into the dump's
    /// file as it arrives and, until it has read the archive's table of contents, also fed to
    /// `pg_restore --list`, so the dump is checked while its plaintext never touches the disk.
    /// Returns the tables' contents, and the size and SHA-256 of the encrypted file, which is
    /// in place.
    func encryptedDump(_ pgDump: PostgresTool, _ pgRestore: PostgresTool, to final: URL, temporary: URL,
                       recipients: [AgeRecipient], applicationName: String) async throws -> ([String: TableContent], Int64, String) {
        let file = try AtomicFile(destination: final, encryptingTo: recipients, temporaryName: temporary.lastPathComponent)
        do {
            let dumpOutput = Pipe(), listingInput = Pipe()
            let feed = EarlyExitFeed(listingInput)
            let magic = ArchiveMagic()
            async let listing = pgRestore.run(["--list"], database: database, applicationName: "nightshift-dump check", inputPipe: listingInput)
            async let pumped: Void = PipePump.drain(dumpOutput) { block in
                magic.feed(block)
                feed.write(block)
                try file.write(block)
            }
            let tables: [String: TableContent]
            do {
                tables = try await pgDumpInOneSnapshot(pgDump, output: .pipe(dumpOutput), applicationName: applicationName)
                try await pumped
            } catch {
                feed.close()
                _ = try? await pumped
                _ = try? await listing
                throw error
            }
            feed.close()
            let checked = try await listing
            guard magic.isArchive else { throw DumpError.toolFailed(name: "pg_dump", status: 0, message: "its output is not a custom-format archive") }
            guard checked.status == 0 else {
                throw DumpError.toolFailed(name: "pg_restore --list", status: checked.status, message: checked.errors)
            }
            let sha256 = try file.commit()
            return (tables, Int64(file.size), sha256)
        } catch {
            file.discard()
            throw error
        }
    }
}
