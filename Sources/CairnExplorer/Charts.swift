import Foundation

/// Charts drawn on the server as inline SVG: no script, no asset from elsewhere.
enum Chart {
    struct Series {
        var name: String
        /// A CSS class giving its colour (`s1`, `s2`, `s3`).
        var style: String
        var values: [Double]
    }

    static let width = 640.0
    static let height = 220.0
    static let left = 64.0
    static let bottom = 28.0
    static let top = 12.0

    /// Bars (one series) or lines (several) over buckets labelled `labels`; `unit` formats the axis values.
    static func render(title: String, labels: [String], series: [Series], bars: Bool, unit: (Double) -> String) -> HTML {
        let n = labels.count
        guard n > 0, !series.isEmpty else { return "<p class=\"empty\">No data yet.</p>" }
        let all = series.flatMap(\.values)
        var high = max(all.max() ?? 0, 0)
        let low = min(all.min() ?? 0, 0)
        if high == low { high = low + 1 }
        let plotW = width - left - 8
        let plotH = height - top - bottom
        func y(_ v: Double) -> Double { top + plotH * (1 - (v - low) / (high - low)) }
        let step = plotW / Double(n)
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        // Grid and axis labels at five levels.
        for i in 0...4 {
            let v = low + (high - low) * Double(i) / 4
            let yy = y(v)
            svg += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(width - 8))\" y1=\"\(f(yy))\" y2=\"\(f(yy))\"/>"
            svg += "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(HTML.escape(unit(v)))</text>"
        }
        if low < 0 {
            svg += "<line class=\"zero\" x1=\"\(f(left))\" x2=\"\(f(width - 8))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\"/>"
        }
        for (k, s) in series.enumerated() {
            if bars {
                let w = max(step / Double(series.count) - 1, 1)
                for (i, v) in s.values.enumerated() {
                    let x = left + step * Double(i) + w * Double(k)
                    let y0 = y(max(v, 0)), y1 = y(min(v, 0))
                    svg += "<rect class=\"\(s.style)\" x=\"\(f(x))\" y=\"\(f(y0))\" width=\"\(f(w))\" height=\"\(f(max(y1 - y0, 0.5)))\">"
                    svg += "<title>\(HTML.escape("\(labels[i]): \(s.name) \(unit(v))"))</title></rect>"
                }
            } else {
                let points = s.values.enumerated().map { i, v in "\(f(left + step * (Double(i) + 0.5))),\(f(y(v)))" }.joined(separator: " ")
                svg += "<polyline class=\"line \(s.style)\" points=\"\(points)\"/>"
            }
        }
        // At most six labels along the bottom.
        let every = max(1, Int((Double(n) / 6).rounded(.up)))
        for i in stride(from: 0, to: n, by: every) {
            svg += "<text class=\"axis\" x=\"\(f(left + step * (Double(i) + 0.5)))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(HTML.escape(labels[i]))</text>"
        }
        svg += "</svg>"
        let legend = series.map { "<span class=\"key \($0.style)\"></span>\(HTML.escape($0.name))" }.joined(separator: " ")
        return HTML(markup: "<figure><figcaption>\(HTML.escape(title))</figcaption>\(svg)<div class=\"legend\">\(legend)</div></figure>")
    }

    /// Horizontal bars, largest first: a distribution (stake by operator).
    static func distribution(title: String, items: [(label: String, href: String, value: Double)], unit: (Double) -> String) -> HTML {
        guard let top = items.map(\.value).max(), top > 0 else { return "<p class=\"empty\">No data yet.</p>" }
        let total = items.reduce(0) { $0 + $1.value }
        let rows = items.map { item in
            let w = max(item.value / top * 100, 0.5)
            return "<div class=\"dist\"><a href=\"\(HTML.escape(item.href))\">\(HTML.escape(item.label))</a>"
                + "<span class=\"bar\"><span style=\"width:\(f(w))%\"></span></span>"
                + "<span class=\"num\">\(HTML.escape(unit(item.value))) (\(HTML.escape(Format.percent(item.value / total))))</span></div>"
        }.joined()
        return HTML(markup: "<figure><figcaption>\(HTML.escape(title))</figcaption>\(rows)</figure>")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A compact number: 1.2k, 3.4M.
    static func compact(_ v: Double) -> String {
        let a = abs(v)
        switch a {
        case 1e9...: return String(format: "%.1fG", v / 1e9)
        case 1e6...: return String(format: "%.1fM", v / 1e6)
        case 1e3...: return String(format: "%.1fk", v / 1e3)
        case 0: return "0"
        case ..<1: return String(format: "%.2g", v)
        default: return String(format: "%.0f", v)
        }
    }
}
