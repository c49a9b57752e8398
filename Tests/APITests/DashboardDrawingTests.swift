@testable import API
import Foundation
import Testing

/// The dashboard's pure pieces, through the real templates: charts that read with one bar or
/// thirty, "há 12 min", money and counts in each language, the refresh line.
@Suite struct DashboardDrawingTests {
    static let templates = try! DashboardTemplates()
    let portuguese = PageFormat(catalog: .portuguese, zone: TimeZone(identifier: "America/Sao_Paulo")!, now: Date(timeIntervalSince1970: 1_000_000))
    let english = PageFormat(catalog: .english, zone: TimeZone(identifier: "America/Sao_Paulo")!, now: Date(timeIntervalSince1970: 1_000_000))

    func svg(_ bars: [SVGChart.Bar], unit: String = "MB") -> String {
        Self.templates.render(SVGChart.bars(bars, title: "Tamanho", unit: unit, format: portuguese), .chart)
    }

    func widths(_ svg: String) -> [Double] {
        svg.matches(of: /<rect x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)"/).compactMap { Double($0.1) }
    }

    @Test func oneBarIsABarNotAFullWidthBlock() {
        let svg = svg([.init(label: "06/12", segments: [(63.7, "#1565c0")])])
        #expect(widths(svg) == [SVGChart.maximumBarWidth], "\(svg)")
        // A labelled value axis: zero, half and a round top above the value, with gridlines.
        #expect(svg.contains(">0</text>") && svg.contains(">50</text>") && svg.contains(">100</text>"), "\(svg)")
        #expect(svg.components(separatedBy: "<line ").count - 1 == 3)
        #expect(svg.contains("<title>06/12: 63,7 MB</title>"), "the value with the page's decimal mark: \(svg)")
    }

    @Test func thirtyBarsShareTheWidth() {
        let drawn = widths(svg((1...30).map { SVGChart.Bar(label: "\($0)", segments: [(Double($0), "#1565c0")]) }, unit: "s"))
        #expect(drawn.count == 30 && drawn.allSatisfy { $0 < SVGChart.maximumBarWidth && $0 > 10 })
    }

    @Test func noBarsSaySoInsteadOfAnEmptyFrame() {
        let html = svg([])
        #expect(html.hasPrefix("<p>Sem dados para Tamanho.</p>") && !html.contains("<svg"), "\(html)")
    }

    @Test(arguments: [(0.3, 0.5), (7, 10), (10, 10), (11, 20), (63.7, 100), (120, 200), (450, 500), (0, 1)])
    func theAxisTopIsARoundNumber(_ value: Double, _ top: Double) {
        #expect(SVGChart.roundUp(value) == top)
    }

    @Test func relativeTimesReadAsPeopleSayThem() {
        let now = portuguese.now
        #expect(portuguese.ago(now.addingTimeInterval(-20)) == "agora")
        #expect(portuguese.ago(now.addingTimeInterval(-12 * 60)) == "há 12 min")
        #expect(portuguese.ago(now.addingTimeInterval(-3 * 3600 - 59)) == "há 3 h")
        #expect(portuguese.ago(now.addingTimeInterval(-3 * 86_400)) == "há 3 dias")
        #expect(portuguese.relative(now.addingTimeInterval(-12 * 60)) == "há 12 min")
        #expect(portuguese.relative(now.addingTimeInterval(20)) == "agora")
        #expect(portuguese.relative(now.addingTimeInterval(12 * 60 + 5)) == "em 12 min")
        #expect(portuguese.relative(now.addingTimeInterval(5 * 3600 + 5)) == "em 5 h")
        #expect(portuguese.relative(now.addingTimeInterval(3 * 86_400 + 5)) == "em 3 dias")
        #expect(english.ago(now.addingTimeInterval(-12 * 60)) == "12 min ago" && english.relative(now.addingTimeInterval(3 * 86_400 + 5)) == "in 3 days")
        // 1,000,000 s after the epoch is 13:46:40 UTC on 1970-01-12: 10:46 in São Paulo.
        #expect(portuguese.when(now.addingTimeInterval(-3 * 3600 - 30)) == "12/01/1970 07:46 (há 3 h)")
        #expect(english.when(now.addingTimeInterval(-3 * 3600 - 30)) == "1970-01-12 07:46 (3 h ago)")
        #expect(portuguese.when(nil) == "—")
    }

    @Test func moneyAndCountsUseTheLanguagesSeparators() {
        #expect(portuguese.money(minor: 123_456) == "R$ 1.234,56" && english.money(minor: 123_456) == "R$ 1,234.56")
        #expect(portuguese.money(numeric: "105699.50") == "R$ 105.699,50" && portuguese.money(numeric: "-0.5") == "-R$ 0,50")
        #expect(portuguese.count(1_500) == "1.500" && english.count(6_000_000) == "6,000,000" && portuguese.count(-1_234) == "-1.234")
        #expect(portuguese.size(65_229) == "65,2 KB" && english.size(65_229) == "65.2 KB", "the CLI's units, the language's decimal mark")
        #expect(portuguese.size(512) == "512 B" && portuguese.size(nil) == "—")
        #expect(portuguese.decimal(165_495, digits: 1) == "165.495,0" && english.decimal(0.125, digits: 3) == "0.125"
                && portuguese.decimal(-1234.5, digits: 1) == "-1.234,5")
    }

    @Test func aPageRefreshesUntilStoppedKeepingItsFilters() {
        let read = Date(timeIntervalSince1970: 1_765_000_000)
        let on = PageRefresh(path: "/ui/jobs", query: "state=discarded&kind=noop", readAt: read).line(portuguese)
        #expect(on.on && on.href == "/ui/jobs?state=discarded&kind=noop&refresh=off" && on.link == "parar")
        // 1,765,000,000 s is 05:46:40 UTC on 2025-12-06: 02:46:40 in São Paulo.
        #expect(on.text == "Lida às 02:46:40 · atualiza a cada 30 s")
        let off = PageRefresh(path: "/ui/jobs", query: "state=discarded&refresh=off&kind=noop", readAt: read).line(portuguese)
        #expect(!off.on && off.href == "/ui/jobs?state=discarded&kind=noop" && off.link == "retomar" && off.text.contains("atualização parada"))
        #expect(PageRefresh(path: "/", query: nil, readAt: read).line(english).href == "/?refresh=off")
        #expect(PageRefresh(path: "/", query: nil, readAt: read).line(english).text == "Read at 02:46:40 · refreshes every 30 s")
    }
}
