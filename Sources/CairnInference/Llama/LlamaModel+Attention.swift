#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decode attention: the current token's query heads over every cached position.
extension LlamaModel {
    /// Attention of the current query `state.q` over the cached positions `0...position` of `layer`, written to
    /// `state.xb`.
    ///
    /// The work is split by KV head and by segments of positions. The query heads that share a KV head are
    /// computed one after the other on the same segment, so each cached key and value row comes from memory once
    /// per token and is read again from L1 by the group's other heads; the segments give both cores work with
    /// as few as three KV heads. Each segment keeps its own softmax maximum and sum, and the segments are merged
    /// at the end (flash-decoding's split).
    func attend(layer: Int, position: Int, state s: LlamaRunState) {
        let segments = attentionSegments(position: position)
        let items = config.kvHeadCount * segments
        // Very short contexts cost less than a parallel section's synchronisation.
        if position + 1 < 16 {
            for item in 0..<items { attendItem(item, layer: layer, position: position, segments: segments, state: s) }
        } else {
            pool.run(chunks: items) { attendItem($0, layer: layer, position: position, segments: segments, state: s) }
        }
        mergeAttention(position: position, segments: segments, state: s)
    }

    /// The segments decode attention at `position` splits the cached positions into.
    func attentionSegments(position: Int) -> Int {
        LlamaRunState.attentionSegments(positions: position + 1, kvHeads: config.kvHeadCount, threads: pool.threadCount)
    }

    /// One work item of decode attention: one KV head's query heads over one segment of the positions `0...position`,
    /// into `s`'s partial results.
    func attendItem(_ item: Int, layer: Int, position: Int, segments: Int, state s: LlamaRunState) {
        switch s.cache.precision {
        case .float16: attendItem(Float16.self, item, layer: layer, position: position, segments: segments, state: s)
        case .float32: attendItem(Float.self, item, layer: layer, position: position, segments: segments, state: s)
        }
    }

    private func attendItem<E: KVElement>(_: E.Type, _ item: Int, layer: Int, position: Int, segments: Int, state s: LlamaRunState) {
        let c = config, cache = s.cache
        let headDim = c.headDimension, group = c.headCount / c.kvHeadCount
        let count = position + 1
        let scale = 1 / Float(headDim).squareRoot()
        let kvHead = item / segments, segment = item % segments
        let range = count * segment / segments..<count * (segment + 1) / segments
        let at = cache.offset(layer: layer, head: kvHead)
        let k = UnsafeRawPointer(cache.keys + at), v = UnsafeRawPointer(cache.values + at)
        for h in kvHead * group..<(kvHead + 1) * group {
            let slot = h * LlamaRunState.maximumAttentionSegments + segment
            let (maximum, sum) = DecodeAttention.segment(
                E.self, q: s.q + h * headDim, keys: k, values: v, headDimension: headDim, range: range,
                scale: scale, scores: s.scores + h * s.contextLength, into: s.partialOutputs + slot * headDim)
            s.partialMaxima[slot] = maximum
            s.partialSums[slot] = sum
        }
    }

    /// Combines each head's segments into `s.xb`.
    func mergeAttention(position: Int, segments: Int, state s: LlamaRunState) {
        let headDim = config.headDimension
        for h in 0..<config.headCount {
            let slot = h * LlamaRunState.maximumAttentionSegments
            DecodeAttention.merge(
                outputs: s.partialOutputs + slot * headDim, maxima: s.partialMaxima + slot, sums: s.partialSums + slot,
                segments: segments, headDimension: headDim, into: s.xb + h * headDim)
        }
    }
}

/// The kernels of decode attention for one query head over one segment of cached positions.
enum DecodeAttention {
    /// Writes `Σ_t e^(s_t - max) · v_t` over positions `range` into `output` (`headDimension` floats), with
    /// `s_t = scale · q · k_t`, and returns the segment's maximum score and `Σ_t e^(s_t - max)`.
    ///
    /// `keys` and `values` hold one KV head's rows of `headDimension` elements of `E`, position after position;
    /// `scores` is scratch indexed by position.
    @inline(__always)
    static func segment<E: KVElement>(
        _: E.Type, q: UnsafePointer<Float>, keys: UnsafeRawPointer, values: UnsafeRawPointer, headDimension: Int,
        range: Range<Int>, scale: Float, scores: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) -> (maximum: Float, sum: Float) {
        let rowBytes = headDimension * MemoryLayout<E>.size
        if headDimension == 64 {
            scores64(E.self, q: q, keys: keys, rowBytes: rowBytes, range: range, scale: scale, into: scores)
        } else {
            for t in range {
                let k = keys + t * rowBytes
                var sum: Float = 0
                for i in 0..<headDimension { sum = sum.addingProduct(q[i], E.load(k, i)) }
                scores[t] = sum * scale
            }
        }
        let weights = scores + range.lowerBound
        let (maximum, sum) = FastMath.exponentiate(weights, count: range.count)
        let first = values + range.lowerBound * rowBytes
        if headDimension == 64 {
            weightedSum64(E.self, weights: weights, values: first, rowBytes: rowBytes, count: range.count, into: output)
        } else {
            output.update(repeating: 0, count: headDimension)
            for t in 0..<range.count {
                let v = first + t * rowBytes, w = weights[t]
                for i in 0..<headDimension { output[i] = output[i].addingProduct(w, E.load(v, i)) }
            }
        }
        return (maximum, sum)
    }

