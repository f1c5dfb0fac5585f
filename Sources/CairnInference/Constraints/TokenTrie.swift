/// The vocabulary's tokens as a trie of their bytes, to find every token a grammar allows next in one walk:
/// a branch ends at the first byte the grammar refuses, so most of the vocabulary is never looked at.
///
/// Inside a free JSON string almost every token is allowed, and walking the whole trie would cost a millisecond or
/// more per step; there, the tokens made only of plain string bytes (most of the vocabulary) leave the grammar's
/// state as it was and are allowed as a list, and only the others are walked, in a trie of their own.
public final class TokenTrie: Sendable {
    /// Per node: where its edges start in `edgeBytes`/`edgeNodes`, and how many.
    private let edgeStart: [Int32]
    private let edgeCount: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeNodes: [Int32]
    /// Per node: the tokens whose bytes end there (`tokens[tokenStart[n]..<tokenStart[n + 1]]`).
    private let tokenStart: [Int32]
    private let tokens: [Int32]
    /// Tokens made only of plain string bytes, and the trie of all the others.
    let plainTokens: [Int32]
    let others: TokenTrie?
    /// The bytes of every token in the trie, by id (empty for tokens left out).
    let bytes: [[UInt8]]
    /// How many token ids the vocabulary has.
    public let vocabularySize: Int

    /// The trie of `tokens` (id and bytes); ids not given are never allowed.
    public convenience init(vocabularySize: Int, tokens: [(id: Int32, bytes: [UInt8])]) {
        let plain = JSONSchemaGrammar.plainStringBytes
        let isPlain: ([UInt8]) -> Bool = { $0.allSatisfy { plain.contains($0) } }
        let others = TokenTrie(vocabularySize: vocabularySize, tokens: tokens.filter { !isPlain($0.bytes) }, plainTokens: [], others: nil)
        self.init(vocabularySize: vocabularySize, tokens: tokens, plainTokens: tokens.filter { isPlain($0.bytes) }.map(\.id), others: others)
    }

    /// The trie of `tokenizer`'s vocabulary without control tokens and without `excluded` (the end tokens, which
    /// a grammar allows only where the output may end).
    public convenience init(tokenizer: any TextTokenizer, vocabularySize: Int, excluded: Set<Int32>) {
        var list: [(id: Int32, bytes: [UInt8])] = []
        for id in 0..<Int32(vocabularySize) where !excluded.contains(id) && !tokenizer.isControlToken(id) {
            let bytes = tokenizer.tokenBytes(id)
            if !bytes.isEmpty { list.append((id, bytes)) }
        }
        self.init(vocabularySize: vocabularySize, tokens: list)
    }

    private init(vocabularySize: Int, tokens list: [(id: Int32, bytes: [UInt8])], plainTokens: [Int32], others: TokenTrie?) {
        self.vocabularySize = vocabularySize
        self.plainTokens = plainTokens
        self.others = others
        var bytes = [[UInt8]](repeating: [], count: vocabularySize)
        for token in list where Int(token.id) < vocabularySize { bytes[Int(token.id)] = token.bytes }
        self.bytes = bytes
        let sorted = list.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) || ($0.bytes == $1.bytes && $0.id < $1.id) }
        // Nodes in depth-first order; each node's edges are written when the node is built.
        var edgeStart: [Int32] = [], edgeCount: [Int32] = [], edgeBytes: [UInt8] = [], edgeNodes: [Int32] = []
        var tokenStart: [Int32] = [], tokens: [Int32] = []
        func build(_ range: Range<Int>, depth: Int) -> Int32 {
            let node = Int32(edgeStart.count)
            edgeStart.append(0)
            edgeCount.append(0)
            tokenStart.append(Int32(tokens.count))
            var i = range.lowerBound
            while i < range.upperBound, sorted[i].bytes.count == depth {
                tokens.append(sorted[i].id)
                i += 1
            }
            // Children: runs of the same byte at `depth`.
            var groups: [(UInt8, Range<Int>)] = []
            while i < range.upperBound {
                let byte = sorted[i].bytes[depth]
                var j = i + 1
                while j < range.upperBound, sorted[j].bytes[depth] == byte { j += 1 }
                groups.append((byte, i..<j))
                i = j
            }
            // Edges of one node are contiguous: reserve them, then build the children.
            let first = edgeBytes.count
            edgeStart[Int(node)] = Int32(first)
            edgeCount[Int(node)] = Int32(groups.count)
            for (byte, _) in groups {
                edgeBytes.append(byte)
                edgeNodes.append(0)
            }
            for (k, (_, group)) in groups.enumerated() { edgeNodes[first + k] = build(group, depth: depth + 1) }
            return node
        }
        _ = build(0..<sorted.count, depth: 0)
        // Nodes are numbered in preorder and each appends its tokens before its children exist, so node n's tokens run
        // from `tokenStart[n]` to the next node's start.
        tokenStart.append(Int32(tokens.count))
        self.edgeStart = edgeStart
        self.edgeCount = edgeCount
        self.edgeBytes = edgeBytes
        self.edgeNodes = edgeNodes
        self.tokenStart = tokenStart
        self.tokens = tokens
    }

    /// Calls `allow` with every token whose bytes `grammar` accepts from `state`.
    func walk(from state: GrammarState, grammar: Grammar, allow: (Int32) -> Void) {
        func visit(_ node: Int32, _ state: GrammarState) {
            let start = Int(edgeStart[Int(node)])
            for e in start..<start + Int(edgeCount[Int(node)]) {
                let byte = edgeBytes[e]
                guard state.accepts(byte, in: grammar), let next = state.advanced(by: byte, in: grammar) else { continue }
                let child = Int(edgeNodes[e])
                for t in Int(tokenStart[child])..<Int(tokenStart[child + 1]) { allow(tokens[t]) }
                visit(Int32(child), next)
            }
        }
        visit(0, state)
    }

    /// Every token `grammar` allows from `state` (end tokens are the caller's: they are not in the trie).
    public func allowed(from state: GrammarState, grammar: Grammar) -> [Int32] {
        var out: [Int32] = []
        if let others, state.isInFreeString(grammar) {
            out = plainTokens
            others.walk(from: state, grammar: grammar) { out.append($0) }
        } else {
            walk(from: state, grammar: grammar) { out.append($0) }
        }
        return out
    }
}

extension GrammarState {
    /// Whether the output is inside a JSON string that any plain text may continue, where ``TokenTrie`` allows the
    /// plain tokens without walking them.
    public func isInFreeString(_ grammar: Grammar) -> Bool {
        loops(over: JSONSchemaGrammar.plainStringBytes, probe: UInt8(ascii: "a"), in: grammar)
    }
}
