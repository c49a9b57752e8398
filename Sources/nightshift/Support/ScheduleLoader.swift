import Foundation
import Scheduler

/// The schedules in force: the defaults from the environment, then SCHEDULES_FILE.
enum ScheduleLoader {
    static func load() throws -> [Schedule] {
        let environment = ProcessInfo.processInfo.environment
        let settings = try SchedulerSettings(environment: environment)
        var schedules = DefaultSchedules.make(settings)
        if let path = Environment.value("SCHEDULES_FILE"), !path.isEmpty {
            guard let yaml = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CommandFailure("SCHEDULES_FILE=\(path) cannot be read: check the path, or unset it to use the defaults")
            }
            schedules = try ScheduleFile.apply(yaml: yaml, to: schedules, settings: settings, source: "SCHEDULES_FILE \(path)")
        }
        return schedules
    }
}
