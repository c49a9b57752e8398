import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe to its end on a thread of its own (reads block), handing each block to `sink`.
/// When `sink` throws, the pipe is closed, so the writer gets EPIPE and stops.
enum PipePump {
    static func drain(_ pipe: Pipe, into sink: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                let descriptor = pipe.fileHandleForReading.fileDescriptor
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                var failure: (any Error)?
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0 {
                        if errno == EINTR { continue }
                        failure = DumpError.file("cannot read pg_dump's output: \(String(cString: strerror(errno)))")
                        break
                    }
                    if count == 0 { break }
                    do { try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<count])) } } catch {
                        failure = error
                        break
                    }
                }
                try? pipe.fileHandleForReading.close()
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
            thread.name = "nightshift-dump-pump"
            thread.start()
        }
    }
}

/// The write end of a pipe to a child that may stop reading early (`pg_restore --list` reads
/// only the archive's table of contents): once it has gone, the rest is dropped.
final class EarlyExitFeed: @unchecked Sendable {
    private let handle: FileHandle
    private var open = true

    init(_ pipe: Pipe) {
        handle = pipe.fileHandleForWriting
        // A write to a pipe whose reader has exited raises SIGPIPE; ask for EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard open else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(handle.fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                close()
                return
            }
            offset += written
        }
    }

    func close() {
        guard open else { return }
        open = false
        try? handle.close()
    }
}
