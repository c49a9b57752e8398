import Crypto
import Foundation

/// age's payload (the STREAM construction): 64 KiB chunks of ChaCha20-Poly1305, each nonce an
/// 11-byte big-endian counter and a byte that is 1 only on the last chunk.
enum AgeStream {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let nonceSize = 16

    static func nonce(_ counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        var value = counter
        for index in stride(from: 10, through: 3, by: -1) {
            bytes[index] = UInt8(value & 0xff)
            value >>= 8
        }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }
}

/// Encrypts a stream into an age v1 file, to one or more X25519 recipients. Feed plaintext
/// in pieces of any size; each call appends the ciphertext that is ready to `output`. Holds
/// at most one chunk (64 KiB) of plaintext.
public struct AgeEncryptor: Sendable {
    private var pending: [UInt8]
    private let payloadKey: SymmetricKey
    private var carry: [UInt8] = []
    private var counter: UInt64 = 0
    private var finished = false

    public init(recipients: [AgeRecipient]) throws {
        precondition(!recipients.isEmpty, "an age file needs at least one recipient")
        let fileKey = SymmetricKey(size: .init(bitCount: 128))
        let stanzas = try recipients.map { try X25519Stanza.wrap(fileKey, to: $0) }
        var nonce = [UInt8](repeating: 0, count: AgeStream.nonceSize)
        for index in nonce.indices { nonce[index] = UInt8.random(in: 0...255) }
        pending = AgeHeader.encode(stanzas: stanzas, fileKey: fileKey) + nonce
        payloadKey = AgeKeySchedule.payloadKey(fileKey, nonce: nonce)
        carry.reserveCapacity(AgeStream.chunkSize)
    }

    public mutating func update(_ plaintext: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        precondition(!finished, "update after finish")
        flushHeader(into: &output)
        var rest = plaintext[...]
        if !carry.isEmpty {
            let take = min(AgeStream.chunkSize - carry.count, rest.count)
            carry.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            if rest.isEmpty { return }
            try seal(carry, last: false, into: &output)
            carry.removeAll(keepingCapacity: true)
        }
        // A full chunk is sealed only once more data follows it: the last one may be full.
        while rest.count > AgeStream.chunkSize {
            try seal(UnsafeRawBufferPointer(rebasing: rest.prefix(AgeStream.chunkSize)), last: false, into: &output)
            rest = rest.dropFirst(AgeStream.chunkSize)
        }
        carry.append(contentsOf: rest)
    }

    public mutating func update(_ plaintext: [UInt8], into output: inout [UInt8]) throws {
        try plaintext.withUnsafeBytes { try update($0, into: &output) }
    }

    /// Seals the last chunk (empty only when the whole plaintext was).
    public mutating func finish(into output: inout [UInt8]) throws {
        precondition(!finished, "finish twice")
        flushHeader(into: &output)
        try seal(carry, last: true, into: &output)
        carry.removeAll()
        finished = true
    }

    private mutating func flushHeader(into output: inout [UInt8]) {
        if !pending.isEmpty {
            output += pending
            pending = []
        }
    }

    private mutating func seal(_ chunk: some DataProtocol, last: Bool, into output: inout [UInt8]) throws {
        let box = try ChaChaPoly.seal(chunk, using: payloadKey, nonce: AgeStream.nonce(counter, last: last))
        output.append(contentsOf: box.ciphertext)
        output.append(contentsOf: box.tag)
        counter += 1
    }
}

/// Decrypts an age v1 file as it streams in, with X25519 identities. Plaintext is released
/// only chunk by chunk after each authenticates; a caller that writes it to a file must
/// remove that file when ``update(_:into:)`` or ``finish(into:)`` throws.
public struct AgeDecryptor: Sendable {
    private let identities: [AgeIdentity]
    private var buffer: [UInt8] = []
    private var header: AgeHeader?
    private var payloadKey: SymmetricKey?
    private var counter: UInt64 = 0

    public init(identities: [AgeIdentity]) {
        self.identities = identities
    }

    /// The parsed header, once enough bytes have arrived.
    public var parsedHeader: AgeHeader? { header }

    public mutating func update(_ ciphertext: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(AgeError) {
        buffer.append(contentsOf: ciphertext)
        if payloadKey == nil {
            guard try openHeader() else { return }
        }
        let sealedSize = AgeStream.chunkSize + AgeStream.tagSize
        var start = 0
        // A full chunk is opened as not-last only when more bytes follow it.
        while buffer.count - start > sealedSize {
            try open(buffer[start..<(start + sealedSize)], last: false, into: &output)
            start += sealedSize
        }
        if start > 0 { buffer.removeFirst(start) }
    }

    public mutating func update(_ ciphertext: [UInt8], into output: inout [UInt8]) throws(AgeError) {
        do {
            try ciphertext.withUnsafeBytes { raw in try update(raw, into: &output) }
        } catch let error as AgeError { throw error } catch { throw .badPayload("\(error)") }
    }

    public mutating func finish(into output: inout [UInt8]) throws(AgeError) {
        if payloadKey == nil {
            guard try openHeader() else {
                throw buffer.isEmpty ? .badHeader("the file is empty") : .truncated("it ends inside the header or the payload nonce")
            }
        }
        if buffer.isEmpty { throw .truncated(counter == 0 ? "no payload chunks" : "the final chunk is missing (cut at a chunk boundary)") }
        guard buffer.count >= AgeStream.tagSize else { throw .truncated("the last chunk is shorter than its tag") }
        if buffer.count == AgeStream.tagSize && counter > 0 { throw .badPayload("an empty final chunk after a full one") }
        try open(buffer[...], last: true, into: &output)
        buffer.removeAll()
    }

    /// True once the header is parsed, its MAC checked and the payload key derived.
    private mutating func openHeader() throws(AgeError) -> Bool {
        if header == nil {
            guard let (parsed, length) = try AgeHeader.parse(buffer) else { return false }
            header = parsed
            buffer.removeFirst(length)
        }
        guard buffer.count >= AgeStream.nonceSize, let header else { return false }
        let fileKey = try header.fileKey(identities: identities)
        payloadKey = AgeKeySchedule.payloadKey(fileKey, nonce: Array(buffer.prefix(AgeStream.nonceSize)))
        buffer.removeFirst(AgeStream.nonceSize)
        return true
    }

    private mutating func open(_ sealed: ArraySlice<UInt8>, last: Bool, into output: inout [UInt8]) throws(AgeError) {
        guard let payloadKey else { return }
        let tagStart = sealed.endIndex - AgeStream.tagSize
        do {
            let box = try ChaChaPoly.SealedBox(nonce: AgeStream.nonce(counter, last: last), ciphertext: sealed[..<tagStart], tag: sealed[tagStart...])
            output.append(contentsOf: try ChaChaPoly.open(box, using: payloadKey))
        } catch {
            throw .badPayload(last ? "chunk \(counter), the last" : "chunk \(counter)")
        }
        counter += 1
    }
}
