import Foundation

/// A few reusable blocks for the encrypted path's output. Each block goes to the writer and
/// the hasher and comes back when both are done with it, so a GiB is encrypted into the same
/// 8 MiB instead of a fresh array per block (whose pages the kernel would fault in again each
/// time glibc had handed them back; see `AllocatorTuning`).
final class BlockPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var free: [PooledBlock]

    init(count: Int, capacity: Int) {
        free = (0..<count).map { _ in
            let block = PooledBlock()
            block.bytes.reserveCapacity(capacity)
            return block
        }
    }

    /// A free block, emptied; waits for one when all are lent.
    func take() -> PooledBlock {
        condition.lock()
        while free.isEmpty { condition.wait() }
        let block = free.removeLast()
        condition.unlock()
        block.bytes.removeAll(keepingCapacity: true)
        return block
    }

    func lend(_ block: PooledBlock, to readers: Int) {
        condition.lock()
        block.readers = readers
        condition.unlock()
    }

    /// `readers` of the block are done with it (a reader's own, or, for a block never handed
    /// on, all of them); the last one returns it to the pool.
    func giveBack(_ block: PooledBlock, readers: Int = 1) {
        condition.lock()
        block.readers -= readers
        if block.readers <= 0 {
            free.append(block)
            condition.signal()
        }
        condition.unlock()
    }
}
