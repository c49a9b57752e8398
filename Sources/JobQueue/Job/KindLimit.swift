import NightshiftCore

/// How many jobs of one kind may run at once: on one worker process, and across every worker
/// that shares the database.
///
/// ```swift
/// static var limit: KindLimit? { .global(1, partitionBy: "branch") }   // one dump per branch
/// static var limit: KindLimit? { .perWorker(2) }                       // two heavy exports per process
/// ```
///
/// The global limit is enforced by the database when a job is claimed: claims of the kind take
/// a transaction-level advisory lock, count the kind's running rows (per value of the
/// `partitionBy` args field) and claim only into free slots. There is no leader; a worker that
/// dies holds its slot until the rescuer returns its job.
public struct KindLimit: Sendable, Equatable {
    /// At most this many on one worker process.
    public var perWorker: Int?
    /// At most this many running across all workers.
    public var global: Int?
    /// With `global`: a top-level args field whose values are counted apart (`"branch"`: one
    /// running per branch). Jobs without the field share one count.
    public var partitionBy: String?

    public init(perWorker: Int? = nil, global: Int? = nil, partitionBy: String? = nil) {
        self.perWorker = perWorker
        self.global = global
        self.partitionBy = partitionBy
    }

    public static func perWorker(_ limit: Int) -> KindLimit { KindLimit(perWorker: limit) }
    public static func global(_ limit: Int, partitionBy field: String? = nil) -> KindLimit {
        KindLimit(global: limit, partitionBy: field)
    }

    func validate(kind: String) throws(JobRegistryError) {
        if let perWorker, perWorker < 1 { throw .invalidLimit(kind, "perWorker must be at least 1, got \(perWorker)") }
        if let global, global < 1 { throw .invalidLimit(kind, "global must be at least 1, got \(global)") }
        if perWorker == nil && global == nil { throw .invalidLimit(kind, "set perWorker, global or both") }
        if let partitionBy, partitionBy.isEmpty || global == nil {
            throw .invalidLimit(kind, "partitionBy needs a field name and a global limit")
        }
    }
}
