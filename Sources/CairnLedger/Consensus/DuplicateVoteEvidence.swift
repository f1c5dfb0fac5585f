public import CairnPrimitives

/// Proof that a validator equivocated: two votes it signed of the same type, height and round for different blocks.
///
/// The pair is kept in one order (the vote for nil first, then by block hash), so the same equivocation is the same
/// evidence whoever saw it first, and a block cannot carry it twice under two orders.
public struct DuplicateVoteEvidence: Sendable, Hashable, CanonicalCodable {
    public let first: SignedVote
    public let second: SignedVote

    /// Orders the two votes; nil when they are not an equivocation (see `problem`), so only checkable pairs exist.
    public init?(_ a: SignedVote, _ b: SignedVote) {
        let (x, y) = Self.ordered(a, b)
        first = x
        second = y
        if Self.shapeProblem(first.vote, second.vote) != nil { return nil }
    }

    static func ordered(_ a: SignedVote, _ b: SignedVote) -> (SignedVote, SignedVote) {
        switch (a.vote.blockHash, b.vote.blockHash) {
        case (nil, _): (a, b)
        case (_, nil): (b, a)
        case let (x?, y?): x < y ? (a, b) : (b, a)
        }
    }

    /// What makes two votes not an equivocation, if anything (apart from their signatures).
    static func shapeProblem(_ a: Vote, _ b: Vote) -> String? {
        if a.validator != b.validator { return "the votes are by different validators" }
        if a.type != b.type || a.height != b.height || a.round != b.round { return "the votes are for different heights, rounds or steps" }
        if a.blockHash == b.blockHash { return "the votes are for the same block" }
        switch (a.blockHash, b.blockHash) {
        case (nil, _): return nil
        case let (x?, y?) where x < y: return nil
        default: return "the votes are not in canonical order"
        }
    }

    public var validator: Address { first.vote.validator }
    public var height: UInt64 { first.vote.height }

    /// Checks both signatures with the validator's `key` on `chainID`; nil when the evidence holds, else why not.
    public func problem(key: PublicKey, chainID: String) -> String? {
        if let shape = Self.shapeProblem(first.vote, second.vote) { return shape }
        guard first.isSigned(by: key, chainID: chainID), second.isSigned(by: key, chainID: chainID) else {
            return "a vote's signature does not verify with the validator's key"
        }
        return nil
    }

    /// SHA-256 of the canonical bytes: what the ledger records so the same evidence is refused a second time.
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    public func encode(to w: inout CanonicalWriter) {
        first.encode(to: &w)
        second.encode(to: &w)
    }

    /// Decodes without reordering: evidence out of canonical order is refused by `problem`.
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        first = try SignedVote(from: &r)
        second = try SignedVote(from: &r)
    }

    /// The most evidence one block carries.
    public static let maxPerBlock = 1000

    /// A block's evidence list as it is encoded in the block and stored beside it.
    public static func encode(_ list: [DuplicateVoteEvidence], to w: inout CanonicalWriter) {
        w.write(array: list) { w, e in e.encode(to: &w) }
    }

    public static func decodeList(from r: inout CanonicalReader) throws(DecodeError) -> [DuplicateVoteEvidence] {
        try r.readArray(limit: maxPerBlock) { (r: inout CanonicalReader) throws(DecodeError) in try DuplicateVoteEvidence(from: &r) }
    }

    /// The header's `evidenceHash` of a block carrying `list`: zero for none.
    public static func hash(of list: [DuplicateVoteEvidence]) -> Hash {
        guard !list.isEmpty else { return .zero }
        var w = CanonicalWriter()
        encode(list, to: &w)
        return Hash.sha256(w.bytes)
    }
}
