import Foundation

/// CPU time a child process has used so far (user + system), from `/proc/PID/stat`: how the
/// bench tells what the workers spend per job beside PostgreSQL on the same cores.
enum ProcessCPUTime {
    /// Seconds of CPU, or nil where /proc does not say (not Linux, or the process is gone).
    static func seconds(of pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parse(stat: stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// utime and stime are the 14th and 15th fields; the 2nd, the command name in parentheses,
    /// may itself hold spaces and parentheses, so the count starts after its last `)`.
    static func parse(stat: String, ticksPerSecond: Double) -> Double? {
        guard ticksPerSecond > 0, let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the 3rd field (state), so utime is fields[11] and stime fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}