    /// Combines `segments` partial results (outputs `headDimension` floats apart, their maxima and sums) into
    /// the normalised attention output.
    @inline(__always)
    static func merge(
        outputs: UnsafePointer<Float>, maxima: UnsafePointer<Float>, sums: UnsafePointer<Float>, segments: Int,
        headDimension: Int, into out: UnsafeMutablePointer<Float>
    ) {
        var maximum = -Float.infinity
        for i in 0..<segments { maximum = max(maximum, maxima[i]) }
        var total: Float = 0
        for i in 0..<segments { total += sums[i] * expf(maxima[i] - maximum) }
        out.update(repeating: 0, count: headDimension)
        for i in 0..<segments {
            VectorOps.axpy(out, expf(maxima[i] - maximum) / total, outputs + i * headDimension, count: headDimension)
        }
    }

    /// Adds the two halves of `a` and of `b`: lanes 0..<8 hold `a`'s pairwise sums, lanes 8..<16 `b`'s.
    @inline(__always)
    static func fold(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: a.lowHalf, highHalf: b.lowHalf) + SIMD16(lowHalf: a.highHalf, highHalf: b.highHalf)
    }

    /// From two results of ``fold(_:_:)`` (eight lanes per vector), four lanes per vector of the four.
    @inline(__always)
    static func fold4(_ r: SIMD16<Float>, _ s: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: SIMD8(lowHalf: r.lowHalf.lowHalf, highHalf: r.highHalf.lowHalf),
               highHalf: SIMD8(lowHalf: s.lowHalf.lowHalf, highHalf: s.highHalf.lowHalf))
            + SIMD16(lowHalf: SIMD8(lowHalf: r.lowHalf.highHalf, highHalf: r.highHalf.highHalf),
                     highHalf: SIMD8(lowHalf: s.lowHalf.highHalf, highHalf: s.highHalf.highHalf))
    }

    /// From two results of ``fold4(_:_:)``, two lanes per vector of the eight: the even and odd pairs of lanes
    /// (64-bit units) added.
    @inline(__always)
    static func fold2(_ r: SIMD16<Float>, _ s: SIMD16<Float>) -> SIMD16<Float> {
        let r2 = unsafeBitCast(r, to: SIMD8<UInt64>.self), s2 = unsafeBitCast(s, to: SIMD8<UInt64>.self)
        let even = SIMD8<UInt64>(lowHalf: r2.evenHalf, highHalf: s2.evenHalf)
        let odd = SIMD8<UInt64>(lowHalf: r2.oddHalf, highHalf: s2.oddHalf)
        return unsafeBitCast(even, to: SIMD16<Float>.self) + unsafeBitCast(odd, to: SIMD16<Float>.self)
    }

    /// `scores[t] = scale · q · k_t` for heads of 64 dimensions, eight positions at a time: the eight products
    /// are summed across lanes together (a transposing tree of shuffles), not one by one.
    @inline(__always)
    static func scores64<E: KVElement>(
        _: E.Type, q: UnsafePointer<Float>, keys: UnsafeRawPointer, rowBytes: Int, range: Range<Int>, scale: Float,
        into scores: UnsafeMutablePointer<Float>
    ) {
        let step = 16 * MemoryLayout<E>.size
        let q0 = DotKernels.load16(q) * scale, q1 = DotKernels.load16(q + 16) * scale
        let q2 = DotKernels.load16(q + 32) * scale, q3 = DotKernels.load16(q + 48) * scale
        @inline(__always) func products(_ t: Int) -> SIMD16<Float> {
            let k = keys + t * rowBytes
            return (q0 * E.load16(k)).addingProduct(q1, E.load16(k + step))
                .addingProduct(q2, E.load16(k + 2 * step)).addingProduct(q3, E.load16(k + 3 * step))
        }
        var t = range.lowerBound
        while t + 8 <= range.upperBound {
            let ab = fold(products(t), products(t + 1)), cd = fold(products(t + 2), products(t + 3))
            let ef = fold(products(t + 4), products(t + 5)), gh = fold(products(t + 6), products(t + 7))
            let pairs = fold2(fold4(ab, cd), fold4(ef, gh))
            UnsafeMutableRawPointer(scores + t).storeBytes(of: pairs.evenHalf + pairs.oddHalf, as: SIMD8<Float>.self)
            t += 8
        }
        while t < range.upperBound {
            scores[t] = DotKernels.hsum(products(t))
            t += 1
        }
    }

    /// `output = Σ_i weights[i] · v_i` for heads of 64 dimensions, the output kept in registers.
    @inline(__always)
    static func weightedSum64<E: KVElement>(
        _: E.Type, weights: UnsafePointer<Float>, values: UnsafeRawPointer, rowBytes: Int, count: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        let step = 16 * MemoryLayout<E>.size
        var o0 = SIMD16<Float>(), o1 = SIMD16<Float>(), o2 = SIMD16<Float>(), o3 = SIMD16<Float>()
        for i in 0..<count {
            let v = values + i * rowBytes, a = SIMD16<Float>(repeating: weights[i])
            o0 = o0.addingProduct(a, E.load16(v))
            o1 = o1.addingProduct(a, E.load16(v + step))
            o2 = o2.addingProduct(a, E.load16(v + 2 * step))
            o3 = o3.addingProduct(a, E.load16(v + 3 * step))
        }
        let raw = UnsafeMutableRawPointer(output)
        raw.storeBytes(of: o0, as: SIMD16<Float>.self)
        raw.storeBytes(of: o1, toByteOffset: 64, as: SIMD16<Float>.self)
        raw.storeBytes(of: o2, toByteOffset: 128, as: SIMD16<Float>.self)
        raw.storeBytes(of: o3, toByteOffset: 192, as: SIMD16<Float>.self)
    }
}
