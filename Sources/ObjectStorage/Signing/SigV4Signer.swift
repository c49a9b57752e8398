import Crypto
import Foundation

/// AWS Signature Version 4, for S3 and S3-compatible stores (Backblaze B2, MinIO, moto). Pure:
/// given a request and a time, it computes the canonical request, the string to sign and the
/// signature, as the AWS SigV4 test suite lays them out (Tests/ObjectStorageTests/Fixtures).
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    /// Remove `.`/`..` segments and repeated slashes from the path before signing. Off for S3,
    /// whose keys are signed as they are.
    public var normalizesPath: Bool

    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The hash of an empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(credentials: AWSCredentials, region: String, service: String = "s3", normalizesPath: Bool = false) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizesPath = normalizesPath
    }

    /// A request as the signer sees it. `path` and `query` are not percent-encoded: the signer
    /// encodes them the way SigV4 requires.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payloadHash: String = SigV4Signer.emptyPayloadHash) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// What signing produced, with its intermediate steps (which the test suite checks).
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// Header mode: headers to add (`x-amz-date`, `x-amz-content-sha256` when asked,
        /// `x-amz-security-token`, `authorization`). Query mode: empty.
        public var headers: [(name: String, value: String)]
        /// Query mode: the query with the `X-Amz-*` parameters and the signature. Header mode:
        /// the request's query.
        public var query: [(name: String, value: String)]
    }

    /// Signs with an `Authorization` header. `includeContentHash` adds and signs
    /// `x-amz-content-sha256` (S3 requires it); `signSessionToken: false` adds the token after
    /// signing, as STS-style services expect.
    public func signHeaders(_ request: Request, date: Date, includeContentHash: Bool = true, signSessionToken: Bool = true) -> Signed {
        let stamp = Self.timestamp(date)
        var added: [(name: String, value: String)] = [("x-amz-date", stamp)]
        if includeContentHash { added.append(("x-amz-content-sha256", request.payloadHash)) }
        if let token = credentials.sessionToken, signSessionToken { added.append(("x-amz-security-token", token)) }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers + added)
        let canonical = canonicalRequest(request, query: request.query, canonicalHeaders: canonicalHeaders,
                                         signedHeaders: signedHeaders)
        let scope = credentialScope(date)
        let toSign = stringToSign(canonical, stamp: stamp, scope: scope)
        let signature = sign(toSign, date: date)
        if let token = credentials.sessionToken, !signSessionToken { added.append(("x-amz-security-token", token)) }
        added.append(("authorization",
                      "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return Signed(canonicalRequest: canonical, stringToSign: toSign, signature: signature, headers: added, query: request.query)
    }

    /// Signs in the query string (a presigned URL), valid for `expires`.
    public func signQuery(_ request: Request, date: Date, expires: Duration, signSessionToken: Bool = true) -> Signed {
        let stamp = Self.timestamp(date)
        let scope = credentialScope(date)
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers)
        var query = request.query + [
            ("X-Amz-Algorithm", Self.algorithm), ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", stamp), ("X-Amz-Expires", String(expires.components.seconds)), ("X-Amz-SignedHeaders", signedHeaders),
        ]
        if let token = credentials.sessionToken, signSessionToken { query.append(("X-Amz-Security-Token", token)) }
        let canonical = canonicalRequest(request, query: query, canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders)
        let toSign = stringToSign(canonical, stamp: stamp, scope: scope)
        let signature = sign(toSign, date: date)
        if let token = credentials.sessionToken, !signSessionToken { query.append(("X-Amz-Security-Token", token)) }
        query.append(("X-Amz-Signature", signature))
        return Signed(canonicalRequest: canonical, stringToSign: toSign, signature: signature, headers: [], query: query)
    }

    // MARK: - The steps

    func canonicalRequest(_ request: Request, query: [(name: String, value: String)], canonicalHeaders: String,
                          signedHeaders: String) -> String {
        let path = normalizesPath ? Self.normalize(request.path) : request.path
        return [
            request.method.uppercased(), Self.encode(path, keepingSlashes: true), Self.canonicalQuery(query),
            canonicalHeaders, "", signedHeaders, request.payloadHash,
        ].joined(separator: "\n")
    }

    func credentialScope(_ date: Date) -> String {
        "\(Self.day(date))/\(region)/\(service)/aws4_request"
    }

    func stringToSign(_ canonicalRequest: String, stamp: String, scope: String) -> String {
        [Self.algorithm, stamp, scope, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    func sign(_ stringToSign: String, date: Date) -> String {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        let dateKey = hmac(SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8)), Self.day(date))
        let signingKey = hmac(hmac(hmac(dateKey, region), service), "aws4_request")
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey))
    }

    /// Lowercased names, sorted; values trimmed with inner runs of whitespace as one space;
    /// repeated headers joined with commas in the order given.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
            values[name.lowercased(), default: []].append(collapsed)
        }
        let names = values.keys.sorted()
        return (names.map { "\($0):\(values[$0]!.joined(separator: ","))" }.joined(separator: "\n"), names.joined(separator: ";"))
    }

    /// Each name and value encoded, sorted by name then value.
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { item in
            (encode(item.name, keepingSlashes: false), encode(item.value, keepingSlashes: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { item in item.name + "=" + item.value }.joined(separator: "&")
    }

    /// RFC 3986 encoding: everything but `A-Z a-z 0-9 - _ . ~` (and `/` in paths) as `%XX`.
    public static func encode(_ text: String, keepingSlashes: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved[Int(byte)] || (keepingSlashes && byte == slash) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out.append("%")
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    private static let slash = UInt8(ascii: "/")
    /// By byte: `A-Z a-z 0-9 - _ . ~`.
    private static let unreserved: [Bool] = (0..<256).map { value in
        let scalar = Unicode.Scalar(UInt8(value))
        return ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "-_.~".unicodeScalars.contains(scalar)
    }

    /// Removes empty, `.` and `..` segments; keeps a trailing slash.
    static func normalize(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        let joined = "/" + segments.joined(separator: "/")
        return path.hasSuffix("/") && joined != "/" ? joined + "/" : joined
    }

    private static let hexDigits: [Character] = Array("0123456789ABCDEF")

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// `20150830T123600Z`.
    static func timestamp(_ date: Date) -> String { format(date) }
    /// `20150830`.
    static func day(_ date: Date) -> String { String(format(date).prefix(8)) }

    private static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}

extension SHA256.Digest {
    /// Lowercase hex, as SigV4 and the backup manifests write digests.
    public var hex: String { map { String(format: "%02x", $0) }.joined() }
}
