/// Parallel matrix-vector products over a ``ComputePool``.
///
/// Each thread gets one contiguous range of rows. Decode's products stream their weights from memory, and
/// measured on two cores (`cairn bench inference --mat-vec`), one range per thread streams the layers' weights
/// at 29 GB/s against 17 GB/s for chunks of 64 rows handed out in turn, which was no faster than one thread:
/// interleaved chunks leave each core's prefetcher fetching rows the other core reads.
public enum MatVec {
    /// Range boundaries fall on multiples of this many rows, so that no cache line of the output is written by
    /// two threads.
    static let rowAlignment = 16

    /// Computes `o1 = m1 · x`, `o2 = m2 · x` and optionally `o3 = m3 · x` (same input) as one parallel section.
    ///
    /// Fusing (q, k, v) or (gate, up) into one section cuts the synchronisation per layer. The rows of the
    /// matrices are taken as one sequence, in order, and cut into one range per thread, so a thread streams the
    /// matrices' rows in order (the planar copies of a layer's matrices lie one after the other in memory). The
    /// arguments are spelled out rather than passed as arrays so that decode does not allocate.
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
        let total = m1.rows + m2.rows + (m3?.rows ?? 0)
        let parts = pool.threadCount
        pool.run(chunks: parts) { part in
            let range = Self.range(part, of: parts, rows: total)
            // The part of `range` that falls in the matrix whose rows start at `start` of the sequence.
            func piece(_ m: WeightMatrix, _ o: UnsafeMutablePointer<Float>, start: Int) {
                let lo = max(range.lowerBound, start), hi = min(range.upperBound, start + m.rows)
                if lo < hi { m.multiply(rows: lo - start..<hi - start, x: x, input: input, into: o) }
            }
            piece(m1, o1, start: 0)
            piece(m2, o2, start: m1.rows)
            if let m3, let o3 { piece(m3, o3, start: m1.rows + m2.rows) }
        }
    }

    /// Computes `output = matrix · x` in parallel; `input` is scratch as in the fused form.
    public static func multiply(
        _ matrix: WeightMatrix, x: UnsafePointer<Float>, input: MatVecInput,
        output: UnsafeMutablePointer<Float>, pool: ComputePool
    ) {
        let needs = MatVecInput.needs(matrix)
        input.prepare(x, count: matrix.columns, sums: needs.sums, quantize: needs.quantize)
        let parts = pool.threadCount
        pool.run(chunks: parts) { part in
            matrix.multiply(rows: Self.range(part, of: parts, rows: matrix.rows), x: x, input: input, into: output)
        }
    }

    /// Part `part` of `parts` nearly equal ranges covering `0..<rows`, cut at multiples of ``rowAlignment``.
    static func range(_ part: Int, of parts: Int, rows: Int) -> Range<Int> {
        func cut(_ i: Int) -> Int {
            i == parts ? rows : min(rows, (rows * i / parts + rowAlignment / 2) / rowAlignment * rowAlignment)
        }
        return cut(part)..<cut(part + 1)
    }
}
