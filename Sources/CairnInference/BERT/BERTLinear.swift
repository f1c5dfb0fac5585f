internal import COpenBLAS

/// `Y = X · W + b` for the BERT encoder, with `W` stored `[in, out]`, spread over a ``ComputePool``.
///
/// Each pool chunk owns a slice of output features. With many token rows the slice is one single-threaded
/// OpenBLAS `sgemm` (whose packing of the operands is then amortised over the rows). With few rows (a single
/// short sentence) packing would cost more than the arithmetic, so a register-blocked SIMD kernel reads the
/// weights in place: for each input feature it broadcasts every token's value and accumulates 64 output
/// features per token, so no horizontal sums are needed and each weight is loaded once per 4 tokens.
enum BERTLinear {
    /// Up to this many token rows the SIMD kernel beats sgemm on this model's shapes.
    static let smallRowLimit = 24
    /// Output features per chunk of the SIMD kernel: four 16-lane vectors.
    static let featuresPerChunk = 64

    /// `output[rows, outFeatures] = input[rows, inFeatures] · weight[inFeatures, outFeatures] + bias`.
    static func apply(
        _ input: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: [Float], bias: [Float],
        outFeatures: Int, into output: UnsafeMutablePointer<Float>, pool: ComputePool
    ) {
        guard rows > 0 else { return }
        let small = rows <= smallRowLimit
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                let w = w.baseAddress!, b = b.baseAddress!
                // sgemm packs the input once per call, so its slices are wider: two per thread.
                let width = small ? featuresPerChunk : max(featuresPerChunk, roundUp(outFeatures / (2 * pool.threadCount), 16))
                pool.run(chunks: (outFeatures + width - 1) / width) { chunk in
                    let lo = chunk * width
                    let hi = min(lo + width, outFeatures)
                    if small {
                        smallRows(input, rows: rows, k: inFeatures, weight: w, bias: b, n: outFeatures, range: lo..<hi, into: output)
                    } else {
                        for row in 0..<rows { (output + row * outFeatures + lo).update(from: b + lo, count: hi - lo) }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hi - lo), Int32(inFeatures),
                            1, input, Int32(inFeatures), w + lo, Int32(outFeatures), 1, output + lo, Int32(outFeatures))
                    }
                }
            }
        }
    }

    private static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

    typealias V = SIMD16<Float>

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    private static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Input features per pass: a 128 × 64 weight panel (32 KiB) stays in L1 while every token uses it.
    static let featuresPerPass = 128

    /// Output features `range` for every token row.
    private static func smallRows(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        n: Int, range: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        for t in 0..<rows { (y + t * n + range.lowerBound).update(from: bias + range.lowerBound, count: range.count) }
        var o = range.lowerBound
        while o + 64 <= range.upperBound {
            var k0 = 0
            while k0 < k {
                let k1 = min(k0 + featuresPerPass, k)
                var t = 0
                while t + 4 <= rows {
                    block4(x + t * k, k: k, inputs: k0..<k1, weight: weight + o, n: n, into: y + t * n + o)
                    t += 4
                }
                while t < rows {
                    block1(x + t * k, inputs: k0..<k1, weight: weight + o, n: n, into: y + t * n + o)
                    t += 1
                }
                k0 = k1
            }
            o += 64
        }
        // Features left over when the slice is not a multiple of 64 (not the case for MiniLM's shapes).
        while o < range.upperBound {
            for t in 0..<rows {
                var sum: Float = 0
                for i in 0..<k { sum += x[t * k + i] * weight[i * n + o] }
                y[t * n + o] += sum
            }
            o += 1
        }
    }

    /// `y[0..<4][0..<64] += x[0..<4][inputs] · w[inputs][0..<64]`; rows of `x` are `k` apart, of `w` and `y` `n`.
    @inline(__always)
    private static func block4(
        _ x: UnsafePointer<Float>, k: Int, inputs: Range<Int>, weight: UnsafePointer<Float>, n: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        let y0 = y, y1 = y0 + n, y2 = y1 + n, y3 = y2 + n
        // 16 accumulators: 4 tokens × 64 output features.
        var a00 = load(y0), a01 = load(y0 + 16), a02 = load(y0 + 32), a03 = load(y0 + 48)
        var a10 = load(y1), a11 = load(y1 + 16), a12 = load(y1 + 32), a13 = load(y1 + 48)
        var a20 = load(y2), a21 = load(y2 + 16), a22 = load(y2 + 32), a23 = load(y2 + 48)
        var a30 = load(y3), a31 = load(y3 + 16), a32 = load(y3 + 32), a33 = load(y3 + 48)
        let x0 = x, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k
        var w = weight + inputs.lowerBound * n
        for i in inputs {
            let v0 = load(w), v1 = load(w + 16), v2 = load(w + 32), v3 = load(w + 48)
            var u = V(repeating: x0[i])
            a00.addProduct(u, v0); a01.addProduct(u, v1); a02.addProduct(u, v2); a03.addProduct(u, v3)
            u = V(repeating: x1[i])
            a10.addProduct(u, v0); a11.addProduct(u, v1); a12.addProduct(u, v2); a13.addProduct(u, v3)
            u = V(repeating: x2[i])
            a20.addProduct(u, v0); a21.addProduct(u, v1); a22.addProduct(u, v2); a23.addProduct(u, v3)
            u = V(repeating: x3[i])
            a30.addProduct(u, v0); a31.addProduct(u, v1); a32.addProduct(u, v2); a33.addProduct(u, v3)
            w += n
        }
        store(a00, y0); store(a01, y0 + 16); store(a02, y0 + 32); store(a03, y0 + 48)
        store(a10, y1); store(a11, y1 + 16); store(a12, y1 + 32); store(a13, y1 + 48)
        store(a20, y2); store(a21, y2 + 16); store(a22, y2 + 32); store(a23, y2 + 48)
        store(a30, y3); store(a31, y3 + 16); store(a32, y3 + 32); store(a33, y3 + 48)
    }

    /// `y[0..<64] += x[inputs] · w[inputs][0..<64]` for one token.
    @inline(__always)
    private static func block1(
        _ x: UnsafePointer<Float>, inputs: Range<Int>, weight: UnsafePointer<Float>, n: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        var a0 = load(y), a1 = load(y + 16), a2 = load(y + 32), a3 = load(y + 48)
        var w = weight + inputs.lowerBound * n
        for i in inputs {
            let u = V(repeating: x[i])
            a0.addProduct(u, load(w)); a1.addProduct(u, load(w + 16))
            a2.addProduct(u, load(w + 32)); a3.addProduct(u, load(w + 48))
            w += n
        }
        store(a0, y); store(a1, y + 16); store(a2, y + 32); store(a3, y + 48)
    }
}

extension SIMD16<Float> {
    /// `self += a * b`, fused.
    @inline(__always)
    fileprivate mutating func addProduct(_ a: Self, _ b: Self) {
        self = self.addingProduct(a, b)
    }
}
