import Foundation
import Testing
import TestSupport

/// `nightshift backup keygen` and `backup decrypt`, run as the real binary, with the standard
/// `age` tool on the other side.
@Suite struct BackupKeysCommandTests {
    static let age = ["/usr/bin/age", "/usr/local/bin/age"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func keygenWritesAPrivateIdentityAndDecryptOpensWhatAgeEncrypted() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = folder.appendingPathComponent("backup.key")
        let keygen = try ChildProcess(["backup", "keygen", "--output", keyFile.path])
        #expect(try await keygen.waitForExit() == 0, "\(keygen.log)")
        let publicKey = try #require(keygen.log.split(separator: "\n").first { $0.hasPrefix("age1") }).description
        #expect((try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int) == 0o600)
        let secret = try String(contentsOf: keyFile, encoding: .utf8)
        #expect(secret.contains("# public key: \(publicKey)") && !keygen.log.contains("AGE-SECRET-KEY-1"), "the secret is never printed")
        let again = try ChildProcess(["backup", "keygen", "--output", keyFile.path])
        #expect(try await again.waitForExit() != 0 && again.log.contains("never overwrites"))

        let plain = folder.appendingPathComponent("extrato.csv")
        try Data("tipo,valor\npagamento,150.00\n".utf8).write(to: plain)
        let sealed = folder.appendingPathComponent("extrato.csv.age")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.age))
        process.arguments = ["-r", publicKey, "-o", sealed.path, plain.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        try FileManager.default.removeItem(at: plain)

        let decrypt = try ChildProcess(["backup", "decrypt", sealed.path], environment: ["BACKUP_AGE_IDENTITY_FILE": keyFile.path])
        #expect(try await decrypt.waitForExit() == 0, "\(decrypt.log)")
        #expect(try String(contentsOf: plain, encoding: .utf8) == "tipo,valor\npagamento,150.00\n")

        // Another identity: a clear error and no output file.
        let otherKey = folder.appendingPathComponent("other.key")
        #expect(try await ChildProcess(["backup", "keygen", "-o", otherKey.path]).waitForExit() == 0)
        let wrong = try ChildProcess(["backup", "decrypt", sealed.path, "-o", folder.appendingPathComponent("out.csv").path,
                                      "--identity-file", otherKey.path])
        #expect(try await wrong.waitForExit() != 0)
        #expect(wrong.log.contains("not encrypted to any of the identities"), "\(wrong.log)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.csv").path))
    }

    @Test func aBadRecipientSettingIsNamed() async throws {
        let run = try ChildProcess(["backup", "info"], environment: ["BACKUP_AGE_RECIPIENTS": "age1notakey"])
        #expect(try await run.waitForExit() != 0)
        #expect(run.log.contains("BACKUP_AGE_RECIPIENTS") && run.log.contains("not an age recipient"), "\(run.log)")
    }
}
