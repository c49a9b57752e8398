import Foundation

/// Bar charts drawn on the server as inline SVG: no chart library, no script. A labelled value
/// axis with gridlines at a round maximum, its half and zero; bars at most `maximumBarWidth`
/// wide, so one point reads as one bar and thirty as thirty.
enum SVGChart {
    struct Bar {
        var label: String
        /// Stacked segments, bottom first: value and colour.
        var segments: [(Double, String)]
    }

    static let maximumBarWidth = 36.0

    static func bars(_ bars: [Bar], title: String, unit: String, width: Int = 640, height: Int = 180) -> String {
        guard !bars.isEmpty else { return "<p>Sem dados para \(HTML.escape(title.lowercased())).</p>" }
        let highest = bars.map { $0.segments.reduce(0) { $0 + $1.0 } }.max() ?? 0
        let maximum = roundUp(highest)
        let left = 48.0, bottom = 24.0, top = 12.0
        let plotHeight = Double(height) - bottom - top
        let step = (Double(width) - left) / Double(bars.count)
        let barWidth = min(step * 0.8, maximumBarWidth)
        var shapes = ""
        for fraction in [0.0, 0.5, 1.0] {
            let y = Double(height) - bottom - fraction * plotHeight
            shapes += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%@\"/>", left, y, width, y, fraction == 0 ? "#999" : "#e5e5e5")
            shapes += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" class=\"axis\">%@</text>",
                             left - 4, y + 3, format(maximum * fraction))
        }
        for (index, bar) in bars.enumerated() {
            var y = Double(height) - bottom
            let center = left + (Double(index) + 0.5) * step
            let x = center - barWidth / 2
            for (value, colour) in bar.segments where value > 0 {
                let h = value / maximum * plotHeight
                y -= h
                shapes += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@: %@ %@</title></rect>",
                                 x, y, barWidth, h, colour, HTML.escape(bar.label), format(value), HTML.escape(unit))
            }
            if bars.count <= 12 || index % max(1, bars.count / 8) == 0 {
                shapes += String(format: "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%@</text>",
                                 center, height - 8, HTML.escape(bar.label))
            }
        }
        return """
            <figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(HTML.escape(title))">\
            <text x="0" y="10" font-size="10">\(HTML.escape(unit))</text>\(shapes)</svg>
            <figcaption>\(HTML.escape(title))</figcaption></figure>
            """
    }

    /// The axis' top: the highest value rounded up to 1, 2 or 5 times a power of ten (1 for
    /// an all-zero chart).
    static func roundUp(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for multiple in [1.0, 2.0, 5.0, 10.0] where multiple * power >= value * (1 - 1e-9) { return multiple * power }
        return 10 * power
    }

    static func format(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }
}
