import NightshiftCore

/// What went wrong talking to object storage, in words that say which setting to look at. No
/// message ever holds the secret key.
public enum ObjectStorageError: NightshiftError, Equatable {
    /// The store refused the credentials or their permissions (HTTP 403): `setting` is the
    /// likeliest culprit.
    case forbidden(operation: String, code: String, setting: String, hint: String)
    /// The bucket does not exist.
    case noSuchBucket(bucket: String)
    case notFound(key: String)
    /// The store kept failing (5xx, 429, timeouts, dropped connections) after every retry.
    case unavailable(operation: String, reason: String, attempts: Int)
    /// The store answered something this client does not understand.
    case unexpected(operation: String, status: Int, code: String?, message: String?)
    /// The store's copy does not match what was sent.
    case checksumMismatch(key: String, expected: String, actual: String?)
    /// Reading or writing a local file failed.
    case file(String)

    public var description: String {
        switch self {
        case let .forbidden(operation, code, _, hint):
            return "object storage refused \(operation) (403 \(code)): \(hint)"
        case .noSuchBucket(let bucket):
            return "bucket '\(bucket)' does not exist: create it, or check BACKUP_S3_BUCKET and BACKUP_S3_ENDPOINT"
        case .notFound(let key):
            return "object \(key) is not in the bucket"
        case let .unavailable(operation, reason, attempts):
            return "object storage did not answer \(operation) after \(attempts) attempts: \(reason)"
        case let .unexpected(operation, status, code, message):
            return "object storage answered \(operation) with HTTP \(status)\(code.map { " \($0)" } ?? "")\(message.map { ": \($0)" } ?? "")"
        case let .checksumMismatch(key, expected, actual):
            return "object \(key) in the bucket does not match what was sent: SHA-256 \(actual ?? "not recorded"), expected \(expected)"
        case .file(let message):
            return message
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .forbidden(_, _, let setting, _): return .misconfigured(setting: setting)
        case .noSuchBucket: return .misconfigured(setting: "BACKUP_S3_BUCKET")
        case .notFound: return .notFound
        case .unavailable: return .unavailable
        case .unexpected, .checksumMismatch: return .internalFailure
        case .file: return .unavailable
        }
    }

    /// Which setting a 403 points at, by the store's error code.
    static func forbidden(operation: String, code: String, message: String?) -> ObjectStorageError {
        switch code {
        case "InvalidAccessKeyId":
            return .forbidden(operation: operation, code: code, setting: "BACKUP_S3_ACCESS_KEY",
                              hint: "the access key is not known to the store; check BACKUP_S3_ACCESS_KEY")
        case "SignatureDoesNotMatch":
            return .forbidden(operation: operation, code: code, setting: "BACKUP_S3_SECRET_KEY",
                              hint: "the request's signature does not match: the secret key is probably wrong (check BACKUP_S3_SECRET_KEY), or BACKUP_S3_REGION differs from the bucket's")
        case "AuthorizationHeaderMalformed", "InvalidRegion":
            return .forbidden(operation: operation, code: code, setting: "BACKUP_S3_REGION",
                              hint: "the region does not match the bucket's; check BACKUP_S3_REGION (B2: the region in the endpoint, e.g. us-west-004)")
        case "RequestTimeTooSkewed":
            return .forbidden(operation: operation, code: code, setting: "clock",
                              hint: "this machine's clock is too far from the store's; sync it (NTP) and retry")
        default:
            return .forbidden(operation: operation, code: code, setting: "BACKUP_S3_ACCESS_KEY",
                              hint: "the key is valid but may not \(operation) in this bucket\(message.map { " (\($0))" } ?? ""); check the key's permissions and BACKUP_S3_BUCKET")
        }
    }
}
