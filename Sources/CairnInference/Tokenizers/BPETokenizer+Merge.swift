/// The merge loop: the lowest-ranked adjacent pair is merged first (leftmost on ties), as in Hugging Face
/// `tokenizers`. Symbols form a linked list and candidate pairs wait in a min-heap, so a word of n bytes costs
/// O(n log n) rather than a rescan per merge (long unbroken words such as base64 blobs stay fast).
extension BPETokenizer {
    func mergeWord(_ bytes: [UInt8], into ids: inout [Int32]) {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for byte in bytes {
            let id = byteTokens[Int(byte)]
            if id >= 0 { symbols.append(id) }  // a byte missing from the vocabulary is dropped, as HF does
        }
        let count = symbols.count
        if count < 2 {
            ids += symbols
            return
        }
        if count == 2 {
            if let rule = merges[Self.pairKey(symbols[0], symbols[1])] { ids.append(rule.merged) } else { ids += symbols }
            return
        }
        var next = Array(1...count)  // count marks the end
        next[count - 1] = -1
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var queue = PairHeap()
        for position in 0..<(count - 1) {
            if let rule = merges[Self.pairKey(symbols[position], symbols[position + 1])] {
                queue.push(.init(rank: rule.rank, position: position, left: symbols[position], right: symbols[position + 1]))
            }
        }
        while let candidate = queue.pop() {
            let left = candidate.position
            let right = next[left]
            guard alive[left], right >= 0, symbols[left] == candidate.left, symbols[right] == candidate.right,
                let rule = merges[Self.pairKey(candidate.left, candidate.right)]
            else { continue }
            symbols[left] = rule.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] >= 0 { previous[next[right]] = left }
            if previous[left] >= 0, let before = merges[Self.pairKey(symbols[previous[left]], symbols[left])] {
                queue.push(.init(rank: before.rank, position: previous[left], left: symbols[previous[left]], right: symbols[left]))
            }
            if next[left] >= 0, let after = merges[Self.pairKey(symbols[left], symbols[next[left]])] {
                queue.push(.init(rank: after.rank, position: left, left: symbols[left], right: symbols[next[left]]))
            }
        }
        var position = 0
        while position >= 0 {
            ids.append(symbols[position])
            position = next[position]
        }
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct PairHeap {
    struct Entry {
        let rank: Int32
        let position: Int
        let left: Int32
        let right: Int32

        func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var items: [Entry] = []

    mutating func push(_ entry: Entry) {
        items.append(entry)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
            if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}

/// Finds special tokens written in text: leftmost first, and the longest one where several start at a place.
struct SpecialTokenMatcher: Sendable {
    struct Candidate: Sendable {
        let scalars: [Unicode.Scalar]
        let id: Int32
        let isControl: Bool
    }

    /// Candidates by first scalar, longest first.
    private let byFirstScalar: [UInt32: [Candidate]]

    init(tokens: [String], types: [Int32]) {
        var table: [UInt32: [Candidate]] = [:]
        for (id, token) in tokens.enumerated() {
            let type = types[id]
            guard type == BPETokenizer.TokenType.control.rawValue || type == BPETokenizer.TokenType.userDefined.rawValue,
                let first = token.unicodeScalars.first
            else { continue }
            let candidate = Candidate(
                scalars: Array(token.unicodeScalars), id: Int32(id), isControl: type == BPETokenizer.TokenType.control.rawValue)
            table[first.value, default: []].append(candidate)
        }
        byFirstScalar = table.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
    }

    /// The special tokens in `text`, in order and non-overlapping.
    func matches(in text: [Unicode.Scalar], includeControl: Bool) -> [(range: Range<Int>, id: Int32)] {
        var found: [(range: Range<Int>, id: Int32)] = []
        guard !byFirstScalar.isEmpty else { return found }
        var index = 0
        scan: while index < text.count {
            if let candidates = byFirstScalar[text[index].value] {
                for candidate in candidates where includeControl || !candidate.isControl {
                    let end = index + candidate.scalars.count
                    if end <= text.count, text[index..<end].elementsEqual(candidate.scalars) {
                        found.append((index..<end, candidate.id))
                        index = end
                        continue scan
                    }
                }
            }
            index += 1
        }
        return found
    }
}
