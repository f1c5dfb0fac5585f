/// Parallel matrix-vector products over a ``ComputePool``.
public enum MatVec {
    /// Rows per pool chunk: small enough to balance two cores, large enough to amortise the shared counter.
    static let rowsPerChunk = 64

    /// Computes `o1 = m1 · x`, `o2 = m2 · x` and optionally `o3 = m3 · x` (same input) as one parallel section.
    ///
    /// Fusing (q, k, v) or (gate, up) into one section cuts the synchronisation per layer; the arguments are
    /// spelled out rather than passed as arrays so that decode does not allocate.
    /// - Parameters:
    ///   - x: the input, `columns` floats (every matrix must have the same column count).
    ///   - input: scratch of at least `columns` capacity, overwritten with `x` prepared for the matrices.
    public static func multiply(
        _ m1: WeightMatrix, into o1: UnsafeMutablePointer<Float>,
        _ m2: WeightMatrix, into o2: UnsafeMutablePointer<Float>,
        _ m3: WeightMatrix? = nil, into o3: UnsafeMutablePointer<Float>? = nil,
        x: UnsafePointer<Float>, input: MatVecInput, pool: ComputePool
    ) {
        precondition(m1.columns == m2.columns && (m3 == nil || m3!.columns == m1.columns))
        let (n1, n2, n3) = (MatVecInput.needs(m1), MatVecInput.needs(m2), MatVecInput.needs(m3))
        input.prepare(x, count: m1.columns, sums: n1.sums || n2.sums || n3.sums, quantize: n1.quantize || n2.quantize || n3.quantize)
        let c1 = (m1.rows + rowsPerChunk - 1) / rowsPerChunk
        let c2 = c1 + (m2.rows + rowsPerChunk - 1) / rowsPerChunk
        let c3 = c2 + (m3.map { ($0.rows + rowsPerChunk - 1) / rowsPerChunk } ?? 0)
        pool.run(chunks: c3) { chunk in
            let (m, o, local) = chunk < c1 ? (m1, o1, chunk) : chunk < c2 ? (m2, o2, chunk - c1) : (m3!, o3!, chunk - c2)
            let lo = local * rowsPerChunk
            m.multiply(rows: lo..<min(lo + rowsPerChunk, m.rows), x: x, input: input, into: o)
        }
    }

    /// Computes `output = matrix · x` in parallel; `input` is scratch as in the fused form.
    public static func multiply(
        _ matrix: WeightMatrix, x: UnsafePointer<Float>, input: MatVecInput,
        output: UnsafeMutablePointer<Float>, pool: ComputePool
    ) {
        let needs = MatVecInput.needs(matrix)
        input.prepare(x, count: matrix.columns, sums: needs.sums, quantize: needs.quantize)
        let chunks = (matrix.rows + rowsPerChunk - 1) / rowsPerChunk
        pool.run(chunks: chunks) { chunk in
            let lo = chunk * rowsPerChunk
            matrix.multiply(rows: lo..<min(lo + rowsPerChunk, matrix.rows), x: x, input: input, into: output)
        }
    }
}
