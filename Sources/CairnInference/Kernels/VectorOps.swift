#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise and normalisation kernels of the transformer block (all in place or out-of-place on raw buffers).
public enum VectorOps {
    /// `output = x / sqrt(mean(x²) + epsilon) * weight`, `count` floats.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float, count: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        let meanSquare = DotKernels.f32(x, x, count: count) / Float(count)
        let scale = 1 / (meanSquare + epsilon).squareRoot()
        for i in 0..<count { output[i] = x[i] * scale * weight[i] }
    }

    /// `x[i] += y[i]`.
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// `x[i] += a * y[i]`.
    @inline(__always)
    public static func axpy(_ x: UnsafeMutablePointer<Float>, _ a: Float, _ y: UnsafePointer<Float>, count: Int) {
        var i = 0
        let va = SIMD16<Float>(repeating: a)
        while i + 16 <= count {
            let p = UnsafeMutableRawPointer(x + i)
            p.storeBytes(of: p.loadUnaligned(as: SIMD16<Float>.self).addingProduct(va, DotKernels.load16(y + i)), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            x[i] += a * y[i]
            i += 1
        }
    }
}

/// Rotary position embedding tables: `cos` and `sin` of `position · base^(-2i/d)` for every position and pair.
public struct RoPETable: @unchecked Sendable {
    /// The number of positions covered.
    public let positions: Int
    /// The number of rotated pairs per head (`rotaryDimensions / 2`).
    public let pairs: Int
    private let cosines: UnsafeMutablePointer<Float>  // [positions][pairs]
    private let sines: UnsafeMutablePointer<Float>  // [positions][pairs]
    private let owner: Storage

    private final class Storage: @unchecked Sendable {
        let buffer: UnsafeMutablePointer<Float>
        init(count: Int) { buffer = .allocate(capacity: count) }
        deinit { buffer.deallocate() }
    }

    /// Precomputes the tables for `positions` positions and `rotaryDimensions` rotated dimensions.
    public init(positions: Int, rotaryDimensions: Int, base: Float) {
        self.positions = positions
        pairs = rotaryDimensions / 2
        owner = Storage(count: 2 * positions * pairs)
        cosines = owner.buffer
        sines = owner.buffer + positions * pairs
        for p in 0..<positions {
            for i in 0..<pairs {
                // Double precision for the angle, as large positions × small frequencies lose bits in Float.
                let frequency = pow(Double(base), -Double(2 * i) / Double(rotaryDimensions))
                let angle = Double(p) * frequency
                cosines[p * pairs + i] = Float(cos(angle))
                sines[p * pairs + i] = Float(sin(angle))
            }
        }
    }

    /// Rotates adjacent pairs `(x[2i], x[2i+1])` of each of `heads` heads (stride `headDimension`) at `position`.
    ///
    /// This is ggml's "normal" rope used by the llama architecture; the GGUF converter permutes the q/k weights so
    /// that it equals the Hugging Face half-split rotation.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int, position: Int) {
        let c = cosines + position * pairs, s = sines + position * pairs
        for h in 0..<heads {
            let v = x + h * headDimension
            for i in 0..<pairs {
                let a = v[2 * i], b = v[2 * i + 1]
                v[2 * i] = a * c[i] - b * s[i]
                v[2 * i + 1] = a * s[i] + b * c[i]
            }
        }
    }
}
