import CairnPrimitives
import Foundation

/// A piece of HTML: text is escaped when it becomes one (`HTML(text:)`), markup is written by the explorer only.
struct HTML: Sendable, ExpressibleByStringInterpolation {
    var markup: String

    init(markup: String) { self.markup = markup }
    init(stringLiteral value: String) { markup = value }

    /// Text, escaped.
    init(text: String) { markup = HTML.escape(text) }

    struct StringInterpolation: StringInterpolationProtocol {
        var markup = ""
        init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { markup += literal }
        /// Plain values are escaped.
        mutating func appendInterpolation(_ value: some CustomStringConvertible) { markup += HTML.escape(value.description) }
        /// HTML is inserted as it is.
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        mutating func appendInterpolation(_ parts: [HTML]) { for p in parts { markup += p.markup } }
    }

    init(stringInterpolation: StringInterpolation) { markup = stringInterpolation.markup }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func join(_ parts: [HTML], separator: String = "") -> HTML {
        HTML(markup: parts.map(\.markup).joined(separator: separator))
    }

    /// A link; `href` is an explorer path built from checked values (escaped all the same).
    static func link(_ href: String, _ text: String, title: String? = nil) -> HTML {
        let t = title.map { " title=\"\(escape($0))\"" } ?? ""
        return HTML(markup: "<a href=\"\(escape(href))\"\(t)>\(escape(text))</a>")
    }
}

/// Table rows and cells.
enum Table {
    /// A table with a header row; `numeric` names the columns aligned to the right.
    static func make(_ headers: [String], _ rows: [[HTML]], numeric: Set<Int> = [], empty: String = "Nothing yet.") -> HTML {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(empty)</p>" }
        let head = headers.enumerated().map { i, h in HTML(markup: "<th\(numeric.contains(i) ? " class=\"num\"" : "")>\(HTML.escape(h))</th>") }
        let body = rows.map { row in
            HTML(markup: "<tr>" + row.enumerated().map { i, c in "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(c.markup)</td>" }.joined() + "</tr>")
        }
        return "<div class=\"table\"><table><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>"
    }

    /// A two-column list of labels and values.
    static func facts(_ rows: [(String, HTML)]) -> HTML {
        let items = rows.map { HTML(markup: "<tr><th>\(HTML.escape($0.0))</th><td>\($0.1.markup)</td></tr>") }
        return "<table class=\"facts\"><tbody>\(items)</tbody></table>"
    }
}

/// How the explorer writes values.
enum Format {
    /// ucairn as CAIRN with up to six decimals and thousands separators.
    static func cairn(_ amount: Amount) -> String {
        let whole = amount.value / 1_000_000
        let fraction = amount.value % 1_000_000
        var text = grouped(whole.description)
        if fraction != 0 {
            var f = String(fraction)
            f = String(repeating: "0", count: 6 - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            text += "." + f
        }
        return text + " CAIRN"
    }

    static func grouped(_ digits: String) -> String {
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func count(_ n: some BinaryInteger) -> String { grouped(String(n)) }

    /// "1,234 tokens in 5 requests", singular where one.
    static func served(tokens: UInt64, requests: UInt64) -> String {
        "\(count(tokens)) \(tokens == 1 ? "token" : "tokens") in \(count(requests)) \(requests == 1 ? "request" : "requests")"
    }

    /// The Gregorian calendar in UTC, for block times.
    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// A block time's (Unix milliseconds) date and time of day in UTC.
    static func parts(_ milliseconds: UInt64) -> DateComponents {
        utc.dateComponents([.year, .month, .day, .hour, .minute, .second],
                           from: Date(timeIntervalSince1970: TimeInterval(min(milliseconds / 1000, 253_402_300_799))))
    }

    /// A block time (Unix milliseconds) as UTC.
    static func time(_ milliseconds: UInt64) -> String {
        let p = parts(milliseconds)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", p.year ?? 0, p.month ?? 0, p.day ?? 0, p.hour ?? 0, p.minute ?? 0, p.second ?? 0)
    }

    /// How long before `now` the block time `milliseconds` was (both Unix milliseconds).
    static func age(_ milliseconds: UInt64, now: UInt64) -> String {
        guard now > milliseconds + 999 else { return "just now" }
        return duration((now - milliseconds) / 1000) + " ago"
    }

    static func duration(_ s: UInt64) -> String {
        switch s {
        case ..<60: "\(s) s"
        case ..<3600: "\(s / 60) min"
        case ..<86_400: "\(s / 3600) h \(s % 3600 / 60) min"
        default: "\(s / 86_400) d \(s % 86_400 / 3600) h"
        }
    }

    static func percent(_ x: Double, digits: Int = 1) -> String {
        guard x.isFinite else { return "–" }
        return String(format: "%.\(digits)f%%", x * 100)
    }

    static func bps(_ b: UInt32) -> String { String(format: "%.2f%%", Double(b) / 100) }

    static func bytes(_ b: UInt64) -> String {
        let gib = Double(b) / Double(1 << 30)
        return gib >= 1 ? String(format: "%.1f GiB", gib) : String(format: "%.0f MiB", Double(b) / Double(1 << 20))
    }

    static func short(_ hex: String) -> String { hex.count > 16 ? "\(hex.prefix(10))…\(hex.suffix(6))" : hex }
}

/// Links to the explorer's pages.
enum Links {
    static func block(_ h: UInt64) -> HTML { .link("/explorer/blocks/\(h)", Format.count(h)) }
    static func tx(_ h: Hash) -> HTML { .link("/explorer/txs/\(h.hex)", Format.short(h.hex), title: h.hex) }
    static func account(_ a: Address, label: String? = nil) -> HTML {
        let text = a.bech32
        return .link("/explorer/accounts/\(text)", label ?? "\(text.prefix(12))…\(text.suffix(6))", title: text)
    }
    static func provider(_ a: Address) -> HTML {
        let text = a.bech32
        return .link("/explorer/providers/\(text)", "\(text.prefix(12))…\(text.suffix(6))", title: text)
    }
    static func model(_ id: UInt64, name: String?) -> HTML { .link("/explorer/models/\(id)", name ?? "model \(id)") }
    static func channel(_ id: UInt64) -> HTML { .link("/explorer/channels/\(id)", "#\(id)") }
    static func proposal(_ id: UInt64, title: String? = nil) -> HTML { .link("/explorer/proposals/\(id)", title ?? "#\(id)") }
    static func pool(_ id: UInt64) -> HTML { .link("/explorer/pools/\(id)", "#\(id)") }
    static func trainingJob(_ id: UInt64) -> HTML { .link("/explorer/training/\(id)", "#\(id)") }

    /// An event attribute's value, linked when it names an address.
    static func value(_ v: String) -> HTML {
        if v.hasPrefix(Address.prefix + "1"), let a = try? Address(bech32: v) { return account(a, label: v) }
        return HTML(text: v)
    }
}
