import Foundation

/// Bar charts drawn on the server as inline SVG (the `chart` template): no chart library, no
/// script. A labelled value axis with gridlines at a round maximum, its half and zero; bars at
/// most `maximumBarWidth` wide, so one point reads as one bar and thirty as thirty.
enum SVGChart {
    struct Bar {
        var label: String
        /// Stacked segments, bottom first: value and colour.
        var segments: [(Double, String)]
    }

    /// What the template draws; every coordinate is already text with one decimal.
    struct View {
        struct Gridline {
            var y: String
            var stroke: String
            var labelY: String
            var label: String
        }

        struct Rect {
            var x: String
            var y: String
            var width: String
            var height: String
            var fill: String
            var tip: String
        }

        struct Label {
            var x: String
            var text: String
        }

        var title: String
        var unit: String
        var width: Int
        var height: Int
        var left: String
        var labelsY: Int
        var gridlines: [Gridline]
        var rects: [Rect]
        var labels: [Label]
        /// Set instead of the rest when there is nothing to draw.
        var empty: String?
    }

    static let maximumBarWidth = 36.0

    static func bars(_ bars: [Bar], title: String, unit: String, format: PageFormat, width: Int = 640, height: Int = 180) -> View {
        var view = View(title: title, unit: unit, width: width, height: height, left: "48.0", labelsY: height - 8,
                        gridlines: [], rects: [], labels: [])
        guard !bars.isEmpty else {
            view.empty = format.catalog("chart_empty", ["title": title])
            return view
        }
        let highest = bars.map { $0.segments.reduce(0) { $0 + $1.0 } }.max() ?? 0
        let maximum = roundUp(highest)
        let left = 48.0, bottom = 24.0, top = 12.0
        let plotHeight = Double(height) - bottom - top
        let step = (Double(width) - left) / Double(bars.count)
        let barWidth = min(step * 0.8, maximumBarWidth)
        for fraction in [0.0, 0.5, 1.0] {
            let y = Double(height) - bottom - fraction * plotHeight
            view.gridlines.append(.init(y: text(y), stroke: fraction == 0 ? "#999" : "#e5e5e5", labelY: text(y + 3),
                                        label: Self.format(maximum * fraction, format)))
        }
        for (index, bar) in bars.enumerated() {
            var y = Double(height) - bottom
            let center = left + (Double(index) + 0.5) * step
            for (value, colour) in bar.segments where value > 0 {
                let h = value / maximum * plotHeight
                y -= h
                view.rects.append(.init(x: text(center - barWidth / 2), y: text(y), width: text(barWidth), height: text(h), fill: colour,
                                        tip: "\(bar.label): \(Self.format(value, format)) \(unit)"))
            }
            if bars.count <= 12 || index % max(1, bars.count / 8) == 0 {
                view.labels.append(.init(x: text(center), text: bar.label))
            }
        }
        return view
    }

    private static func text(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The axis' top: the highest value rounded up to 1, 2 or 5 times a power of ten (1 for
    /// an all-zero chart).
    static func roundUp(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for multiple in [1.0, 2.0, 5.0, 10.0] where multiple * power >= value * (1 - 1e-9) { return multiple * power }
        return 10 * power
    }

    /// A value on the axis or in a tooltip: whole from 100 up or when whole, else one decimal,
    /// with the page language's decimal mark.
    static func format(_ value: Double, _ format: PageFormat) -> String {
        value >= 100 || value == value.rounded() ? String(format: "%.0f", value) : format.decimal(value, digits: 1)
    }
}
