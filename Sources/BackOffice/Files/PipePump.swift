import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe to its end on a thread of its own (reads block), handing each block to `sink`.
/// When `sink` throws, the pipe is closed, so the writer gets EPIPE and stops.
///
/// A thread of its own rather than `NIOThreadPool`: the read blocks for the whole dump (an
/// hour on a large database), which would hold one of the shared pool's threads that long;
/// NIO's non-blocking pipe channel would read it without a thread, but hands each chunk to an
/// event loop, and the sink (encryption, then the writer's queue) blocks, which an event loop
/// must never do.
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
