import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange
import CairnApp

/// `report.html`: the verdicts and checks first, then the main series as inline SVG charts (no scripts).
enum SimReport {
    static func html(options: SimOptions, summary: SimSummary, runs: [SimRunResult], csv: String) -> String {
        var body = "<h1>cairn sim: \(escape(options.scenario.rawValue))</h1>\n"
        body += "<p>\(escape(options.scenario.summary)). \(SimFormat.number(options.years)) years, seed \(options.seed), blocks every \(options.blockInterval) s"
        body += options.parameters.label.isEmpty ? ", default parameters.</p>\n" : ", parameters: \(escape(options.parameters.label)).</p>\n"
        body += "<h2>Checks</h2>\n<table><tr><th>check</th><th>result</th><th>blocks or audits checked</th><th>failures</th></tr>\n"
        for (name, c) in summary.checks.sorted(by: { $0.key < $1.key }) {
            body += "<tr><td>\(name)</td><td class=\"\(c.ok ? "ok" : "bad")\">\(c.ok ? "pass" : "FAIL")</td><td>\(c.checked)</td><td>\(c.failed) \(escape(c.firstFailures.first ?? ""))</td></tr>\n"
        }
        if let d = summary.determinism {
            body += "<tr><td>determinism</td><td class=\"\(d.ok ? "ok" : "bad")\">\(d.ok ? "pass" : "FAIL")</td><td>\(d.days) days run twice</td><td>state \(d.stateDigest.prefix(16))…</td></tr>\n"
        }
        body += "</table>\n"
        for r in runs {
            body += "<h2>Verdicts: \(escape(r.label))</h2>\n<table><tr><th>question</th><th>value</th><th>verdict</th><th>meaning</th></tr>\n"
            for v in r.verdicts {
                let verdict = v.ok.map { $0 ? "<td class=\"ok\">ok</td>" : "<td class=\"bad\">no</td>" } ?? "<td>—</td>"
                body += "<tr><td>\(escape(v.name))</td><td>\(SimFormat.number(v.value))</td>\(verdict)<td>\(escape(v.detail))</td></tr>\n"
            }
            body += "</table>\n"
        }
        // Charts from the CSV (the first run of each label).
        let lines = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = DailyRow.header
        var byRun: [String: [[String]]] = [:]
        var order: [String] = []
        for l in lines where l.count == header.count {
            if byRun[l[0]] == nil { order.append(l[0]) }
            byRun[l[0], default: []].append(l)
        }
        func series(_ rows: [[String]], _ column: String) -> [Double] {
            guard let i = header.firstIndex(of: column) else { return [] }
            return rows.map { Double($0[i]) ?? 0 }
        }
        let charts: [(title: String, columns: [String])] = [
            ("Price of CAIRN, USD (pool and outside market)", ["price_usd", "outside_price_usd"]),
            ("Providers' 7-day margin ((revenue − cost) / cost): p10, median, p90", ["margin_p10", "margin_p50", "margin_p90"]),
            ("Providers active", ["providers_active"]),
            ("Demand and tokens served per day", ["demand_tokens", "served_tokens"]),
            ("Circulating supply and treasury, CAIRN", ["supply_cairn", "treasury_cairn"]),
            ("Minted and burned per day, CAIRN", ["minted_cairn", "burned_cairn"]),
            ("Staking ratio and top-10 share of stake", ["staking_ratio", "top10_stake_share"]),
            ("Nakamoto coefficient (validators over 1/3)", ["nakamoto_coefficient"]),
            ("Adversary's share of bonded stake (whale or coalition)", ["adversary_bonded_share"]),
            ("Royalties per day, CAIRN", ["royalties_cairn"]),
        ]
        for run in order {
            let rows = byRun[run]!
            body += "<h2>Charts: \(escape(run))</h2>\n<div class=\"charts\">\n"
            for c in charts {
                let data = c.columns.map { ($0, series(rows, $0)) }
                if data.allSatisfy({ $0.1.allSatisfy { $0 == 0 } }) { continue }
                body += svgChart(title: c.title, series: data)
            }
            body += "</div>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>cairn sim: \(escape(options.scenario.rawValue))</title>
        <link rel="icon" href="data:,">
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1500px; }
        table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        .ok { color: #176b2c; font-weight: 600; } .bad { color: #b00020; font-weight: 600; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

    /// A line chart of `series` against the day, with the range on the axis.
    static func svgChart(title: String, series: [(String, [Double])]) -> String {
        let w = 460.0, h = 200.0, left = 64.0, bottom = 22.0, top = 8.0
        let all = series.flatMap(\.1)
        guard let lo0 = all.min(), let hi0 = all.max(), let n = series.first?.1.count, n > 0 else { return "" }
        let (lo, hi) = lo0 == hi0 ? (lo0 - 1, hi0 + 1) : (lo0, hi0)
        func x(_ i: Int) -> Double { left + (w - left - 8) * Double(i) / Double(max(n - 1, 1)) }
        func y(_ v: Double) -> Double { top + (h - top - bottom) * (1 - (v - lo) / (hi - lo)) }
        var svg = "<figure><figcaption>\(escape(title))</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - 8)\" height=\"\(h - top - bottom)\" fill=\"#fafafa\" stroke=\"#bbb\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 10)\" font-size=\"10\" text-anchor=\"end\">\(label(hi))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(h - bottom)\" font-size=\"10\" text-anchor=\"end\">\(label(lo))</text>"
        if lo < 0, hi > 0 { svg += "<line x1=\"\(left)\" x2=\"\(w - 8)\" y1=\"\(y(0))\" y2=\"\(y(0))\" stroke=\"#888\" stroke-dasharray=\"3,3\"/>" }
        svg += "<text x=\"\(left)\" y=\"\(h - 6)\" font-size=\"10\">day 0</text><text x=\"\(w - 8)\" y=\"\(h - 6)\" font-size=\"10\" text-anchor=\"end\">day \(n - 1)</text>"
        // At most ~500 points per line: a 10-year run has 3,653 days.
        let stride = max(1, n / 500)
        for (k, (name, values)) in series.enumerated() {
            var points: [String] = []
            var i = 0
            while i < n {
                points.append("\(SimFormat.fixed(x(i), 1)),\(SimFormat.fixed(y(values[i]), 1))")
                i += stride
            }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[k % colors.count])\" stroke-width=\"1.3\" points=\"\(points.joined(separator: " "))\"/>"
            svg += "<text x=\"\(left + 6 + Double(k) * 130)\" y=\"\(top + 22)\" font-size=\"10\" fill=\"\(colors[k % colors.count])\">\(escape(name))</text>"
        }
        return svg + "</svg></figure>\n"
    }

    static func label(_ v: Double) -> String {
        abs(v) >= 1e6 ? SimFormat.fixed(v / 1e6, 1) + "M" : abs(v) >= 1e3 ? SimFormat.fixed(v / 1e3, 1) + "k" : SimFormat.fixed(v, abs(v) < 1 ? 3 : 1)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
