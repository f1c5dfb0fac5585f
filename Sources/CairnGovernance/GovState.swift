public import CairnPrimitives
public import CairnLedger

/// The governance state, under the `gov/` prefix (see README):
/// - `gov/params`: `GovParams` as sorted-key JSON
/// - `gov/next_id`: the next proposal id (8 bytes big-endian; absent means 1)
/// - `gov/proposal/<id 8 BE>`: the canonical `Proposal` record
/// - `gov/deposit/<id 8 BE>/<depositor 20>`: the depositor's total deposit (16-byte amount)
/// - `gov/vote/<id 8 BE>/<voter 20>`: the vote option (1 byte)
/// - `gov/queue/deposit/<end height 8 BE>/<id 8 BE>` and `gov/queue/voting/<end height 8 BE>/<id 8 BE>`:
///   the proposals whose deposit or voting period ends at that height (value: one byte, 1)
public enum GovKeys {
    public static let module = "gov"

    public static let params = StateKey.make(module, "params")
    public static let nextID = StateKey.make(module, "next_id")
    public static let proposalPrefix = StateKey.make(module, "proposal") + slash
    public static func proposal(_ id: UInt64) -> [UInt8] { proposalPrefix + be(id) }

    public static let depositPrefix = StateKey.make(module, "deposit") + slash
    public static func deposits(_ id: UInt64) -> [UInt8] { depositPrefix + be(id) + slash }
    public static func deposit(_ id: UInt64, _ depositor: Address) -> [UInt8] { deposits(id) + depositor.bytes }

    public static let votePrefix = StateKey.make(module, "vote") + slash
    public static func votes(_ id: UInt64) -> [UInt8] { votePrefix + be(id) + slash }
    public static func vote(_ id: UInt64, _ voter: Address) -> [UInt8] { votes(id) + voter.bytes }

    /// The two queues: proposals by the height their deposit or voting period ends.
    public enum Queue: String, Sendable, CaseIterable {
        case deposit, voting

        public var prefix: [UInt8] { StateKey.make(GovKeys.module, Array("queue".utf8), Array(rawValue.utf8)) + slash }
        public func at(_ height: UInt64) -> [UInt8] { prefix + be(height) + slash }
        public func entry(_ height: UInt64, _ id: UInt64) -> [UInt8] { at(height) + be(id) }
    }

    static let slash: [UInt8] = [UInt8(ascii: "/")]

    static func be(_ v: UInt64) -> [UInt8] { StateKey.bigEndian(v) }
}

/// Reads governance records; used by the handler, end of block, queries and invariants.
struct GovReader {
    let state: any StateReader

    func params() throws(LedgerError) -> GovParams {
        let raw = try get(GovKeys.params, "parameters")
        do { return try GovParams.stored(raw) } catch { throw GovError.corruptRecord("gov/params: \(error)") }
    }

    func nextID() throws(LedgerError) -> UInt64 {
        guard let raw = try get(GovKeys.nextID, "next id") else { return 1 }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw GovError.corruptRecord("gov/next_id") }
        return id
    }

    func proposal(_ id: UInt64) throws(LedgerError) -> Proposal? {
        guard let raw = try get(GovKeys.proposal(id), "proposal \(id)") else { return nil }
        do { return try Proposal(canonicalBytes: raw) } catch { throw GovError.corruptRecord("proposal \(id): \(error)") }
    }

    func existingProposal(_ id: UInt64) throws(LedgerError) -> Proposal {
        guard let p = try proposal(id) else { throw GovError.unknownProposal(id) }
        return p
    }

    func deposit(_ id: UInt64, _ depositor: Address) throws(LedgerError) -> Amount {
        guard let raw = try get(GovKeys.deposit(id, depositor), "deposit") else { return .zero }
        return try GovReader.amount(raw, "deposit on \(id) by \(depositor)")
    }

    /// Every deposit on `id`, in depositor address order.
    func deposits(_ id: UInt64) throws(LedgerError) -> [(depositor: Address, amount: Amount)] {
        let prefix = GovKeys.deposits(id)
        var out = [(depositor: Address, amount: Amount)]()
        for e in try scan(prefix, "deposits of \(id)") {
            guard let a = Address(bytes: Array(e.key[prefix.count...])) else { throw GovError.corruptRecord("deposit key of \(id)") }
            out.append((a, try GovReader.amount(e.value, "deposit on \(id) by \(a)")))
        }
        return out
    }

    /// Every vote on `id`, in voter address order.
    func votes(_ id: UInt64) throws(LedgerError) -> [(voter: Address, option: VoteOption)] {
        let prefix = GovKeys.votes(id)
        var out = [(voter: Address, option: VoteOption)]()
        for e in try scan(prefix, "votes of \(id)") {
            guard let a = Address(bytes: Array(e.key[prefix.count...])), e.value.count == 1,
                  let o = VoteOption(rawValue: e.value[0]) else { throw GovError.corruptRecord("vote on \(id)") }
            out.append((a, o))
        }
        return out
    }

    /// The ids in `queue` that end at `height`, in id order.
    func queued(_ queue: GovKeys.Queue, at height: UInt64) throws(LedgerError) -> [UInt64] {
        let prefix = queue.at(height)
        return try scan(prefix, "\(queue.rawValue) queue").compactMap { StateKey.readBigEndian($0.key, at: prefix.count) }
    }

    func get(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> [UInt8]? {
        do { return try state.get(key) } catch { throw GovError.readFailed(what(), error) }
    }

    func scan(_ prefix: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw GovError.readFailed(what(), error) }
    }

    static func amount(_ raw: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> Amount {
        do { return try Amount(canonicalAmount: raw) } catch { throw GovError.corruptRecord(what()) }
    }
}

/// Writes governance records inside a block's state overlay.
struct GovStore {
    let state: StateOverlay
    var read: GovReader { GovReader(state: state) }

    func params() throws(LedgerError) -> GovParams { try read.params() }

    func setParams(_ p: GovParams) throws(LedgerError) {
        state.set(GovKeys.params, p.canonicalBytes)
    }

    func setNextID(_ id: UInt64) { state.set(GovKeys.nextID, GovKeys.be(id)) }

    func put(_ p: Proposal) { state.set(GovKeys.proposal(p.id), p.canonicalBytes) }

    func setDeposit(_ id: UInt64, _ depositor: Address, _ amount: Amount) {
        var w = CanonicalWriter()
        w.write(amount)
        state.set(GovKeys.deposit(id, depositor), w.bytes)
    }

    func setVote(_ id: UInt64, _ voter: Address, _ option: VoteOption) { state.set(GovKeys.vote(id, voter), [option.rawValue]) }

    func enqueue(_ queue: GovKeys.Queue, _ height: UInt64, _ id: UInt64) { state.set(queue.entry(height, id), [1]) }
    func dequeue(_ queue: GovKeys.Queue, _ height: UInt64, _ id: UInt64) { state.delete(queue.entry(height, id)) }
}

extension Amount {
    /// Decodes exactly 16 big-endian bytes.
    init(canonicalAmount raw: [UInt8]) throws(DecodeError) {
        var r = CanonicalReader(raw)
        self = try r.readAmount()
        try r.expectEnd()
    }
}
