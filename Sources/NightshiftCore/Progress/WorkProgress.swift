import Foundation

/// How far a long piece of work has got: what is done and, when it can be known, of what
/// total. Stored as a running job's `jobs.progress` (JSON) and drawn by the CLI and the
/// dashboard.
public struct WorkProgress: Codable, Sendable, Equatable {
    public enum Unit: String, Codable, Sendable {
        case records, bytes
    }

    public var done: Int64
    /// Nil when unknown (a dump's size before it ends); `estimated` when it is a guess.
    public var total: Int64?
    public var unit: Unit
    /// What is being done now, e.g. "2025-01" or "pg_restore".
    public var step: String?
    /// True when `total` is a guess (the branch's previous dump size), not a count.
    public var estimated: Bool?

    public init(done: Int64, total: Int64? = nil, unit: Unit, step: String? = nil, estimated: Bool? = nil) {
        self.done = done
        self.total = total
        self.unit = unit
        self.step = step
        self.estimated = estimated
    }

    /// 0…1 when the total is known.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(1, Double(done) / Double(total))
    }

    /// "1.2 GB of ~3.0 GB (40 %)", "120,000 of 400,000 records (30 %)", "880 MB".
    public var text: String {
        guard let total else { return Self.amount(done, unit) }
        // "120,000 of 400,000 records", but "1.2 GB of 3.0 GB": a count is named once.
        let first = unit == .records ? Self.grouped(done) : Self.amount(done, unit)
        var line = "\(first) of \(estimated == true ? "~" : "")\(Self.amount(total, unit))"
        if let fraction { line += String(format: " (%.0f %%)", fraction * 100) }
        return line
    }

    /// 1234567 as "1,234,567".
    public static func grouped(_ value: Int64) -> String {
        var digits = String(value.magnitude)
        var groups = ""
        while digits.count > 3 {
            groups = "," + digits.suffix(3) + groups
            digits.removeLast(3)
        }
        return (value < 0 ? "-" : "") + digits + groups
    }

    public static func amount(_ value: Int64, _ unit: Unit) -> String {
        switch unit {
        case .records: return grouped(value) + " records"
        case .bytes:
            let units = ["bytes", "KB", "MB", "GB", "TB"]
            var size = Double(value)
            var index = 0
            while size >= 1000 && index < units.count - 1 { size /= 1000; index += 1 }
            return index == 0 ? "\(value) bytes" : String(format: "%.1f %@", size, units[index])
        }
    }
}

/// Where long work tells how far it has got. Callers report per chunk (a million bytes, a
/// batch of rows), not per row; each reporter decides how often it passes that on.
public protocol WorkProgressReporting: Sendable {
    func report(_ progress: WorkProgress)
}

/// Reports nowhere: the default for work nobody watches.
public struct NoProgress: WorkProgressReporting {
    public init() {}
    public func report(_ progress: WorkProgress) {}
}
