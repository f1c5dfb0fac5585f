/// Shamir secret sharing byte by byte over GF(2^8) (the AES field, x^8 + x^4 + x^3 + x + 1): any `threshold` shares
/// give the secret back, fewer say nothing about it. A share is its x coordinate (1 to 255) followed by one y byte
/// per byte of the secret.
public enum Shamir {
    /// Splits `secret` into shares at `xs` (distinct, 1 to 255); `coefficients` supplies the random polynomial
    /// coefficients, `(threshold - 1)` bytes per secret byte (the caller's randomness: the ledger never draws any).
    public static func split(_ secret: [UInt8], threshold: Int, xs: [UInt8], coefficients: inout some RandomNumberGenerator) -> [[UInt8]] {
        precondition(threshold >= 1 && !xs.contains(0) && Set(xs).count == xs.count)
        var polys = [[UInt8]]()
        polys.reserveCapacity(secret.count)
        for byte in secret {
            var p = [byte]
            for _ in 1..<max(threshold, 1) { p.append(UInt8.random(in: 0...255, using: &coefficients)) }
            polys.append(p)
        }
        return xs.map { x in [x] + polys.map { evaluate($0, at: x) } }
    }

    /// The secret behind `shares` (each x then y bytes, all of one length, distinct x), by Lagrange interpolation at
    /// zero; nil when the shares are malformed. With fewer than the threshold the answer is some unrelated value.
    public static func combine(_ shares: [[UInt8]]) -> [UInt8]? {
        guard let width = shares.first?.count, width >= 2, shares.allSatisfy({ $0.count == width }) else { return nil }
        let xs = shares.map { $0[0] }
        guard !xs.contains(0), Set(xs).count == xs.count else { return nil }
        // The Lagrange basis at zero: l_j = Π_{m≠j} x_m / (x_m − x_j), subtraction being xor.
        let basis = xs.indices.map { j -> UInt8 in
            var num: UInt8 = 1, den: UInt8 = 1
            for m in xs.indices where m != j {
                num = GF256.mul(num, xs[m])
                den = GF256.mul(den, xs[m] ^ xs[j])
            }
            return GF256.div(num, den)
        }
        return (1..<width).map { k in
            var acc: UInt8 = 0
            for j in shares.indices { acc ^= GF256.mul(shares[j][k], basis[j]) }
            return acc
        }
    }

    static func evaluate(_ poly: [UInt8], at x: UInt8) -> UInt8 {
        var acc: UInt8 = 0
        for c in poly.reversed() { acc = GF256.mul(acc, x) ^ c }
        return acc
    }
}

/// Arithmetic in GF(2^8) by log and exp tables over the generator 3.
enum GF256 {
    static let tables: (exp: [UInt8], log: [UInt8]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [UInt8](repeating: 0, count: 256)
        var x: UInt16 = 1
        for i in 0..<255 {
            exp[i] = UInt8(x)
            log[Int(x)] = UInt8(i)
            // Multiply by 3: x·2 xor x, reduced by the AES polynomial.
            var x2 = x << 1
            if x2 & 0x100 != 0 { x2 ^= 0x11b }
            x = x2 ^ x
        }
        for i in 255..<512 { exp[i] = exp[i - 255] }
        return (exp, log)
    }()

    static func mul(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return tables.exp[Int(tables.log[Int(a)]) + Int(tables.log[Int(b)])]
    }

    static func div(_ a: UInt8, _ b: UInt8) -> UInt8 {
        precondition(b != 0)
        guard a != 0 else { return 0 }
        return tables.exp[Int(tables.log[Int(a)]) + 255 - Int(tables.log[Int(b)])]
    }
}
