import Foundation
import Crypto

/// Standard normal draws from any `RandomNumberGenerator`, by Marsaglia's polar method.
///
/// The output is a pure function of the generator's output, so a seeded
/// generator reproduces the same noise. Each accepted pair of uniforms yields
/// two normals; the second is kept for the next call, which is why the sampler
/// is a value with state rather than a free function.
public struct GaussianSampler: Sendable {
    private var spare: Double?

    /// A sampler with no cached draw.
    public init() {}

    /// The next standard normal draw.
    public mutating func next(using rng: inout some RandomNumberGenerator) -> Double {
        if let cached = spare {
            spare = nil
            return cached
        }
        while true {
            let u = Self.uniformSymmetric(using: &rng)
            let v = Self.uniformSymmetric(using: &rng)
            let s = u * u + v * v
            // s == 0 would divide by zero; s >= 1 falls outside the unit disc.
            guard s > 0, s < 1 else { continue }
            let factor = (-2 * log(s) / s).squareRoot()
            spare = v * factor
            return u * factor
        }
    }

    /// A normal draw with the given mean and standard deviation.
    public mutating func next(
        mean: Double, standardDeviation: Double, using rng: inout some RandomNumberGenerator
    ) -> Double {
        mean + standardDeviation * next(using: &rng)
    }

    /// Uniform on (−1, 1) from the top 53 bits of one 64-bit draw.
    ///
    /// Built by hand rather than with `Double.random(in:using:)` so that the
    /// mapping from generator output to noise cannot change with the standard library.
    private static func uniformSymmetric(using rng: inout some RandomNumberGenerator) -> Double {
        let unit = Double(rng.next() >> 11) * 0x1p-53  // [0, 1)
        return 2 * unit - 1
    }
}

/// A cryptographically secure generator that is cheap per draw: the ChaCha20 keystream under a key drawn from the
/// system's generator, taken 4 KiB at a time (ChaCha20-Poly1305 sealing zeros, a fresh nonce per block of keystream;
/// the tag is dropped). DP-SGD's noise and shuffles take millions of draws a round, one system call each otherwise.
public struct KeystreamGenerator: RandomNumberGenerator {
    private let key: SymmetricKey
    private var counter: UInt64 = 0
    private var buffer: [UInt8] = []
    private var offset = 0
    static let blockBytes = 4_096
    static let zeros = [UInt8](repeating: 0, count: blockBytes)

    /// A generator keyed from the system's generator.
    public init() {
        var system = SystemRandomNumberGenerator()
        key = SymmetricKey(data: (0..<4).flatMap { _ in withUnsafeBytes(of: system.next()) { Array($0) } })
    }

    public mutating func next() -> UInt64 {
        if offset + 8 > buffer.count { refill() }
        let value = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        offset += 8
        return value
    }

    mutating func refill() {
        var nonce = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: counter.littleEndian) { nonce.replaceSubrange(0..<8, with: $0) }
        counter += 1
        // A 12-byte nonce and a 32-byte key always seal.
        buffer = Array(try! ChaChaPoly.seal(Self.zeros, using: key, nonce: try! ChaChaPoly.Nonce(data: nonce)).ciphertext)
        offset = 0
    }
}
