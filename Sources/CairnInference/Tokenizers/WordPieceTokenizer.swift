/// BERT's WordPiece tokenizer: ``BertNormalizer`` words, split greedily into the longest vocabulary pieces.
///
/// A word is matched from its start against the longest vocabulary entry, then the rest against `##`-prefixed
/// continuations; a word with any unmatched stretch, or longer than ``maxCharactersPerWord``, becomes `[UNK]`.
/// ``encode(_:)`` wraps the ids in `[CLS]` ... `[SEP]` and truncates to ``maxLength`` tokens including those two.
public struct WordPieceTokenizer: Sendable {
    /// Token ids by vocabulary entry.
    public let vocabulary: [String: Int32]
    /// The `[CLS]` id, first in every sequence.
    public let clsID: Int32
    /// The `[SEP]` id, last in every sequence.
    public let sepID: Int32
    /// The `[UNK]` id.
    public let unknownID: Int32
    /// The `[PAD]` id used to pad batches.
    public let padID: Int32
    /// The longest sequence ``encode(_:)`` returns, special tokens included.
    public let maxLength: Int
    /// Longer words become `[UNK]` (Hugging Face's `max_input_chars_per_word`).
    public let maxCharactersPerWord = 100
    private let normalizer: BertNormalizer

    /// Creates a tokenizer from vocabulary entries, the line number of each being its id.
    /// - Parameters:
    ///   - vocabulary: the entries of `vocab.txt`, in order.
    ///   - lowercase: lower-case and strip accents (uncased models).
    ///   - maxLength: the truncation length including `[CLS]` and `[SEP]` (at least 2).
    /// - Throws: `.missingField` if a special token is absent, `.invalidRequest` for `maxLength < 2`.
    public init(vocabulary entries: [String], lowercase: Bool = true, maxLength: Int = 256) throws {
        guard maxLength >= 2 else { throw InferenceError(.invalidRequest, "maxLength must be at least 2, got \(maxLength)") }
        var table = [String: Int32](minimumCapacity: entries.count)
        for (id, entry) in entries.enumerated() where table[entry] == nil { table[entry] = Int32(id) }
        func require(_ token: String) throws -> Int32 {
            guard let id = table[token] else { throw InferenceError(.missingField, "WordPiece vocabulary lacks \(token)") }
            return id
        }
        vocabulary = table
        clsID = try require("[CLS]")
        sepID = try require("[SEP]")
        unknownID = try require("[UNK]")
        padID = try require("[PAD]")
        self.maxLength = maxLength
        normalizer = BertNormalizer(lowercase: lowercase)
    }

    /// Reads `vocab.txt` (one entry per line; trailing whitespace is trimmed, as Hugging Face does).
    /// - Throws: `.io` if the file cannot be read, plus the errors of ``init(vocabulary:lowercase:maxLength:)``.
    public init(vocabularyFile path: String, lowercase: Bool = true, maxLength: Int = 256) throws {
        let file = try MappedFile(path: path)
        let text = withExtendedLifetime(file) { String(decoding: file.bytes, as: UTF8.self) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.reversed().drop { $0.isWhitespace }.reversed())
        }
        if lines.last == "" { lines.removeLast() }
        try self.init(vocabulary: lines, lowercase: lowercase, maxLength: maxLength)
    }

    /// The ids of `text`: `[CLS]`, the word pieces truncated to `maxLength - 2`, `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [clsID]
        ids += pieceIDs(text, limit: maxLength - 2)
        ids.append(sepID)
        return ids
    }

    /// The word-piece ids of `text` without added `[CLS]`/`[SEP]`, at most `limit` of them.
    ///
    /// Special tokens written in the text (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`, exactly so spelled)
    /// map to their ids, as in Hugging Face's tokenizer, where they are added tokens matched before
    /// normalization.
    public func pieceIDs(_ text: String, limit: Int = .max) -> [Int32] {
        var ids: [Int32] = []
        for segment in splitSpecial(text) {
            if ids.count >= limit { break }
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let stretch):
                for word in normalizer.words(stretch) {
                    if ids.count >= limit { break }
                    appendPieces(of: word, to: &ids)
                }
            }
        }
        if ids.count > limit { ids.removeLast(ids.count - limit) }
        return ids
    }

    private enum Segment {
        case text(String)
        case special(Int32)
    }

    /// `text` cut at every literal special token.
    private func splitSpecial(_ text: String) -> [Segment] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains("[") else { return [.text(text)] }
        func string(_ range: Range<Int>) -> String {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[range])
            return String(piece)
        }
        var segments: [Segment] = []
        var start = 0, index = 0
        while index < scalars.count {
            guard scalars[index] == "[",
                let name = specialTokens.first(where: { scalars[index...].starts(with: $0.unicodeScalars) }),
                let id = vocabulary[name]
            else {
                index += 1
                continue
            }
            segments.append(.text(string(start..<index)))
            segments.append(.special(id))
            index += name.unicodeScalars.count
            start = index
        }
        segments.append(.text(string(start..<scalars.count)))
        return segments
    }

    private var specialTokens: [String] { ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"] }

    /// The vocabulary entries of `text`'s word pieces (for inspection and tests).
    public func tokenize(_ text: String) -> [String] {
        var inverse = [Int32: String](minimumCapacity: vocabulary.count)
        for (entry, id) in vocabulary { inverse[id] = entry }
        return pieceIDs(text).map { inverse[$0] ?? "[UNK]" }
    }

    private func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        guard word.count <= maxCharactersPerWord else {
            ids.append(unknownID)
            return
        }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while end > start {
                var candidate = start > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.append(unknownID)
                return
            }
            pieces.append(found)
            start = end
        }
        ids += pieces
    }
}
