/// What a person can do about an error, as data: the CLI writes it as a command to run, the API
/// as a request to send. Library code names the action; it never writes CLI text.
public enum Remedy: Sendable, Equatable {
    /// Apply the migrations this build needs.
    case runMigrations
    /// Write the month's CSV backup again.
    case createMonthBackup(year: Int, month: Int)
    /// A closed month has records that arrived after its close: back them up as a new version
    /// of the month's backup (the earlier versions are kept), then merge them into the extrato.
    case backUpLateRecords(year: Int, month: Int)
    /// A closed month's backup no longer holds what its extrato does: write a version from the
    /// extrato's own stored records (then merge any late records as usual).
    case backUpFromExtrato(year: Int, month: Int)
    /// Run a job again once the cause is fixed.
    case retryJob(id: Int64)
    /// Set an environment variable, e.g. `DATABASE_URL`, to a value like `example`.
    case setSetting(name: String, example: String)
}
