import Foundation

/// Where one dump lives: `{branch}_{YYYYMMDD_HHMMSS}.dump` (the branch's local time, as seed
/// 004 names them; `.dump.age` when encrypted), in `{BACKUP_DIR}/dumps/` and at `{branch}/backups/` in the store.
public struct DumpName: Sendable, Equatable {
    public let branch: String
    public let stamp: String
    /// An encrypted dump: `….dump.age`.
    public var encrypted = false

    public init(branch: String, at instant: Date, in zone: TimeZone, encrypted: Bool = false) {
        self.encrypted = encrypted
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        self.branch = branch
        stamp = String(format: "%04d%02d%02d_%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    public var fileName: String { "\(branch)_\(stamp).dump" + (encrypted ? BackupEncryption.suffix : "") }
    public var objectKey: String { Self.prefix(branch) + fileName }
    public func localFile(in folder: URL) -> URL { folder.appendingPathComponent(fileName) }

    /// `{branch}/backups/`: every dump of the branch in the store.
    public static func prefix(_ branch: String) -> String { "\(branch)/backups/" }

    /// The branch of a dump's file name (`{branch}_{8 digits}_{6 digits}.dump` or `.dump.age`),
    /// or nil for any other name. Branch ids may hold `_`: the stamp is read from the right.
    public static func branch(of file: String) -> String? {
        let base: Substring
        if file.hasSuffix(".dump.age") { base = file.dropLast(9) } else if file.hasSuffix(".dump") { base = file.dropLast(5) } else { return nil }
        let stamp = Array(base.suffix(16))
        guard base.count > 16, stamp.count == 16, stamp[0] == "_", stamp[9] == "_",
              stamp.enumerated().allSatisfy({ $0.offset == 0 || $0.offset == 9 || $0.element.isASCII && $0.element.isNumber })
        else { return nil }
        return String(base.dropLast(16))
    }

    /// The time in a dump's file name or key (`…_20260217_220005.dump`), in `zone`, or nil.
    public static func time(of name: String, in zone: TimeZone) -> Date? {
        let file = name.split(separator: "/").last.map(String.init) ?? name
        guard file.hasSuffix(".dump") || file.hasSuffix(".dump.age") else { return nil }
        let base = file.replacingOccurrences(of: ".dump.age", with: "").replacingOccurrences(of: ".dump", with: "")
        let parts = base.split(separator: "_")
        guard parts.count >= 3, let day = parts.dropLast().last, let time = parts.last, day.count == 8, time.count == 6 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyyMMdd HHmmss"
        return formatter.date(from: "\(day) \(time)")
    }
}
