import Foundation
import Testing
@testable import Age

/// Files the `age` command line tool makes, we open; files we make, it opens.
@Suite(.enabled(if: AgeCLI.path("age") != nil, "the age CLI is installed by ops/test.sh"))
struct AgeInteropTests {
    @Test(arguments: [0, 65_536, 65_537, 1_000_003])
    func ageOpensOurFiles(size: Int) throws {
        let scratch = try ScratchFolder()
        let keygen = try run(AgeCLI.path("age-keygen")!, ["-o", scratch.file("theirs.txt").path])
        #expect(keygen.status == 0)
        let theirs = try AgeIdentity.parseFile(try String(contentsOf: scratch.file("theirs.txt"), encoding: .utf8), source: "theirs.txt")
        let plaintext = randomBytes(size)
        let sealed = try encrypt(plaintext, to: [AgeIdentity().recipient, theirs[0].recipient])
        try Data(sealed).write(to: scratch.file("ours.age"))
        let opened = try run(AgeCLI.path("age")!, ["--decrypt", "-i", scratch.file("theirs.txt").path, scratch.file("ours.age").path])
        #expect(opened.status == 0, "\(opened.errors)")
        #expect(Array(opened.output) == plaintext)
    }

    @Test(arguments: [0, 65_536, 65_537, 1_000_003])
    func weOpenAgesFiles(size: Int) throws {
        let scratch = try ScratchFolder()
        let ours = AgeIdentity(), other = AgeIdentity()
        let plaintext = randomBytes(size)
        try Data(plaintext).write(to: scratch.file("plain"))
        let sealed = try run(AgeCLI.path("age")!, ["-r", other.recipient.description, "-r", ours.recipient.description,
                                                   "-o", scratch.file("theirs.age").path, scratch.file("plain").path])
        #expect(sealed.status == 0, "\(sealed.errors)")
        let bytes = Array(try Data(contentsOf: scratch.file("theirs.age")))
        #expect(try AgeHeader.read(prefix: bytes)?.stanzaTypes["X25519"] == 2)
        #expect(try decrypt(bytes, with: [ours]) == plaintext)
        #expect(try decrypt(bytes, with: [other], piece: 65_552) == plaintext)
    }

    @Test func identityFilesFromAgeKeygenParse() throws {
        let scratch = try ScratchFolder()
        let keygen = try run(AgeCLI.path("age-keygen")!, ["-o", scratch.file("k.txt").path])
        #expect(keygen.status == 0)
        let text = try String(contentsOf: scratch.file("k.txt"), encoding: .utf8)
        let publicLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("# public key: ") })
        let identity = try #require(try AgeIdentity.parseFile(text, source: "k.txt").first)
        #expect(identity.recipient.description == publicLine.dropFirst("# public key: ".count).description)
        // And age-keygen -y reads the identity file we write.
        try identity.identityFile().write(to: scratch.file("ours.txt"), atomically: true, encoding: .utf8)
        let derived = try run(AgeCLI.path("age-keygen")!, ["-y", scratch.file("ours.txt").path])
        #expect(String(decoding: derived.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == identity.recipient.description)
    }
}
