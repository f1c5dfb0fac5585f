/// SIMD dot products of one encoded weight row with a Float activation vector.
///
/// Written with Swift SIMD types so that a release build with `-target-cpu native` compiles them to AVX2/AVX-512
/// FMA code. Q4_1 uses `d·q + m`, so a row dot is `Σ_b d_b·(q_b·x_b) + Σ_b m_b·Σx_b`: the per-block sums of `x`
/// (``blockSums(_:count:into:)``) are computed once per input and shared by every row.
public enum DotKernels {
    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    // Lane-by-lane conversions: the generic SIMD conversion initialisers are not inlined (they show up as calls
    // in profiles), while these scalar-per-lane forms are turned into vpmovzxbd/vpmovsxbd + vcvtdq2ps (or, from
    // float16, one vcvtph2ps) by LLVM's SLP vectoriser.
    @inline(__always)
    static func floats(_ b: SIMD16<UInt8>) -> SIMD16<Float> {
        SIMD16<Float>(Float(b[0]), Float(b[1]), Float(b[2]), Float(b[3]), Float(b[4]), Float(b[5]), Float(b[6]), Float(b[7]), Float(b[8]), Float(b[9]), Float(b[10]), Float(b[11]), Float(b[12]), Float(b[13]), Float(b[14]), Float(b[15]))
    }

    @inline(__always)
    static func floats(_ b: SIMD16<Int8>) -> SIMD16<Float> {
        SIMD16<Float>(Float(b[0]), Float(b[1]), Float(b[2]), Float(b[3]), Float(b[4]), Float(b[5]), Float(b[6]), Float(b[7]), Float(b[8]), Float(b[9]), Float(b[10]), Float(b[11]), Float(b[12]), Float(b[13]), Float(b[14]), Float(b[15]))
    }

    @inline(__always)
    static func floats(_ h: SIMD16<Float16>) -> SIMD16<Float> {
        SIMD16<Float>(Float(h[0]), Float(h[1]), Float(h[2]), Float(h[3]), Float(h[4]), Float(h[5]), Float(h[6]), Float(h[7]), Float(h[8]), Float(h[9]), Float(h[10]), Float(h[11]), Float(h[12]), Float(h[13]), Float(h[14]), Float(h[15]))
    }

    /// The sum of the lanes as a tree of vector adds (the standard `sum()` adds the 16 lanes one by one).
    @inline(__always)
    static func hsum(_ v: SIMD16<Float>) -> Float {
        let v8 = v.lowHalf + v.highHalf
        let v4 = v8.lowHalf + v8.highHalf
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }

    /// Writes the sum of each block of 32 values of `x` (`count / 32` sums) into `sums`.
    public static func blockSums(_ x: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Float>) {
        for b in 0..<count / 32 {
            sums[b] = hsum(load16(x + 32 * b) + load16(x + 32 * b + 16))
        }
    }

    /// Two Q4_1 rows dotted with `x` at once, sharing the activation loads.
    @inline(__always)
    static func q4_1Pair(
        _ row0: UnsafeRawPointer, _ row1: UnsafeRawPointer, _ x: UnsafePointer<Float>,
        _ xSums: UnsafePointer<Float>, blocks: Int
    ) -> (Float, Float) {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var bias0: Float = 0, bias1: Float = 0
        for b in 0..<blocks {
            // High nibbles are used as (byte & 0xF0) = 16·q, so the 1/16 goes on the activations (exact).
            let xl = load16(x + 32 * b), xh = load16(x + 32 * b + 16) * 0.0625
            let s = xSums[b]
            let p0 = row0 + 20 * b, p1 = row1 + 20 * b
            let q0 = p0.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let q1 = p1.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let t0 = (floats(q0 & 0x0F) * xl).addingProduct(floats(q0 & 0xF0), xh)
            let t1 = (floats(q1 & 0x0F) * xl).addingProduct(floats(q1 & 0xF0), xh)
            acc0 = acc0.addingProduct(SIMD16(repeating: BlockFormats.half(p0)), t0)
            acc1 = acc1.addingProduct(SIMD16(repeating: BlockFormats.half(p1)), t1)
            bias0 = bias0.addingProduct(BlockFormats.half(p0, 2), s)
            bias1 = bias1.addingProduct(BlockFormats.half(p1, 2), s)
        }
        return (hsum(acc0) + bias0, hsum(acc1) + bias1)
    }

