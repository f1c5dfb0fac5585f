/// Why a provider does not serve a request: one of the payment protocol's stable codes and a message for people.
///
/// The provider answers it as an OpenAI error (402, or 429 for `channelBusy`) with the code in the body's `code` and in
/// the `X-Cairn-Payment-Rejection` header.
public struct PaymentRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payment protocol's error codes; never change a raw value.
    public enum Code: String, Sendable, CaseIterable {
        case voucherMissing = "voucher_missing"
        case voucherInvalid = "voucher_invalid"
        case voucherWrongKey = "voucher_wrong_key"
        case voucherBelowDelivered = "voucher_below_delivered"
        case channelClosing = "channel_closing"
        case channelUnfunded = "channel_unfunded"
        case channelUnknown = "channel_unknown"
        /// A request on the channel is still being served: requests on one channel go one at a time, each
        /// with the voucher that covers the previous receipt.
        case channelBusy = "channel_busy"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
