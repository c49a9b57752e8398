import Foundation
@testable import Age

/// Whole-buffer helpers over the streaming API, feeding it in pieces of `piece` bytes so the
/// chunk boundaries fall inside calls as well as between them.
func encrypt(_ plaintext: [UInt8], to recipients: [AgeRecipient], piece: Int = 10_000) throws -> [UInt8] {
    var encryptor = try AgeEncryptor(recipients: recipients)
    var output: [UInt8] = []
    var start = 0
    while start < plaintext.count {
        let end = min(start + piece, plaintext.count)
        try encryptor.update(Array(plaintext[start..<end]), into: &output)
        start = end
    }
    try encryptor.finish(into: &output)
    return output
}

func decrypt(_ ciphertext: [UInt8], with identities: [AgeIdentity], piece: Int = 7_777) throws(AgeError) -> [UInt8] {
    var decryptor = AgeDecryptor(identities: identities)
    var output: [UInt8] = []
    var start = 0
    while start < ciphertext.count {
        let end = min(start + piece, ciphertext.count)
        try decryptor.update(Array(ciphertext[start..<end]), into: &output)
        start = end
    }
    try decryptor.finish(into: &output)
    return output
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// Runs a program to its end; returns its status, stdout and stderr.
@discardableResult
func run(_ executable: String, _ arguments: [String], stdin: URL? = nil) throws -> (status: Int32, output: Data, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output, errors)
}

/// The `age` and `age-keygen` programs (Debian's `age` package, installed by ops/test.sh).
enum AgeCLI {
    static func path(_ name: String) -> String? {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        return nil
    }
}

final class ScratchFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("age-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(at: url) }
}
