/// The HTTP headers and event names Cairn's own processes exchange beside the OpenAI API (provider, gateway, SDK).
public enum CairnHeader {
    /// A request's signed voucher, base64 of its canonical bytes (`SignedVoucher.headerValue`).
    public static let voucher = "X-Cairn-Voucher"
    /// The payment channel a voucher pays on.
    public static let channel = "X-Cairn-Channel"
    /// A whole answer's signed receipt, base64 of its canonical bytes (`SignedReceipt.headerValue`).
    public static let receipt = "X-Cairn-Receipt"
    /// On a refused payment (402 or 429): the rejection's code (`PaymentRejection.Code`), so the payer decides without
    /// reading the body.
    public static let paymentRejection = "X-Cairn-Payment-Rejection"
    /// The gateway's answers: the provider that served them.
    public static let provider = "X-Cairn-Provider"
    /// The gateway's whole answers: what they cost, in ucairn.
    public static let cost = "X-Cairn-Cost"
    /// A provider's answers: how many requests for that model it runs at once (its batch), so a gateway weighs the
    /// requests it has in flight there against what the provider can take.
    public static let capacity = "X-Cairn-Capacity"
    /// The Server-Sent Events name of a streamed answer's receipt (the last event before `data: [DONE]`).
    public static let receiptEvent = "cairn-receipt"
}
