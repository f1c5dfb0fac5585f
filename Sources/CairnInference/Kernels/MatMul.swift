import COpenBLAS

/// Batched products `Y = X · Wᵀ` for prefill: weights are decoded to an F32 tile, then OpenBLAS `sgemm` runs.
///
/// Decoding one matrix at a time keeps the F32 copy to a few megabytes (the whole model in F32 would be
/// ~540 MB), while the matmul itself gets OpenBLAS's packed kernels (AVX-512 where the processor has it, see ``BLASSetup``).
public enum MatMul {
    /// Computes `output[t][r] = Σ_c x[t][c] · matrix[r][c]` for `tokens` rows of `x`.
    ///
    /// - Parameters:
    ///   - x: `tokens × matrix.columns` floats, row-major.
    ///   - output: `tokens × matrix.rows` floats, row-major (overwritten, or accumulated into when `accumulate`).
    ///   - tile: scratch of at least `matrix.rows × matrix.columns` floats (unused when the matrix keeps panels).
    public static func multiply(
        _ matrix: WeightMatrix, x: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>,
        tile: UnsafeMutablePointer<Float>, accumulate: Bool = false, pool: ComputePool
    ) {
        guard tokens > 0 else { return }
        if let panels = matrix.panels {
            // Kept panels: no decoding, no packing; the panels are shared out over the pool.
            let count = matrix.rows / FloatPanels.rows
            let chunks = min(count, 2 * pool.threadCount)
            pool.run(chunks: chunks) { chunk in
                FloatPanels.multiply(x: x, tokens: tokens, columns: matrix.columns, weights: panels,
                                     panels: count * chunk / chunks..<count * (chunk + 1) / chunks, output: output, ldc: matrix.rows,
                                     accumulate: accumulate)
            }
            return
        }
        // Each chunk decodes a slice of weight rows and multiplies it with single-threaded sgemm, so decoding
        // and matmul share the pool's load balancing and OpenBLAS's own threads stay out of the way.
        // Every sgemm call packs all of `x` again, so chunks are large: about two per thread.
        let columns = matrix.columns, rows = matrix.rows
        let rowsPerChunk = max(32, (rows / (2 * pool.threadCount) + 15) / 16 * 16)
        pool.run(chunks: (rows + rowsPerChunk - 1) / rowsPerChunk) { chunk in
            let lo = chunk * rowsPerChunk
            let hi = min(lo + rowsPerChunk, rows)
            let weights: UnsafePointer<Float>
            if matrix.type == .f32 {
                weights = UnsafeRawPointer(matrix.row(lo)).assumingMemoryBound(to: Float.self)
            } else {
                matrix.dequantize(rows: lo..<hi, into: tile + lo * columns)
                weights = UnsafePointer(tile + lo * columns)
            }
            sgemm(
                a: x, b: weights, c: output + lo, m: tokens, n: hi - lo, k: columns, transposeB: true,
                beta: accumulate ? 1 : 0, ldc: rows)
        }
    }

    /// `C = A·B (+ beta·C)` or `C = A·Bᵀ` in row-major layout, with leading dimensions defaulting to packed.
    public static func sgemm(
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, transposeB: Bool, alpha: Float = 1, beta: Float = 0,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        BLASSetup.ensure()
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha,
            a, blasint(lda ?? k), b, blasint(ldb ?? (transposeB ? k : n)), beta, c, blasint(ldc ?? n))
    }

    /// Limits OpenBLAS's own threading (the engine parallelises around single-threaded calls), after ``BLASSetup``.
    public static func setBLASThreads(_ threads: Int) {
        BLASSetup.ensure()
        openblas_set_num_threads(Int32(threads))
    }
}
