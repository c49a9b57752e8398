import Foundation
import NightshiftCore
import Testing

/// Times in flags and request bodies: RFC 3339, every field in its range (Foundation's own
/// parser rolls minute 99 over into the next hour).
@Suite struct ISO8601Tests {
    @Test(arguments: ["2026-12-01T02:00:00Z", "2026-12-01T02:00:00.123Z", "2024-02-29T23:59:59-03:00", "1003-02-28T19:24:56.682503+15:21"])
    func wellFormedTimesParse(_ text: String) {
        #expect(ISO8601.parse(text) != nil)
    }

    @Test(arguments: ["2024-01-01T12:99:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                      "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:61Z", "2026-01-01", "yesterday", ""])
    func outOfRangeOrMalformedTimesAreRefused(_ text: String) {
        #expect(ISO8601.parse(text) == nil)
    }

    @Test func theOffsetIsApplied() {
        #expect(ISO8601.parse("2026-12-01T02:00:00-03:00") == ISO8601.parse("2026-12-01T05:00:00Z"))
    }
}
