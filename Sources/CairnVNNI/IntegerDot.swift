import _Builtin_intrinsics.intel
import CPrefetch

/// Integer dot products of quantized weight rows with an int8-quantized activation vector, on AVX-VNNI.
///
/// This module is compiled with AVX2, FMA, F16C and AVX-VNNI enabled (see Package.swift), so its functions run
/// only on processors that have them; callers check the processor first (`CairnInference.MatVecKernels`). The same
/// source is built twice more: for AVX-512 VNNI (`CAIRN_AVX512_VNNI`) and for plain AVX2 (`CAIRN_AVX2_DOT`, which
/// computes what `vpdpbusd` would with `vpmaddubsw` and `vpmaddwd`, as ggml does on such processors).
///
/// **Activations** are quantized per block of 32 values, `x ≈ scale_b · q_j` with `q_j` in -127...127, and
/// `quantSum_b = scale_b · Σ_j q_j`. The bytes of each pair of blocks (2p, 2p+1) are stored interleaved by
/// halves: `x_2p[0..<16], x_2p+1[0..<16], x_2p[16..<32], x_2p+1[16..<32]`; an odd last block is stored as is.
///
/// **Weights** are stored in the planar row layout (`CairnInference.WeightMatrix.Layout.planar`): a row of `B`
/// blocks holds first the quantized values of every block, then `B` float16 scales `d_b`, then (Q4_1 only)
/// `B` float16 minimums `m_b`, so a row keeps the byte size of the GGML encoding. Q4_1 values keep GGML's
/// nibble order (16 bytes per block, low nibbles are values 0..<16), which the activation order above
/// matches for two blocks at a time; Q8_0 values of a pair of blocks are interleaved like the activations.
///
/// One `vpdpbusd` multiplies 32 unsigned weight bytes by 32 signed activation bytes and adds groups of four
/// into eight 32-bit lanes; two of them cover a pair of blocks (lanes 0..<4 hold block 2p, lanes 4..<8 block
/// 2p+1), which then costs one conversion and one multiply-add with the blocks' combined scales `d_b · scale_b`.
/// The row's constant terms (`m_b` for Q4_1, the offset that makes Q8_0 weights unsigned) are one short dot
/// product with `quantSum` per row.
public enum IntegerDot {
    /// The most blocks of 32 a row may have (columns ≤ 4096).
    public static let maximumBlocks = 128

    @inline(__always)
    static func hsum(_ v: SIMD8<Float>) -> Float {
        let v4 = v.lowHalf + v.highHalf
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }

