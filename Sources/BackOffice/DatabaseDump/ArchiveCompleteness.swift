import Foundation

/// Whether a custom-format archive that pg_dump wrote to a file is whole.
///
/// pg_dump can exit 0 having left a file short: as it finishes, it seeks back to rewrite the
/// table of contents with each data block's offset, and when the flush behind that seek fails
/// (the disk filled just then) it skips the rewrite without a word, and the buffered end of the
/// last data block is lost. `pg_restore --list` reads only the table of contents and passes
/// such a file; a restore fails at its end. The check here reads the header and the table of
/// contents (pg_backup_archiver.c's ReadHead and ReadToc, formats 1.12 to 1.16, PostgreSQL 9.0
/// to 17), requires every data entry's offset to be set and to point at a block of that entry,
/// and walks the last block's chunks to find that it ends exactly where the file does.
enum ArchiveCompleteness {
    enum Verdict: Equatable {
        case complete(dataBlocks: Int)
        case incomplete(String)
        /// A format this reader does not know (a newer pg_dump): only a full read can tell.
        case unknownFormat(String)
    }

    /// The custom format's offset flags and block types (pg_backup_custom.c).
    private static let offsetNotSet: UInt8 = 1, offsetSet: UInt8 = 2, noData: UInt8 = 3
    private static let dataBlock: UInt8 = 1, largeObjectsBlock: UInt8 = 3
    private static let known = (min: 12, max: 16)

    static func check(_ file: URL) throws(ArchiveReader.Failure) -> Verdict {
        var reader = try ArchiveReader(file: file)
        do {
            return try check(&reader)
        } catch .endOfFile(let at) {
            return .incomplete("it ends at byte \(at), inside its table of contents")
        } catch .malformed(let what) {
            return .incomplete(what)
        }
    }

    private static func check(_ reader: inout ArchiveReader) throws(ArchiveReader.Failure) -> Verdict {
        var magic = [UInt8]()
        for _ in 0..<5 { magic.append(try reader.byte()) }
        guard magic == Array("PGDMP".utf8) else { return .incomplete("it does not start as a custom-format archive (PGDMP)") }
        let major = Int(try reader.byte()), minor = Int(try reader.byte()), revision = Int(try reader.byte())
        guard major == 1, (known.min...known.max).contains(minor) else {
            return .unknownFormat("archive format \(major).\(minor).\(revision)")
        }
        reader.intSize = Int(try reader.byte())
        reader.offSize = Int(try reader.byte())
        guard (1...8).contains(reader.intSize), (1...8).contains(reader.offSize) else {
            throw .malformed("integer size \(reader.intSize) or offset size \(reader.offSize) out of range")
        }
        guard try reader.byte() == 1 else { throw .malformed("its header names a format other than custom") }
        if minor >= 15 { _ = try reader.byte() } else { _ = try reader.int() }  // compression
        for _ in 0..<7 { _ = try reader.int() }  // the time it was made
        _ = try reader.string()  // database name
        _ = try reader.string()  // server version
        _ = try reader.string()  // pg_dump version

        let count = try reader.int()
        guard count >= 0 else { throw .malformed("a negative count of table-of-contents entries") }
        var blocks: [(id: Int64, desc: String, at: Int64)] = []
        for _ in 0..<count {
            let id = try reader.int()
            _ = try reader.int()  // had a data dumper
            _ = try reader.string(); _ = try reader.string()  // table oid, oid
            let tag = try reader.string() ?? ""
            let desc = try reader.string() ?? ""
            _ = try reader.int()  // section
            for _ in 0..<(minor >= 14 ? 6 : 5) { _ = try reader.string() }  // definition, drop, copy, schema, tablespace, table AM (1.14)
            if minor >= 16 { _ = try reader.int() }  // relkind
            _ = try reader.string(); _ = try reader.string()  // owner, "with oids"
            while try reader.string() != nil {}  // dependencies
            let offset = try reader.offset()
            switch offset.flag {
            case offsetSet:
                guard offset.value > 0, offset.value < reader.size else {
                    throw .malformed("the data of \(desc) \(tag) is at byte \(offset.value), past the end (\(reader.size))")
                }
                blocks.append((id, desc, offset.value))
            case offsetNotSet:
                throw .malformed("the data offset of \(desc) \(tag) was never written: pg_dump did not finish its table of contents")
            case noData:
                break
            default:
                throw .malformed("an unknown data-offset flag \(offset.flag) for \(desc) \(tag)")
            }
        }
        let dataStart = reader.position
        guard let last = blocks.max(by: { $0.at < $1.at }) else {
            return reader.size == dataStart ? .complete(dataBlocks: 0)
                : .incomplete("\(reader.size - dataStart) bytes follow a table of contents that lists no data")
        }
        reader.readAhead = 64
        for block in blocks {
            reader.seek(to: block.at)
            let type = try? reader.byte(), id = try? reader.int()
            guard type == dataBlock || type == largeObjectsBlock, id == block.id else {
                return .incomplete("no data block of \(block.desc) (entry \(block.id)) at byte \(block.at)")
            }
        }
        reader.readAhead = Int.max
        do {
            reader.seek(to: last.at)
            let type = try reader.byte()
            _ = try reader.int()
            if type == largeObjectsBlock {
                while try reader.int() != 0 { try skipChunks(&reader) }
            } else {
                try skipChunks(&reader)
            }
        } catch .endOfFile {
            return .incomplete("its last data block (\(last.desc), entry \(last.id)) is cut short at byte \(reader.size)")
        }
        guard reader.atEnd else {
            return .incomplete("\(reader.size - reader.position) unexpected bytes after its last data block")
        }
        return .complete(dataBlocks: blocks.count)
    }

    /// A data block's chunks: a length, that many bytes, until a length of 0.
    private static func skipChunks(_ reader: inout ArchiveReader) throws(ArchiveReader.Failure) {
        while true {
            let length = try reader.int()
            if length == 0 { return }
            guard length > 0 else { throw .malformed("a negative chunk length at byte \(reader.position)") }
            try reader.skip(length)
        }
    }
}
