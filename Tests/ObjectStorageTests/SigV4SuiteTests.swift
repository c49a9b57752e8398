import Crypto
import Foundation
@testable import ObjectStorage
import Testing

/// Every case of the AWS SigV4 test suite (Fixtures/sigv4-aws-c-auth, Apache-2.0, see its
/// NOTICE.md): the canonical request, string to sign and signature, in header and query mode.
@Suite struct SigV4SuiteTests {
    static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("sigv4-aws-c-auth")
    static let cases: [String] = (try? FileManager.default.contentsOfDirectory(atPath: root.path))?
        .filter { !$0.hasSuffix(".md") }.sorted() ?? []

    struct Case {
        var context: Context
        var request: SigV4Signer.Request
        var expected: (String) throws -> String

        struct Context: Decodable {
            struct Credentials: Decodable {
                var access_key_id: String
                var secret_access_key: String
                var token: String?
            }
            var credentials: Credentials
            var expiration_in_seconds: Int
            var normalize: Bool
            var region: String
            var service: String
            var sign_body: Bool
            var timestamp: String
            var omit_session_token: Bool?
        }

        init(_ name: String) throws {
            let folder = SigV4SuiteTests.root.appendingPathComponent(name)
            context = try JSONDecoder().decode(Context.self, from: Data(contentsOf: folder.appendingPathComponent("context.json")))
            request = try Self.parse(String(contentsOf: folder.appendingPathComponent("request.txt"), encoding: .utf8))
            expected = { file in try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) }
        }

        var signer: SigV4Signer {
            SigV4Signer(credentials: AWSCredentials(accessKeyID: context.credentials.access_key_id,
                                                    secretAccessKey: context.credentials.secret_access_key,
                                                    sessionToken: context.credentials.token),
                        region: context.region, service: context.service, normalizesPath: context.normalize)
        }

        var date: Date { ISO8601DateFormatter().date(from: context.timestamp)! }

        /// `METHOD path?query HTTP/1.1`, headers (a line starting with spaces continues the one
        /// before), a blank line, the body.
        static func parse(_ text: String) throws -> SigV4Signer.Request {
            let lines = text.components(separatedBy: "\n")
            let requestLine = lines[0].split(separator: " ")
            let method = String(requestLine[0])
            let target = requestLine.dropFirst().dropLast().joined(separator: " ")
            var headers: [(name: String, value: String)] = []
            var index = 1
            while index < lines.count, !lines[index].isEmpty {
                let line = lines[index]
                if line.first == " " || line.first == "\t", let last = headers.popLast() {
                    headers.append((last.name, last.value + "\n" + line))
                } else if let colon = line.firstIndex(of: ":") {
                    headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
                }
                index += 1
            }
            let body = lines.dropFirst(index + 1).joined(separator: "\n")
            var path = target
            var query: [(name: String, value: String)] = []
            if let mark = target.firstIndex(of: "?") {
                path = String(target[..<mark])
                for item in target[target.index(after: mark)...].split(separator: "&") {
                    let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    query.append((String(parts[0]).removingPercentEncoding ?? String(parts[0]),
                                  parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""))
                }
            }
            return SigV4Signer.Request(method: method, path: path.removingPercentEncoding ?? path, query: query,
                                       headers: headers, payloadHash: SHA256.hash(data: Data(body.utf8)).hex)
        }
    }

    @Test func theSuiteIsThere() {
        #expect(Self.cases.count == 38)
    }

    @Test(arguments: cases)
    func headerSigning(_ name: String) throws {
        let test = try Case(name)
        let signed = test.signer.signHeaders(test.request, date: test.date, includeContentHash: test.context.sign_body,
                                             signSessionToken: !(test.context.omit_session_token ?? false))
        #expect(signed.canonicalRequest == (try test.expected("header-canonical-request.txt")), "\(name)")
        #expect(signed.stringToSign == (try test.expected("header-string-to-sign.txt")), "\(name)")
        #expect(signed.signature == (try test.expected("header-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines), "\(name)")
        let authorization = signed.headers.first { $0.name == "authorization" }?.value ?? ""
        #expect((try test.expected("header-signed-request.txt")).contains("Authorization:" + authorization), "\(name)")
    }

    @Test(arguments: cases)
    func querySigning(_ name: String) throws {
        let test = try Case(name)
        let signed = test.signer.signQuery(test.request, date: test.date, expires: .seconds(test.context.expiration_in_seconds),
                                           signSessionToken: !(test.context.omit_session_token ?? false))
        #expect(signed.canonicalRequest == (try test.expected("query-canonical-request.txt")), "\(name)")
        #expect(signed.stringToSign == (try test.expected("query-string-to-sign.txt")), "\(name)")
        #expect(signed.signature == (try test.expected("query-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines), "\(name)")
    }

    @Test func s3KeysAreSignedAsTheyAreAndEncodedOnce() {
        #expect(SigV4Signer.encode("branch a/backups/ação+x.dump", keepingSlashes: true) == "branch%20a/backups/a%C3%A7%C3%A3o%2Bx.dump")
        #expect(SigV4Signer.normalize("/a//b/./c/../d/") == "/a/b/d/")
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK"), region: "us-west-004")
        let request = SigV4Signer.Request(method: "GET", path: "/bucket/a//b/../c", headers: [("host", "s3.local")])
        #expect(signer.signHeaders(request, date: Date(timeIntervalSince1970: 0)).canonicalRequest.split(separator: "\n")[1] == "/bucket/a//b/../c")
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG")
        #expect(!"\(credentials)".contains("wJalr") && "\(credentials)".contains("AKIDEXAMPLE"))
    }
}
