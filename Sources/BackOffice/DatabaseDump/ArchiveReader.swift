import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pg_dump custom-format archive's primitives (pg_backup_archiver.c's ReadInt,
/// ReadStr, ReadOffset) from a file, through a buffer, with seeks for what it skips.
/// Every read past the end of the file throws ``ArchiveReader/Failure/endOfFile``.
struct ArchiveReader: ~Copyable {
    enum Failure: Error, Equatable {
        case endOfFile(at: Int64)
        case unreadable(String)
        case malformed(String)
    }

    private let descriptor: Int32
    let size: Int64
    private var buffer: [UInt8]
    private var bufferStart: Int64 = 0
    private var bufferCount = 0
    private var index = 0
    /// The archive's integer and offset widths, from its header.
    var intSize = 4
    var offSize = 8
    /// How much a refill reads: the whole buffer for a sequential walk, a little for a look at
    /// a block's header (a dump of many tables would otherwise read the buffer for each).
    var readAhead: Int

    init(file: URL, bufferSize: Int = 256 * 1024) throws(Failure) {
        descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable("cannot open \(file.path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .unreadable("cannot stat \(file.path): \(reason)")
        }
        size = Int64(status.st_size)
        buffer = [UInt8](repeating: 0, count: bufferSize)
        readAhead = bufferSize
    }

    deinit { close(descriptor) }

    var position: Int64 { bufferStart + Int64(index) }
    var atEnd: Bool { position >= size }

    mutating func seek(to offset: Int64) {
        if offset >= bufferStart && offset <= bufferStart + Int64(bufferCount) {
            index = Int(offset - bufferStart)
        } else {
            bufferStart = offset
            bufferCount = 0
            index = 0
        }
    }

    mutating func skip(_ count: Int64) throws(Failure) {
        let target = position + count
        guard count >= 0, target <= size else { throw .endOfFile(at: size) }
        seek(to: target)
    }

    mutating func byte() throws(Failure) -> UInt8 {
        if index >= bufferCount { try refill() }
        defer { index += 1 }
        return buffer[index]
    }

    /// A sign byte, then `intSize` bytes, least significant first.
    mutating func int() throws(Failure) -> Int64 {
        let negative = try byte() != 0
        var value: UInt64 = 0
        for shift in 0..<intSize {
            let part = UInt64(try byte())
            if shift < 8 { value |= part << (8 * UInt64(shift)) }
        }
        guard value <= UInt64(Int64.max) else { throw .malformed("an integer out of range at byte \(position)") }
        return negative ? -Int64(value) : Int64(value)
    }

    /// A length, then that many bytes; a negative length is SQL's NULL.
    mutating func string() throws(Failure) -> String? {
        let length = try int()
        guard length >= 0 else { return nil }
        guard length <= size - position else { throw .endOfFile(at: size) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(length))
        for _ in 0..<length { bytes.append(try byte()) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A data offset: a flag byte, then `offSize` bytes, least significant first.
    mutating func offset() throws(Failure) -> (flag: UInt8, value: Int64) {
        let flag = try byte()
        var value: UInt64 = 0
        for shift in 0..<offSize {
            let part = UInt64(try byte())
            if shift < 8 { value |= part << (8 * UInt64(shift)) }
        }
        return (flag, Int64(bitPattern: value))
    }

    private mutating func refill() throws(Failure) {
        let start = position
        guard start < size else { throw .endOfFile(at: size) }
        let wanted = max(1, min(readAhead, buffer.count))
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, wanted, off_t(start)) }
        guard count >= 0 else { throw .unreadable("cannot read at byte \(start): \(String(cString: strerror(errno)))") }
        guard count > 0 else { throw .endOfFile(at: start) }
        bufferStart = start
        bufferCount = count
        index = 0
    }
}
