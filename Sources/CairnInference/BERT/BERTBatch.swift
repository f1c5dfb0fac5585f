/// A batch of token sequences for ``BERTEncoder``, in the padded layout of Hugging Face's `input_ids` and
/// `attention_mask`: `batchSize` rows of `length` tokens, mask 1 for a real token and 0 for padding.
public struct BERTBatch: Sendable, Hashable {
    /// Token ids, `[batchSize, length]` row-major, padding included.
    public let inputIDs: [Int32]
    /// 1 where `inputIDs` holds a real token, 0 for padding; `[batchSize, length]`.
    public let attentionMask: [UInt8]
    /// Segment ids, `[batchSize, length]` (all 0 for single sentences).
    public let tokenTypeIDs: [Int32]
    /// Number of sequences.
    public let batchSize: Int
    /// Tokens per row, padding included.
    public let length: Int

    /// Pads `sequences` on the right with `padID` to the longest one's length.
    public init(sequences: [[Int32]], padID: Int32) {
        let length = sequences.map(\.count).max() ?? 0
        var ids = [Int32](repeating: padID, count: sequences.count * length)
        var mask = [UInt8](repeating: 0, count: sequences.count * length)
        for (row, sequence) in sequences.enumerated() {
            for (column, id) in sequence.enumerated() {
                ids[row * length + column] = id
                mask[row * length + column] = 1
            }
        }
        self.inputIDs = ids
        self.attentionMask = mask
        self.tokenTypeIDs = [Int32](repeating: 0, count: ids.count)
        self.batchSize = sequences.count
        self.length = length
    }

    /// Wraps arrays already in the padded layout.
    /// - Throws: `.invalidRequest` if the array sizes do not match `batchSize * length`, or a mask value is not 0/1.
    public init(inputIDs: [Int32], attentionMask: [UInt8], tokenTypeIDs: [Int32]? = nil, batchSize: Int, length: Int) throws {
        let count = batchSize * length
        guard batchSize >= 0, length >= 0, inputIDs.count == count, attentionMask.count == count,
            tokenTypeIDs.map({ $0.count == count }) ?? true
        else {
            throw InferenceError(.invalidRequest, "batch arrays do not match batchSize \(batchSize) × length \(length)")
        }
        guard attentionMask.allSatisfy({ $0 <= 1 }) else {
            throw InferenceError(.invalidRequest, "attention mask values must be 0 or 1")
        }
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask
        self.tokenTypeIDs = tokenTypeIDs ?? [Int32](repeating: 0, count: count)
        self.batchSize = batchSize
        self.length = length
    }

    /// The number of real (unmasked) tokens.
    public var tokenCount: Int { attentionMask.reduce(0) { $0 + Int($1) } }
}
