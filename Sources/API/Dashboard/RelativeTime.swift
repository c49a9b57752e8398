import Foundation

/// How long ago, as people there say it: "agora", "há 12 min", "há 3 h", "há 2 dias"; and for
/// a time still to come, "em 12 min", "em 3 h", "em 2 dias".
enum RelativeTime {
    static func from(_ date: Date, now: Date = Date()) -> String {
        let seconds = date.timeIntervalSince(now)
        guard seconds >= 60 else { return ago(date, now: now) }
        switch seconds {
        case ..<3600: return "em \(Int(seconds / 60)) min"
        case ..<(48 * 3600): return "em \(Int(seconds / 3600)) h"
        default: return "em \(Int(seconds / 86_400)) dias"
        }
    }

    static func ago(_ date: Date, now: Date = Date()) -> String {
        let seconds = max(0, now.timeIntervalSince(date))
        switch seconds {
        case ..<60: return "agora"
        case ..<3600: return "há \(Int(seconds / 60)) min"
        case ..<(48 * 3600): return "há \(Int(seconds / 3600)) h"
        default: return "há \(Int(seconds / 86_400)) dias"
        }
    }
}
