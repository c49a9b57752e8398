import Foundation
import Testing
import TestSupport

/// Issue 13's "memory flat on a 1 GB file": the real binary encrypts a 1 GiB file the way a backup
/// is written (`nightshift bench encrypt`, which reports its own peak RSS), and its peak is no
/// higher than for a file sixteen times smaller. A streaming encryptor holds a few blocks at
/// most; one that gathered its output would grow by the whole gigabyte.
@Suite struct EncryptionMemoryTests {
    @Test func encryptingAGigabyteKeepsMemoryFlat() async throws {
        // In memory where there is a tmpfs: a gigabyte written to the disk the test database
        // shares held that database up for seconds and made tests running beside this one fail.
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        let shmFree = (try? FileManager.default.attributesOfFileSystem(forPath: shm.path)[.systemFreeSize] as? Int) ?? 0
        let base = FileManager.default.isWritableFile(atPath: shm.path) && shmFree > 2 << 30 ? shm : FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("ns-flat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keygen = try ChildProcess(["backup", "keygen", "--output", folder.appendingPathComponent("backup.key").path])
        #expect(try await keygen.waitForExit() == 0, "\(keygen.log)")
        let recipient = try #require(keygen.log.split(separator: "\n").first { $0.hasPrefix("age1") }).description

        func peakKiB(plaintextBytes: Int) async throws -> Int {
            // Sparse: the plaintext costs no disk, its ciphertext is random all the same.
            let plain = folder.appendingPathComponent("plain-\(plaintextBytes)")
            #expect(FileManager.default.createFile(atPath: plain.path, contents: nil))
            let handle = try FileHandle(forWritingTo: plain)
            try handle.truncate(atOffset: UInt64(plaintextBytes))
            try handle.close()
            let sealed = folder.appendingPathComponent("sealed-\(plaintextBytes).age")
            // At low priority: the test measures memory, not time, and the tests beside it
            // should not wait behind a gigabyte of encryption.
            let run = try ChildProcess(
                ["-n", "15", ChildProcess.executable.path, "bench", "encrypt", plain.path, sealed.path, "--recipient", recipient, "--no-sync"],
                executable: URL(fileURLWithPath: "/usr/bin/nice"))
            #expect(try await run.waitForExit(timeout: .seconds(300)) == 0, "\(run.log)")
            // 64 KiB chunks, each with a 16-byte tag, after the header and the 16-byte nonce.
            let chunks = (plaintextBytes + 65_535) / 65_536
            let stored = try #require(try FileManager.default.attributesOfItem(atPath: sealed.path)[.size] as? Int)
            #expect(stored > plaintextBytes + chunks * 16 + 16 && stored < plaintextBytes + chunks * 16 + 16 + 1024, "\(run.log)")
            #expect(run.log.contains("encrypted to \(stored) bytes"), "\(run.log)")
            try FileManager.default.removeItem(at: sealed)
            try FileManager.default.removeItem(at: plain)
            let peak = run.log.split(separator: "peak RSS ").last.flatMap { Int($0.prefix { $0.isNumber }) }
            return try #require(peak, "no peak RSS in: \(run.log)")
        }

        let small = try await peakKiB(plaintextBytes: 64 << 20)
        let large = try await peakKiB(plaintextBytes: 1 << 30)
        #expect(small > 0 && large > 0)
        #expect(large < 128 << 10, "peak RSS \(large) KiB encrypting 1 GiB")
        #expect(large - small < 16 << 10, "peak RSS \(small) KiB for 64 MiB, \(large) KiB for 1 GiB: memory grows with the file")
    }
}
