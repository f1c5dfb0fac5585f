public import CairnPrimitives
import Synchronization

/// The gateway's figures in the Prometheus text format: requests and errors by route and status, latency
/// histograms (whole request and time to first byte), tokens, spend and failures per provider, retries, and the
/// time spent on payments (signing vouchers, checking receipts).
public final class GatewayMetrics: Sendable {
    struct Histogram {
        var buckets = [UInt64](repeating: 0, count: GatewayMetrics.bounds.count)
        var count: UInt64 = 0
        var sum: Double = 0

        mutating func observe(_ seconds: Double) {
            for (i, b) in GatewayMetrics.bounds.enumerated() where seconds <= b { buckets[i] += 1 }
            count += 1
            sum += seconds
        }
    }

    struct State {
        var requests: [String: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var firstByte: [String: Histogram] = [:]
        var tokens: [String: UInt64] = [:]
        var spend: [String: UInt128] = [:]
        var providerFailures: [String: UInt64] = [:]
        var retries: UInt64 = 0
        var payment = Histogram()
        var channelsOpened: UInt64 = 0
        var receiptsRefused: UInt64 = 0
    }

    static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    let state = Mutex(State())

    public init() {}

    /// A request answered on `route` (such as `/v1/chat/completions`) with `status`, after `seconds`.
    public func request(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests["route=\"\(route)\",status=\"\(status)\"", default: 0] += 1
            s.latency["route=\"\(route)\"", default: Histogram()].observe(seconds)
        }
    }

    /// The first byte of a provider's answer arrived `seconds` after the request reached the gateway.
    public func firstByte(route: String, seconds: Double) {
        state.withLock { $0.firstByte["route=\"\(route)\"", default: Histogram()].observe(seconds) }
    }

    /// A paid request's tokens and cost at `provider`.
    public func served(provider: Address, promptTokens: UInt32, completionTokens: UInt32, embeddingTokens: UInt32, cost: Amount) {
        state.withLock { s in
            s.tokens["kind=\"prompt\"", default: 0] += UInt64(promptTokens)
            s.tokens["kind=\"completion\"", default: 0] += UInt64(completionTokens)
            s.tokens["kind=\"embedding\"", default: 0] += UInt64(embeddingTokens)
            s.spend["provider=\"\(provider.bech32)\"", default: 0] &+= cost.value
        }
    }

    public func providerFailed(_ provider: Address) {
        state.withLock { $0.providerFailures["provider=\"\(provider.bech32)\"", default: 0] += 1 }
    }

    public func retried() { state.withLock { $0.retries += 1 } }
    public func channelOpened() { state.withLock { $0.channelsOpened += 1 } }
    public func receiptRefused() { state.withLock { $0.receiptsRefused += 1 } }

    /// Time spent signing a voucher or checking and recording a receipt.
    public func payment(seconds: Double) { state.withLock { $0.payment.observe(seconds) } }

    /// The exposition text.
    public func render() -> String {
        state.withLock { s in
            var out = ""
            func counter(_ name: String, _ help: String, _ values: [String: UInt64]) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
                for (labels, v) in values.sorted(by: { $0.key < $1.key }) { out += "\(name){\(labels)} \(v)\n" }
            }
            func histogram(_ name: String, _ help: String, _ values: [String: Histogram]) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
                for (labels, h) in values.sorted(by: { $0.key < $1.key }) {
                    let sep = labels.isEmpty ? "" : ","
                    for (i, b) in GatewayMetrics.bounds.enumerated() { out += "\(name)_bucket{\(labels)\(sep)le=\"\(b)\"} \(h.buckets[i])\n" }
                    out += "\(name)_bucket{\(labels)\(sep)le=\"+Inf\"} \(h.count)\n"
                    let braces = labels.isEmpty ? "" : "{\(labels)}"
                    out += "\(name)_sum\(braces) \(h.sum)\n\(name)_count\(braces) \(h.count)\n"
                }
            }
            counter("cairn_gateway_requests_total", "Requests answered, by route and HTTP status.", s.requests)
            histogram("cairn_gateway_request_seconds", "Time from a request's arrival to the end of its answer.", s.latency)
            histogram("cairn_gateway_first_byte_seconds", "Time from a request's arrival to the provider's first byte.", s.firstByte)
            counter("cairn_gateway_tokens_total", "Tokens paid for, by kind.", s.tokens)
            out += "# HELP cairn_gateway_spend_ucairn_total ucairn paid to each provider (accepted receipts).\n"
            out += "# TYPE cairn_gateway_spend_ucairn_total counter\n"
            for (labels, v) in s.spend.sorted(by: { $0.key < $1.key }) { out += "cairn_gateway_spend_ucairn_total{\(labels)} \(v)\n" }
            counter("cairn_gateway_provider_failures_total", "Requests a provider failed (no answer, an error, a broken stream).",
                    s.providerFailures)
            out += """
            # HELP cairn_gateway_retries_total Requests sent again to another provider after a failure before the first byte.
            # TYPE cairn_gateway_retries_total counter
            cairn_gateway_retries_total \(s.retries)
            # HELP cairn_gateway_channels_opened_total Payment channels opened.
            # TYPE cairn_gateway_channels_opened_total counter
            cairn_gateway_channels_opened_total \(s.channelsOpened)
            # HELP cairn_gateway_receipts_refused_total Provider receipts that failed the check (not paid).
            # TYPE cairn_gateway_receipts_refused_total counter
            cairn_gateway_receipts_refused_total \(s.receiptsRefused)

            """
            histogram("cairn_gateway_payment_seconds", "Time spent signing a voucher or checking and recording a receipt.", ["": s.payment])
            return out
        }
    }
}
