/// One of a ``BlockPool``'s blocks: the bytes of an encrypted chunk, and how many of the
/// threads it was handed to (the writer, the hasher) still use it. Only the pool changes
/// `readers`, under its lock.
final class PooledBlock: @unchecked Sendable {
    var bytes: [UInt8] = []
    var readers = 0
}
