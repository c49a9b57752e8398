/// Whether a stream starts as a custom-format archive does (`PGDMP`).
final class ArchiveMagic: @unchecked Sendable {
    private var head: [UInt8] = []

    func feed(_ block: UnsafeRawBufferPointer) {
        if head.count < 5 { head += block.prefix(5 - head.count) }
    }

    var isArchive: Bool { head == Array("PGDMP".utf8) }
}
