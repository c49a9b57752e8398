import Foundation

/// Bar charts drawn on the server as inline SVG: no chart library, no script.
enum SVGChart {
    struct Bar {
        var label: String
        /// Stacked segments, bottom first: value and colour.
        var segments: [(Double, String)]
    }

    static func bars(_ bars: [Bar], title: String, unit: String, width: Int = 640, height: Int = 180) -> String {
        guard !bars.isEmpty else { return "<p>Sem dados para \(HTML.escape(title.lowercased())).</p>" }
        let maximum = max(bars.map { $0.segments.reduce(0) { $0 + $1.0 } }.max() ?? 0, 1e-9)
        let left = 40.0, bottom = 24.0, top = 10.0
        let plotHeight = Double(height) - bottom - top
        let step = (Double(width) - left) / Double(bars.count)
        var shapes = ""
        for (index, bar) in bars.enumerated() {
            var y = Double(height) - bottom
            let x = left + Double(index) * step + step * 0.1
            for (value, colour) in bar.segments where value > 0 {
                let h = value / maximum * plotHeight
                y -= h
                shapes += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@: %@ %@</title></rect>",
                                 x, y, step * 0.8, h, colour, HTML.escape(bar.label), format(value), HTML.escape(unit))
            }
            if bars.count <= 31 && (bars.count <= 12 || index % max(1, bars.count / 8) == 0) {
                shapes += String(format: "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%@</text>",
                                 x + step * 0.4, height - 8, HTML.escape(bar.label))
            }
        }
        return """
            <figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(HTML.escape(title))">\
            <text x="0" y="12" font-size="10">\(format(maximum)) \(HTML.escape(unit))</text>\
            <line x1="\(Int(left))" y1="\(height - Int(bottom))" x2="\(width)" y2="\(height - Int(bottom))" stroke="#999"/>\(shapes)</svg>
            <figcaption>\(HTML.escape(title))</figcaption></figure>
            """
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }
}
