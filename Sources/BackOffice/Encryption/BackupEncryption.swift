import Age
import Foundation
import NightshiftCore

/// Whether backups are encrypted, to whom, and what can open them (issue: encrypted
/// backups). The machine that makes backups needs only ``recipients``; ``identities`` are for
/// the one that reads them back (verify with contents, drill, restore, decrypt).
public struct BackupEncryption: Sendable {
    /// `BACKUP_AGE_RECIPIENTS`: age X25519 public keys; empty writes backups in the clear.
    public var recipients: [AgeRecipient]
    /// `BACKUP_AGE_IDENTITY_FILE`: the `AGE-SECRET-KEY-1…` lines that open backups.
    public var identities: [AgeIdentity]

    public static let off = BackupEncryption(recipients: [], identities: [])
    /// The suffix of an encrypted file: `backup_2026_11.csv.age`, `{branch}_{stamp}.dump.age`.
    public static let suffix = ".age"
    /// What manifests and `backup_history.encryption` record.
    public static let format = "age"

    public init(recipients: [AgeRecipient], identities: [AgeIdentity] = []) {
        self.recipients = recipients
        self.identities = identities
    }

    public var isOn: Bool { !recipients.isEmpty }
    public var canDecrypt: Bool { !identities.isEmpty }

    /// Parses the two settings as the environment gives them. `recipients` is a comma-separated
    /// list of `age1…` keys, or the path of a file with one per line (`#` comments allowed, as
    /// `age -R` reads). Errors name the setting and never quote a secret key.
    public static func parse(recipients: String?, identityFile: String?) throws(BackupEncryptionError) -> BackupEncryption {
        var parsed: [AgeRecipient] = []
        if let recipients, !recipients.trimmingCharacters(in: .whitespaces).isEmpty {
            let value = recipients.trimmingCharacters(in: .whitespaces)
            let entries: [String]
            let looksLikeKeys = value.hasPrefix("age1") || value.uppercased().hasPrefix("AGE-SECRET-KEY-") || value.contains(",")
            if !looksLikeKeys {
                guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
                    // Quote the value only when it is a path: it might be a mistyped secret.
                    let shown = value.contains("/") ? " (\(value))" : ""
                    throw .invalid(setting: "BACKUP_AGE_RECIPIENTS",
                                   problem: "is neither `age1…` keys nor a readable file\(shown): give the public keys, comma-separated, or the path of a file that lists them")
                }
                entries = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            } else {
                entries = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            for entry in entries {
                do { parsed.append(try AgeRecipient(parsing: entry)) } catch {
                    throw .invalid(setting: "BACKUP_AGE_RECIPIENTS", problem: "\(error)")
                }
            }
            if parsed.isEmpty { throw .invalid(setting: "BACKUP_AGE_RECIPIENTS", problem: "lists no key: give at least one `age1…` public key") }
        }
        var identities: [AgeIdentity] = []
        if let identityFile, !identityFile.isEmpty {
            guard let text = try? String(contentsOfFile: identityFile, encoding: .utf8) else {
                throw .invalid(setting: "BACKUP_AGE_IDENTITY_FILE", problem: "\(identityFile) cannot be read: check the path and that this user may read it")
            }
            do { identities = try AgeIdentity.parseFile(text, source: identityFile) } catch {
                throw .invalid(setting: "BACKUP_AGE_IDENTITY_FILE", problem: "\(error)")
            }
        }
        return BackupEncryption(recipients: parsed, identities: identities)
    }
}

public enum BackupEncryptionError: NightshiftError, Equatable {
    case invalid(setting: String, problem: String)
    /// An encrypted backup, and no identity to open it with.
    case noIdentity(file: String)
    /// The file does not open: another key, tampering, truncation.
    case cannotDecrypt(file: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let setting, let problem): "\(setting) \(problem)"
        case .noIdentity(let file): "\(file) is encrypted (age) and no identity is configured: set BACKUP_AGE_IDENTITY_FILE to the file with its AGE-SECRET-KEY-1… line"
        case .cannotDecrypt(let file, let reason): "\(file) cannot be decrypted: \(reason)"
        }
    }
}

extension BackupEncryptionError {
    public var category: ErrorCategory {
        switch self {
        case .invalid(let setting, _): .misconfigured(setting: setting)
        case .noIdentity: .misconfigured(setting: "BACKUP_AGE_IDENTITY_FILE")
        case .cannotDecrypt: .invalidInput(field: nil)
        }
    }
}
