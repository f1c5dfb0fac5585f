public import CairnPrimitives

/// The validator set of one height as the latest state can tell it, for the API's `GET /v1/validators`.
public struct HistoricValidatorSet: Sendable, Equatable {
    /// The set that decides (or decided) the height. When `prioritiesKnown` is false its priorities are those it had
    /// when it came into force, not those of the height.
    public var set: ValidatorSet
    /// Whether the proposer priorities are those of round 0 of the height.
    public var prioritiesKnown: Bool
}

extension Ledger {
    /// Heights a past set's priorities are replayed over at most (each one a rotation of the set): past that, a query
    /// of an old height gets the members and powers without the priorities.
    public static let maxPriorityReplay: UInt64 = 10_000

    /// The validator set that decides block `height`, read from `state`, the state after block `head`.
    ///
    /// The state holds the sets of `head`, `head + 1` and `head + 2` (those that decided the head, decide the next
    /// block and the one after), and the history of changes for the heights before. A set from the history is rolled
    /// forward to `height` as the chain rotated it (no member or power changed in between, else the history would name a
    /// later set), which gives its priorities exactly, within ``maxPriorityReplay`` heights.
    ///
    /// - Returns: nil for height 0 and for heights above `head + 2`.
    public func validatorSet(deciding height: UInt64, head: UInt64, state: any StateReader) throws -> HistoricValidatorSet? {
        guard height >= 1, height <= head + 2 else { return nil }
        let sets = try validatorSets(state: state)
        switch height {
        case head + 2: return HistoricValidatorSet(set: sets.next, prioritiesKnown: true)
        case head + 1: return HistoricValidatorSet(set: sets.current, prioritiesKnown: true)
        case head:
            if let last = sets.last { return HistoricValidatorSet(set: last, prioritiesKnown: true) }
        default: break
        }
        guard let (from, stored) = try historyEntry(atOrBelow: height, state: state) else { return nil }
        guard height - from <= Self.maxPriorityReplay else { return HistoricValidatorSet(set: stored, prioritiesKnown: false) }
        var set = stored
        let members = stored.validators.map { (key: $0.key, power: $0.power) }
        for decided in from..<height {
            // Genesis writes the set of height 2 as the first set advanced once; every later rotation applies staking's
            // ranking first (here the same members and powers), then advances.
            if decided > 1 {
                do { try set.update(to: members) } catch {
                    throw InvalidBlock(message: "the stored validator set of height \(from) does not roll forward: \(error)")
                }
            }
            set.incrementProposerPriority(times: 1)
        }
        return HistoricValidatorSet(set: set, prioritiesKnown: true)
    }

    /// The latest change in the history at or below `height`: the height it took force and the set.
    func historyEntry(atOrBelow height: UInt64, state: any StateReader) throws -> (UInt64, ValidatorSet)? {
        var found: (UInt64, [UInt8])?
        for (key, value) in try state.scan(prefix: Ledger.validatorHistoryPrefix) {
            guard let from = StateKey.readBigEndian(key, at: Ledger.validatorHistoryPrefix.count), from <= height else { break }
            found = (from, value)
        }
        return try found.map { ($0.0, try ValidatorSet(canonicalBytes: $0.1)) }
    }
}
