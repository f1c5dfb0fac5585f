/// Splits text into the words that byte-level BPE merges within, as the model's tokenizer was trained.
///
/// `gpt2` is GPT-2's pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, hand-compiled into a scanner.
/// `smollm` (shared by StarCoder-family vocabularies) first isolates every numeric character (Hugging Face
/// `Digits(individual_digits: true)`, llama.cpp's `\p{N}` split) and runs the GPT-2 pattern on the stretches
/// between them, so `" 42"` becomes `" "`, `"4"`, `"2"`.
public struct PreTokenizer: Sendable, Equatable {
    /// The splitting rules.
    public enum Kind: Sendable, Equatable {
        /// GPT-2's pattern alone.
        case gpt2
        /// Every numeric character on its own, then GPT-2's pattern between them.
        case isolatedDigitsThenGPT2
    }

    /// The rules this pre-tokenizer applies.
    public let kind: Kind

    /// Creates the pre-tokenizer named by GGUF `tokenizer.ggml.pre`.
    /// - Throws: `.unsupported` for a name whose splitting rules are not implemented.
    public init(name: String) throws {
        switch name {
        case "gpt2", "gpt-2", "mpt", "olmo", "jais":
            kind = .gpt2
        case "smollm", "starcoder", "refact", "codeshell", "command-r", "exaone", "minerva":
            kind = .isolatedDigitsThenGPT2
        default:
            throw InferenceError(.unsupported, "pre-tokenizer '\(name)' is not supported (known: gpt2, smollm, starcoder)")
        }
    }

    /// Creates a pre-tokenizer with the given rules.
    public init(kind: Kind) { self.kind = kind }

    /// The words of `text`, as ranges of its scalars, in order and covering every scalar.
    func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        words.reserveCapacity(text.count / 3 + 1)
        guard kind == .isolatedDigitsThenGPT2 else {
            Self.splitGPT2(text, 0..<text.count, into: &words)
            return words
        }
        var start = 0
        for index in text.indices where CharacterClass(text[index]) == .number {
            Self.splitGPT2(text, start..<index, into: &words)
            words.append(index..<index + 1)
            start = index + 1
        }
        Self.splitGPT2(text, start..<text.count, into: &words)
        return words
    }

    /// Appends GPT-2 pattern matches within `range` (the pattern cannot see past it) to `words`.
    private static func splitGPT2(_ s: [Unicode.Scalar], _ range: Range<Int>, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let next = matchLength(s, at: i, end: end)
            words.append(i..<i + next)
            i += next
        }
    }

    /// The length of the pattern's match starting at `i` (always at least 1).
    private static func matchLength(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int {
        if s[i] == "'", i + 1 < end {
            switch s[i + 1] {
            case "s", "t", "m", "d": return 2
            case "r" where i + 2 < end && s[i + 2] == "e": return 3
            case "v" where i + 2 < end && s[i + 2] == "e": return 3
            case "l" where i + 2 < end && s[i + 2] == "l": return 3
            default: break
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional plain space, then a run of one class.
        var start = i
        if s[i] == " ", i + 1 < end, CharacterClass(s[i + 1]) != .whitespace { start = i + 1 }
        let run = CharacterClass(s[start])
        if run != .whitespace {
            var j = start + 1
            while j < end, CharacterClass(s[j]) == run { j += 1 }
            return j - i
        }
        // `\s+(?!\S)` then `\s+`: a whitespace run, leaving its last character to the word that follows.
        var j = i + 1
        while j < end, CharacterClass(s[j]) == .whitespace { j += 1 }
        if j == end || j - i == 1 { return j - i }
        return j - i - 1
    }
}

/// The character classes GPT-2's pattern distinguishes.
enum CharacterClass: Equatable {
    case letter, number, whitespace, other

    init(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            self = Self.ascii[Int(scalar.value)]
            return
        }
        if scalar.properties.isWhitespace {
            self = .whitespace
            return
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    private static let ascii: [CharacterClass] = (0..<128).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case 9...13, 32: return .whitespace
        default: return .other
        }
    }
}
