public import CairnPrimitives

/// A module's parameters: a struct whose fields are listed once, in a fixed order, with their kinds. The list gives
/// the canonical encoding stored under the state root, the JSON the API shows, and the typed setter governance uses,
/// so no parameter ever passes through a platform's JSON formatting on its way into state.
public protocol ParameterSet: CanonicalCodable, Equatable {
    /// The values before genesis writes any (and the base a decode fills in).
    static var defaults: Self { get }
    /// Every parameter, in encoding order. Append new ones at the end with a new `encodingVersion`; never reorder.
    static var fields: [ParameterField<Self>] { get }
    /// Checks every range; the error names the parameter.
    func validate() throws(LedgerError)
}

/// One parameter of a `ParameterSet`: its name and where it lives, by kind.
public struct ParameterField<Params> {
    public enum Kind {
        case uint64(WritableKeyPath<Params, UInt64>)
        case uint32(WritableKeyPath<Params, UInt32>)
        case int(WritableKeyPath<Params, Int>)
        case bool(WritableKeyPath<Params, Bool>)
        /// An amount of ucairn: a decimal string in JSON.
        case amount(WritableKeyPath<Params, Amount>)
    }

    public let name: String
    public let kind: Kind

    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// The first byte of every stored parameter set: the version of its encoding. (Parameters stored as JSON text by
/// earlier versions start with `{`, which no version byte uses.)
public enum ParameterEncoding {
    public static let version: UInt8 = 1
    /// The first byte of parameters an earlier version stored as JSON.
    public static let legacyJSONMarker = UInt8(ascii: "{")
}

extension ParameterSet {
    /// The version byte, then each field in order: integers big-endian (an `Int` as 64 bits, two's complement), a bool
    /// as one byte, an amount as 128 bits.
    public func encode(to w: inout CanonicalWriter) {
        w.write(ParameterEncoding.version)
        for field in Self.fields {
            switch field.kind {
            case let .uint64(path): w.write(self[keyPath: path])
            case let .uint32(path): w.write(self[keyPath: path])
            case let .int(path): w.write(UInt64(bitPattern: Int64(self[keyPath: path])))
            case let .bool(path): w.write(self[keyPath: path])
            case let .amount(path): w.write(self[keyPath: path])
            }
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        let version = try r.readUInt8()
        guard version == ParameterEncoding.version else {
            if version == ParameterEncoding.legacyJSONMarker {
                throw DecodeError("parameters stored as JSON by an earlier version; the store must be migrated (cairn node migrate)")
            }
            throw DecodeError("unknown parameter encoding version \(version)")
        }
        var p = Self.defaults
        for field in Self.fields {
            switch field.kind {
            case let .uint64(path): p[keyPath: path] = try r.readUInt64()
            case let .uint32(path): p[keyPath: path] = try r.readUInt32()
            case let .int(path): p[keyPath: path] = Int(Int64(bitPattern: try r.readUInt64()))
            case let .bool(path): p[keyPath: path] = try r.readBool()
            case let .amount(path): p[keyPath: path] = try r.readAmount()
            }
        }
        self = p
    }

    /// The parameters as a JSON object: integers exact, amounts as decimal strings.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [:]
        for field in Self.fields {
            switch field.kind {
            case let .uint64(path): object[field.name] = .number(JSONNumber(self[keyPath: path]))
            case let .uint32(path): object[field.name] = .number(JSONNumber(UInt64(self[keyPath: path])))
            case let .int(path): object[field.name] = .number(JSONNumber(self[keyPath: path]))
            case let .bool(path): object[field.name] = .bool(self[keyPath: path])
            case let .amount(path): object[field.name] = .string(self[keyPath: path].description)
            }
        }
        return .object(object)
    }

    /// `self` with parameter `key` set to `value`, validated.
    ///
    /// A whole-number parameter takes a JSON integer or a string of decimal digits; an amount takes either too; a flag
    /// takes `true` or `false`. Anything else, an unknown key, or a value outside the parameter's range throws.
    public func replacing(_ key: String, with value: JSONValue, module: String) throws(LedgerError) -> Self {
        guard let field = Self.fields.first(where: { $0.name == key }) else {
            throw CoreError.unknownParameter(module, key, known: Self.fields.map(\.name).sorted())
        }
        func invalid(_ why: String) -> LedgerError {
            CoreError.invalidParameter(module, key, "\(why), got \(value.canonicalText.prefix(80))")
        }
        /// The value as a whole number within `range`.
        func whole(_ range: ClosedRange<Int128>) throws(LedgerError) -> Int128 {
            let n: Int128?
            switch value {
            case let .number(number): n = number.int64.map { Int128($0) } ?? number.uint64.map { Int128($0) }
            case let .string(text): n = Amount(decimal: text).flatMap { Int128(exactly: $0.value) }
            default: n = nil
            }
            guard let n else {
                if case let .number(number) = value, number.double.rounded() == number.double {
                    throw invalid("must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                throw invalid("must be a whole number")
            }
            guard range.contains(n) else { throw invalid("must be a whole number from \(range.lowerBound) to \(range.upperBound)") }
            return n
        }
        var p = self
        switch field.kind {
        case let .uint64(path): p[keyPath: path] = UInt64(try whole(0...Int128(UInt64.max)))
        case let .uint32(path): p[keyPath: path] = UInt32(try whole(0...Int128(UInt32.max)))
        case let .int(path): p[keyPath: path] = Int(try whole(Int128(Int.min)...Int128(Int.max)))
        case let .bool(path):
            guard case let .bool(b) = value else { throw invalid("must be true or false") }
            p[keyPath: path] = b
        case let .amount(path):
            switch value {
            case let .string(text):
                guard let a = Amount(decimal: text) else { throw invalid("must be an amount in ucairn (decimal digits)") }
                p[keyPath: path] = a
            case let .number(number):
                guard let u = number.uint64 else { throw invalid("must be an amount in ucairn (decimal digits)") }
                p[keyPath: path] = Amount(UInt128(u))
            default: throw invalid("must be an amount in ucairn (decimal digits)")
            }
        }
        try p.validate()
        return p
    }

    /// Decodes stored parameters; nil bytes give the defaults.
    public static func stored(_ raw: [UInt8]?) throws(DecodeError) -> Self {
        guard let raw else { return defaults }
        return try Self(canonicalBytes: raw)
    }
}
