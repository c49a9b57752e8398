import Foundation
import NightshiftCore
@testable import ObjectStorage
import Testing
import TestSupport

/// The S3 client against a local server that answers with truncated, hostile or endless XML:
/// each answer is a clear error, within a deadline — no crash, no endless loop, no entity
/// expansion.
@Suite struct HostileServerTests {
    /// A Python HTTP server that answers every request with the body its mode says.
    static let script = #"""
import http.server, sys
mode = sys.argv[1]
pages = [0]
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def answer(self, status, body):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_HEAD(self): self.answer(200, b"")
    def do_PUT(self): self.answer(200, "")
    def do_DELETE(self): self.answer(204, "")
    def do_POST(self): self.answer(200, BODIES.get(mode, "<x"))
    def do_GET(self):
        pages[0] += 1
        if mode == "endless":
            body = f"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t{pages[0]}</NextContinuationToken></ListBucketResult>"
        else:
            body = BODIES[mode]
        self.answer(200, body)
BODIES = {
    "truncated": "<ListBucketResult><Contents><Key>a</Key><Si",
    "garbage": b"\x00\xff\xfe<<<>>>\x00",
    "not-xml": "hello, I am not XML",
    "wrong-root": "<Error><Code>Nope</Code></Error>",
    "same-token": "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken></ListBucketResult>",
    "no-token": "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
    "entities": '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]><ListBucketResult><Contents><Key>&g;</Key></Contents></ListBucketResult>',
    "external": '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><ListBucketResult><Contents><Key>&x;</Key></Contents></ListBucketResult>',
    "deep": "<ListBucketResult>" + "<a>" * 50000 + "</a>" * 50000 + "</ListBucketResult>",
    "huge-size": "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>",
}
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    func withServer<T: Sendable>(_ mode: String, _ body: @Sendable (S3Store) async throws -> T) async throws -> T {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, mode]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // SIGKILL: a child started from the test's threads inherits their blocked SIGTERM.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        var line = Data()
        while !line.contains(0x0A), let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty { line += byte }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        var configuration = S3Configuration(endpoint: URL(string: "http://127.0.0.1:\(port)"), bucket: "hostile",
                                            credentials: AWSCredentials(accessKeyID: "AK", secretAccessKey: "not-a-real-secret-0123"))
        configuration.maxAttempts = 2
        configuration.requestTimeout = .seconds(10)
        configuration.maxListPages = 50
        return try await body(S3Store(configuration: configuration, logger: TestDatabase.logger))
    }

    @Test(arguments: ["truncated", "garbage", "not-xml", "wrong-root", "same-token", "no-token", "entities", "external", "deep", "endless"])
    func aHostileListingIsAClearError(mode: String) async throws {
        let started = ContinuousClock.now
        try await withServer(mode) { store in
            do {
                let objects = try await store.list(prefix: "branch/backups/")
                // Parsed without expanding anything: no key may carry an entity's text.
                #expect(objects.allSatisfy { !$0.key.contains("root:") && $0.key.count < 1_000 }, "\(mode): \(objects.prefix(2))")
                #expect(mode == "entities" || mode == "external", "\(mode) was accepted: \(objects.count) objects")
            } catch let error as ObjectStorageError {
                #expect("\(error)".contains("LIST"), "\(mode): \(error)")
                #expect(!"\(error)".contains("not-a-real-secret"), "the secret never shows")
            }
        }
        #expect(ContinuousClock.now - started < .seconds(60), "\(mode) took too long")
    }

    @Test func aHugeSizeDoesNotCrash() async throws {
        try await withServer("huge-size") { store in
            let objects = try await store.list(prefix: "")
            #expect(objects.count == 1 && objects[0].size >= 0)
        }
    }
}
