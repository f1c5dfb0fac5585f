extension ByteReader {
    /// Reads one metadata value of the given on-disk type; `depth` bounds nested arrays.
    mutating func readValue(_ rawType: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw InferenceError(.corrupt, "metadata key '\(key)' has unknown value type \(rawType)")
        }
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, key))
        case .int8: return .int8(try read(Int8.self, key))
        case .uint16: return .uint16(try read(UInt16.self, key))
        case .int16: return .int16(try read(Int16.self, key))
        case .uint32: return .uint32(try read(UInt32.self, key))
        case .int32: return .int32(try read(Int32.self, key))
        case .uint64: return .uint64(try read(UInt64.self, key))
        case .int64: return .int64(try read(Int64.self, key))
        case .float32: return .float32(try readFloat(key))
        case .float64: return .float64(try readDouble(key))
        case .bool:
            let byte = try read(UInt8.self, key)
            guard byte <= 1 else { throw InferenceError(.corrupt, "metadata key '\(key)' has bool byte \(byte)") }
            return .bool(byte == 1)
        case .string: return .string(try readString(key))
        case .array: return .array(try readArray(key: key, depth: depth))
        }
    }

    private mutating func readArray(key: String, depth: Int) throws -> GGUFArray {
        guard depth < 8 else { throw InferenceError(.corrupt, "metadata key '\(key)' nests arrays too deeply") }
        let rawType = try read(UInt32.self, "element type of \(key)")
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw InferenceError(.corrupt, "metadata array '\(key)' has unknown element type \(rawType)")
        }
        let n = try readCount("count of \(key)", minimumElementSize: type.minimumSize)
        func many<T>(_ body: (inout ByteReader) throws -> T) throws -> [T] {
            var out: [T] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try body(&self)) }
            return out
        }
        switch type {
        case .uint8: return .uint8(try many { try $0.read(UInt8.self, key) })
        case .int8: return .int8(try many { try $0.read(Int8.self, key) })
        case .uint16: return .uint16(try many { try $0.read(UInt16.self, key) })
        case .int16: return .int16(try many { try $0.read(Int16.self, key) })
        case .uint32: return .uint32(try many { try $0.read(UInt32.self, key) })
        case .int32: return .int32(try many { try $0.read(Int32.self, key) })
        case .uint64: return .uint64(try many { try $0.read(UInt64.self, key) })
        case .int64: return .int64(try many { try $0.read(Int64.self, key) })
        case .float32: return .float32(try many { try $0.readFloat(key) })
        case .float64: return .float64(try many { try $0.readDouble(key) })
        case .bool: return .bool(try many { try $0.read(UInt8.self, key) != 0 })
        case .string: return .string(try many { try $0.readString(key) })
        case .array:
            return .arrays(try many { reader in
                guard case .array(let inner) = try reader.readValue(rawType, key: key, depth: depth + 1) else {
                    preconditionFailure("array tag decodes to an array")
                }
                return inner
            })
        }
    }
}
