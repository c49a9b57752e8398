import Foundation

/// How long ago, as people there say it: "agora", "há 12 min", "há 3 h", "há 2 dias".
enum RelativeTime {
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
