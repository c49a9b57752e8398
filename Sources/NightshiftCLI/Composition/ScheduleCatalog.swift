import BackOffice
import Scheduler

/// The schedules in force: the seeds' defaults, then `SCHEDULES_FILE`'s entries.
enum ScheduleCatalog {
    static func schedules(_ settings: Settings) throws -> [Schedule] {
        let defaults = BackOfficeSchedules.make(settings.backOffice, switches: settings.schedules,
                                                keyNamespace: settings.scheduler.keyNamespace)
        guard let path = settings.scheduler.schedulesFile else { return defaults }
        return try ScheduleFile.load(path: path, to: defaults, settings: settings.scheduler)
    }
}
