public import Foundation

/// Any JSON value, for module sections of the genesis file that the core does not interpret and for parameter values.
///
/// Numbers keep integers exactly (`JSONNumber`); `canonicalText` writes one text per value with the ledger's own rules,
/// never Foundation's formatting, so what is signed and stored is the same on every machine.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(JSONNumber.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .number(n): try c.encode(n)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    /// Wraps any encodable value.
    public init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    /// Decodes this value as `T`.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }

    /// Parses JSON text (a whole document of one value).
    public init(parsing text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// The value's canonical JSON text: no whitespace, object keys in the byte order of their UTF-8, strings with only
    /// `"`, `\` and control characters escaped, integers as plain digits and other numbers as Swift's shortest
    /// round-trip form (the standard library's own algorithm, the same on every platform).
    public var canonicalText: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += n.description
        case let .string(s): Self.write(string: s, to: &out)
        case let .array(a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case let .object(o):
            out += "{"
            for (i, key) in o.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { out += "," }
                Self.write(string: key, to: &out)
                out += ":"
                o[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    static func write(string s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// A JSON number: exact when it is an integer that fits in 64 bits, else a finite `Double`.
///
/// Integers given as floating-point values (`1000.0`, `1e3`) become the exact integer, so one number has one form.
public struct JSONNumber: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    enum Storage: Sendable, Hashable {
        case unsigned(UInt64)
        /// Below zero only.
        case negative(Int64)
        /// Not an integer in the 64-bit ranges.
        case other(Double)
    }

    let storage: Storage

    public init(_ value: UInt64) { storage = .unsigned(value) }

    public init(_ value: Int64) { storage = value < 0 ? .negative(value) : .unsigned(UInt64(value)) }

    public init(_ value: Int) { self.init(Int64(value)) }

    /// The number `value`, or nil when it is not finite (JSON has no infinities or NaN).
    public init?(exactly value: Double) {
        guard value.isFinite else { return nil }
        if let u = UInt64(exactly: value) {
            storage = .unsigned(u)
        } else if let i = Int64(exactly: value) {
            storage = .negative(i)
        } else {
            storage = .other(value == 0 ? 0 : value)
        }
    }

    public init(integerLiteral value: Int64) { self.init(value) }

    public init(floatLiteral value: Double) {
        guard let n = JSONNumber(exactly: value) else { preconditionFailure("a JSON number is finite") }
        self = n
    }

    /// The value when it is a whole number from 0 to `UInt64.max`.
    public var uint64: UInt64? {
        if case let .unsigned(u) = storage { return u }
        return nil
    }

    /// The value when it is a whole number from `Int64.min` to `Int64.max`.
    public var int64: Int64? {
        switch storage {
        case let .unsigned(u): Int64(exactly: u)
        case let .negative(i): i
        case .other: nil
        }
    }

    /// The value as a `Double` (rounded for integers above 2^53).
    public var double: Double {
        switch storage {
        case let .unsigned(u): Double(u)
        case let .negative(i): Double(i)
        case let .other(d): d
        }
    }

    /// Integers as plain digits; other numbers in Swift's shortest round-trip form (`0.5`, `1e+20`).
    public var description: String {
        switch storage {
        case let .unsigned(u): "\(u)"
        case let .negative(i): "\(i)"
        case let .other(d): "\(d)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let u = try? c.decode(UInt64.self) {
            self.init(u)
        } else if let i = try? c.decode(Int64.self) {
            self.init(i)
        } else {
            let d = try c.decode(Double.self)
            guard let n = JSONNumber(exactly: d) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "a JSON number must be finite")
            }
            self = n
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch storage {
        case let .unsigned(u): try c.encode(u)
        case let .negative(i): try c.encode(i)
        case let .other(d): try c.encode(d)
        }
    }
}
