import NightshiftCore

/// The limits on names and texts an operator or a caller gives, defined once: the store
/// enforces them (``NewJob/validate()``, ``JobStore/pause(queue:by:reason:)``,
/// ``JobSelection``), and the CLI, the API and the dashboard only word the ``InvalidInput``.
public enum JobLimits {
    /// A kind or queue name: 1 to 128 Unicode code points (the `jobs.queue` check), no NUL.
    public static let nameRange = 1...128
    /// A pause reason: at most 500 code points, no NUL.
    public static let maxPauseReason = 500

    public static func isValidName(_ name: String) -> Bool {
        nameRange.contains(name.unicodeScalars.count) && !name.utf8.contains(0)
    }

    /// Throws ``InvalidInput`` for `field` unless `name` is 1–128 code points without NUL.
    public static func checkName(_ name: String, field: String) throws(InvalidInput) {
        guard isValidName(name) else {
            throw InvalidInput(field: field, "\(field) must be 1 to 128 characters, without NUL")
        }
    }

    /// Throws ``InvalidInput`` (`reason`) for a reason over 500 code points or with a NUL.
    public static func checkPauseReason(_ reason: String?) throws(InvalidInput) {
        guard let reason else { return }
        guard reason.unicodeScalars.count <= maxPauseReason, !reason.utf8.contains(0) else {
            throw InvalidInput(field: "reason", "reason must be at most \(maxPauseReason) characters, without NUL")
        }
    }
}
