import Foundation
import NightshiftCore

/// A queue a worker claims from and how many of its jobs it runs at once
/// (`--queues default=100,backups=2`).
public struct WorkerQueue: Sendable, Equatable, CustomStringConvertible {
    /// What a queue named without a limit gets: enough that quick jobs are claimed in full
    /// batches.
    public static let defaultLimit = 100

    public var name: String
    public var limit: Int

    public init(_ name: String, limit: Int = WorkerQueue.defaultLimit) {
        self.name = name
        self.limit = limit
    }

    public var description: String { "\(name)=\(limit)" }

    /// Parses `default=100,backups=2`; a queue without `=N` gets `defaultLimit`.
    public static func parseList(_ text: String, defaultLimit: Int = WorkerQueue.defaultLimit) throws(InvalidInput) -> [WorkerQueue] {
        var queues: [WorkerQueue] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw InvalidInput(field: "queues", "'\(text)' has an empty queue name: write e.g. default=100,backups=2")
            }
            var limit = defaultLimit
            if parts.count == 2 {
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                guard let number = Int(value), number >= 1 else {
                    throw InvalidInput(field: "queues", "queue '\(name)' has limit '\(value)': it must be a whole number of at least 1, e.g. \(name)=10")
                }
                limit = number
            }
            guard !queues.contains(where: { $0.name == name }) else {
                throw InvalidInput(field: "queues", "queue '\(name)' is listed twice")
            }
            queues.append(WorkerQueue(name, limit: limit))
        }
        return queues
    }
}
