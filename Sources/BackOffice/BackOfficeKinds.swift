import Database
import JobQueue

/// The back office's job kinds, registered with the settings they run with.
public enum BackOfficeKinds {
    public static func register(in registry: inout JobRegistry, settings: BackOfficeSettings, database: DatabaseURL) throws(JobRegistryError) {
        try registry.register(BackupMonthJob(settings: settings, database: database))
        try registry.register(GenerateExtratoJob(settings: settings))
    }
}
