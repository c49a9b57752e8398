import Foundation

/// A thread that runs `body` on each submitted block in order, at most a few behind the
/// caller (who waits when it is further ahead), and gives each block back to its pool. The
/// first error stops it (the blocks it drops go back too) and is thrown to the caller by the
/// next ``submit(_:)`` or by ``finish()``.
///
/// Why a thread of its own and not `NIOThreadPool`: the callers are synchronous (the COPY
/// thread, pg_dump's pipe pump) and must block when the thread falls behind, which a pool's
/// fire-and-forget `submit` does not do; the blocks must be handled in order, which a pool of
/// several threads does not promise; and a minutes-long stream would hold one of the shared
/// pool's few threads (which NIO's file I/O and others use) for its whole length. Two threads
/// per encrypted file, alive only while it is written.
final class StoreThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [PooledBlock] = []
    private var closed = false
    private var running = true
    private var failure: (any Error)?

    init(name: String, pool: BlockPool, _ body: @escaping @Sendable (PooledBlock) throws -> Void) {
        let thread = Thread { [self] in
            while let next = take() {
                do { try body(next) } catch {
                    condition.lock()
                    failure = error
                    let dropped = queue
                    queue.removeAll()
                    condition.unlock()
                    for block in dropped { pool.giveBack(block) }
                }
                pool.giveBack(next)
            }
        }
        thread.name = name
        thread.start()
    }

    private func take() -> PooledBlock? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !closed && failure == nil { condition.wait() }
        if failure != nil || queue.isEmpty {
            running = false
            condition.broadcast()
            return nil
        }
        condition.broadcast()
        return queue.removeFirst()
    }

    func submit(_ block: PooledBlock) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= 3 && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(block)
        condition.broadcast()
    }

    /// Waits until everything submitted is written (or the first failure), and the thread ends.
    func finish() throws {
        condition.lock()
        closed = true
        condition.broadcast()
        while running { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }
}
