public import CairnPrimitives

/// An unsigned 256-bit integer: just what constant-product pools need for products of two reserves, the
/// protocol fee's √k and the price accumulators (which wrap, as Uniswap v2's `uint256` accumulators do).
public struct UInt256: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt128
    public var low: UInt128

    public static let zero = UInt256(high: 0, low: 0)

    public init(high: UInt128, low: UInt128) {
        self.high = high
        self.low = low
    }

    public init(_ value: UInt128) {
        high = 0
        low = value
    }

    /// The exact product of two 128-bit integers.
    public static func product(_ a: UInt128, _ b: UInt128) -> UInt256 {
        let (h, l) = a.multipliedFullWidth(by: b)
        return UInt256(high: h, low: l)
    }

    /// The value when it fits 128 bits.
    public var uint128: UInt128? { high == 0 ? low : nil }

    public var isZero: Bool { high == 0 && low == 0 }

    public static func < (a: UInt256, b: UInt256) -> Bool { a.high != b.high ? a.high < b.high : a.low < b.low }

    /// `self + other` modulo 2^256.
    public func addingWrapping(_ other: UInt256) -> UInt256 {
        let (l, carry) = low.addingReportingOverflow(other.low)
        return UInt256(high: high &+ other.high &+ (carry ? 1 : 0), low: l)
    }

    /// `self - other` modulo 2^256.
    public func subtractingWrapping(_ other: UInt256) -> UInt256 {
        addingWrapping(UInt256(high: ~other.high, low: ~other.low)).addingWrapping(UInt256(1))
    }

    /// `self + other`, or nil past 2^256 - 1.
    public func adding(_ other: UInt256) -> UInt256? {
        let (l, carry) = low.addingReportingOverflow(other.low)
        let (h1, o1) = high.addingReportingOverflow(other.high)
        let (h2, o2) = h1.addingReportingOverflow(carry ? 1 : 0)
        return o1 || o2 ? nil : UInt256(high: h2, low: l)
    }

    /// `self - other`, or nil below zero.
    public func subtracting(_ other: UInt256) -> UInt256? {
        guard other <= self else { return nil }
        let (l, borrow) = low.subtractingReportingOverflow(other.low)
        return UInt256(high: high - other.high - (borrow ? 1 : 0), low: l)
    }

    /// `self × m` modulo 2^256.
    public func multipliedWrapping(by m: UInt128) -> UInt256 {
        let lowProduct = UInt256.product(low, m)
        return UInt256(high: lowProduct.high &+ (high &* m), low: lowProduct.low)
    }

    /// `self × m`, or nil past 2^256 - 1.
    public func multiplied(by m: UInt128) -> UInt256? {
        let lowProduct = UInt256.product(low, m)
        let (hh, hl) = high.multipliedFullWidth(by: m)
        guard hh == 0 else { return nil }
        let (h, o) = lowProduct.high.addingReportingOverflow(hl)
        return o ? nil : UInt256(high: h, low: lowProduct.low)
    }

    /// `self / d` rounded down and the remainder; `d` must not be zero.
    public func quotientAndRemainder(dividingBy d: UInt128) -> (quotient: UInt256, remainder: UInt128) {
        precondition(d != 0, "division by zero")
        let (qh, rh) = high.quotientAndRemainder(dividingBy: d)
        let (ql, r) = d.dividingFullWidth((high: rh, low: low))
        return (UInt256(high: qh, low: ql), r)
    }

    /// `self / d` rounded down, or nil when `d` is zero or the quotient does not fit 128 bits.
    public func divided(by d: UInt128) -> UInt128? {
        guard d != 0, high < d else { return nil }
        return d.dividingFullWidth((high: high, low: low)).quotient
    }

    /// `self << 112` modulo 2^256 (the UQ112x112 encoding of an integer).
    public static func uq112(_ v: UInt128) -> UInt256 {
        UInt256(high: v >> 16, low: v << 112)
    }

    /// The integer square root (the largest r with r² ≤ self), by Newton's iteration from above.
    public var squareRoot: UInt128 {
        if high == 0 && low < 2 { return low }
        let bits = high != 0 ? 256 - high.leadingZeroBitCount : 128 - low.leadingZeroBitCount
        // 2^ceil(bits/2) ≥ √self, and from above Newton's steps fall monotonically to the floor.
        let shift = (bits + 1) / 2
        var x: UInt256 = shift >= 128 ? UInt256(high: 1, low: 0) : UInt256(UInt128(1) << shift)
        while true {
            // x ≤ 2^128 here, and x > 0.
            let divisor = x.high != 0 ? nil : x.low
            let quotient: UInt256 = divisor.map { self.quotientAndRemainder(dividingBy: $0).quotient }
                ?? UInt256(high: 0, low: self.high) // self / 2^128
            let y = x.addingWrapping(quotient).halved
            if y >= x { break }
            x = y
        }
        return x.low
    }

    /// `self / 2`.
    var halved: UInt256 { UInt256(high: high >> 1, low: (low >> 1) | (high << 127)) }

    public var description: String {
        if high == 0 { return String(low) }
        // Repeated division by 10^19 for the decimal digits.
        var digits = [String]()
        var v = self
        let chunk: UInt128 = 10_000_000_000_000_000_000
        while !v.isZero {
            let (q, r) = v.quotientAndRemainder(dividingBy: chunk)
            digits.append(String(r))
            v = q
        }
        var text = digits.removeLast()
        for d in digits.reversed() { text += String(repeating: "0", count: 19 - d.count) + d }
        return text
    }

    /// Parses decimal digits; nil past 2^256 - 1.
    public init?(decimal text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var v = UInt256.zero
        for c in text.utf8 {
            guard let t = v.multiplied(by: 10), let n = t.adding(UInt256(UInt128(c - 48))) else { return nil }
            v = n
        }
        self = v
    }
}

extension CanonicalWriter {
    /// 256 bits, high half first.
    public mutating func write(_ v: UInt256) {
        write(v.high)
        write(v.low)
    }
}

extension CanonicalReader {
    public mutating func readUInt256() throws(DecodeError) -> UInt256 { UInt256(high: try readUInt128(), low: try readUInt128()) }
}
