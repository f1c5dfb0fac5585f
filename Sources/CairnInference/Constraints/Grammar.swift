/// A set of bytes, as a 256-bit mask.
public struct ByteSet: Sendable, Hashable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    /// The bytes of `literal`, or of the ranges given.
    public init(_ ranges: ClosedRange<UInt8>...) {
        for range in ranges { for byte in range { insert(byte) } }
    }

    public mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    public func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    /// Every byte but those in `self`.
    public var complement: ByteSet {
        var c = ByteSet()
        c.words = (~words.0, ~words.1, ~words.2, ~words.3)
        return c
    }

    /// Whether every byte of `other` is in `self`.
    public func isSuperset(of other: ByteSet) -> Bool {
        other.words.0 & ~words.0 == 0 && other.words.1 & ~words.1 == 0 && other.words.2 & ~words.2 == 0 && other.words.3 & ~words.3 == 0
    }

    /// Whether no byte is in both.
    public func isDisjoint(with other: ByteSet) -> Bool {
        words.0 & other.words.0 == 0 && words.1 & other.words.1 == 0 && words.2 & other.words.2 == 0 && words.3 & other.words.3 == 0
    }

    public static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// A context-free grammar over bytes, without left recursion: each rule is a list of alternatives, each alternative a
/// sequence of byte sets and references to rules. Generated output is held to it byte by byte (``GrammarState``).
///
/// The alternatives are stored flat, as in llama.cpp's grammars: one array of elements in which each alternative is a
/// run ending with `.end`, so a position in the grammar is one index.
public final class Grammar: Sendable, Equatable {
    enum Element: Sendable, Equatable {
        case bytes(ByteSet)
        case rule(Int32)
        case end
    }

    let elements: [Element]
    /// For each rule, the index of each alternative's first element.
    let alternatives: [[Int32]]
    /// The rule the whole output must match.
    let root: Int32

    init(elements: [Element], alternatives: [[Int32]], root: Int32) {
        self.elements = elements
        self.alternatives = alternatives
        self.root = root
    }

    public static func == (a: Grammar, b: Grammar) -> Bool { a === b }

    /// The state before any byte.
    public var start: GrammarState {
        var state = GrammarState(stacks: [])
        expand([Int32(-1 - root)], into: &state.stacks)
        state.canonicalize()
        return state
    }

    /// Pushes the alternatives of a rule on top of `stack` until each resulting stack's top is a byte set (or the
    /// stack is empty: the output may end here). A negative top `-1 - r` stands for rule `r` itself.
    func expand(_ stack: [Int32], into out: inout [[Int32]]) {
        guard let top = stack.last else {
            out.append(stack)
            return
        }
        let rule: Int32
        var base = stack
        base.removeLast()
        if top < 0 {
            rule = -1 - top
        } else {
            switch elements[Int(top)] {
            case .bytes:
                out.append(stack)
                return
            case .end:
                expand(base, into: &out)
                return
            case .rule(let r):
                rule = r
                if elements[Int(top) + 1] != .end { base.append(top + 1) }
            }
        }
        for start in alternatives[Int(rule)] {
            var next = base
            next.append(start)
            expand(next, into: &out)
        }
    }

    /// Builds grammars: rules are declared first (so they can refer to each other), then defined.
    public struct Builder {
        public enum Item {
            case literal(String)
            case bytes(ByteSet)
            case rule(Int32)
        }

        private var definitions: [[[Item]]?] = []

        public init() {}

        /// A new rule, to define later.
        public mutating func declare() -> Int32 {
            definitions.append(nil)
            return Int32(definitions.count - 1)
        }

        /// Defines `rule` as a choice among `alternatives` (an empty alternative matches nothing).
        public mutating func define(_ rule: Int32, _ alternatives: [[Item]]) {
            definitions[Int(rule)] = alternatives
        }

        /// A new rule defined at once.
        public mutating func rule(_ alternatives: [[Item]]) -> Int32 {
            let r = declare()
            define(r, alternatives)
            return r
        }

        /// The grammar whose root is `root`. Every declared rule must be defined.
        public func build(root: Int32) -> Grammar {
            var elements: [Element] = []
            var starts: [[Int32]] = []
            for definition in definitions {
                guard let definition else { preconditionFailure("a declared grammar rule was never defined") }
                var ruleStarts: [Int32] = []
                for alternative in definition {
                    ruleStarts.append(Int32(elements.count))
                    for item in alternative {
                        switch item {
                        case .literal(let text): for byte in text.utf8 { elements.append(.bytes(ByteSet(byte...byte))) }
                        case .bytes(let set): elements.append(.bytes(set))
                        case .rule(let r): elements.append(.rule(r))
                        }
                    }
                    elements.append(.end)
                }
                starts.append(ruleStarts)
            }
            return Grammar(elements: elements, alternatives: starts, root: root)
        }
    }
}

/// Where output stands in a ``Grammar``: every way the bytes so far can be continued, as stacks of grammar
/// positions (the top of each is the byte set that comes next; an empty stack means the output may end here).
public struct GrammarState: Sendable, Equatable {
    var stacks: [[Int32]]

    mutating func canonicalize() {
        stacks.sort { $0.lexicographicallyPrecedes($1) }
        var unique: [[Int32]] = []
        for stack in stacks where unique.last != stack { unique.append(stack) }
        stacks = unique
    }

    /// Whether the output may end here.
    public var isComplete: Bool { stacks.contains { $0.isEmpty } }

    /// Whether some byte may still follow.
    public var canContinue: Bool { stacks.contains { !$0.isEmpty } }

    /// Whether `byte` may come next (without building the next state).
    public func accepts(_ byte: UInt8, in grammar: Grammar) -> Bool {
        for stack in stacks {
            if let top = stack.last, case .bytes(let set) = grammar.elements[Int(top)], set.contains(byte) { return true }
        }
        return false
    }

    /// The state after `byte`, or nil if the grammar does not allow it here.
    public func advanced(by byte: UInt8, in grammar: Grammar) -> GrammarState? {
        var next = GrammarState(stacks: [])
        for stack in stacks {
            guard let top = stack.last, case .bytes(let set) = grammar.elements[Int(top)], set.contains(byte) else { continue }
            var moved = stack
            moved.removeLast()
            if grammar.elements[Int(top) + 1] != .end { moved.append(top + 1) }
            grammar.expand(moved, into: &next.stacks)
        }
        guard !next.stacks.isEmpty else { return nil }
        next.canonicalize()
        return next
    }

    /// The state after all of `bytes`, or nil if the grammar does not allow them here.
    public func advanced(by bytes: some Sequence<UInt8>, in grammar: Grammar) -> GrammarState? {
        var state = self
        for byte in bytes {
            guard let next = state.advanced(by: byte, in: grammar) else { return nil }
            state = next
        }
        return state
    }

    /// Whether every byte of `set` leads back to this same state, and no other stack moves on one of them: inside a
    /// free JSON string, where every token made only of such bytes is allowed without looking at it.
    func loops(over set: ByteSet, probe: UInt8, in grammar: Grammar) -> Bool {
        for stack in stacks {
            guard let top = stack.last, case .bytes(let tops) = grammar.elements[Int(top)] else { continue }
            if !tops.isSuperset(of: set) && !tops.isDisjoint(with: set) { return false }
        }
        return advanced(by: probe, in: grammar) == self
    }
}
