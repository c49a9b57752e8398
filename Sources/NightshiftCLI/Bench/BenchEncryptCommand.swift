import Age
import ArgumentParser
import BackOffice
import Foundation

/// `nightshift bench encrypt IN OUT --recipient age1…`: times encrypting one file the way a
/// backup is written, for ops/bench-age.sh's comparison with `age -r`.
struct BenchEncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt", abstract: "Time encrypting IN to OUT (age, as backups are written: SHA-256 and fsync included).")
    @Argument(help: "The file to encrypt.") var input: String
    @Argument(help: "Where to write the encrypted file.") var output: String
    @Option(help: "An age public key (age1…); repeat for several.") var recipient: [String] = []
    @Flag(name: .customLong("no-sync"), help: "Skip the fsync, as `age` does (to compare the encryption alone).") var noSync = false

    func run() async throws {
        let recipients = try recipient.map { text in
            do { return try AgeRecipient(parsing: text) } catch { throw ValidationError("--recipient \(error)") }
        }
        guard !recipients.isEmpty else { throw ValidationError("give at least one --recipient age1…") }
        let started = ContinuousClock.now
        let stored = try EncryptedFile.encrypt(URL(fileURLWithPath: input), to: URL(fileURLWithPath: output), recipients: recipients, durable: !noSync)
        let seconds = (ContinuousClock.now - started).timeInterval
        print(String(format: "encrypted to %d bytes in %.2f s: %.1f MB/s, peak RSS %d KiB",
                     stored.size, seconds, Double(stored.size) / seconds / 1e6, Self.peakResidentKiB()))
    }

    /// The process's peak resident memory (`VmHWM`), 0 where /proc does not say.
    static func peakResidentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