    @inline(__always)
    static func dpbusd(_ acc: SIMD4<Int64>, _ weights: SIMD4<Int64>, _ activations: SIMD4<Int64>) -> SIMD4<Int64> {
        #if CAIRN_AVX512_VNNI
        // The EVEX encoding (AVX-512 VNNI with VL). The unmasked intrinsic is a C macro Swift cannot import; the
        // masked one with every lane selected compiles to the same instruction.
        _mm256_mask_dpbusd_epi32(acc, 0xFF, weights, activations)
        #elseif CAIRN_AVX2_DOT
        // AVX2 has no vpdpbusd. vpmaddubsw adds pairs of products into saturating 16-bit lanes, which an unsigned
        // byte up to 255 times a signed one could overflow, so the weights go in as their low seven bits and their
        // top bit (each pair then stays within ±32,512 for activations in -127...127); vpmaddwd with ones adds
        // the pairs into 32-bit lanes. The sum is exactly vpdpbusd's.
        let low = weights & SIMD4<Int64>(repeating: 0x7F7F_7F7F_7F7F_7F7F)
        let high = weights & SIMD4<Int64>(repeating: Int64(bitPattern: 0x8080_8080_8080_8080))
        let ones = SIMD4<Int64>(repeating: 0x0001_0001_0001_0001)
        return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(low, activations), ones),
                                                      _mm256_madd_epi16(_mm256_maddubs_epi16(high, activations), ones)))
        #else
        _mm256_dpbusd_avx_epi32(acc, weights, activations)  // the VEX encoding (AVX-VNNI)
        #endif
    }

    /// Prefetches the pair of rows after the next one (from `row`, `rowBytes` apart) in the AVX2 build. On a Zen 3 the
    /// hardware prefetcher left the first read of each row (its scales) waiting on memory for about a third of the
    /// kernel's time; the VNNI builds were measured without it and go without.
    @inline(__always)
    static func prefetchAhead(_ row: UnsafeRawPointer, rowBytes: Int) {
        #if CAIRN_AVX2_DOT
        cairn_prefetch(row + 4 * rowBytes, 2 * rowBytes)
        #endif
    }

    /// `dpbusd(dpbusd(0, wa, xa), wb, xb)`: the integer products of a pair of blocks. With `q4` the weights are at
    /// most 15, which lets the AVX2 build add both blocks' 16-bit pair sums (each at most 15 · 127 · 2) before
    /// widening them once.
    @inline(__always)
    static func pairDot(_ wa: SIMD4<Int64>, _ xa: SIMD4<Int64>, _ wb: SIMD4<Int64>, _ xb: SIMD4<Int64>, q4: Bool) -> SIMD4<Int64> {
        #if CAIRN_AVX2_DOT
        if q4 {
            return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(wa, xa), _mm256_maddubs_epi16(wb, xb)),
                                     SIMD4<Int64>(repeating: 0x0001_0001_0001_0001))
        }
        #endif
        return dpbusd(dpbusd(SIMD4<Int64>(), wa, xa), wb, xb)
    }

    /// `dpbusd(0, w, x)`: the integer products of one block (weights at most 15 with `q4`).
    @inline(__always)
    static func blockDot(_ w: SIMD4<Int64>, _ x: SIMD4<Int64>, q4: Bool) -> SIMD4<Int64> {
        #if CAIRN_AVX2_DOT
        if q4 { return _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), SIMD4<Int64>(repeating: 0x0001_0001_0001_0001)) }
        #endif
        return dpbusd(SIMD4<Int64>(), w, x)
    }

    @inline(__always)
    static func halves8(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        _mm256_cvtph_ps(p.loadUnaligned(as: SIMD2<Int64>.self))
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ index: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
    }

    /// Writes `d_b · scale_b` for every block of a row into `combined` and returns the row's constant term
    /// `Σ_b c_b · quantSum_b` with `c_b = m_b` (Q4_1) or `-128 · d_b` (Q8_0).
    @inline(__always)
    static func prologue(
        row: UnsafeRawPointer, payload: Int, blocks: Int, q4: Bool, fresh: SIMD8<Float>,
        scales: UnsafePointer<Float>, quantSums: UnsafePointer<Float>, combined: UnsafeMutablePointer<Float>
    ) -> Float {
        let d = row + payload, m = d + 2 * blocks
        let xs = UnsafeRawPointer(scales), qs = UnsafeRawPointer(quantSums)
        var constant = SIMD8<Float>()
        var b = 0
        while b + 8 <= blocks {
            let dv = halves8(d + 2 * b)
            UnsafeMutableRawPointer(combined + b).storeBytes(of: dv * xs.loadUnaligned(fromByteOffset: 4 * b, as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            let c = q4 ? halves8(m + 2 * b) : dv * -128
            constant = constant.addingProduct(c, qs.loadUnaligned(fromByteOffset: 4 * b, as: SIMD8<Float>.self))
            b += 8
        }
        if b < blocks && blocks >= 8 {
            // The last blocks as one 8-wide step that ends at the last block; `fresh` zeroes the lanes the
            // loop above already counted (their `combined` values are written again, unchanged).
            let b0 = blocks - 8
            let dv = halves8(d + 2 * b0)
            UnsafeMutableRawPointer(combined + b0).storeBytes(of: dv * xs.loadUnaligned(fromByteOffset: 4 * b0, as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            let c = q4 ? halves8(m + 2 * b0) : dv * -128
            constant = constant.addingProduct(c * fresh, qs.loadUnaligned(fromByteOffset: 4 * b0, as: SIMD8<Float>.self))
            b = blocks
        }
        var tail: Float = 0
        while b < blocks {
            let dv = half(d, b)
            combined[b] = dv * scales[b]
            tail = tail.addingProduct(q4 ? half(m, b) : dv * -128, quantSums[b])
            b += 1
        }
        return hsum(constant) + tail
    }

    /// For rows of `blocks` blocks (not a multiple of 8, at least 8): 1 in the lanes of the final 8-wide
    /// prologue step that the whole steps before it did not cover, 0 in the others.
    static func freshLanes(blocks: Int) -> SIMD8<Float> {
        var lanes = SIMD8<Float>()
        for i in 0..<8 where blocks - 8 + i >= blocks / 8 * 8 { lanes[i] = 1 }
        return lanes
    }

    /// Quantizes `count` floats of `x` (a multiple of 32) in the activation layout described above:
    /// `scale_b = max|x| / 127` per block, values rounded to nearest (ties to even).
    public static func quantize(
        _ x: UnsafePointer<Float>, count: Int, quants: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>, quantSums: UnsafeMutablePointer<Float>
    ) {
        let blocks = count / 32
        let source = UnsafeRawPointer(x), out = UnsafeMutableRawPointer(quants)
        // packs_epi32 then packs_epi16 interleave their inputs by 128-bit lanes; this puts the bytes back in order.
        let order = unsafeBitCast(SIMD8<Int32>(0, 4, 1, 5, 2, 6, 3, 7), to: SIMD4<Int64>.self)
        for b in 0..<blocks {
            let v0 = source.loadUnaligned(fromByteOffset: 128 * b, as: SIMD8<Float>.self)
            let v1 = source.loadUnaligned(fromByteOffset: 128 * b + 32, as: SIMD8<Float>.self)
            let v2 = source.loadUnaligned(fromByteOffset: 128 * b + 64, as: SIMD8<Float>.self)
            let v3 = source.loadUnaligned(fromByteOffset: 128 * b + 96, as: SIMD8<Float>.self)
            // The largest magnitude: clear the sign bits, then a tree of vmaxps (the generic pointwiseMax is a call).
            let magnitudes = SIMD8<UInt32>(repeating: 0x7FFF_FFFF)
            func abs(_ v: SIMD8<Float>) -> SIMD8<Float> {
                unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & magnitudes, to: SIMD8<Float>.self)
            }
            let m = _mm256_max_ps(_mm256_max_ps(abs(v0), abs(v1)), _mm256_max_ps(abs(v2), abs(v3)))
            let m4 = _mm_max_ps(m.lowHalf, m.highHalf), m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4))
            let scale = max(m2[0], m2[1]) / 127
            let inverse = SIMD8<Float>(repeating: scale > 0 ? 1 / scale : 0)
            let i0 = _mm256_cvtps_epi32(v0 * inverse), i1 = _mm256_cvtps_epi32(v1 * inverse)
            let i2 = _mm256_cvtps_epi32(v2 * inverse), i3 = _mm256_cvtps_epi32(v3 * inverse)
            let bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3)), order)
            let sum = unsafeBitCast(i0, to: SIMD8<Int32>.self) &+ unsafeBitCast(i1, to: SIMD8<Int32>.self)
                &+ unsafeBitCast(i2, to: SIMD8<Int32>.self) &+ unsafeBitCast(i3, to: SIMD8<Int32>.self)
            // Block 2p's halves go to bytes 0 and 32 of its pair, block 2p+1's to 16 and 48; an odd last block
            // stays in order.
            let paired = b / 2 * 2 + 1 < blocks
            let first = paired ? 64 * (b / 2) + 16 * (b % 2) : 32 * b
            let second = paired ? first + 32 : first + 16
            let halves = unsafeBitCast(bytes, to: SIMD32<Int8>.self)
            out.storeBytes(of: halves.lowHalf, toByteOffset: first, as: SIMD16<Int8>.self)
            out.storeBytes(of: halves.highHalf, toByteOffset: second, as: SIMD16<Int8>.self)
            scales[b] = scale
            quantSums[b] = scale * Float(sum.wrappedSum())
        }
    }

    /// The scale vector of a pair of blocks: four lanes of `c[0]`, four of `c[1]`.
    @inline(__always)
    static func pairScales(_ c: UnsafePointer<Float>) -> SIMD8<Float> {
        SIMD8(lowHalf: SIMD4(repeating: c[0]), highHalf: SIMD4(repeating: c[1]))
    }

    /// The weight encodings the kernels read (in the planar layout).
    public enum Format: Sendable {
        case q4_1
        /// `vpdpbusd` wants one unsigned operand, so the signed weights are offset by 128 (`w ^ 0x80`) and the
        /// offset's contribution `128 · d_b · quantSum_b` is taken back out in the row's constant term.
        case q8_0
    }

    /// Computes `output[r] = row(r) · x` for planar rows `rows` of a matrix whose row `r` starts at
    /// `base + r * rowBytes` and holds `blocks` blocks of 32 values (at most ``maximumBlocks``).
    public static func multiply(
        _ format: Format, base: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>, blocks: Int,
        quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, quantSums: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        // Two calls of the inlined body, so that each is specialised for its format.
        if format == .q4_1 {
            multiply(q4: true, base: base, rowBytes: rowBytes, rows: rows, blocks: blocks, quants: quants,
                     scales: scales, quantSums: quantSums, output: output)
        } else {
            multiply(q4: false, base: base, rowBytes: rowBytes, rows: rows, blocks: blocks, quants: quants,
                     scales: scales, quantSums: quantSums, output: output)
        }
    }

    /// The integer products of one row's pair `p` with the activation pair `(xa, xb)`.
    @inline(__always)
    static func pairProduct(_ row: UnsafeRawPointer, pair p: Int, q4: Bool, _ xa: SIMD4<Int64>, _ xb: SIMD4<Int64>) -> SIMD8<Float> {
        let wa: SIMD4<Int64>, wb: SIMD4<Int64>
        if q4 {
            let v = row.loadUnaligned(fromByteOffset: 32 * p, as: SIMD4<Int64>.self)
            let mask = SIMD4<Int64>(repeating: 0x0F0F_0F0F_0F0F_0F0F)
            wa = v & mask
            wb = _mm256_srli_epi16(v, 4) & mask
        } else {
            let flip = SIMD4<Int64>(repeating: Int64(bitPattern: 0x8080_8080_8080_8080))
            wa = row.loadUnaligned(fromByteOffset: 64 * p, as: SIMD4<Int64>.self) ^ flip
            wb = row.loadUnaligned(fromByteOffset: 64 * p + 32, as: SIMD4<Int64>.self) ^ flip
        }
        return _mm256_cvtepi32_ps(pairDot(wa, xa, wb, xb, q4: q4))
    }

    /// The integer products of one row's odd last block `b` (stored as is) with its activations `x`.
    @inline(__always)
    static func lastBlockProduct(_ row: UnsafeRawPointer, block b: Int, q4: Bool, _ x: SIMD4<Int64>) -> SIMD8<Float> {
        let w: SIMD4<Int64>
        if q4 {
            let raw = row.loadUnaligned(fromByteOffset: 16 * b, as: SIMD16<UInt8>.self)
            w = _mm256_set_m128i(unsafeBitCast((raw &>> 4) & 0x0F, to: SIMD2<Int64>.self), unsafeBitCast(raw & 0x0F, to: SIMD2<Int64>.self))
        } else {
            w = row.loadUnaligned(fromByteOffset: 32 * b, as: SIMD4<Int64>.self) ^ SIMD4<Int64>(repeating: Int64(bitPattern: 0x8080_8080_8080_8080))
        }
        return _mm256_cvtepi32_ps(blockDot(w, x, q4: q4))
    }

    @inline(__always)
    static func multiply(
        q4: Bool, base: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>, blocks: Int,
        quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, quantSums: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        precondition(blocks <= maximumBlocks, "rows of more than \(maximumBlocks) blocks")
        let x = UnsafeRawPointer(quants)
        let payload = blocks * (q4 ? 16 : 32)
        let pairs = blocks / 2
        let fresh = freshLanes(blocks: blocks)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * maximumBlocks) { buffer in
            let c0 = buffer.baseAddress!, c1 = c0 + maximumBlocks
            // Rows go in pairs that share the activation loads; an odd last row is paired with itself.
            var r = rows.lowerBound
            while r < rows.upperBound {
                let r1 = min(r + 1, rows.upperBound - 1)
                let row0 = base + r * rowBytes, row1 = base + r1 * rowBytes
                prefetchAhead(row0, rowBytes: rowBytes)
                let k0 = prologue(row: row0, payload: payload, blocks: blocks, q4: q4, fresh: fresh, scales: scales, quantSums: quantSums, combined: c0)
                let k1 = prologue(row: row1, payload: payload, blocks: blocks, q4: q4, fresh: fresh, scales: scales, quantSums: quantSums, combined: c1)
                var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
                for p in 0..<pairs {
                    let xa = x.loadUnaligned(fromByteOffset: 64 * p, as: SIMD4<Int64>.self)
                    let xb = x.loadUnaligned(fromByteOffset: 64 * p + 32, as: SIMD4<Int64>.self)
                    acc0 = acc0.addingProduct(pairProduct(row0, pair: p, q4: q4, xa, xb), pairScales(c0 + 2 * p))
                    acc1 = acc1.addingProduct(pairProduct(row1, pair: p, q4: q4, xa, xb), pairScales(c1 + 2 * p))
                }
                if blocks % 2 == 1 {
                    let b = blocks - 1
                    let xv = x.loadUnaligned(fromByteOffset: 32 * b, as: SIMD4<Int64>.self)
                    acc0 = acc0.addingProduct(lastBlockProduct(row0, block: b, q4: q4, xv), SIMD8(repeating: c0[b]))
                    acc1 = acc1.addingProduct(lastBlockProduct(row1, block: b, q4: q4, xv), SIMD8(repeating: c1[b]))
                }
                output[r] = hsum(acc0) + k0
                output[r1] = hsum(acc1) + k1
                r += 2
            }
        }
    }

    /// ``multiply(_:base:rowBytes:rows:blocks:quants:scales:quantSums:output:)`` for `count` inputs at once: output
    /// `j` gets bit for bit what that call gives for input `j`. Each pair of rows is read and unpacked once (its
    /// weights, scales and constants) and then multiplied by every input, so the rows come from memory once per batch.
    public static func multiplyBatch(
        _ format: Format, base: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>, blocks: Int, count: Int,
        quants: UnsafePointer<UnsafePointer<Int8>>, scales: UnsafePointer<UnsafePointer<Float>>,
        quantSums: UnsafePointer<UnsafePointer<Float>>, outputs: UnsafePointer<UnsafeMutablePointer<Float>>
    ) {
        if format == .q4_1 {
            multiplyBatch(q4: true, base: base, rowBytes: rowBytes, rows: rows, blocks: blocks, count: count, quants: quants,
                          scales: scales, quantSums: quantSums, outputs: outputs)
        } else {
            multiplyBatch(q4: false, base: base, rowBytes: rowBytes, rows: rows, blocks: blocks, count: count, quants: quants,
                          scales: scales, quantSums: quantSums, outputs: outputs)
        }
    }

    /// One row's parts that do not depend on the input, unpacked once: the weight operands of every pair and of an odd
    /// last block, and the prologue's per-step constant factors (the final step's already masked by `fresh`) and
    /// the per-block ones of rows shorter than eight blocks, and each pair's scales as the products read them.
    struct UnpackedRow {
        let weights: UnsafeMutablePointer<SIMD4<Int64>>  // [pairs][2], then the odd last block's
        let steps: UnsafeMutablePointer<SIMD8<Float>>  // [steps]: the constant factors c (the final step's masked by `fresh`)
        let scalars: UnsafeMutablePointer<Float>  // [blocks]: c of rows of fewer than 8 blocks
        let dPairs: UnsafeMutablePointer<SIMD8<Float>>  // [pairs + 1]: each pair's d as the products read them, then the odd block's
        /// The prologue's 8-wide steps: one per whole 8 blocks, and one ending at the last block when 8 do not divide them.
        let stepCount: Int

        /// The first block of step `step`.
        @inline(__always)
        static func stepOffset(_ step: Int, blocks: Int) -> Int { step < blocks / 8 ? 8 * step : blocks - 8 }

        @inline(__always)
        init(row: UnsafeRawPointer, payload: Int, blocks: Int, q4: Bool, fresh: SIMD8<Float>, scratch: UnsafeMutableRawPointer) {
            let pairs = blocks / 2
            weights = scratch.bindMemory(to: SIMD4<Int64>.self, capacity: 2 * pairs + 1)
            steps = (scratch + 32 * (2 * pairs + 1)).bindMemory(to: SIMD8<Float>.self, capacity: 2 * (blocks / 8 + 1))
            scalars = (scratch + 32 * (2 * pairs + 1) + 64 * (blocks / 8 + 1)).bindMemory(to: Float.self, capacity: 2 * blocks)
            dPairs = (scratch + 32 * (2 * pairs + 1) + 64 * (blocks / 8 + 1) + 8 * blocks).bindMemory(to: SIMD8<Float>.self, capacity: pairs + 1)
            let scaleBytes = row + payload
            for p in 0..<pairs {
                dPairs[p] = SIMD8(lowHalf: SIMD4(repeating: half(scaleBytes, 2 * p)), highHalf: SIMD4(repeating: half(scaleBytes, 2 * p + 1)))
            }
            if blocks % 2 == 1 { dPairs[pairs] = SIMD8(repeating: half(scaleBytes, blocks - 1)) }
            for p in 0..<pairs {
                if q4 {
                    let v = row.loadUnaligned(fromByteOffset: 32 * p, as: SIMD4<Int64>.self)
                    let mask = SIMD4<Int64>(repeating: 0x0F0F_0F0F_0F0F_0F0F)
                    weights[2 * p] = v & mask
                    weights[2 * p + 1] = _mm256_srli_epi16(v, 4) & mask
                } else {
                    let flip = SIMD4<Int64>(repeating: Int64(bitPattern: 0x8080_8080_8080_8080))
                    weights[2 * p] = row.loadUnaligned(fromByteOffset: 64 * p, as: SIMD4<Int64>.self) ^ flip
                    weights[2 * p + 1] = row.loadUnaligned(fromByteOffset: 64 * p + 32, as: SIMD4<Int64>.self) ^ flip
                }
            }
            if blocks % 2 == 1 {
                let b = blocks - 1
                if q4 {
                    let raw = row.loadUnaligned(fromByteOffset: 16 * b, as: SIMD16<UInt8>.self)
                    weights[2 * pairs] = _mm256_set_m128i(unsafeBitCast((raw &>> 4) & 0x0F, to: SIMD2<Int64>.self),
                                                          unsafeBitCast(raw & 0x0F, to: SIMD2<Int64>.self))
                } else {
                    weights[2 * pairs] = row.loadUnaligned(fromByteOffset: 32 * b, as: SIMD4<Int64>.self)
                        ^ SIMD4<Int64>(repeating: Int64(bitPattern: 0x8080_8080_8080_8080))
                }
            }
            let d = row + payload, m = d + 2 * blocks
            var b = 0
            var step = 0
            while b + 8 <= blocks {
                steps[step] = q4 ? halves8(m + 2 * b) : halves8(d + 2 * b) * -128
                step += 1
                b += 8
            }
            if b < blocks && blocks >= 8 {
                let b0 = blocks - 8
                steps[step] = (q4 ? halves8(m + 2 * b0) : halves8(d + 2 * b0) * -128) * fresh
                step += 1
                b = blocks
            }
            stepCount = step
            while b < blocks {
                scalars[b] = q4 ? half(m, b) : half(d, b) * -128
                b += 1
            }
        }

        /// The row's constant term for one input: the same operations, in the same order, as ``prologue``'s. (Its
        /// combined scales `d_b · scale_b` are formed in the products instead, from ``dPairs`` and the input's scales.)
        @inline(__always)
        func constant(blocks: Int, quantSums: UnsafePointer<Float>) -> Float {
            let qs = UnsafeRawPointer(quantSums)
            var constant = SIMD8<Float>()
            for step in 0..<stepCount {
                let b = Self.stepOffset(step, blocks: blocks)
                constant = constant.addingProduct(steps[step], qs.loadUnaligned(fromByteOffset: 4 * b, as: SIMD8<Float>.self))
            }
            var tail: Float = 0
            if blocks < 8 {
                for b in 0..<blocks { tail = tail.addingProduct(scalars[b], quantSums[b]) }
            }
            return hsum(constant) + tail
        }
    }

    @inline(__always)
    static func multiplyBatch(
        q4: Bool, base: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>, blocks: Int, count: Int,
        quants: UnsafePointer<UnsafePointer<Int8>>, scales: UnsafePointer<UnsafePointer<Float>>,
        quantSums: UnsafePointer<UnsafePointer<Float>>, outputs: UnsafePointer<UnsafeMutablePointer<Float>>
    ) {
        precondition(blocks <= maximumBlocks, "rows of more than \(maximumBlocks) blocks")
        let payload = blocks * (q4 ? 16 : 32)
        let pairs = blocks / 2
        let fresh = freshLanes(blocks: blocks)
        let rowScratch = 32 * (2 * pairs + 1) + 64 * (blocks / 8 + 1) + 8 * blocks + 32 * (pairs + 1) + 64
        // Each input's scales as the products read them: per pair, four lanes of block 2p's and four of 2p+1's; then the
        // odd block's. Lane by lane, d · scale is then the very product the one-input kernel's prologue forms.
        let inputScratch = 32 * (pairs + 1)
        withUnsafeTemporaryAllocation(byteCount: 2 * rowScratch + count * inputScratch, alignment: 64) { buffer in
            let scratch = buffer.baseAddress!
            let xsPairs = (scratch + 2 * rowScratch).bindMemory(to: SIMD8<Float>.self, capacity: count * (pairs + 1))
            for j in 0..<count {
                let xs = scales[j]
                for p in 0..<pairs {
                    xsPairs[j * (pairs + 1) + p] = SIMD8(lowHalf: SIMD4(repeating: xs[2 * p]), highHalf: SIMD4(repeating: xs[2 * p + 1]))
                }
                if blocks % 2 == 1 { xsPairs[j * (pairs + 1) + pairs] = SIMD8(repeating: xs[blocks - 1]) }
            }
            var r = rows.lowerBound
            while r < rows.upperBound {
                let r1 = min(r + 1, rows.upperBound - 1)
                prefetchAhead(base + r * rowBytes, rowBytes: rowBytes)
                let u0 = UnpackedRow(row: base + r * rowBytes, payload: payload, blocks: blocks, q4: q4, fresh: fresh, scratch: scratch)
                let u1 = UnpackedRow(row: base + r1 * rowBytes, payload: payload, blocks: blocks, q4: q4, fresh: fresh, scratch: scratch + rowScratch)
                var j = 0
                // Four inputs at a time: eight independent accumulators (two rows by four inputs) keep the multiply-add
                // units busy where one row pair's two chains would wait on each other's latency. Each accumulator sees
                // the same operations in the same order as below, so the results do not change.
                while j + 4 <= count {
                    let x0 = UnsafeRawPointer(quants[j]), x1 = UnsafeRawPointer(quants[j + 1])
                    let x2 = UnsafeRawPointer(quants[j + 2]), x3 = UnsafeRawPointer(quants[j + 3])
                    let s0 = xsPairs + j * (pairs + 1), s1 = s0 + (pairs + 1), s2 = s1 + (pairs + 1), s3 = s2 + (pairs + 1)
                    var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
                    var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
                    @inline(__always)
                    func products(_ x: UnsafeRawPointer, _ offset: Int, _ wa0: SIMD4<Int64>, _ wb0: SIMD4<Int64>,
                                  _ wa1: SIMD4<Int64>, _ wb1: SIMD4<Int64>) -> (SIMD8<Float>, SIMD8<Float>) {
                        let xa = x.loadUnaligned(fromByteOffset: offset, as: SIMD4<Int64>.self)
                        let xb = x.loadUnaligned(fromByteOffset: offset + 32, as: SIMD4<Int64>.self)
                        return (_mm256_cvtepi32_ps(pairDot(wa0, xa, wb0, xb, q4: q4)),
                                _mm256_cvtepi32_ps(pairDot(wa1, xa, wb1, xb, q4: q4)))
                    }
                    for p in 0..<pairs {
                        let wa0 = u0.weights[2 * p], wb0 = u0.weights[2 * p + 1]
                        let wa1 = u1.weights[2 * p], wb1 = u1.weights[2 * p + 1]
                        let d0 = u0.dPairs[p], d1 = u1.dPairs[p]
                        let (p00, p10) = products(x0, 64 * p, wa0, wb0, wa1, wb1)
                        a00 = a00.addingProduct(p00, d0 * s0[p]); a10 = a10.addingProduct(p10, d1 * s0[p])
                        let (p01, p11) = products(x1, 64 * p, wa0, wb0, wa1, wb1)
                        a01 = a01.addingProduct(p01, d0 * s1[p]); a11 = a11.addingProduct(p11, d1 * s1[p])
                        let (p02, p12) = products(x2, 64 * p, wa0, wb0, wa1, wb1)
                        a02 = a02.addingProduct(p02, d0 * s2[p]); a12 = a12.addingProduct(p12, d1 * s2[p])
                        let (p03, p13) = products(x3, 64 * p, wa0, wb0, wa1, wb1)
                        a03 = a03.addingProduct(p03, d0 * s3[p]); a13 = a13.addingProduct(p13, d1 * s3[p])
                    }
                    if blocks % 2 == 1 {
                        let b = blocks - 1
                        let w0 = u0.weights[2 * pairs], w1 = u1.weights[2 * pairs]
                        let d0 = u0.dPairs[pairs], d1 = u1.dPairs[pairs]
                        @inline(__always)
                        func last(_ x: UnsafeRawPointer, _ w: SIMD4<Int64>) -> SIMD8<Float> {
                            _mm256_cvtepi32_ps(blockDot(w, x.loadUnaligned(fromByteOffset: 32 * b, as: SIMD4<Int64>.self), q4: q4))
                        }
                        a00 = a00.addingProduct(last(x0, w0), d0 * s0[pairs]); a10 = a10.addingProduct(last(x0, w1), d1 * s0[pairs])
                        a01 = a01.addingProduct(last(x1, w0), d0 * s1[pairs]); a11 = a11.addingProduct(last(x1, w1), d1 * s1[pairs])
                        a02 = a02.addingProduct(last(x2, w0), d0 * s2[pairs]); a12 = a12.addingProduct(last(x2, w1), d1 * s2[pairs])
                        a03 = a03.addingProduct(last(x3, w0), d0 * s3[pairs]); a13 = a13.addingProduct(last(x3, w1), d1 * s3[pairs])
                    }
                    outputs[j][r] = hsum(a00) + u0.constant(blocks: blocks, quantSums: quantSums[j])
                    outputs[j][r1] = hsum(a10) + u1.constant(blocks: blocks, quantSums: quantSums[j])
                    outputs[j + 1][r] = hsum(a01) + u0.constant(blocks: blocks, quantSums: quantSums[j + 1])
                    outputs[j + 1][r1] = hsum(a11) + u1.constant(blocks: blocks, quantSums: quantSums[j + 1])
                    outputs[j + 2][r] = hsum(a02) + u0.constant(blocks: blocks, quantSums: quantSums[j + 2])
                    outputs[j + 2][r1] = hsum(a12) + u1.constant(blocks: blocks, quantSums: quantSums[j + 2])
                    outputs[j + 3][r] = hsum(a03) + u0.constant(blocks: blocks, quantSums: quantSums[j + 3])
                    outputs[j + 3][r1] = hsum(a13) + u1.constant(blocks: blocks, quantSums: quantSums[j + 3])
                    j += 4
                }
                while j < count {
                    defer { j += 1 }
                    let x = UnsafeRawPointer(quants[j])
                    let xp = xsPairs + j * (pairs + 1)
                    let k0 = u0.constant(blocks: blocks, quantSums: quantSums[j])
                    let k1 = u1.constant(blocks: blocks, quantSums: quantSums[j])
                    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
                    for p in 0..<pairs {
                        let xa = x.loadUnaligned(fromByteOffset: 64 * p, as: SIMD4<Int64>.self)
                        let xb = x.loadUnaligned(fromByteOffset: 64 * p + 32, as: SIMD4<Int64>.self)
                        let p0 = _mm256_cvtepi32_ps(pairDot(u0.weights[2 * p], xa, u0.weights[2 * p + 1], xb, q4: q4))
                        let p1 = _mm256_cvtepi32_ps(pairDot(u1.weights[2 * p], xa, u1.weights[2 * p + 1], xb, q4: q4))
                        acc0 = acc0.addingProduct(p0, u0.dPairs[p] * xp[p])
                        acc1 = acc1.addingProduct(p1, u1.dPairs[p] * xp[p])
                    }
                    if blocks % 2 == 1 {
                        let b = blocks - 1
                        let xv = x.loadUnaligned(fromByteOffset: 32 * b, as: SIMD4<Int64>.self)
                        acc0 = acc0.addingProduct(_mm256_cvtepi32_ps(blockDot(u0.weights[2 * pairs], xv, q4: q4)), u0.dPairs[pairs] * xp[pairs])
                        acc1 = acc1.addingProduct(_mm256_cvtepi32_ps(blockDot(u1.weights[2 * pairs], xv, q4: q4)), u1.dPairs[pairs] * xp[pairs])
                    }
                    outputs[j][r] = hsum(acc0) + k0
                    outputs[j][r1] = hsum(acc1) + k1
                }
                r += 2
            }
        }
    }
}
