/// One metadata value from a GGUF file's key-value section.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value as an integer if it is any integer type that fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(exactly: v)
        default: nil
        }
    }

    /// The value as a floating-point number if it is numeric.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: intValue.map(Double.init)
        }
    }

    /// The value if it is a string.
    public var stringValue: String? {
        if case .string(let v) = self { v } else { nil }
    }

    /// The value if it is a boolean.
    public var boolValue: Bool? {
        if case .bool(let v) = self { v } else { nil }
    }
}

/// A homogeneous GGUF metadata array, stored with its element type.
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case uint64([UInt64])
    case int64([Int64])
    case float32([Float])
    case float64([Double])
    case bool([Bool])
    case string([String])
    /// An array of arrays (GGUF allows nesting).
    case arrays([GGUFArray])

    /// The number of elements.
    public var count: Int {
        switch self {
        case .uint8(let a): a.count
        case .int8(let a): a.count
        case .uint16(let a): a.count
        case .int16(let a): a.count
        case .uint32(let a): a.count
        case .int32(let a): a.count
        case .uint64(let a): a.count
        case .int64(let a): a.count
        case .float32(let a): a.count
        case .float64(let a): a.count
        case .bool(let a): a.count
        case .string(let a): a.count
        case .arrays(let a): a.count
        }
    }

    /// The elements as `Int32` if every element is an integer that fits.
    public var int32Values: [Int32]? {
        switch self {
        case .int32(let a): a
        case .uint8(let a): a.map { Int32($0) }
        case .int8(let a): a.map { Int32($0) }
        case .uint16(let a): a.map { Int32($0) }
        case .int16(let a): a.map { Int32($0) }
        case .uint32(let a): a.allSatisfy { $0 <= UInt32(Int32.max) } ? a.map { Int32($0) } : nil
        case .int64(let a): a.allSatisfy { Int32(exactly: $0) != nil } ? a.map { Int32($0) } : nil
        case .uint64(let a): a.allSatisfy { $0 <= UInt64(Int32.max) } ? a.map { Int32($0) } : nil
        default: nil
        }
    }
}

/// The on-disk type tags of GGUF metadata values.
enum GGUFValueType: UInt32 {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The smallest encoded size of one value, used to reject impossible array counts early.
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}
