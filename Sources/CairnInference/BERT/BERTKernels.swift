internal import COpenBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The BERT encoder's element-wise kernels and attention (the dense layers are in ``BERTLinear``).
enum BERTKernels {
    /// `x = LayerNorm(x + residual)` over each row of `width`, with learned scale and shift.
    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int,
        weight: [Float], bias: [Float], epsilon: Float
    ) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                for row in 0..<rows {
                    let v = x + row * width
                    if let residual {
                        let r = residual + row * width
                        for i in 0..<width { v[i] += r[i] }
                    }
                    var sum: Float = 0
                    for i in 0..<width { sum += v[i] }
                    let mean = sum / Float(width)
                    var squares: Float = 0
                    for i in 0..<width {
                        let d = v[i] - mean
                        squares += d * d
                    }
                    let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
                    for i in 0..<width { v[i] = (v[i] - mean) * scale * w[i] + b[i] }
                }
            }
        }
    }

    /// Exact (erf-based) GELU in place: `x · (1 + erf(x / √2)) / 2`, as BERT's `hidden_act = "gelu"`.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD16<Float>
        let lanes = V.scalarCount
        var i = 0
        while i + lanes <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            let v = raw.loadUnaligned(as: V.self)
            raw.storeBytes(of: 0.5 * v * (1 + erf(v * 0.70710678118654752)), as: V.self)
            i += lanes
        }
        while i < count {
            x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752))
            i += 1
        }
    }

    /// erf by a rational approximation on [-4, 4] (beyond which erf is ±1 in single precision); its error is
    /// below 2e-7 absolute, the level of single-precision rounding, and it vectorizes where `erff` does not.
    @inline(__always)
    static func erf(_ input: SIMD16<Float>) -> SIMD16<Float> {
        let x = pointwiseMin(pointwiseMax(input, SIMD16(repeating: -4)), SIMD16(repeating: 4))
        let x2 = x * x
        var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
        p = x2 * p + -2.10102402082508e-06
        p = x2 * p + -5.69250639462346e-05
        p = x2 * p + -7.34990630326855e-04
        p = x2 * p + -2.95459980854025e-03
        p = x2 * p + -1.60960333262415e-02
        p = x * p
        var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
        q = x2 * q + -1.68282697438203e-03
        q = x2 * q + -7.37332916720468e-03
        q = x2 * q + -1.42647390514189e-02
        return p / q
    }

    /// Softmax over each row of a `rows × width` matrix in place.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for row in 0..<rows {
            let v = x + row * width
            var maximum = -Float.infinity
            for i in 0..<width { maximum = max(maximum, v[i]) }
            var sum: Float = 0
            for i in 0..<width {
                let e = expf(v[i] - maximum)
                v[i] = e
                sum += e
            }
            let inverse = 1 / sum
            for i in 0..<width { v[i] *= inverse }
        }
    }

    /// Scaled dot-product attention of one head of one sequence.
    ///
    /// `qkv` holds the sequence's `n` rows of `[query | key | value]` (stride `3 * hidden`); the head's context
    /// goes to `context` (stride `hidden`) in columns `head * headSize ..< (head + 1) * headSize`.
    /// `scores` needs `n * n` floats.
    static func attention(
        qkv: UnsafePointer<Float>, count n: Int, hidden: Int, heads: Int, head: Int,
        scores: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>
    ) {
        let headSize = hidden / heads
        let stride = Int32(3 * hidden)
        let scale = 1 / Float(headSize).squareRoot()
        let q = qkv + head * headSize
        let k = q + hidden
        let v = q + 2 * hidden
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(headSize),
            scale, q, stride, k, stride, 0, scores, Int32(n))
        softmaxRows(scores, rows: n, width: n)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(headSize), Int32(n),
            1, scores, Int32(n), v, stride, 0, context + head * headSize, Int32(hidden))
    }
}
