internal import Foundation

/// BERT's text clean-up and word splitting, as Hugging Face `BertNormalizer` + `BertPreTokenizer` do it.
///
/// Normalization, in this order: drop NUL, U+FFFD and other control/format/unassigned characters; turn every
/// whitespace character into a space; put spaces around CJK ideographs; for uncased models strip accents
/// (canonical decomposition, then drop nonspacing marks) and lower-case. Splitting then breaks on whitespace
/// and isolates every punctuation character (Unicode `P*`, plus ASCII symbols such as `$` and `+`).
struct BertNormalizer: Sendable {
    /// Lower-case and strip accents (the "uncased" models).
    let lowercase: Bool

    /// The words of `text` after normalization, each as its scalars.
    func words(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in normalize(text).unicodeScalars {
            if Self.isWhitespace(scalar) {
                if !current.isEmpty { words.append(current) }
                current.removeAll(keepingCapacity: true)
            } else if Self.isPunctuation(scalar) {
                if !current.isEmpty { words.append(current) }
                current.removeAll(keepingCapacity: true)
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The normalized text.
    func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isCJK(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        guard lowercase else { return String(cleaned) }
        var result = String.UnicodeScalarView()
        for scalar in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            if scalar.isASCII {
                result.append(scalar.properties.isUppercase ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    /// Whitespace as BERT counts it: tab, newline, carriage return and Unicode `White_Space`.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// Control characters BERT deletes: categories `C*` other than tab, newline and carriage return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// Punctuation BERT isolates: every ASCII non-alphanumeric printable character and Unicode `P*`.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// CJK Unified Ideographs and their extensions and compatibility blocks (not kana or hangul).
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