    /// One Q4_1 row dotted with `x`.
    @inline(__always)
    static func q4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ xSums: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = SIMD16<Float>()
        var bias: Float = 0
        for b in 0..<blocks {
            let p = row + 20 * b
            let q = p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let t = (floats(q & 0x0F) * load16(x + 32 * b)).addingProduct(floats(q & 0xF0), load16(x + 32 * b + 16) * 0.0625)
            acc = acc.addingProduct(SIMD16(repeating: BlockFormats.half(p)), t)
            bias = bias.addingProduct(BlockFormats.half(p, 2), xSums[b])
        }
        return hsum(acc) + bias
    }

    /// One Q8_0 row dotted with `x`.
    @inline(__always)
    static func q8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var b = 0
        while b + 1 < blocks {
            let p0 = row + 34 * b, p1 = p0 + 34
            let t0 = (floats(p0.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)) * load16(x + 32 * b))
                .addingProduct(floats(p0.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)), load16(x + 32 * b + 16))
            let t1 = (floats(p1.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)) * load16(x + 32 * b + 32))
                .addingProduct(floats(p1.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)), load16(x + 32 * b + 48))
            acc0 = acc0.addingProduct(SIMD16(repeating: BlockFormats.half(p0)), t0)
            acc1 = acc1.addingProduct(SIMD16(repeating: BlockFormats.half(p1)), t1)
            b += 2
        }
        if b < blocks {
            let p = row + 34 * b
            let t = (floats(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)) * load16(x + 32 * b))
                .addingProduct(floats(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)), load16(x + 32 * b + 16))
            acc0 = acc0.addingProduct(SIMD16(repeating: BlockFormats.half(p)), t)
        }
        return hsum(acc0 + acc1)
    }

    /// One Q8_0 row dotted with four inputs, each result computed with exactly ``q8_0(_:_:blocks:)``'s operations
    /// (so bit for bit the same), the row's values widened once for the four.
    @inline(__always)
    static func q8_0x4(
        _ row: UnsafeRawPointer, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
        _ x3: UnsafePointer<Float>, blocks: Int
    ) -> (Float, Float, Float, Float) {
        var a0 = SIMD16<Float>(), b0 = SIMD16<Float>(), a1 = SIMD16<Float>(), b1 = SIMD16<Float>()
        var a2 = SIMD16<Float>(), b2 = SIMD16<Float>(), a3 = SIMD16<Float>(), b3 = SIMD16<Float>()
        var b = 0
        while b + 1 < blocks {
            let p0 = row + 34 * b, p1 = p0 + 34
            let w0l = floats(p0.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let w0h = floats(p0.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let w1l = floats(p1.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let w1h = floats(p1.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let d0 = SIMD16<Float>(repeating: BlockFormats.half(p0)), d1 = SIMD16<Float>(repeating: BlockFormats.half(p1))
            @inline(__always) func step(_ x: UnsafePointer<Float>, _ acc0: inout SIMD16<Float>, _ acc1: inout SIMD16<Float>) {
                let t0 = (w0l * load16(x + 32 * b)).addingProduct(w0h, load16(x + 32 * b + 16))
                let t1 = (w1l * load16(x + 32 * b + 32)).addingProduct(w1h, load16(x + 32 * b + 48))
                acc0 = acc0.addingProduct(d0, t0)
                acc1 = acc1.addingProduct(d1, t1)
            }
            step(x0, &a0, &b0)
            step(x1, &a1, &b1)
            step(x2, &a2, &b2)
            step(x3, &a3, &b3)
            b += 2
        }
        if b < blocks {
            let p = row + 34 * b
            let wl = floats(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let wh = floats(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let d = SIMD16<Float>(repeating: BlockFormats.half(p))
            a0 = a0.addingProduct(d, (wl * load16(x0 + 32 * b)).addingProduct(wh, load16(x0 + 32 * b + 16)))
            a1 = a1.addingProduct(d, (wl * load16(x1 + 32 * b)).addingProduct(wh, load16(x1 + 32 * b + 16)))
            a2 = a2.addingProduct(d, (wl * load16(x2 + 32 * b)).addingProduct(wh, load16(x2 + 32 * b + 16)))
            a3 = a3.addingProduct(d, (wl * load16(x3 + 32 * b)).addingProduct(wh, load16(x3 + 32 * b + 16)))
        }
        return (hsum(a0 + b0), hsum(a1 + b1), hsum(a2 + b2), hsum(a3 + b3))
    }

    /// One F32 row dotted with `x` (any length).
    @inline(__always)
    public static func f32(_ row: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            acc0 = acc0.addingProduct(load16(row + i), load16(x + i))
            acc1 = acc1.addingProduct(load16(row + i + 16), load16(x + i + 16))
            i += 32
        }
        while i + 16 <= count {
            acc0 = acc0.addingProduct(load16(row + i), load16(x + i))
            i += 16
        }
        var tail: Float = 0
        while i < count {
            tail = tail.addingProduct(row[i], x[i])
            i += 1
        }
        return hsum(acc0 + acc1) + tail
    }

    /// One F16 row dotted with `x` (any length).
    @inline(__always)
    static func f16(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc = acc.addingProduct(floats(row.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)), load16(x + i))
            i += 16
        }
        var tail: Float = 0
        while i < count {
            tail = tail.addingProduct(BlockFormats.half(row, 2 * i), x[i])
            i += 1
        }
        return hsum(acc) + tail
    }
}
