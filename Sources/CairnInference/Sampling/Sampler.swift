#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses next tokens from logits: repetition penalty, then greedy or temperature with top-k and top-p.
///
/// Holds its random generator, so a sampler created with the same seed replays the same choices.
public struct Sampler: Sendable {
    /// The parameters in force.
    public let parameters: SamplingParameters
    private var rng: Xoshiro256
    private var ids: [Int32]  // [V] candidate token ids
    private var probabilities: [Float]  // [V] candidate probabilities (unnormalised until the draw)
    private var seenStamp: [UInt32]  // [V] marks tokens already penalised in the current step
    private var stamp: UInt32 = 0

    /// Creates a sampler for a vocabulary of `vocabularySize` tokens.
    public init(parameters: SamplingParameters, vocabularySize: Int) {
        self.parameters = parameters
        rng = Xoshiro256(seed: parameters.seed)
        ids = [Int32](repeating: 0, count: vocabularySize)
        probabilities = [Float](repeating: 0, count: vocabularySize)
        seenStamp = [UInt32](repeating: 0, count: vocabularySize)
    }

    /// Picks the next token from `logits`, which it may modify in place (penalty and temperature).
    ///
    /// - Parameter history: the tokens so far (prompt and generated), most recent last.
    public mutating func sample(logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) -> Int32 {
        let p = parameters
        if p.repetitionPenalty != 1, p.repetitionWindow > 0 { penalise(logits, history: history.suffix(p.repetitionWindow)) }
        if p.temperature <= 0 { return Self.argmax(logits) }
        let vocabulary = logits.count
        var maximum = -Float.infinity
        for v in logits where v > maximum { maximum = v }
        let inverseTemperature = 1 / p.temperature
        var count = 0
        if p.topK > 0 && p.topK < vocabulary {
            count = ids.withUnsafeMutableBufferPointer { Self.selectTopK(logits, k: p.topK, into: $0) }
        } else {
            for i in 0..<vocabulary { ids[i] = Int32(i) }
            count = vocabulary
        }
        var total: Float = 0
        for j in 0..<count {
            let e = expf((logits[Int(ids[j])] - maximum) * inverseTemperature)
            probabilities[j] = e
            total += e
        }
        if p.topP < 1 { (count, total) = nucleus(count: count, total: total, topP: p.topP) }
        var target = rng.nextUnitFloat() * total
        for j in 0..<count {
            target -= probabilities[j]
            if target < 0 { return ids[j] }
        }
        // Rounding left the draw past the end: the last candidate that has any probability (a token whose logit is
        // -infinity, as a grammar masks it, or whose probability underflowed, is never chosen).
        return ids[(0..<count).last { probabilities[$0] > 0 } ?? 0]
    }

    /// The index of the largest logit (the lowest index among ties).
    public static func argmax(_ logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for (i, v) in logits.enumerated() where v > bestValue {
            best = i
            bestValue = v
        }
        return Int32(best)
    }

    private mutating func penalise(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        stamp &+= 1
        if stamp == 0 {
            for i in seenStamp.indices { seenStamp[i] = 0 }
            stamp = 1
        }
        let penalty = parameters.repetitionPenalty
        for token in history where token >= 0 && Int(token) < logits.count && seenStamp[Int(token)] != stamp {
            seenStamp[Int(token)] = stamp
            let v = logits[Int(token)]
            logits[Int(token)] = v > 0 ? v / penalty : v * penalty
        }
    }

    /// Fills `ids[0..<k]` with the k largest logits' indices, largest first.
    private static func selectTopK(
        _ logits: UnsafeMutableBufferPointer<Float>, k: Int, into heap: UnsafeMutableBufferPointer<Int32>
    ) -> Int {
        // A min-heap of the best k seen so far, keyed by logit (ties broken towards the lower id).
        var size = 0
        func less(_ a: Int32, _ b: Int32) -> Bool {
            let x = logits[Int(a)], y = logits[Int(b)]
            return x < y || (x == y && a > b)
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < size && less(heap[l], heap[m]) { m = l }
                if r < size && less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in 0..<logits.count {
            let token = Int32(i)
            if size < k {
                heap[size] = token
                size += 1
                var c = size - 1
                while c > 0, less(heap[c], heap[(c - 1) / 2]) {
                    heap.swapAt(c, (c - 1) / 2)
                    c = (c - 1) / 2
                }
            } else if less(heap[0], token) {
                heap[0] = token
                siftDown(0)
            }
        }
        var best = UnsafeMutableBufferPointer(rebasing: heap[0..<size])
        best.sort { less($1, $0) }
        return size
    }

    /// Reorders the candidates by probability and keeps the smallest prefix whose mass reaches `topP`.
    private mutating func nucleus(count: Int, total: Float, topP: Float) -> (Int, Float) {
        let goal = topP * total
        // Only tokens above a probability cut can be in the nucleus unless the kept ones fall short of the goal;
        // start with a high cut and lower it, so the full vocabulary is rarely sorted.
        var cut = total * 1e-3
        while true {
            var kept = 0
            for j in 0..<count where probabilities[j] >= cut {
                ids.swapAt(kept, j)
                probabilities.swapAt(kept, j)
                kept += 1
            }
            var order = Array(0..<kept)
            order.sort { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && ids[$0] < ids[$1]) }
            let sortedIDs = order.map { ids[$0] }, sortedProbabilities = order.map { probabilities[$0] }
            var mass: Float = 0
            for j in 0..<kept {
                ids[j] = sortedIDs[j]
                probabilities[j] = sortedProbabilities[j]
                mass += probabilities[j]
                if mass >= goal { return (j + 1, mass) }
            }
            if cut == 0 || kept == count { return (kept, mass) }
            cut = cut < total * 1e-9 ? 0 : cut / 32
        }
    }
}
