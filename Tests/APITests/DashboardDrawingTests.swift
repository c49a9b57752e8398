@testable import API
import Foundation
import Testing

/// The dashboard's pure pieces: charts that read with one bar or thirty, and "há 12 min".
@Suite struct DashboardDrawingTests {
    func widths(_ svg: String) -> [Double] {
        svg.matches(of: /<rect x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)"/).compactMap { Double($0.1) }
    }

    @Test func oneBarIsABarNotAFullWidthBlock() {
        let svg = SVGChart.bars([.init(label: "06/12", segments: [(63.7, "#1565c0")])], title: "Tamanho", unit: "MB")
        #expect(widths(svg) == [SVGChart.maximumBarWidth], "\(svg)")
        // A labelled value axis: zero, half and a round top above the value, with gridlines.
        #expect(svg.contains(">0</text>") && svg.contains(">50</text>") && svg.contains(">100</text>"), "\(svg)")
        #expect(svg.components(separatedBy: "<line ").count - 1 == 3)
    }

    @Test func thirtyBarsShareTheWidth() {
        let bars = (1...30).map { SVGChart.Bar(label: "\($0)", segments: [(Double($0), "#1565c0")]) }
        let drawn = widths(SVGChart.bars(bars, title: "Duração", unit: "s"))
        #expect(drawn.count == 30 && drawn.allSatisfy { $0 < SVGChart.maximumBarWidth && $0 > 10 })
    }

    @Test(arguments: [(0.3, 0.5), (7, 10), (10, 10), (11, 20), (63.7, 100), (120, 200), (450, 500), (0, 1)])
    func theAxisTopIsARoundNumber(_ value: Double, _ top: Double) {
        #expect(SVGChart.roundUp(value) == top)
    }

    @Test func relativeTimesReadAsPeopleSayThem() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(RelativeTime.ago(now.addingTimeInterval(-20), now: now) == "agora")
        #expect(RelativeTime.ago(now.addingTimeInterval(-12 * 60), now: now) == "há 12 min")
        #expect(RelativeTime.ago(now.addingTimeInterval(-3 * 3600 - 59), now: now) == "há 3 h")
        #expect(RelativeTime.ago(now.addingTimeInterval(-3 * 86_400), now: now) == "há 3 dias")
        #expect(RelativeTime.from(now.addingTimeInterval(-12 * 60), now: now) == "há 12 min")
        #expect(RelativeTime.from(now.addingTimeInterval(20), now: now) == "agora")
        #expect(RelativeTime.from(now.addingTimeInterval(12 * 60 + 5), now: now) == "em 12 min")
        #expect(RelativeTime.from(now.addingTimeInterval(5 * 3600 + 5), now: now) == "em 5 h")
        #expect(RelativeTime.from(now.addingTimeInterval(3 * 86_400 + 5), now: now) == "em 3 dias")
        let zone = TimeZone(identifier: "America/Sao_Paulo")!
        #expect(HTML.when(now.addingTimeInterval(-3 * 3600 - 30), in: zone, now: now).hasSuffix(" (há 3 h)"))
        #expect(HTML.when(nil, in: zone) == "—")
    }

    @Test func aPageRefreshesUntilStoppedKeepingItsFilters() {
        let zone = TimeZone(identifier: "America/Sao_Paulo")!
        let read = Date(timeIntervalSince1970: 1_765_000_000)
        let on = PageRefresh(path: "/ui/jobs", query: "state=discarded&kind=noop", zone: zone, readAt: read)
        #expect(on.isOn && on.meta == #"<meta http-equiv="refresh" content="30">"#)
        #expect(on.line.contains(#"href="/ui/jobs?state=discarded&amp;kind=noop&amp;refresh=off">parar</a>"#), "\(on.line)")
        let off = PageRefresh(path: "/ui/jobs", query: "state=discarded&refresh=off&kind=noop", zone: zone, readAt: read)
        #expect(!off.isOn && off.meta.isEmpty)
        #expect(off.line.contains(#"href="/ui/jobs?state=discarded&amp;kind=noop">retomar</a>"#) && off.line.contains("atualização parada"))
        #expect(PageRefresh(path: "/", query: nil, zone: zone, readAt: read).line.contains(#"href="/?refresh=off""#))
        // 1,765,000,000 s is 05:46:40 UTC on 2025-12-06: 02:46:40 in São Paulo.
        #expect(on.line.contains("Lida às 02:46:40"))
    }
}
