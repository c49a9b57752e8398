/// Records of one type that arrived after their month was closed into its extrato: "1 gasto
/// dated 2026-10-21 arrived after the close".
public struct LateRecords: Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var count: Int
    /// Their distinct dates, oldest first (`YYYY-MM-DD`).
    public var dates: [String]
    /// Whether a version of the month's backup holds all of them (then `extrato generate
    /// --force` may merge them into the extrato).
    public var backedUp: Bool

    public var description: String {
        let shown = dates.prefix(5).joined(separator: ", ") + (dates.count > 5 ? " and \(dates.count - 5) more dates" : "")
        return "\(count) \(type) dated \(shown) arrived after the close" + (backedUp ? " (backed up, not yet in the extrato)" : "")
    }
}
