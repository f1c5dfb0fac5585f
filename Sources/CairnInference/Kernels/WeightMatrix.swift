/// A read-only `rows × columns` weight matrix stored row-major in one of the ``GGMLType`` encodings.
///
/// The bytes usually live in a memory-mapped GGUF file; the matrix does not own them.
public struct WeightMatrix: @unchecked Sendable {
    /// The first byte of row 0.
    public let base: UnsafeRawPointer
    /// The element encoding.
    public let type: GGMLType
    /// The number of rows (output features).
    public let rows: Int
    /// The number of columns (input features); a multiple of the type's block size.
    public let columns: Int
    /// The number of bytes per row.
    public let rowBytes: Int

    /// Wraps `rows × columns` values of `type` at `base`.
    public init(base: UnsafeRawPointer, type: GGMLType, rows: Int, columns: Int) {
        precondition(columns % type.blockSize == 0, "row length must be a whole number of blocks")
        self.base = base
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.byteCount(elements: columns)!
    }

    /// A pointer to the start of `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer { base + row * rowBytes }

    /// Computes `output[r] = row(r) · x` for `r` in `rows` on the calling thread.
    ///
    /// - Parameters:
    ///   - x: the input, `columns` floats.
    ///   - xSums: per-32-block sums of `x` (`columns / 32` floats); read only for Q4_1.
    @inline(__always)
    public func multiply(
        rows range: Range<Int>, x: UnsafePointer<Float>, xSums: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) {
        let blocks = columns / 32
        switch type {
        case .q4_1:
            var r = range.lowerBound
            while r + 1 < range.upperBound {
                (output[r], output[r + 1]) = DotKernels.q4_1Pair(row(r), row(r + 1), x, xSums, blocks: blocks)
                r += 2
            }
            if r < range.upperBound { output[r] = DotKernels.q4_1(row(r), x, xSums, blocks: blocks) }
        case .q8_0:
            for r in range { output[r] = DotKernels.q8_0(row(r), x, blocks: blocks) }
        case .f16:
            for r in range { output[r] = DotKernels.f16(row(r), x, count: columns) }
        case .f32:
            for r in range {
                output[r] = DotKernels.f32(row(r).assumingMemoryBound(to: Float.self), x, count: columns)
            }
        }
    }

    /// Decodes rows `range` to Float into `destination`, row-major with `columns` floats per row.
    public func dequantize(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() {
            Dequantize.row(type, row(r), count: columns, into: destination + i * columns)
        }
    }
}
