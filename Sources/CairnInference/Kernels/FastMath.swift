#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vectorised transcendental functions for softmax and SiLU (libm's scalar `expf` is too slow for prefill).
public enum FastMath {
    /// `e^x` per lane, with a relative error of about 2 ulp (Cephes polynomial, range-reduced by ln 2).
    @inline(__always)
    public static func exp(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let x = pointwiseMax(pointwiseMin(v, SIMD16(repeating: 88.0)), SIMD16(repeating: -87.3365478515625))
        // Round x·log2(e) to an integer with the 1.5·2²³ trick: after the addition the integer sits in the low
        // mantissa bits. (The generic SIMD rounding and float→int conversions compile to slow calls.)
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let shifted = (x * 1.44269504088896341) + magic
        let n = shifted - magic
        var r = x.addingProduct(n, SIMD16(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD16(repeating: 2.12194440e-4))
        var p = SIMD16<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let result = (p * r * r + r) + 1
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let exponent = (integer &+ 127) &* 0x80_0000
        return result * unsafeBitCast(exponent, to: SIMD16<Float>.self)
    }

    /// Replaces `x` (`count` floats) by its softmax.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let inverse = 1 / exponentiate(x, count: count).sum
        for j in 0..<count { x[j] *= inverse }
    }

    /// Replaces `x` (`count` floats) by `e^(x - max x)` and returns `max x` and the sum of the new values
    /// (softmax without the division; an empty `x` gives `(-infinity, 0)`).
    public static func exponentiate(_ x: UnsafeMutablePointer<Float>, count: Int) -> (maximum: Float, sum: Float) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        var vmax = SIMD16<Float>(repeating: -.infinity)
        while i + 16 <= count {
            vmax = pointwiseMax(vmax, raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self))
            i += 16
        }
        var maximum = vmax.max()
        while i < count {
            maximum = Swift.max(maximum, x[i])
            i += 1
        }
        var vsum = SIMD16<Float>()
        var sum: Float = 0
        i = 0
        while i + 16 <= count {
            let e = exp(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) - maximum)
            raw.storeBytes(of: e, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            vsum += e
            i += 16
        }
        while i < count {
            x[i] = expf(x[i] - maximum)
            sum += x[i]
            i += 1
        }
        return (maximum, vsum.sum() + sum)
    }

    /// SwiGLU in place: `gate[i] = gate[i] · sigmoid(gate[i]) · up[i]`.
    public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        let g = UnsafeMutableRawPointer(gate), u = UnsafeRawPointer(up)
        var i = 0
        while i + 16 <= count {
            let v = g.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let w = u.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            g.storeBytes(of: v / (1 + exp(-v)) * w, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i]
            i += 1
        }
    }
}
