#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the model thought at one output position, given everything before it (teacher forcing).
public struct PositionScore: Sendable, Equatable {
    /// The token the output has here.
    public var emitted: Int32
    /// The model's most likely token and the logit gap to the second.
    public var top: Int32
    public var topMargin: Float
    /// The emitted token's logit below the top one (0 when it is the top).
    public var deficit: Float
    /// Whether the emitted token lies in the set the sampling settings draw from (top-k, then top-p at the temperature).
    public var inSampledSet: Bool
    /// Under the sampling distribution (tempered, truncated to that set and renormalised; at temperature 0, at 1):
    /// the emitted token's log-probability, the entropy, and Σ p·(log p)², for the variance of the log-probability.
    public var logProbability: Double
    public var entropy: Double
    public var secondMoment: Double
    /// The probability of the model's top token under the sampling distribution.
    public var topProbability: Double
}

/// Re-scores outputs under a model in one batched pass over prompt + output: the logits at every output position
/// come from the same forward pass the prompt gets (prefill), so checking a job costs a fraction of serving it. Several
/// (prompt, output) pairs scored together share that pass: each weight matrix is decoded and multiplied once for all.
public final class TeacherForcedScorer {
    public let model: LlamaModel
    /// The output projection decoded to float once (`vocabulary × dimension`): in ``FloatPanels`` when the model keeps
    /// its weights in panels, else row-major for OpenBLAS.
    private let projection: UnsafePointer<Float>
    /// The projection's panels, when it is kept in panels (else its rows are allocated here).
    private let projectionStorage: PlanarStorage?
    private var projectionInPanels: Bool { projectionStorage != nil }
    /// The most rows scored per sgemm. Each sgemm packs its whole slice of the projection before it multiplies, so a
    /// pass's rows go in as few sgemms as this allows, split evenly (66 rows: one of 66, not one of 64 and one of 2).
    private let maximumChunk = 128
    /// Caches for the second and later sequences of a batch (the first uses the model's own).
    private var caches: [LlamaRunState] = []
    /// Prompt beginnings evaluated once and kept (``keep(prefix:)``), each in a cache of its own length.
    private var kept: [(tokens: [Int32], state: LlamaRunState)] = []
    /// Prompt tokens taken from kept prefixes rather than evaluated, over every pass so far.
    public private(set) var reusedPrefixTokens = 0

