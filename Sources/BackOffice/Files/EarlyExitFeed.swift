import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
