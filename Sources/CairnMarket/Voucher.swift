public import CairnPrimitives
public import Foundation

/// One model's share of a voucher's cumulative total.
public struct ModelAmount: Sendable, Equatable, Codable {
    public var modelID: UInt64
    public var amount: Amount

    public init(modelID: UInt64, amount: Amount) {
        self.modelID = modelID
        self.amount = amount
    }
}

/// What one model served on a channel, cumulative: the tokens (prompt, completion and embedding tokens of the
/// receipts the client accepted) and the requests.
public struct ModelUsage: Sendable, Equatable, Codable {
    public var modelID: UInt64
    public var tokens: UInt64
    public var requests: UInt64

    public init(modelID: UInt64, tokens: UInt64, requests: UInt64) {
        self.modelID = modelID
        self.tokens = tokens
        self.requests = requests
    }

    /// Writes `list` in canonical form.
    static func write(_ list: [ModelUsage], to w: inout CanonicalWriter) {
        w.write(array: list) { w, u in
            w.write(u.modelID)
            w.write(u.tokens)
            w.write(u.requests)
        }
    }

    /// Reads a list written by ``write(_:to:)``.
    static func read(from r: inout CanonicalReader) throws(DecodeError) -> [ModelUsage] {
        try r.readArray(limit: Voucher.maxModels) { (r: inout CanonicalReader) throws(DecodeError) in
            ModelUsage(modelID: try r.readUInt64(), tokens: try r.readUInt64(), requests: try r.readUInt64())
        }
    }
}

extension [ModelUsage] {
    /// The usage of `modelID` (zeros when the list does not name it).
    public func usage(for modelID: UInt64) -> ModelUsage {
        first { $0.modelID == modelID } ?? ModelUsage(modelID: modelID, tokens: 0, requests: 0)
    }

    /// The first entry of `needed` that this list counts fewer tokens or requests of, with this list's count of its
    /// model; nil when every model's count is at least the needed one.
    public func shortfall(against needed: [ModelUsage]) -> (have: ModelUsage, need: ModelUsage)? {
        for n in needed {
            let have = usage(for: n.modelID)
            if have.tokens < n.tokens || have.requests < n.requests { return (have, n) }
        }
        return nil
    }

    /// Whether every model's tokens and requests are at least those in `other`.
    public func covers(_ other: [ModelUsage]) -> Bool { shortfall(against: other) == nil }

    /// The list with `tokens` and one request added to `modelID`'s entry (sorted by model id); nil on overflow.
    public func adding(tokens: UInt64, to modelID: UInt64) -> [ModelUsage]? {
        var list = self
        let before = usage(for: modelID)
        let (t, o1) = before.tokens.addingReportingOverflow(tokens)
        let (n, o2) = before.requests.addingReportingOverflow(1)
        guard !o1, !o2 else { return nil }
        list.removeAll { $0.modelID == modelID }
        list.append(ModelUsage(modelID: modelID, tokens: t, requests: n))
        list.sort { $0.modelID < $1.modelID }
        return list
    }
}

/// A client's promise to pay: the cumulative total owed on a channel, split by model, with what each model served.
///
/// Cumulative, so the latest voucher replaces every earlier one and a lost or replayed voucher costs nothing.
/// `perModel` is sorted by model id with no repeats and no zero amounts, and sums to `cumulative`; the
/// market splits each claim by model so every model's royalty is paid on what was spent on it. `usage` (sorted by
/// model id, no repeats, no all-zero entries) counts the tokens and requests the payment is for, so the chain
/// records what was served; a provider accepts a voucher only when it covers what it delivered, in usage too.
public struct Voucher: Sendable, Equatable, Codable, CanonicalCodable {
    public var channelID: UInt64
    public var cumulative: Amount
    public var perModel: [ModelAmount]
    public var usage: [ModelUsage]

    public init(channelID: UInt64, cumulative: Amount, perModel: [ModelAmount], usage: [ModelUsage] = []) {
        self.channelID = channelID
        self.cumulative = cumulative
        self.perModel = perModel
        self.usage = usage
    }

