import Foundation
import NightshiftCore

/// Where an S3-compatible bucket is and how to talk to it (`BACKUP_S3_*` settings).
public struct S3Configuration: Sendable {
    /// `BACKUP_S3_ENDPOINT`, e.g. `https://s3.us-west-004.backblazeb2.com` or `http://127.0.0.1:9000`.
    /// Nil means AWS itself, addressed virtual-host style (`bucket.s3.region.amazonaws.com`).
    public var endpoint: URL?
    public var bucket: String
    public var region: String
    public var credentials: AWSCredentials
    /// Files larger than this go up in parts of this size (S3's minimum part is 5 MiB).
    public var partSize: Int = 8 * 1024 * 1024
    /// Parts uploaded at once.
    public var partsInFlight: Int = 4
    /// Objects per page when listing (S3's maximum is 1,000).
    public var listPageSize: Int = 1_000
    /// Pages one listing may take before it is an error (a server that never ends its listing):
    /// 10,000 pages of 1,000 keys are far beyond a branch's backups.
    public var maxListPages: Int = 10_000
    /// Retries of 5xx, 429, timeouts and dropped connections.
    public var retry = RetryPolicy(base: .milliseconds(200), cap: .seconds(5), jitter: 0.2)
    public var maxAttempts = 6
    /// Longest a single small request may take, and a part upload or download.
    public var requestTimeout: Duration = .seconds(30)
    public var transferTimeout: Duration = .seconds(600)

    public static let defaultRegion = "us-west-004"

    public init(endpoint: URL?, bucket: String, region: String = S3Configuration.defaultRegion, credentials: AWSCredentials) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.credentials = credentials
    }

    /// The base URL requests go to, and the path prefix the bucket adds to each key. A custom
    /// endpoint takes path-style addresses (`endpoint/bucket/key`), which every S3-compatible
    /// store accepts; AWS itself takes virtual-host style (`bucket.s3.region.amazonaws.com/key`).
    var base: (url: String, pathPrefix: String) {
        if let endpoint {
            let text = endpoint.absoluteString.hasSuffix("/") ? String(endpoint.absoluteString.dropLast()) : endpoint.absoluteString
            return (text, "/\(bucket)")
        }
        return ("https://\(bucket).s3.\(region).amazonaws.com", "")
    }
}
