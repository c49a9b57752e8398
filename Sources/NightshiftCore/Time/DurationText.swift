/// Parses durations people type: `500ms`, `30s`, `10m`, `2h`, `1d`, `1h30m`.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        var total = Duration.zero
        var number = ""
        var unit = ""
        var parsedAny = false
        func flush() -> Bool {
            guard let value = Double(number), !unit.isEmpty else { return false }
            let seconds: Double
            switch unit {
            case "ms": seconds = value / 1000
            case "s": seconds = value
            case "m": seconds = value * 60
            case "h": seconds = value * 3600
            case "d": seconds = value * 86_400
            default: return false
            }
            total += .nanoseconds(Int64((seconds * 1e9).rounded()))
            number = ""; unit = ""; parsedAny = true
            return true
        }
        for c in text.lowercased() {
            if c.isNumber || c == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(c)
            } else if c.isLetter {
                unit.append(c)
            } else {
                return nil
            }
        }
        if !number.isEmpty || !unit.isEmpty { guard flush() else { return nil } }
        return parsedAny ? total : nil
    }

    /// The other way: `90 s`, `10 min`, `2 h`, `1 h 30 min`, as a person writes it.
    public static func short(_ duration: Duration) -> String {
        let seconds = Int(duration.timeInterval.rounded())
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min" }
        let minutes = (seconds % 3600) / 60
        return minutes == 0 ? "\(seconds / 3600) h" : "\(seconds / 3600) h \(minutes) min"
    }
}
