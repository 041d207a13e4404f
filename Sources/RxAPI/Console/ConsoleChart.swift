internal import Foundation

/// Charts drawn on the server as SVG, inline in the page: no JavaScript, nothing fetched, and they print. Bars are
/// black on white with the figure written beside each, so a chart reads in grey print; a target is a dashed line
/// with its label. Every chart has a `<title>` and sits beside a table of the same figures: the table is what a screen
/// reader reads (the chart is hidden from it), what a person copies, and where each figure links to its list.
enum ConsoleChart {
    struct Bar {
        var label: String
        var value: Decimal
        /// The figure as written beside the bar (`62.5%`, `¥1,234.00`).
        var text: String
    }

    static let width = 640
    static let labelWidth = 170
    static let barArea = 360
    static let rowHeight = 26

    /// Horizontal bars scaled to `scale` (the largest value when nil); `target` is a dashed line at a value, with its
    /// label above it (a goal such as 100 % or the year's pace).
    static func bars(_ bars: [Bar], title: String, scale: Decimal? = nil, target: (value: Decimal, label: String)? = nil)
        -> String
    {
        let top = target == nil ? 4 : 20
        let height = top + max(1, bars.count) * rowHeight + 4
        let full = scale ?? bars.map(\.value).max() ?? 0
        func x(_ value: Decimal) -> Int {
            guard full > 0 else { return 0 }
            let clamped = min(max(value, 0), full)
            return Self.int(clamped * Decimal(barArea) / full)
        }
        var svg = Self.open(title: title, height: height)
        for (i, bar) in bars.enumerated() {
            let y = top + i * rowHeight
            svg += #"<text x="\#(labelWidth - 8)" y="\#(y + 17)" text-anchor="end">\#(escape(bar.label))</text>"#
            let w = x(bar.value)
            svg += #"<rect x="\#(labelWidth)" y="\#(y + 5)" width="\#(w)" height="\#(rowHeight - 10)" class="bar"/>"#
            svg += #"<text x="\#(labelWidth + w + 6)" y="\#(y + 17)">\#(escape(bar.text))</text>"#
        }
        if let target, full > 0 {
            let tx = labelWidth + x(target.value)
            svg += #"<line x1="\#(tx)" y1="14" x2="\#(tx)" y2="\#(height - 2)" class="target"/>"#
            svg += #"<text x="\#(tx)" y="11" text-anchor="middle" class="target-label">\#(escape(target.label))</text>"#
        }
        return svg + "</svg>"
    }

    /// A line through points evenly spaced (months), each with its value written above it.
    static func line(_ points: [(label: String, value: Int)], title: String) -> String {
        let height = 180
        let (left, right, top, bottom) = (40, 20, 24, 30)
        let maximum = max(1, points.map(\.value).max() ?? 0)
        let step = points.count > 1 ? (width - left - right) / (points.count - 1) : 0
        func y(_ value: Int) -> Int { top + (height - top - bottom) * (maximum - value) / maximum }
        var svg = Self.open(title: title, height: height)
        svg += #"<line x1="\#(left)" y1="\#(height - bottom)" x2="\#(width - right)" y2="\#(height - bottom)" class="axis"/>"#
        let coordinates = points.enumerated().map { (left + $0.offset * step, y($0.element.value)) }
        svg += #"<polyline points="\#(coordinates.map { "\($0.0),\($0.1)" }.joined(separator: " "))" class="line"/>"#
        for (i, point) in points.enumerated() {
            let (px, py) = coordinates[i]
            svg += #"<circle cx="\#(px)" cy="\#(py)" r="3" class="point"/>"#
            svg += #"<text x="\#(px)" y="\#(py - 8)" text-anchor="middle">\#(point.value)</text>"#
            svg += #"<text x="\#(px)" y="\#(height - 10)" text-anchor="middle">\#(escape(point.label))</text>"#
        }
        return svg + "</svg>"
    }

    static func open(title: String, height: Int) -> String {
        #"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 \#(width) \#(height)" width="\#(width)" height="\#(height)"><title>\#(escape(title))</title>"#
    }

    static func int(_ value: Decimal) -> Int {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        return NSDecimalNumber(decimal: rounded).intValue
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
