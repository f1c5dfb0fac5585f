/// Embedding throughput on short sentences at batch 1 and batch 32, for `cairn bench inference`.
///
/// `scripts/bench-reference.sh` measures sentence-transformers on the same sentences (same formula), so the
/// two figures compare like with like.
public enum EmbeddingBenchmark {
    /// Sentences per second at the two batch sizes.
    public struct Figures: Sendable, Hashable {
        /// Sentences per second embedding one sentence per call.
        public let batch1: Double
        /// Sentences per second embedding 32 sentences per call.
        public let batch32: Double
        /// Mean tokens per sentence, `[CLS]` and `[SEP]` included.
        public let meanTokens: Double
    }

    private static let topics = [
        "the weather today", "a cat on the mat", "machine learning", "the stock market", "a trip to Paris",
        "cooking pasta", "football results", "quantum computing",
    ]

    /// The `index`-th benchmark sentence: "Sentence 7: a short example about cooking pasta."
    public static func sentence(_ index: Int) -> String {
        "Sentence \(index): a short example about \(topics[index % topics.count])."
    }

    /// Measures `model`; each figure is the best of `runs` timed passes after a warm-up.
    /// - Parameters:
    ///   - singles: sentences embedded one at a time per pass.
    ///   - batched: sentences embedded in batches of 32 per pass.
    public static func run(_ model: EmbeddingModel, singles: Int = 64, batched: Int = 256, runs: Int = 3) throws -> Figures {
        let single = (0..<singles).map(sentence)
        let many = (0..<batched).map(sentence)
        _ = try model.embed(Array(many.prefix(64)), batchSize: 32)
        var best1 = Double.infinity, best32 = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<max(1, runs) {
            let start = clock.now
            for text in single { _ = try model.embed([text], batchSize: 1) }
            let middle = clock.now
            _ = try model.embed(many, batchSize: 32)
            let end = clock.now
            best1 = min(best1, seconds(middle - start))
            best32 = min(best32, seconds(end - middle))
        }
        let tokens = many.reduce(0) { $0 + model.tokenizer.encode($1).count }
        return Figures(
            batch1: Double(singles) / best1, batch32: Double(batched) / best32,
            meanTokens: Double(tokens) / Double(max(1, batched)))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
