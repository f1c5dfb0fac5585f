import CairnPrimitives
import CairnLedger

/// Reads of the training module's records over any state.
struct TrainingReader {
    let state: any StateReader

    func job(_ id: UInt64) throws(LedgerError) -> TrainingJob? { try read(TrainingKeys.job(id), "job \(id)") }

    func existingJob(_ id: UInt64) throws(LedgerError) -> TrainingJob {
        guard let j = try job(id) else { throw TrainingError.unknownJob(id) }
        return j
    }

    func nextJobID() throws(LedgerError) -> UInt64 {
        guard let raw = try get(TrainingKeys.nextJob, "next job id") else { return 1 }
        guard raw.count == 8, let id = StateKey.readBigEndian(raw, at: 0) else { throw TrainingError.corrupt("next job id") }
        return id
    }

    /// Every job, in id order.
    func jobs() throws(LedgerError) -> [TrainingJob] {
        try entries(TrainingKeys.jobPrefix).map { (e) throws(LedgerError) -> TrainingJob in try Self.decode(e.value, "job \(e.key.hexString)") }
    }

    /// The ids of the jobs not yet over, in order.
    func activeJobIDs() throws(LedgerError) -> [UInt64] {
        try entries(TrainingKeys.activePrefix).compactMap { StateKey.readBigEndian($0.key, at: TrainingKeys.activePrefix.count) }
    }

    func member(_ id: UInt64, _ a: Address) throws(LedgerError) -> Participant? { try read(TrainingKeys.member(id, a), "participant \(a.bech32) of job \(id)") }

    /// A job's participants in join order.
    func members(_ id: UInt64) throws(LedgerError) -> [Participant] {
        try entries(TrainingKeys.members(id)).map { (e) throws(LedgerError) -> Participant in try Self.decode(e.value, "participant of job \(id)") }
            .sorted { $0.index < $1.index }
    }

    func share(_ id: UInt64, _ r: UInt32, _ a: Address) throws(LedgerError) -> ShareRecord? {
        try read(TrainingKeys.share(id, r, a), "shares of \(a.bech32) in job \(id) round \(r)")
    }

    func hasSubmitted(_ id: UInt64, _ r: UInt32, _ a: Address) throws(LedgerError) -> Bool {
        try get(TrainingKeys.submitted(id, r, a), "submission of \(a.bech32)") != nil
    }

    func words(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> [UInt32]? {
        guard let raw = try get(key, what()) else { return nil }
        guard let w = Words.words(raw) else { throw TrainingError.corrupt(what()) }
        return w
    }

    func round(_ id: UInt64, _ r: UInt32) throws(LedgerError) -> RoundRecord? { try read(TrainingKeys.round(id, r), "round \(r) of job \(id)") }

    func roundRecords(_ id: UInt64) throws(LedgerError) -> [RoundRecord] {
        try entries(TrainingKeys.rounds(id)).map { (e) throws(LedgerError) -> RoundRecord in try Self.decode(e.value, "round of job \(id)") }
    }

    /// The shares revealed of `of`'s secret in a round, by revealer address order.
    func reveals(_ id: UInt64, _ r: UInt32, of: Address) throws(LedgerError) -> [[UInt8]] {
        try entries(TrainingKeys.reveals(id, r, of: of)).map(\.value)
    }

    func entries(_ prefix: [UInt8]) throws(LedgerError) -> [(key: [UInt8], value: [UInt8])] {
        do { return try state.scan(prefix: prefix) } catch { throw TrainingError.corrupt("scan: \(error)") }
    }

    func get(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> [UInt8]? {
        do { return try state.get(key) } catch { throw TrainingError.corrupt("\(what()): \(error)") }
    }

    func read<T: CanonicalCodable>(_ key: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T? {
        guard let raw = try get(key, what()) else { return nil }
        return try Self.decode(raw, what())
    }

    static func decode<T: CanonicalCodable>(_ raw: [UInt8], _ what: @autoclosure () -> String) throws(LedgerError) -> T {
        do { return try T(canonicalBytes: raw) } catch { throw TrainingError.corrupt("\(what()): \(error)") }
    }
}

/// Writes of the training module's records.
struct TrainingStore {
    let state: StateOverlay
    var read: TrainingReader { TrainingReader(state: state) }

    func write(_ job: TrainingJob) { state.set(TrainingKeys.job(job.id), job.canonicalBytes) }

    func create(_ job: TrainingJob) {
        write(job)
        state.set(TrainingKeys.active(job.id), [1])
        state.set(TrainingKeys.nextJob, StateKey.bigEndian(job.id + 1))
    }

    func write(_ p: Participant, job: UInt64) { state.set(TrainingKeys.member(job, p.address), p.canonicalBytes) }

    func setWords(_ key: [UInt8], _ words: [UInt32]) { state.set(key, Words.bytes(words)) }

    /// Deletes every record of the running round (shares, submissions, the masked sum, reveals).
    func clearRound(_ id: UInt64, _ r: UInt32) throws(LedgerError) {
        for prefix in [TrainingKeys.shares(id, r), TrainingKeys.submissions(id, r), TrainingKeys.reveals(id, r)] {
            for e in try read.entries(prefix) { state.delete(e.key) }
        }
        state.delete(TrainingKeys.sum(id, r))
    }
}
