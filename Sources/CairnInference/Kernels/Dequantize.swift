/// SIMD decoding of encoded rows to Float, used to build F32 weight tiles for batched prefill matmuls.
public enum Dequantize {
    /// Decodes `count` values of `type` at `source` into `destination`.
    @inline(__always)
    public static func row(_ type: GGMLType, _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        let out = UnsafeMutableRawPointer(destination)
        switch type {
        case .q4_1:
            for b in 0..<count / 32 {
                let p = source + 20 * b
                let d = SIMD16<Float>(repeating: BlockFormats.half(p)), m = SIMD16<Float>(repeating: BlockFormats.half(p, 2))
                let q = p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
                out.storeBytes(of: m.addingProduct(d, DotKernels.floats(q & 0x0F)), toByteOffset: 128 * b, as: SIMD16<Float>.self)
                out.storeBytes(of: m.addingProduct(d * 0.0625, DotKernels.floats(q & 0xF0)), toByteOffset: 128 * b + 64, as: SIMD16<Float>.self)
            }
        case .q8_0:
            for b in 0..<count / 32 {
                let p = source + 34 * b
                let d = SIMD16<Float>(repeating: BlockFormats.half(p))
                let lo = DotKernels.floats(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
                let hi = DotKernels.floats(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
                out.storeBytes(of: d * lo, toByteOffset: 128 * b, as: SIMD16<Float>.self)
                out.storeBytes(of: d * hi, toByteOffset: 128 * b + 64, as: SIMD16<Float>.self)
            }
        case .f16, .f32:
            BlockFormats.dequantize(type, source, count: count, into: destination)
        }
    }
}
