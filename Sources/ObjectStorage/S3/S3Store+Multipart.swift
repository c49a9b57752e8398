import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// One multipart upload: create, parts (a few in flight, each with its SHA-256 checksum, which
/// the store verifies), complete. Any failure aborts the upload, so no parts are left behind.
struct MultipartUpload {
    let store: S3Store
    let key: String
    let contentType: String
    /// The whole file's SHA-256, recorded in the object's metadata (set at creation); the
    /// upload checks that the bytes it read hash to it.
    let sha256: String

    func run(_ reader: PartReader) async throws -> ObjectInfo {
        let configuration = store.configuration
        let wholeSHA256 = sha256
        let created = try await store.send(S3Store.Request(
            method: .POST, key: key, query: [("uploads", "")],
            headers: [("content-type", contentType), ("x-amz-meta-sha256", wholeSHA256), ("x-amz-checksum-algorithm", "SHA256")],
            operation: "CREATE UPLOAD \(key)", timeout: configuration.requestTimeout))
        guard let uploadID = S3XML.uploadID(created.body) else {
            throw ObjectStorageError.unexpected(operation: "CREATE UPLOAD \(key)", status: Int(created.status.code), code: "BadXML",
                                                message: "no UploadId in the answer")
        }
        do {
            let parts = try await uploadParts(reader, uploadID: uploadID)
            guard reader.sha256 == wholeSHA256 else {
                throw ObjectStorageError.checksumMismatch(key: key, expected: wholeSHA256, actual: reader.sha256)
            }
            try await complete(uploadID: uploadID, parts: parts)
            return ObjectInfo(key: key, size: reader.size, lastModified: store.now(), sha256: wholeSHA256)
        } catch {
            await abort(uploadID: uploadID)
            throw error
        }
    }

    /// Parts in order, at most `partsInFlight` at once; returns each part's number, ETag and checksum.
    private func uploadParts(_ reader: PartReader, uploadID: String) async throws -> [(Int, String, String)] {
        let configuration = store.configuration
        return try await withThrowingTaskGroup(of: (Int, String, String).self) { group in
            var done: [(Int, String, String)] = []
            var inFlight = 0
            while let part = try reader.next() {
                if inFlight >= configuration.partsInFlight, let finished = try await group.next() {
                    done.append(finished)
                    inFlight -= 1
                }
                group.addTask {
                    // Each part is hashed in its own task, beside the others and the reader.
                    let digest = part.bytes.sha256
                    let checksum = Data(digest).base64EncodedString()
                    let request = S3Store.Request(
                        method: .PUT, key: key, query: [("partNumber", String(part.number)), ("uploadId", uploadID)],
                        headers: [("x-amz-checksum-sha256", checksum)], body: part.bytes, bodySHA256: digest.hex,
                        operation: "PUT \(key) part \(part.number)", timeout: configuration.transferTimeout)
                    let response = try await store.send(request)
                    guard let etag = response.headers.first(name: "etag") else {
                        throw ObjectStorageError.unexpected(operation: request.operation, status: Int(response.status.code),
                                                            code: "NoETag", message: "the part's answer had no ETag")
                    }
                    return (part.number, etag, checksum)
                }
                inFlight += 1
            }
            for try await finished in group { done.append(finished) }
            return done.sorted { $0.0 < $1.0 }
        }
    }

    private func complete(uploadID: String, parts: [(Int, String, String)]) async throws {
        let xml = "<CompleteMultipartUpload>" + parts.map { number, etag, checksum in
            "<Part><PartNumber>\(number)</PartNumber><ETag>\(S3XML.escape(etag))</ETag><ChecksumSHA256>\(checksum)</ChecksumSHA256></Part>"
        }.joined() + "</CompleteMultipartUpload>"
        _ = try await store.send(S3Store.Request(
            method: .POST, key: key, query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")],
            body: ByteBuffer(string: xml), operation: "COMPLETE UPLOAD \(key)", timeout: store.configuration.transferTimeout))
    }

    /// Best effort: a failed abort is logged; `abortIncompleteUploads` (and the next run) clean up.
    private func abort(uploadID: String) async {
        do {
            _ = try await store.send(S3Store.Request(
                method: .DELETE, key: key, query: [("uploadId", uploadID)],
                operation: "ABORT UPLOAD \(key)", timeout: store.configuration.requestTimeout), allowNotFound: true)
        } catch {
            store.logger.error("could not abort a failed multipart upload; it will be aborted on the next run",
                               metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }
}

extension S3Store {
    public func incompleteUploads(prefix: String) async throws -> [String] {
        try await uploads(prefix: prefix).map(\.key)
    }

    @discardableResult
    public func abortIncompleteUploads(prefix: String) async throws -> Int {
        let pending = try await uploads(prefix: prefix)
        for upload in pending {
            _ = try await send(Request(method: .DELETE, key: upload.key, query: [("uploadId", upload.uploadID)],
                                       operation: "ABORT UPLOAD \(upload.key)", timeout: configuration.requestTimeout),
                               allowNotFound: true)
        }
        return pending.count
    }

    private func uploads(prefix: String) async throws -> [(key: String, uploadID: String)] {
        var uploads: [(key: String, uploadID: String)] = []
        var markers: (key: String, upload: String)?
        repeat {
            var query: [(name: String, value: String)] = [("uploads", ""), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.upload)] }
            let response = try await send(Request(method: .GET, key: nil, query: query, operation: "LIST UPLOADS \(prefix)",
                                                  timeout: configuration.requestTimeout))
            guard let page = S3XML.uploadsPage(response.body) else {
                throw ObjectStorageError.unexpected(operation: "LIST UPLOADS \(prefix)", status: Int(response.status.code),
                                                    code: "BadXML", message: "the listing did not parse")
            }
            uploads += page.uploads.filter { $0.key.hasPrefix(prefix) }
            if page.isTruncated, let key = page.nextKeyMarker, let upload = page.nextUploadIDMarker {
                markers = (key, upload)
            } else {
                markers = nil
            }
        } while markers != nil
        return uploads
    }
}
