import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

extension S3Store {
    public func put(_ key: String, data: Data, contentType: String) async throws -> ObjectInfo {
        let sha = SHA256.hash(data: data)
        _ = try await send(Request(
            method: .PUT, key: key,
            headers: [("content-type", contentType), ("x-amz-meta-sha256", sha.hex),
                      ("x-amz-checksum-sha256", Data(sha).base64EncodedString())],
            body: ByteBuffer(bytes: data), bodySHA256: sha.hex, operation: "PUT \(key)", timeout: configuration.requestTimeout))
        return ObjectInfo(key: key, size: Int64(data.count), lastModified: now(), sha256: sha.hex)
    }

    public func put(_ key: String, file: URL, contentType: String, sha256: String?) async throws -> ObjectInfo {
        let reader = try PartReader(file: file, partSize: configuration.partSize)
        defer { reader.close() }
        guard reader.size > Int64(configuration.partSize) else {
            let data = try reader.next().map { Data($0.bytes.readableBytesView) } ?? Data()
            let stored = try await put(key, data: data, contentType: contentType)
            if let sha256, stored.sha256 != sha256 {
                throw ObjectStorageError.checksumMismatch(key: key, expected: sha256, actual: stored.sha256)
            }
            return stored
        }
        let whole = try sha256 ?? PartReader.sha256(of: file)
        return try await MultipartUpload(store: self, key: key, contentType: contentType, sha256: whole).run(reader)
    }

    public func get(_ key: String) async throws -> Data {
        let response = try await send(Request(method: .GET, key: key, operation: "GET \(key)", timeout: configuration.requestTimeout))
        return Data(response.body.readableBytesView)
    }

    public func get(_ key: String, to file: URL) async throws -> ObjectInfo {
        let operation = "GET \(key)"
        return try await withRetries(operation) { () -> ObjectInfo in
            let request = Request(method: .GET, key: key, operation: operation, timeout: configuration.transferTimeout)
            let response = try await http.execute(try signed(request), timeout: .nanoseconds(Int64(request.timeout.timeInterval * 1e9)))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 1 << 20)
                try checkStatus(response.status, body: body, operation: operation, allowNotFound: false)
                throw ObjectStorageError.unexpected(operation: operation, status: Int(response.status.code), code: nil, message: nil)
            }
            let writer = try FileWriter(replacing: file)
            do {
                for try await chunk in response.body { try writer.write(chunk) }
                let (size, sha256) = try writer.finish()
                return ObjectInfo(key: key, size: size, lastModified: nil, sha256: sha256)
            } catch {
                writer.discard()
                throw error
            }
        } check: { _ in }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let response = try await send(Request(method: .HEAD, key: key, operation: "HEAD \(key)", timeout: configuration.requestTimeout),
                                      allowNotFound: true)
        guard response.status == .ok else { return nil }
        let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
        let modified = response.headers.first(name: "last-modified").flatMap(Self.httpDate)
        return ObjectInfo(key: key, size: size, lastModified: modified, sha256: response.headers.first(name: "x-amz-meta-sha256"))
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        var objects: [ObjectInfo] = []
        var token: String?
        var seen: Set<String> = []
        repeat {
            // A server that hands back a token it gave before, or pages without end, would
            // keep this loop going forever.
            if let token, !seen.insert(token).inserted {
                throw ObjectStorageError.unexpected(operation: "LIST \(prefix)", status: 200, code: "BadXML",
                                                    message: "the listing repeated a continuation token")
            }
            if seen.count >= configuration.maxListPages {
                throw ObjectStorageError.unexpected(operation: "LIST \(prefix)", status: 200, code: "BadXML",
                                                    message: "the listing went on past \(configuration.maxListPages) pages")
            }
            var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix),
                                                          ("max-keys", String(configuration.listPageSize))]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send(Request(method: .GET, key: nil, query: query, operation: "LIST \(prefix)",
                                                  timeout: configuration.requestTimeout))
            guard let page = S3XML.listPage(response.body) else {
                throw ObjectStorageError.unexpected(operation: "LIST \(prefix)", status: Int(response.status.code),
                                                    code: "BadXML", message: "the listing did not parse")
            }
            objects += page.objects
            token = page.isTruncated ? page.nextContinuationToken : nil
            if page.isTruncated && token == nil {
                throw ObjectStorageError.unexpected(operation: "LIST \(prefix)", status: Int(response.status.code),
                                                    code: "BadXML", message: "a truncated listing gave no continuation token")
            }
        } while token != nil
        return objects
    }

    public func delete(_ keys: [String]) async throws {
        // Multi-object delete takes up to 1,000 keys per request.
        for start in stride(from: 0, to: keys.count, by: 1_000) {
            let batch = keys[start..<min(keys.count, start + 1_000)]
            let xml = "<Delete><Quiet>true</Quiet>" + batch.map { "<Object><Key>\(S3XML.escape($0))</Key></Object>" }.joined() + "</Delete>"
            let body = Data(xml.utf8)
            let response = try await send(Request(
                method: .POST, key: nil, query: [("delete", "")],
                headers: [("content-type", "application/xml"), ("content-md5", Data(Insecure.MD5.hash(data: body)).base64EncodedString())],
                body: ByteBuffer(bytes: body), operation: "DELETE \(batch.count) objects", timeout: configuration.requestTimeout))
            let failed = S3XML.deleteErrors(response.body).filter { $0.code != "NoSuchKey" }
            if let first = failed.first {
                throw ObjectStorageError.unexpected(operation: "DELETE \(first.key)", status: 200, code: first.code,
                                                    message: "\(failed.count) of \(batch.count) objects were not deleted")
            }
        }
    }

    /// Creates the bucket in the configured region (for tests, the demo and first set-up); an
    /// existing bucket of this owner is not an error.
    public func createBucket() async throws {
        let xml = "<CreateBucketConfiguration><LocationConstraint>\(S3XML.escape(configuration.region))</LocationConstraint></CreateBucketConfiguration>"
        do {
            _ = try await send(Request(method: .PUT, key: nil, headers: [("content-type", "application/xml")],
                                       body: ByteBuffer(string: xml), operation: "CREATE BUCKET \(configuration.bucket)",
                                       timeout: configuration.requestTimeout))
        } catch ObjectStorageError.unexpected(_, 409, "BucketAlreadyOwnedByYou", _) {
            return
        }
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
