import CairnPrimitives
import CairnStorage
import Foundation

/// A provider's uptime as this node's `ProviderProbe` observed it: shares of successful probes over a day and a
/// week, the last probe, and a strip of the latest ones.
extension Explorer {
    /// Samples shown in the strip.
    static let uptimeStripSamples = 48
    static let day: UInt64 = 86_400_000

    /// What the uptime section shows, read from one snapshot.
    struct Uptime {
        var day: ProbeTally
        var week: ProbeTally
        /// Newest first.
        var recent: [ProbeSample]
    }

    /// The start of the window of `days` days that ends at `now`.
    static func since(days: UInt64, now: UInt64) -> UInt64 { now > days * day ? now - days * day : 0 }

    func uptime(_ a: Address, now: UInt64) throws -> Uptime {
        try store.readIndex { s in
            Uptime(day: try s.probeTally(a, since: Self.since(days: 1, now: now)),
                   week: try s.probeTally(a, since: Self.since(days: 7, now: now)),
                   recent: try s.probes(a, limit: Self.uptimeStripSamples))
        }
    }

    /// The providers list's cell: the last 24 hours' uptime, or "not probed yet".
    func uptimeCell(_ a: Address, now: UInt64) throws -> HTML {
        let day = try store.readIndex { try $0.probeTally(a, since: Self.since(days: 1, now: now)) }
        guard let share = day.uptime else { return "<span class=\"muted\">not probed yet</span>" }
        return "<span title=\"\(Format.count(day.ok)) of \(Format.count(day.samples)) probes answered\">\(Format.percent(share))</span>"
    }

    /// The provider page's section "Uptime (as probed by this node)".
    func uptimeSection(_ a: Address, now: UInt64) throws -> HTML {
        let heading: HTML = "<h2>Uptime (as probed by this node)</h2>"
        let u = try uptime(a, now: now)
        guard let last = u.recent.first else {
            return """
                \(heading)<p class="empty">This provider is not probed yet: the node sends <code>GET \(ProviderProbe.path)</code> to every \
                active provider's endpoint at a fixed interval and records whether it answers.</p>
                """
        }
        func share(_ t: ProbeTally) -> String { t.uptime.map { Format.percent($0) } ?? "–" }
        func count(_ t: ProbeTally) -> String { "\(Format.count(t.ok)) of \(Format.count(t.samples)) probes answered" }
        let lastDetail = "\(last.ok ? "HTTP 200" : failure(last)) in \(Format.count(last.latencyMilliseconds)) ms, \(Format.age(last.time, now: now))"
        // (label, value, the value's class, detail)
        let cards: [(String, String, String, String)] = [
            ("Last 24 hours", share(u.day), "", count(u.day)),
            ("Last 7 days", share(u.week), "", count(u.week)),
            ("Last probe", last.ok ? "up" : "down", last.ok ? "ok" : "failed", lastDetail),
        ]
        let cardHTML = HTML.join(cards.map { label, value, style, detail -> HTML in
            "<div class=\"card\"><span>\(label)</span><strong\(HTML(markup: style.isEmpty ? "" : " class=\"\(style)\""))>\(value)</strong><span>\(detail)</span></div>"
        })
        return """
            \(heading)
            <section class="cards">\(cardHTML)</section>
            <p class="muted">Each probe is <code>GET \(ProviderProbe.path)</code> on the registered endpoint; it counts as up when the \
            answer is HTTP 200 within the timeout. The last probe was sent at \(Format.time(last.time)).</p>
            \(strip(u.recent))
            """
    }

    /// What a failed probe got: an HTTP status, or no answer at all.
    func failure(_ s: ProbeSample) -> String { s.status == 0 ? "no answer" : "HTTP \(s.status)" }

    /// The latest probes as a strip of cells, oldest on the left: green answered, red failed, grey slots not yet probed
    /// (the newest probe always sits at the right edge).
    func strip(_ newestFirst: [ProbeSample]) -> HTML {
        let samples = Array(newestFirst.reversed())
        let slots = Self.uptimeStripSamples
        let cell = 10.0, gap = 2.0, height = 22.0
        let empty = slots - samples.count
        var svg = "<svg class=\"strip\" viewBox=\"0 0 \(Chart.f(Double(slots) * (cell + gap) - gap)) \(Chart.f(height))\" role=\"img\" "
        svg += "aria-label=\"The last \(samples.count) probes: \(samples.filter(\.ok).count) answered\">"
        for i in 0..<slots {
            let x = Chart.f(Double(i) * (cell + gap))
            let box = "x=\"\(x)\" y=\"0\" width=\"\(Chart.f(cell))\" height=\"\(Chart.f(height))\" rx=\"2\""
            guard i >= empty else {
                svg += "<rect class=\"none\" \(box)/>"
                continue
            }
            let s = samples[i - empty]
            let what = s.ok ? "up" : "down, \(failure(s))"
            svg += "<rect class=\"\(s.ok ? "s1" : "s2")\" \(box)><title>\(HTML.escape("\(Format.time(s.time)): \(what), \(s.latencyMilliseconds) ms"))</title></rect>"
        }
        svg += "</svg>"
        var legend = "<span class=\"key s1\"></span>answered <span class=\"key s2\"></span>failed"
        if empty > 0 { legend += " <span class=\"key none\"></span>no probe yet" }
        return HTML(markup: "<figure class=\"uptime\"><figcaption>Last \(samples.count) probes, newest on the right</figcaption>\(svg)"
                    + "<div class=\"legend\">\(legend)</div></figure>")
    }
}
