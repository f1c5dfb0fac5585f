import CairnPrimitives
import CairnLedger

/// Reads of the module's records over any state.
struct VerificationReader {
    let state: any StateReader

    func verifier(_ a: Address) throws(LedgerError) -> VerifierRecord? { try read(VerificationKeys.verifier(a), "verifier \(a)") }

    /// Every verifier, in address order.
    func verifiers() throws(LedgerError) -> [(address: Address, record: VerifierRecord)] {
        try entries(VerificationKeys.verifierPrefix).map { (e) throws(LedgerError) in
            guard let a = Address(bytes: Array(e.key.dropFirst(VerificationKeys.verifierPrefix.count))) else {
                throw VerificationError.corrupt("verifier key \(e.key.hexString)")
            }
            return (a, try Self.decode(e.value, "verifier \(a)"))
        }
    }

    func challenge(_ id: UInt64) throws(LedgerError) -> Challenge? { try read(VerificationKeys.challenge(id), "challenge \(id)") }

    func existingChallenge(_ id: UInt64) throws(LedgerError) -> Challenge {
        guard let c = try challenge(id) else { throw VerificationError.unknownChallenge(id) }
        return c
    }

    /// Every challenge, in id order.
    func challenges() throws(LedgerError) -> [Challenge] {
        try entries(VerificationKeys.challengePrefix).map { (e) throws(LedgerError) -> Challenge in try Self.decode(e.value, "challenge") }
    }

    /// The ids of the undecided challenges, in order.
    func openChallenges() throws(LedgerError) -> [UInt64] { try ids(VerificationKeys.openPrefix) }

    /// The ids of the undecided challenges against `provider`, in order.
    func pending(_ provider: Address) throws(LedgerError) -> [UInt64] { try ids(VerificationKeys.pending(provider)) }

    func challengeOf(receipt: Hash) throws(LedgerError) -> UInt64? {
        guard let raw = try get(VerificationKeys.receipt(receipt), "receipt index") else { return nil }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw VerificationError.corrupt("receipt index") }
        return id
    }

    func nextChallengeID() throws(LedgerError) -> UInt64 {
        guard let raw = try get(VerificationKeys.nextChallenge, "next challenge id") else { return 1 }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw VerificationError.corrupt("next challenge id") }
        return id
    }

    func reputation(_ provider: Address) throws(LedgerError) -> Reputation {
        try read(VerificationKeys.reputation(provider), "reputation of \(provider)") ?? Reputation()
    }

    /// Every provider with a reputation record, in address order.
    func reputations() throws(LedgerError) -> [(provider: Address, reputation: Reputation)] {
        try entries(VerificationKeys.reputationPrefix).map { (e) throws(LedgerError) in
            guard let a = Address(bytes: Array(e.key.dropFirst(VerificationKeys.reputationPrefix.count))) else {
                throw VerificationError.corrupt("reputation key \(e.key.hexString)")
            }
            return (a, try Self.decode(e.value, "reputation of \(a)"))
        }
    }

    func reported(_ receipt: Hash) throws(LedgerError) -> Bool { try get(VerificationKeys.check(receipt), "check") != nil }

    func ids(_ prefix: [UInt8]) throws(LedgerError) -> [UInt64] {
        try entries(prefix).map { (e) throws(LedgerError) -> UInt64 in
            guard e.key.count == prefix.count + 8, let id = StateKey.readBigEndian(e.key, at: prefix.count) else {
                throw VerificationError.corrupt("index key \(e.key.hexString)")
            }
            return id
        }
    }

    func entries(_ prefix: [UInt8]) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw VerificationError.corrupt("scan: \(error)") }
    }

    func get(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> [UInt8]? {
        do { return try state.get(key) } catch { throw VerificationError.corrupt("\(what()): \(error)") }
    }

    func read<T: CanonicalCodable>(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T? {
        guard let raw = try get(key, what()) else { return nil }
        return try Self.decode(raw, what())
    }

    static func decode<T: CanonicalCodable>(_ raw: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T {
        do { return try T(canonicalBytes: raw) } catch { throw VerificationError.corrupt("\(what()): \(error)") }
    }
}

/// Writes of the module's records.
struct VerificationStore {
    let state: StateOverlay
    var read: VerificationReader { VerificationReader(state: state) }

    func write(_ record: VerifierRecord, _ a: Address) { state.set(VerificationKeys.verifier(a), record.canonicalBytes) }
    func removeVerifier(_ a: Address) { state.delete(VerificationKeys.verifier(a)) }

    func write(_ c: Challenge) { state.set(VerificationKeys.challenge(c.id), c.canonicalBytes) }

    /// Stores a new challenge with its indexes: open, pending against its provider, and by receipt.
    /// Records a new challenge as open and pending against its provider; `receipt` (a single job's) is challenged once.
    func create(_ c: Challenge, receipt: Hash?) {
        write(c)
        state.set(VerificationKeys.open(c.id), [1])
        state.set(VerificationKeys.pending(c.provider, c.id), [1])
        if let receipt { state.set(VerificationKeys.receipt(receipt), StateKey.bigEndian(c.id)) }
        state.set(VerificationKeys.nextChallenge, StateKey.bigEndian(c.id + 1))
    }

    /// Drops a decided challenge from the open and pending indexes.
    func close(_ c: Challenge) {
        state.delete(VerificationKeys.open(c.id))
        state.delete(VerificationKeys.pending(c.provider, c.id))
    }

    func write(_ r: Reputation, _ provider: Address) { state.set(VerificationKeys.reputation(provider), r.canonicalBytes) }

    func markReported(_ receipt: Hash, by reporter: Address) { state.set(VerificationKeys.check(receipt), reporter.bytes) }
}
