import Crypto
import Foundation
import NightshiftCore
@testable import ObjectStorage
import Testing
import TestSupport

/// The S3 client against a real S3-compatible server (moto) that checks every signature.
@Suite struct S3StoreTests {
    func temporaryFile(bytes count: Int, seed: UInt8 = 7) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ns-s3-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        var state = UInt64(seed) | 1
        var remaining = count
        while remaining > 0 {
            let size = min(remaining, 1 << 20)
            var chunk = [UInt8](repeating: 0, count: size)
            for index in 0..<size { state = state &* 6364136223846793005 &+ 1442695040888963407; chunk[index] = UInt8(state >> 56) }
            handle.write(Data(chunk))
            remaining -= size
        }
        try handle.close()
        return url
    }

    @Test func smallObjectsGoUpComeBackAndGo() async throws {
        let store = try await TestObjectStorage.freshBucket("small")
        let body = Data("{\"receita\": 123, \"nome\": \"Conceição\"}".utf8)
        let put = try await store.put("branch a/metrics/2026-11-30.json", data: body, contentType: "application/json")
        #expect(put.sha256 == SHA256.hash(data: body).hex)
        #expect(try await store.get("branch a/metrics/2026-11-30.json") == body)
        let head = try #require(try await store.head("branch a/metrics/2026-11-30.json"))
        #expect(head.size == Int64(body.count) && head.sha256 == put.sha256, "the SHA-256 is kept with the object")
        #expect(try await store.head("branch a/metrics/missing.json") == nil)
        #expect(try await store.list(prefix: "branch a/").map(\.key) == ["branch a/metrics/2026-11-30.json"])
        try await store.delete(["branch a/metrics/2026-11-30.json", "branch a/never-there"])
        #expect(try await store.list(prefix: "branch a/").isEmpty)
        await #expect(throws: ObjectStorageError.notFound(key: "GET nope")) { try await store.get("nope") }
    }

    @Test func aFiftyMegabyteFileGoesUpInPartsAndComesBackByteIdentical() async throws {
        let store = try await TestObjectStorage.freshBucket("multipart")
        let file = try temporaryFile(bytes: 50 * 1024 * 1024 + 12_345)
        defer { try? FileManager.default.removeItem(at: file) }
        let sha = try PartReader.sha256(of: file)
        let stored = try await store.put("b/backups/big.dump", file: file, contentType: "application/octet-stream", sha256: sha)
        #expect(stored.size == 50 * 1024 * 1024 + 12_345)
        #expect(try await store.incompleteUploads(prefix: "b/").isEmpty, "the upload completed, no parts left behind")
        #expect(try await store.head("b/backups/big.dump")?.sha256 == sha)
        let back = FileManager.default.temporaryDirectory.appendingPathComponent("ns-s3-back-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: back) }
        let fetched = try await store.get("b/backups/big.dump", to: back)
        #expect(fetched.sha256 == sha && fetched.size == stored.size)
        #expect(try PartReader.sha256(of: back) == sha)
    }

    @Test func aFileThatChangesDuringItsUploadIsRefusedAndAborted() async throws {
        let store = try await TestObjectStorage.freshBucket("changed")
        let file = try temporaryFile(bytes: 20 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }
        await #expect {
            _ = try await store.put("b/x.dump", file: file, contentType: "application/octet-stream", sha256: String(repeating: "0", count: 64))
        } throws: { error in
            if case .checksumMismatch = error as? ObjectStorageError { return true }
            return false
        }
        #expect(try await store.incompleteUploads(prefix: "b/").isEmpty, "the failed upload was aborted")
        #expect(try await store.head("b/x.dump") == nil)
    }

    @Test func listingFollowsContinuationTokensAcrossPages() async throws {
        let store = try await TestObjectStorage.freshBucket("pages") { $0.listPageSize = 5 }
        let keys = (0..<23).map { String(format: "p/backups/p_20261101_%06d.dump", $0) }
        for key in keys { _ = try await store.put(key, data: Data(key.utf8), contentType: "application/octet-stream") }
        _ = try await store.put("q/other", data: Data(), contentType: "application/octet-stream")
        let listed = try await store.list(prefix: "p/")
        #expect(listed.map(\.key) == keys, "23 objects over 5 pages, in order, nothing from another prefix")
        #expect(listed.allSatisfy { $0.lastModified != nil && $0.size > 0 })
        try await store.delete(keys)
        #expect(try await store.list(prefix: "p/").isEmpty)
    }

    @Test func aWrongSecretIsAClearErrorThatNeverShowsTheSecret() async throws {
        let good = try await TestObjectStorage.freshBucket("auth")
        var configuration = good.configuration
        configuration.credentials.secretAccessKey = "not-the-secret-Zq81"
        let wrongSecret = S3Store(configuration: configuration, logger: TestDatabase.logger)
        await #expect {
            _ = try await wrongSecret.put("x", data: Data("x".utf8), contentType: "text/plain")
        } throws: { error in
            let text = "\(error)"
            return (error as? ObjectStorageError)?.category == .misconfigured(setting: "BACKUP_S3_SECRET_KEY")
                && text.contains("secret key is probably wrong") && !text.contains("not-the-secret-Zq81")
        }
        configuration = good.configuration
        configuration.credentials.accessKeyID = "AKIANOSUCHKEY"
        await #expect {
            _ = try await S3Store(configuration: configuration, logger: TestDatabase.logger).list(prefix: "")
        } throws: { error in
            (error as? ObjectStorageError)?.category == .misconfigured(setting: "BACKUP_S3_ACCESS_KEY")
        }
        configuration = good.configuration
        configuration.bucket = "nightshift-no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())"
        await #expect(throws: ObjectStorageError.noSuchBucket(bucket: configuration.bucket)) {
            _ = try await S3Store(configuration: configuration, logger: TestDatabase.logger).list(prefix: "")
        }
    }

    @Test func aServerThatStopsAnsweringMidUploadFailsAfterItsRetriesAndTheNextRunCleansUp() async throws {
        let server = try S3TestServer()
        let store = try await TestObjectStorage.freshBucket("paused", endpoint: server.endpoint, credentials: server.credentials) {
            $0.requestTimeout = .seconds(2)
            $0.transferTimeout = .seconds(2)
            $0.maxAttempts = 2
            $0.retry = RetryPolicy(base: .milliseconds(50), cap: .milliseconds(100), jitter: 0)
        }
        let file = try temporaryFile(bytes: 40 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(at: file) }
        let upload = Task { try await store.put("b/backups/b_1.dump", file: file, contentType: "application/octet-stream", sha256: nil) }
        // Freeze the server once the upload is under way.
        try await eventually(timeout: .seconds(20), "the upload has begun") { try await store.incompleteUploads(prefix: "b/").count == 1 }
        server.pause()
        let failure = await upload.result
        server.resume()
        guard case .failure(let error) = failure else { Issue.record("the upload succeeded against a frozen server"); return }
        #expect((error as? ObjectStorageError)?.category == .unavailable, "\(error)")
        // The abort could not reach a frozen server; the next run's clean-up does. A frozen
        // server still queues the requests sent to it and answers them once resumed, so the
        // second attempt's CreateMultipartUpload may have made a second upload: one per attempt.
        #expect(try await store.abortIncompleteUploads(prefix: "b/") <= 2)
        #expect(try await store.incompleteUploads(prefix: "b/").isEmpty)
        #expect(try await store.head("b/backups/b_1.dump") == nil, "no half object")
    }
}

@Suite struct LocalDirectoryStoreTests {
    @Test func aFolderStoreKeepsTheBucketsLayoutAndRefusesEscapes() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ns-local-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = LocalDirectoryStore(root: root)
        let source = root.appendingPathComponent("dumps/x.dump")
        try FileManager.default.createDirectory(at: source.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(repeating: 9, count: 100_000).write(to: source)
        let stored = try await store.put("b/backups/b_1.dump", file: source, contentType: "application/octet-stream", sha256: nil)
        #expect(stored.sha256 == SHA256.hash(data: Data(repeating: 9, count: 100_000)).hex)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("b/backups/b_1.dump").path))
        _ = try await store.put("b/metrics/2026-11-30.json", data: Data("{}".utf8), contentType: "application/json")
        #expect(try await store.list(prefix: "b/").map(\.key) == ["b/backups/b_1.dump", "b/metrics/2026-11-30.json"])
        #expect(try await store.head("b/backups/b_1.dump")?.sha256 == stored.sha256)
        try await store.delete(["b/backups/b_1.dump"])
        #expect(try await store.head("b/backups/b_1.dump") == nil)
        await #expect(throws: ObjectStorageError.self) { _ = try await store.put("../escape", data: Data(), contentType: "text/plain") }
    }
}
