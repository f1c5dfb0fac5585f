/// Serialises metadata and tensors into GGUF v3 bytes; used to build small models for tests and tools.
public struct GGUFWriter: Sendable {
    /// A tensor to write: name, ggml-order dimensions, type, and its encoded bytes.
    public struct Tensor: Sendable {
        /// The tensor's name.
        public var name: String
        /// Dimensions, innermost first.
        public var dimensions: [Int]
        /// The element encoding of `data`.
        public var type: GGMLType
        /// The encoded bytes (exactly the size the type and dimensions require).
        public var data: [UInt8]

        /// Creates a tensor entry.
        public init(name: String, dimensions: [Int], type: GGMLType, data: [UInt8]) {
            self.name = name
            self.dimensions = dimensions
            self.type = type
            self.data = data
        }
    }

    /// Metadata entries in the order they will be written.
    public var metadata: [(String, GGUFValue)] = []
    /// Tensors in the order they will be written.
    public var tensors: [Tensor] = []
    /// The data alignment.
    public var alignment = 32

    /// Creates an empty writer.
    public init() {}

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) {
            put(UInt64(s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        func putValue(_ value: GGUFValue) {
            switch value {
            case .uint8(let v): put(UInt32(0)); put(v)
            case .int8(let v): put(UInt32(1)); put(v)
            case .uint16(let v): put(UInt32(2)); put(v)
            case .int16(let v): put(UInt32(3)); put(v)
            case .uint32(let v): put(UInt32(4)); put(v)
            case .int32(let v): put(UInt32(5)); put(v)
            case .float32(let v): put(UInt32(6)); put(v.bitPattern)
            case .bool(let v): put(UInt32(7)); put(UInt8(v ? 1 : 0))
            case .string(let v): put(UInt32(8)); putString(v)
            case .uint64(let v): put(UInt32(10)); put(v)
            case .int64(let v): put(UInt32(11)); put(v)
            case .float64(let v): put(UInt32(12)); put(v.bitPattern)
            case .array(let a): put(UInt32(9)); putArray(a)
            }
        }
        func putArray(_ array: GGUFArray) {
            switch array {
            case .uint8(let a): put(UInt32(0)); put(UInt64(a.count)); a.forEach { put($0) }
            case .int8(let a): put(UInt32(1)); put(UInt64(a.count)); a.forEach { put($0) }
            case .uint16(let a): put(UInt32(2)); put(UInt64(a.count)); a.forEach { put($0) }
            case .int16(let a): put(UInt32(3)); put(UInt64(a.count)); a.forEach { put($0) }
            case .uint32(let a): put(UInt32(4)); put(UInt64(a.count)); a.forEach { put($0) }
            case .int32(let a): put(UInt32(5)); put(UInt64(a.count)); a.forEach { put($0) }
            case .float32(let a): put(UInt32(6)); put(UInt64(a.count)); a.forEach { put($0.bitPattern) }
            case .bool(let a): put(UInt32(7)); put(UInt64(a.count)); a.forEach { put(UInt8($0 ? 1 : 0)) }
            case .string(let a): put(UInt32(8)); put(UInt64(a.count)); a.forEach { putString($0) }
            case .uint64(let a): put(UInt32(10)); put(UInt64(a.count)); a.forEach { put($0) }
            case .int64(let a): put(UInt32(11)); put(UInt64(a.count)); a.forEach { put($0) }
            case .float64(let a): put(UInt32(12)); put(UInt64(a.count)); a.forEach { put($0.bitPattern) }
            case .arrays(let a): put(UInt32(9)); put(UInt64(a.count)); a.forEach { putArray($0) }
            }
        }
        func pad() { while out.count % alignment != 0 { out.append(0) } }

        put(UInt32(0x4655_4747))
        put(UInt32(3))
        put(UInt64(tensors.count))
        put(UInt64(metadata.count))
        for (key, value) in metadata {
            putString(key)
            putValue(value)
        }
        var offset = 0
        for tensor in tensors {
            putString(tensor.name)
            put(UInt32(tensor.dimensions.count))
            tensor.dimensions.forEach { put(UInt64($0)) }
            put(tensor.type.rawValue)
            put(UInt64(offset))
            offset += (tensor.data.count + alignment - 1) / alignment * alignment
        }
        pad()
        for tensor in tensors {
            out.append(contentsOf: tensor.data)
            pad()
        }
        return out
    }
}
