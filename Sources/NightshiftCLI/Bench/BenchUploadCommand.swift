import ArgumentParser
import Foundation
import ObjectStorage

/// `nightshift bench upload FILE KEY`: times one upload to the configured bucket, for
/// ops/bench-dump.sh's comparison with `aws s3 cp`.
struct BenchUploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Time an upload of FILE to KEY in the BACKUP_S3_* bucket, as a dump's upload does.")
    @Argument(help: "A file to upload.") var file: String
    @Argument(help: "The object key.") var key: String

    func run() async throws {
        let settings = try Launch.settings()
        guard let s3 = settings.storage.s3 else { throw CommandFailure("set BACKUP_S3_* to time an upload") }
        let store = S3Store(configuration: s3, logger: Log.make("nightshift"))
        let started = ContinuousClock.now
        let stored = try await store.put(key, file: URL(fileURLWithPath: file), contentType: "application/octet-stream", sha256: nil)
        let seconds = (ContinuousClock.now - started).timeInterval
        print(String(format: "uploaded %lld bytes in %.2f s: %.1f MB/s", stored.size, seconds, Double(stored.size) / seconds / 1e6))
    }
}
