import Database
import NightshiftCore

/// Errors as the CLI and the worker's job history write them: the message, with what to do
/// about it as a `nightshift` command. The library names remedies; only this file words them.
public enum ErrorText {
    public static func describe(_ error: any Error, url: DatabaseURL? = nil) -> String {
        let text = DatabaseErrorMessage.describe(error, url: url)
        guard let remedy = (error as? any NightshiftError)?.remedy else { return text }
        return "\(text); \(command(for: remedy))"
    }

    public static func command(for remedy: Remedy) -> String {
        switch remedy {
        case .runMigrations:
            return "run `nightshift migrate`"
        case let .createMonthBackup(year, month):
            return "run `nightshift backup create --year \(year) --month \(month)`"
        case let .backUpLateRecords(year, month):
            return "run `nightshift backup create --year \(year) --month \(month)` (it keeps the month's backup and adds them as its next version), "
                + "then `nightshift extrato generate --year \(year) --month \(month) --force` (it merges them into the extrato)"
        case let .backUpFromExtrato(year, month):
            return "run `nightshift backup create --year \(year) --month \(month) --from-extrato` (it writes the extrato's own records "
                + "as the backup's next version, keeping the others), then `nightshift extrato generate --year \(year) --month \(month) --force` "
                + "if records arrived after the close"
        case let .retryJob(id):
            return "then run `nightshift jobs retry \(id)`"
        case let .setSetting(name, example):
            return "set \(name), e.g. export \(name)=\(example)"
        }
    }
}
