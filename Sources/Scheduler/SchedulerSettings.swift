import Foundation
import JobQueue

/// What the default schedules depend on, read from the environment at the entry point.
public struct SchedulerSettings: Sendable, Equatable {
    /// The studio's zone (`TZ`): the monthly close runs on day 1 at 02:00 here.
    public var timeZone: TimeZone
    /// The branch's zone (`BRANCH_TZ`, default `TZ`): nightly dump, metrics push, cloud prune.
    public var branchTimeZone: TimeZone
    public var monthlyExtrato = true
    public var nightlyDump = true
    public var metricsPush = true
    public var cloudPrune = true
    /// Prefix for unique keys when several deployments share one database (`SCHEDULE_KEY_NAMESPACE`).
    public var keyNamespace: String?

    public static let defaultTimeZone = "America/Sao_Paulo"

    public init(timeZone: TimeZone, branchTimeZone: TimeZone? = nil) {
        self.timeZone = timeZone
        self.branchTimeZone = branchTimeZone ?? timeZone
    }

    /// Reads `TZ`, `BRANCH_TZ`, `ENABLE_MONTHLY_EXTRATO_JOB`, `ENABLE_NIGHTLY_DUMP_JOB`,
    /// `ENABLE_METRICS_PUSH_JOB`, `ENABLE_CLOUD_PRUNE_JOB` and `SCHEDULE_KEY_NAMESPACE`.
    public init(environment: [String: String]) throws(ScheduleConfigurationError) {
        func zone(_ name: String, default fallback: String) throws(ScheduleConfigurationError) -> TimeZone {
            do { return try EnvironmentValue.timeZone(name, in: environment, default: fallback) } catch {
                throw ScheduleConfigurationError(error.message)
            }
        }
        func flag(_ name: String) throws(ScheduleConfigurationError) -> Bool {
            do { return try EnvironmentValue.bool(name, in: environment, default: true) } catch {
                throw ScheduleConfigurationError(error.message)
            }
        }
        let main = try zone("TZ", default: Self.defaultTimeZone)
        self.init(timeZone: main, branchTimeZone: try zone("BRANCH_TZ", default: main.identifier))
        monthlyExtrato = try flag("ENABLE_MONTHLY_EXTRATO_JOB")
        nightlyDump = try flag("ENABLE_NIGHTLY_DUMP_JOB")
        metricsPush = try flag("ENABLE_METRICS_PUSH_JOB")
        cloudPrune = try flag("ENABLE_CLOUD_PRUNE_JOB")
        keyNamespace = environment["SCHEDULE_KEY_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A schedule setting or schedules file is wrong; the message names the field.
public struct ScheduleConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