    /// The most models one voucher names.
    public static let maxModels = 64

    /// Checks the shape: models sorted and distinct, no zero amounts, and the parts summing to the total.
    public func validate() throws(PaymentShapeError) {
        guard perModel.count <= Self.maxModels else { throw PaymentShapeError("a voucher names at most \(Self.maxModels) models") }
        var sum = Amount.zero
        var previous: UInt64?
        for part in perModel {
            if let previous, part.modelID <= previous { throw PaymentShapeError("voucher models must be sorted by id without repeats") }
            guard part.amount > .zero else { throw PaymentShapeError("voucher model amounts must be greater than zero") }
            guard let s = sum.adding(part.amount) else { throw PaymentShapeError("voucher amounts overflow") }
            sum = s
            previous = part.modelID
        }
        guard sum == cumulative else {
            throw PaymentShapeError("voucher model amounts sum to \(sum), not the cumulative \(cumulative)")
        }
        guard usage.count <= Self.maxModels else { throw PaymentShapeError("a voucher's usage names at most \(Self.maxModels) models") }
        previous = nil
        for u in usage {
            if let previous, u.modelID <= previous { throw PaymentShapeError("voucher usage must be sorted by model id without repeats") }
            guard u.tokens > 0 || u.requests > 0 else { throw PaymentShapeError("voucher usage entries must not be all zero") }
            previous = u.modelID
        }
    }

    /// The amount for `modelID` (zero when the voucher does not name it).
    public func amount(for modelID: UInt64) -> Amount {
        perModel.first { $0.modelID == modelID }?.amount ?? .zero
    }

    public func encode(to w: inout CanonicalWriter) {
        w.write(channelID)
        w.write(cumulative)
        w.write(array: perModel) { w, p in
            w.write(p.modelID)
            w.write(p.amount)
        }
        ModelUsage.write(usage, to: &w)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        channelID = try r.readUInt64()
        cumulative = try r.readAmount()
        perModel = try r.readArray(limit: Self.maxModels) { (r: inout CanonicalReader) throws(DecodeError) in
            ModelAmount(modelID: try r.readUInt64(), amount: try r.readAmount())
        }
        usage = try ModelUsage.read(from: &r)
    }

    /// Signs the voucher with the channel's voucher key (domain `cairn/voucher/v1`).
    public func signed(by key: PrivateKey, chainID: String) -> SignedVoucher {
        SignedVoucher(voucher: self, signature: key.sign(domain: .voucher, chainID: chainID, payload: canonicalBytes))
    }
}

/// A voucher with the client's Ed25519 signature.
public struct SignedVoucher: Sendable, Equatable, Codable, CanonicalCodable {
    public var voucher: Voucher
    /// 64 bytes.
    public var signature: [UInt8]

    public init(voucher: Voucher, signature: [UInt8]) {
        self.voucher = voucher
        self.signature = signature
    }

    /// Whether `key` signed this voucher on `chainID`.
    public func isSigned(by key: PublicKey, chainID: String) -> Bool {
        key.isValidSignature(signature, domain: .voucher, chainID: chainID, payload: voucher.canonicalBytes)
    }

    public func encode(to w: inout CanonicalWriter) {
        voucher.encode(to: &w)
        w.write(bytes: signature)
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        voucher = try Voucher(from: &r)
        signature = try r.readBytes(limit: 64)
    }

    /// The header value: base64 of the canonical bytes.
    public var headerValue: String { Data(canonicalBytes).base64EncodedString() }

    /// Parses a header value; nil when it is not base64 of a well-formed signed voucher.
    public init?(headerValue: String) {
        guard let data = Data(base64Encoded: headerValue.trimmingCharacters(in: .whitespaces)),
              let v = try? SignedVoucher(canonicalBytes: Array(data)) else { return nil }
        self = v
    }
}

/// Why a voucher or receipt is malformed (a plain message; the market maps it to its ledger error).
public struct PaymentShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
