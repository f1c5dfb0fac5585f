/// One tensor's entry in a safetensors header, validated against the file it came from.
public struct SafetensorsTensor: Sendable, Hashable {
    /// Element types of the safetensors format.
    public enum DType: String, Sendable, Hashable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64, .u64: 8
            case .f32, .i32, .u32: 4
            case .f16, .bf16, .i16, .u16: 2
            case .i8, .u8, .bool: 1
            }
        }
    }

    /// The tensor's name in the header.
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first (row-major).
    public let shape: [Int]
    /// The byte range relative to the start of the data section.
    public let byteRange: Range<Int>

    /// The number of elements (1 for a scalar of shape `[]`).
    public var elementCount: Int { shape.reduce(1, *) }
    /// The number of data bytes.
    public var byteCount: Int { byteRange.count }

    /// Parses and checks a header entry `{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}`.
    init(name: String, entry: Any, dataLength: Int, path: String) throws {
        func corrupt(_ message: String) -> InferenceError {
            InferenceError(.corrupt, "\(path): tensor '\(name)': \(message)")
        }
        guard let object = entry as? [String: Any] else { throw corrupt("header entry is not an object") }
        guard let dtypeName = object["dtype"] as? String else { throw corrupt("missing dtype") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw InferenceError(.unsupported, "\(path): tensor '\(name)' has unknown dtype '\(dtypeName)'")
        }
        guard let shapeValues = object["shape"] as? [Any], let offsetValues = object["data_offsets"] as? [Any],
            offsetValues.count == 2
        else { throw corrupt("missing shape or data_offsets") }
        let shape = try shapeValues.map { value -> Int in
            guard let dimension = Self.integer(value), dimension >= 0 else { throw corrupt("bad dimension \(value)") }
            return dimension
        }
        guard let begin = Self.integer(offsetValues[0]), let end = Self.integer(offsetValues[1]), begin >= 0, begin <= end
        else { throw corrupt("bad data_offsets \(offsetValues)") }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw corrupt("shape \(shape) overflows") }
            elements = product
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, bytes == end - begin else {
            throw corrupt("shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets span \(end - begin)")
        }
        guard end <= dataLength else {
            throw InferenceError(
                .truncated, "\(path): tensor '\(name)' ends at data byte \(end) but the data section has \(dataLength) bytes")
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = begin..<end
    }

    /// A JSON number as an `Int`, if it is a whole number that fits.
    private static func integer(_ value: Any) -> Int? {
        if let int = value as? Int { return int }
        if let double = value as? Double, double.rounded() == double, abs(double) < 9.0e15 { return Int(double) }
        return nil
    }
}