    public init(model: LlamaModel) {
        self.model = model
        let c = model.config
        let count = c.vocabularySize * c.dimension
        let storage = model.weights.panelStorage == nil ? nil : PlanarStorage(capacity: count * MemoryLayout<Float>.stride)
        if let storage, let panels = model.weights.output.withPanels(in: storage).panels {
            projection = panels
            projectionStorage = storage
        } else {
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: count)
            model.weights.output.dequantize(rows: 0..<c.vocabularySize, into: rows)
            projection = UnsafePointer(rows)
            projectionStorage = nil
        }
    }

    deinit { if projectionStorage == nil { projection.deallocate() } }

    /// Evaluates `prefix` once and keeps its keys and values: a pair whose prompt begins with it (and goes on past it)
    /// copies them and evaluates only the rest. For a context every check repeats, such as the empty question the
    /// relevance compares with. A prefix evaluated alone can round differently from the same tokens inside a longer
    /// pass (OpenBLAS), by about as much as pairs scored together differ from pairs scored alone.
    public func keep(prefix: [Int32]) throws {
        guard !prefix.isEmpty, !kept.contains(where: { $0.tokens == prefix }) else { return }
        guard prefix.count < model.contextLength else {
            throw InferenceError(.invalidRequest, "a kept prefix of \(prefix.count) tokens leaves no room in the context of \(model.contextLength)")
        }
        let state = LlamaRunState(config: model.config, contextLength: prefix.count, prefillChunk: 1, cache: model.state.cache.precision)
        try model.prefill(sequences: [(prefix, 0, state)], finalLogits: false, hiddenRows: nil)
        kept.append((prefix, state))
    }

    /// The scores of `output`'s tokens after `prompt`, plus the end-of-sequence probability after the last one (under
    /// the sampling distribution; at temperature 0, under the untempered one).
    public func score(prompt: [Int32], output: [Int32], temperature: Float, topK: Int = 0, topP: Float = 1,
                      endTokens: Set<Int32>) throws -> (positions: [PositionScore], endProbabilityAfter: Double) {
        try score([(prompt, output)], temperature: temperature, topK: topK, topP: topP, endTokens: endTokens)[0]
    }

    /// ``score(prompt:output:temperature:topK:topP:endTokens:)`` for several pairs under the same settings, in one pass.
    public func score(_ pairs: [(prompt: [Int32], output: [Int32])], temperature: Float, topK: Int = 0, topP: Float = 1,
                      endTokens: Set<Int32>) throws -> [(positions: [PositionScore], endProbabilityAfter: Double)] {
        guard !pairs.isEmpty else { return [] }
        for pair in pairs {
            guard !pair.prompt.isEmpty else { throw InferenceError(.invalidRequest, "the prompt has no tokens") }
            let count = pair.prompt.count + pair.output.count
            guard count <= model.contextLength else {
                throw InferenceError(.invalidRequest, "prompt and output are \(count) tokens, past the context of \(model.contextLength)")
            }
        }
        let c = model.config, d = c.dimension, vocabulary = c.vocabularySize
        while caches.count < pairs.count - 1 {
            caches.append(LlamaRunState(config: c, contextLength: model.contextLength, prefillChunk: 1, cache: model.state.cache.precision))
        }
        // Row r of pair j (absolute position first_j + r) predicts the token at first_j + r + 1: the rows from the
        // prompt's last token to the output's last are scored, all pairs' rows one after another in `hidden`.
        var firstRow = [Int](), firsts = [Int]()
        var rows = 0
        for pair in pairs {
            firstRow.append(rows)
            firsts.append(pair.prompt.count - 1)
            rows += pair.output.count + 1
        }
        let hidden = UnsafeMutablePointer<Float>.allocate(capacity: rows * d)
        defer { hidden.deallocate() }
        let sequences = pairs.enumerated().map { j, pair in
            let tokens = pair.prompt + pair.output, target = j == 0 ? model.state : caches[j - 1]
            // The longest kept beginning of the prompt that leaves its last token to evaluate (its row scores the first
            // output token).
            let reuse = kept.filter { $0.tokens.count < pair.prompt.count && pair.prompt.starts(with: $0.tokens) }.max { $0.tokens.count < $1.tokens.count }
            guard let reuse else { return (tokens: tokens, startPosition: 0, target: target) }
            target.cache.copyPositions(from: reuse.state.cache, count: reuse.tokens.count)
            reusedPrefixTokens += reuse.tokens.count
            return (tokens: Array(tokens[reuse.tokens.count...]), startPosition: reuse.tokens.count, target: target)
        }
        try model.prefill(sequences: sequences, finalLogits: false) { j, start, count, source in
            for i in 0..<count where start + i >= firsts[j] {
                (hidden + (firstRow[j] + start + i - firsts[j]) * d).update(from: source + i * d, count: d)
            }
        }
        // Which pair and output index each row is.
        var owner = [(pair: Int, index: Int)]()
        owner.reserveCapacity(rows)
        for (j, pair) in pairs.enumerated() {
            for r in 0...pair.output.count { owner.append((j, r)) }
        }
        let placeholder = PositionScore(emitted: 0, top: 0, topMargin: 0, deficit: 0, inSampledSet: false, logProbability: 0, entropy: 0,
                                        secondMoment: 0, topProbability: 0)
        var scored = [PositionScore](repeating: placeholder, count: rows)
        var ends = [Double](repeating: 0, count: pairs.count)
        let pool = model.pool, workers = pool.threadCount
        let scratches = (0..<workers).map { _ in ScratchBox(vocabulary: vocabulary) }
        let sgemms = (rows + maximumChunk - 1) / maximumChunk
        let chunk = (rows + sgemms - 1) / sgemms
        let normed = UnsafeMutablePointer<Float>.allocate(capacity: chunk * d)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: chunk * vocabulary)
        defer {
            normed.deallocate()
            logits.deallocate()
        }
        // The projection's rows split into slices, one sgemm each, spread over the pool.
        let slices = 2 * workers
        let sliceRows = (vocabulary + slices - 1) / slices
        var r0 = 0
        while r0 < rows {
            let n = min(chunk, rows - r0)
            model.weights.outputNorm.withUnsafeBufferPointer { w in
                for i in 0..<n {
                    VectorOps.rmsNorm(hidden + (r0 + i) * d, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: d, into: normed + i * d)
                }
            }
            let inPanels = projectionInPanels, projection = projection
            pool.run(chunks: slices) { slice in
                if inPanels {
                    let count = vocabulary / FloatPanels.rows
                    FloatPanels.multiply(x: normed, tokens: n, columns: d, weights: projection, panels: count * slice / slices..<count * (slice + 1) / slices,
                                         output: logits, ldc: vocabulary, accumulate: false)
                    return
                }
                let lo = slice * sliceRows, hi = min(vocabulary, lo + sliceRows)
                guard lo < hi else { return }
                MatMul.sgemm(a: normed, b: projection + lo * d, c: logits + lo, m: n, n: hi - lo, k: d, transposeB: true, ldc: vocabulary)
            }
            scored.withUnsafeMutableBufferPointer { out in
                ends.withUnsafeMutableBufferPointer { endOut in
                    pool.run(chunks: workers) { w in
                        var i = w
                        while i < n {
                            let row = UnsafeBufferPointer(start: logits + i * vocabulary, count: vocabulary)
                            let (j, r) = owner[r0 + i]
                            let output = pairs[j].output
                            if r < output.count {
                                out[r0 + i] = scratches[w].scratch.score(row, emitted: output[r], temperature: temperature, topK: topK, topP: topP)
                            } else {
                                endOut[j] = scratches[w].scratch.probability(of: endTokens, row, temperature: temperature, topK: topK, topP: topP)
                            }
                            i += workers
                        }
                    }
                }
            }
            r0 += n
        }
        return pairs.indices.map { j in
            (Array(scored[firstRow[j]..<firstRow[j] + pairs[j].output.count]), ends[j])
        }
    }

    /// One worker's scratch.
    final class ScratchBox {
        var scratch: Scratch
        init(vocabulary: Int) { scratch = Scratch(vocabulary: vocabulary) }
    }

    /// Buffers reused across positions.
    struct Scratch {
        var order: [Int32]
        var probabilities: [Double]
        var scaled: [Float]

        init(vocabulary: Int) {
            order = (0..<vocabulary).map(Int32.init)
            probabilities = [Double](repeating: 0, count: vocabulary)
            scaled = [Float](repeating: 0, count: vocabulary)
        }

        /// ``score(_:emitted:temperature:topK:topP:)`` when the set is the whole vocabulary (temperature 0, or no top-k
        /// and no nucleus): one vectorised pass. With `l_j` the tempered logit less the largest and `S = Σ e^l_j`,
        /// `log p_j = l_j − log S`, the entropy is `log S − Σ p_j l_j` and `Σ p (log p)² = Σ p_j l_j² − 2 log S Σ p_j l_j + (log S)²`:
        /// no logarithm per token, and the emitted token's log-probability stays finite however unlikely it is.
        mutating func scoreWhole(_ row: UnsafeBufferPointer<Float>, emitted: Int32, temperature: Float, top: Int) -> (logProbability: Double,
            entropy: Double, secondMoment: Double, topProbability: Double) {
            let n = row.count
            let inverse = 1 / (temperature > 0 ? temperature : 1)
            return scaled.withUnsafeMutableBufferPointer { buffer in
                let x = buffer.baseAddress!
                for j in 0..<n { x[j] = row[j] * inverse }
                let lEmitted = x[Int(emitted)] - x[top]
                let (maximum, sum) = FastMath.exponentiate(x, count: n)  // x[j] = e^(l_j); maximum is the top's tempered logit
                // Σ e^l · l and Σ e^l · l², with l recovered as log of e^l would cost a log: take it from the row again.
                var first = SIMD16<Float>(), second = SIMD16<Float>()
                let raw = UnsafeRawPointer(x), source = UnsafeRawPointer(row.baseAddress!)
                var j = 0
                while j + 16 <= n {
                    let e = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD16<Float>.self)
                    let l = source.loadUnaligned(fromByteOffset: 4 * j, as: SIMD16<Float>.self) * inverse - maximum
                    first += e * l
                    second += e * l * l
                    j += 16
                }
                var f = Double(first.sum()), s = Double(second.sum())
                while j < n {
                    let l = Double(row[j] * inverse - maximum)
                    f += Double(x[j]) * l
                    s += Double(x[j]) * l * l
                    j += 1
                }
                let total = Double(sum), logS = log(total)
                let meanL = f / total, meanL2 = s / total
                return (Double(lEmitted) - logS, logS - meanL, meanL2 - 2 * logS * meanL + logS * logS, 1 / total)
            }
        }

        /// The sampling set (top-k, then the nucleus at `temperature`) as indices into `order`, with its probabilities
        /// renormalised in `probabilities` (indexed by token); at temperature 0, every token at temperature 1.
        mutating func distribution(_ row: UnsafeBufferPointer<Float>, temperature: Float, topK: Int, topP: Float) -> Int {
            let vocabulary = row.count
            let t = Double(temperature > 0 ? temperature : 1)
            var maximum = -Float.infinity
            for v in row where v > maximum { maximum = v }
            var total = 0.0
            for j in 0..<vocabulary {
                let e = exp(Double(row[j] - maximum) / t)
                probabilities[j] = e
                total += e
            }
            for j in 0..<vocabulary { probabilities[j] /= total }
            guard temperature > 0, (topK > 0 && topK < vocabulary) || topP < 1 else { return vocabulary }
            // Sorted by probability (ties towards the lower id, as the sampler's top-k breaks them). Only the tokens
            // above a cut can be in the set unless those fall short of what it needs; lower the cut until they do not.
            let p = probabilities
            let needK = topK > 0 ? min(topK, vocabulary) : 0
            var cut = 1e-4
            var candidates = 0
            while true {
                candidates = 0
                var mass = 0.0
                for j in 0..<vocabulary where p[j] >= cut {
                    order[candidates] = Int32(j)
                    candidates += 1
                    mass += p[j]
                }
                if cut == 0 || (candidates >= needK && (topP >= 1 || mass >= Double(topP) + 1e-9)) { break }
                cut = cut < 1e-12 ? 0 : cut / 100
            }
            order[0..<candidates].sort { p[Int($0)] > p[Int($1)] || (p[Int($0)] == p[Int($1)] && $0 < $1) }
            var kept = needK > 0 ? min(needK, candidates) : candidates
            if topP < 1 {
                var mass = 0.0
                var inKept = 0.0
                for j in 0..<kept { inKept += p[Int(order[j])] }
                for j in 0..<kept {
                    mass += p[Int(order[j])]
                    if mass >= Double(topP) * inKept {
                        kept = j + 1
                        break
                    }
                }
            }
            var keptMass = 0.0
            for j in 0..<kept { keptMass += p[Int(order[j])] }
            for j in 0..<vocabulary { probabilities[j] = 0 }
            for j in 0..<kept { probabilities[Int(order[j])] = p[Int(order[j])] / keptMass }
            return kept
        }

        mutating func score(_ row: UnsafeBufferPointer<Float>, emitted: Int32, temperature: Float, topK: Int, topP: Float) -> PositionScore {
            var top = 0, second = -Float.infinity
            for j in 1..<row.count {
                if row[j] > row[top] {
                    second = row[top]
                    top = j
                } else if row[j] > second {
                    second = row[j]
                }
            }
            if temperature <= 0 || ((topK <= 0 || topK >= row.count) && topP >= 1) {
                let w = scoreWhole(row, emitted: emitted, temperature: temperature, top: top)
                return PositionScore(emitted: emitted, top: Int32(top), topMargin: row[top] - second, deficit: row[top] - row[Int(emitted)],
                                     inSampledSet: true, logProbability: w.logProbability, entropy: w.entropy, secondMoment: w.secondMoment,
                                     topProbability: w.topProbability)
            }
            _ = distribution(row, temperature: temperature, topK: topK, topP: topP)
            let e = Int(emitted)
            var entropy = 0.0, moment = 0.0
            for p in probabilities where p > 0 {
                let l = log(p)
                entropy -= p * l
                moment += p * l * l
            }
            let pe = probabilities[e]
            return PositionScore(emitted: emitted, top: Int32(top), topMargin: row[top] - second, deficit: row[top] - row[e],
                                 inSampledSet: pe > 0, logProbability: pe > 0 ? log(pe) : -.infinity, entropy: entropy, secondMoment: moment,
                                 topProbability: probabilities[top])
        }

        mutating func probability(of tokens: Set<Int32>, _ row: UnsafeBufferPointer<Float>, temperature: Float, topK: Int, topP: Float) -> Double {
            _ = distribution(row, temperature: temperature, topK: topK, topP: topP)
            return tokens.reduce(0.0) { $0 + (Int($1) < probabilities.count ? probabilities[Int($1)] : 0) }
        }
    }
}
