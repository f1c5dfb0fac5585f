/// The element encodings of GGUF tensors that this engine computes with.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// 32-bit IEEE floats.
    case f32 = 0
    /// 16-bit IEEE floats.
    case f16 = 1
    /// Blocks of 32 four-bit values with a float16 scale and minimum (20 bytes).
    case q4_1 = 3
    /// Blocks of 32 signed bytes with a float16 scale (34 bytes).
    case q8_0 = 8

    /// The number of elements one block encodes.
    public var blockSize: Int {
        switch self {
        case .f32, .f16: 1
        case .q4_1, .q8_0: 32
        }
    }

    /// The number of bytes one block occupies.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16: 2
        case .q4_1: 20
        case .q8_0: 34
        }
    }

    /// The number of bytes `elements` values occupy, or nil if `elements` is not a whole number of blocks.
    public func byteCount(elements: Int) -> Int? {
        guard elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        }
    }

    /// Names of ggml types this engine recognises but does not compute with, for error messages.
    static func name(ofRaw raw: UInt32) -> String {
        let known: [UInt32: String] = [
            2: "Q4_0", 6: "Q5_0", 7: "Q5_1", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K",
            14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL",
            21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
            29: "IQ1_M", 30: "BF16",
        ]
        return known[raw].map { "\($0) (type \(raw))" } ?? "unknown type \(raw)"
    }
}

/// One tensor in a GGUF file: its name, shape, encoding and where its bytes are.
public struct GGUFTensor: Sendable {
    /// The tensor's name, such as `blk.0.attn_q.weight`.
    public let name: String
    /// The dimensions, innermost first (ggml order): a weight of `rows × columns` is `[columns, rows]`.
    public let dimensions: [Int]
    /// The element encoding.
    public let type: GGMLType
    /// The byte offset of the tensor's data from the start of the file.
    public let fileOffset: Int
    /// The number of bytes of data.
    public let byteCount: Int

    /// The total number of elements.
    public var elementCount: Int { dimensions.reduce(1, *) }
    /// The innermost dimension (the length of one row).
    public var columns: Int { dimensions.first ?? 1 }
    /// The product of the outer dimensions (the number of rows).
    public var rows: Int { dimensions.dropFirst().reduce(1, *) }
}
