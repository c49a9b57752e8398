import CLibPQ

extension LibPQConnection {
    /// Runs `COPY … TO STDOUT` and hands each row's bytes (as the server sent them, ending in LF)
    /// to `row`, one at a time, so memory stays flat however large the output. An error thrown by
    /// `row` stops the hand-over; the stream is still read to its end so the connection stays
    /// usable, and the error is rethrown.
    public func copyOut(_ sql: String, row: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let started = PQexec(handle, sql) else {
            throw LibPQError("COPY failed: \(lastError)", isConnectionFailure: !isOpen)
        }
        let status = PQresultStatus(started)
        PQclear(started)
        guard status == PGRES_COPY_OUT else { throw LibPQError("COPY failed: \(lastError)", isConnectionFailure: !isOpen) }
        var failure: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 0)
            if length > 0, let buffer {
                if failure == nil {
                    do { try row(UnsafeRawBufferPointer(start: buffer, count: Int(length))) } catch { failure = error }
                }
                PQfreemem(buffer)
            } else if length == -1 {
                break
            } else {
                throw LibPQError("COPY stream failed: \(lastError)", isConnectionFailure: !isOpen)
            }
        }
        while let result = PQgetResult(handle) {
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            PQclear(result)
            if !ok && failure == nil { failure = LibPQError("COPY failed: \(lastError)", isConnectionFailure: !isOpen) }
        }
        if let failure { throw failure }
    }
}
