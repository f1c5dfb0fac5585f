/// Scalar reference encoders and decoders for the block formats; the SIMD kernels are checked against these.
///
/// Q4_1 block (20 bytes, 32 values): float16 scale `d`, float16 minimum `m`, 16 bytes whose low nibbles hold
/// values 0..<16 and high nibbles values 16..<32; value = d * q + m.
/// Q8_0 block (34 bytes, 32 values): float16 scale `d`, 32 signed bytes; value = d * q.
public enum BlockFormats {
    /// Reads a little-endian float16 at `p` as a Float.
    @inline(__always)
    public static func half(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Decodes `count` values of `type` starting at `source` into `destination` (scalar reference).
    public static func dequantize(
        _ type: GGMLType, _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        switch type {
        case .f32:
            for i in 0..<count { destination[i] = source.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        case .f16:
            for i in 0..<count { destination[i] = half(source, 2 * i) }
        case .q4_1:
            for b in 0..<count / 32 {
                let block = source + 20 * b
                let d = half(block), m = half(block, 2)
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                    destination[32 * b + j] = d * Float(byte & 0x0F) + m
                    destination[32 * b + j + 16] = d * Float(byte >> 4) + m
                }
            }
        case .q8_0:
            for b in 0..<count / 32 {
                let block = source + 34 * b
                let d = half(block)
                for j in 0..<32 {
                    destination[32 * b + j] = d * Float(block.load(fromByteOffset: 2 + j, as: Int8.self))
                }
            }
        }
    }

    /// Encodes `values` (a multiple of the block size) as `type`, rounding like ggml's reference quantizers.
    public static func quantize(_ values: [Float], as type: GGMLType) -> [UInt8] {
        var out: [UInt8] = []
        func putHalf(_ v: Float) {
            withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        switch type {
        case .f32:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16:
            values.forEach(putHalf)
        case .q4_1:
            precondition(values.count % 32 == 0, "Q4_1 needs whole blocks of 32")
            for b in stride(from: 0, to: values.count, by: 32) {
                let block = values[b..<b + 32]
                let lo = block.min()!, hi = block.max()!
                let d = (hi - lo) / 15
                let inverse: Float = d != 0 ? 1 / d : 0
                putHalf(d)
                putHalf(lo)
                for j in 0..<16 {
                    let q0 = UInt8(min(15, max(0, ((block[b + j] - lo) * inverse + 0.5).rounded(.down))))
                    let q1 = UInt8(min(15, max(0, ((block[b + j + 16] - lo) * inverse + 0.5).rounded(.down))))
                    out.append(q0 | q1 << 4)
                }
            }
        case .q8_0:
            precondition(values.count % 32 == 0, "Q8_0 needs whole blocks of 32")
            for b in stride(from: 0, to: values.count, by: 32) {
                let block = values[b..<b + 32]
                let amax = block.map { abs($0) }.max()!
                let d = amax / 127
                let inverse: Float = d != 0 ? 1 / d : 0
                putHalf(d)
                for v in block { out.append(UInt8(bitPattern: Int8((v * inverse).rounded()))) }
            }
        }
        return out
    }
}
