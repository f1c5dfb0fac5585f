public import Foundation

/// A non-negative amount in base units (`UInt128`), with checked arithmetic and decimal-string JSON.
public struct Amount: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral {
    public var value: UInt128

    public static let zero = Amount(0)

    public init(_ value: UInt128) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = UInt128(value) }

    /// Parses a plain decimal string of base units.
    public init?(decimal text: String) {
        guard !text.isEmpty, text.utf8.count <= 39, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let v = UInt128(text) else { return nil }
        value = v
    }

    /// `self + other`, or nil on overflow.
    public func adding(_ other: Amount) -> Amount? {
        let (r, o) = value.addingReportingOverflow(other.value)
        return o ? nil : Amount(r)
    }

    /// `self - other`, or nil if it would go negative.
    public func subtracting(_ other: Amount) -> Amount? {
        other.value > value ? nil : Amount(value - other.value)
    }

    /// `self * factor`, or nil on overflow.
    public func multiplied(by factor: UInt128) -> Amount? {
        let (r, o) = value.multipliedReportingOverflow(by: factor)
        return o ? nil : Amount(r)
    }

    public static func < (a: Amount, b: Amount) -> Bool { a.value < b.value }
}

extension Amount: CustomStringConvertible {
    /// Decimal digits; through 64-bit arithmetic when the value fits, as fees and most balances do.
    public var description: String { value <= UInt128(UInt64.max) ? String(UInt64(value)) : String(value) }
}

extension Amount: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let a = Amount(decimal: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "amount must be a decimal string of base units, got '\(text)'"))
        }
        self = a
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(String(value))
    }
}

/// Denominations: `ucairn` is the base unit of the native token; 1 CAIRN = 10^6 ucairn.
public enum Denom {
    /// The base denomination of the native token.
    public static let native = "ucairn"
    /// The display denomination of the native token.
    public static let display = "cairn"
    /// Decimal places between `cairn` and `ucairn`.
    public static let decimals = 6

    /// Whether `name` is a valid denomination: 2 to 64 characters of a-z, 0-9, '/', '-', '.', starting with a letter.
    public static func isValid(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (2...64).contains(u.count), let f = u.first, f >= 97, f <= 122 else { return false }
        return u.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 47 || $0 == 45 || $0 == 46 }
    }
}

/// An amount of one denomination.
public struct Coin: Hashable, Sendable, Codable, CustomStringConvertible {
    public var denom: String
    public var amount: Amount

    public init(denom: String, amount: Amount) {
        self.denom = denom
        self.amount = amount
    }

    /// Parses `12.5cairn`, `12500000ucairn` or `7token` (base units of any other denomination).
    public init(parsing text: String) throws(AmountError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let split = trimmed.firstIndex(where: { $0.isLetter }) else {
            throw AmountError("amount '\(text)' has no denomination (write e.g. 12.5cairn or 100ucairn)")
        }
        let number = String(trimmed[..<split])
        let denom = String(trimmed[split...])
        guard Denom.isValid(denom) else { throw AmountError("'\(denom)' is not a valid denomination") }
        guard !number.isEmpty else { throw AmountError("amount '\(text)' has no number") }
        if denom == Denom.display {
            self.init(denom: Denom.native, amount: try Coin.scaled(number, decimals: Denom.decimals, original: text))
        } else {
            guard let a = Amount(decimal: number) else {
                if number.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                    throw AmountError("'\(number)' \(denom) is too large (at most \(UInt128.max) base units)")
                }
                throw AmountError("'\(number)' is not a whole number of \(denom) (only \(Denom.display) takes decimals)")
            }
            self.init(denom: denom, amount: a)
        }
    }

    static func scaled(_ number: String, decimals: Int, original: String) throws(AmountError) -> Amount {
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { throw AmountError("'\(original)' is not a valid amount") }
        let whole = String(parts[0])
        let frac = parts.count == 2 ? String(parts[1]) : ""
        guard frac.count <= decimals else {
            throw AmountError("'\(original)' has more than \(decimals) decimal places")
        }
        guard parts.count == 1 || !frac.isEmpty else { throw AmountError("'\(original)' is not a valid amount") }
        let digits = whole + frac + String(repeating: "0", count: decimals - frac.count)
        guard let a = Amount(decimal: digits) else { throw AmountError("'\(original)' is not a valid amount or is too large") }
        return a
    }

    /// `12.5cairn` for the native token, `N denom` in base units otherwise.
    public var description: String {
        guard denom == Denom.native else { return "\(amount)\(denom)" }
        let scale = UInt128(1_000_000)
        let whole = amount.value / scale
        let frac = amount.value % scale
        if frac == 0 { return "\(whole)\(Denom.display)" }
        var f = String(frac)
        f = String(repeating: "0", count: Denom.decimals - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        return "\(whole).\(f)\(Denom.display)"
    }
}

/// A malformed or out-of-range amount.
public struct AmountError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
