public import CairnPrimitives

/// One validator: its key and voting power, and its proposer priority (CometBFT's weighted round robin).
public struct Validator: Sendable, Equatable, Hashable {
    /// The consensus key; setting it derives `address` again.
    public var key: PublicKey {
        didSet { address = key.address }
    }
    /// The voting power, also the weight of the validator in proposer selection.
    public var power: UInt64
    /// The accumulated priority: the validator with the highest one is chosen next.
    public var proposerPriority: Int64
    /// The address of `key`. Stored rather than derived on each read: tie-breaks and lookups compare addresses,
    /// and deriving one costs a SHA-256.
    public private(set) var address: Address

    /// A validator with `power` and, unless given, priority zero.
    public init(key: PublicKey, power: UInt64, proposerPriority: Int64 = 0) {
        self.key = key
        self.power = power
        self.proposerPriority = proposerPriority
        self.address = key.address
    }
}

/// The validators of one height with CometBFT's proposer selection (types/validator_set.go, v0.38 and v1).
///
/// Selection is a weighted round robin: each round every priority grows by its validator's power, the
/// highest priority (ties: lower address) proposes and falls back by the total power. Before the rounds
/// of a call, priorities are scaled into a window of twice the total power and centred on zero, and a new
/// validator starts at -1.125 times the total, so leaving and rejoining never jumps the queue.
/// The values match CometBFT's bit for bit, including its clipping and rounding.
public struct ValidatorSet: Sendable, Equatable, CanonicalCodable {
    /// The most total power a set may have (CometBFT's `MaxTotalVotingPower`, `Int64.max / 8`): it keeps
    /// -1.125·total and the priority window inside `Int64`.
    public static let maxTotalPower = UInt64(Int64.max / 8)

    /// How many total powers apart the highest and lowest priority may be (CometBFT's `PriorityWindowSizeFactor`).
    static let priorityWindowFactor: Int64 = 2

    /// Ordered by address ascending (canonical order; the hash and commit certificates use it).
    public private(set) var validators: [Validator]
    /// The sum of the members' powers, at most `maxTotalPower`.
    public private(set) var totalPower: UInt64
    /// Which member the last advance chose: CometBFT keeps its `Proposer` apart from the priorities, because
    /// after the choice the chosen one's priority has already dropped by the total.
    private var proposerIndex: Int

    /// A new set (CometBFT's NewValidatorSet): the given validators (power > 0, distinct keys; throws on zero power, duplicates,
    /// an empty list, or total power over the maximum), priorities from the update rule, then one increment, so `proposer` is defined.
    public init(_ members: [(key: PublicKey, power: UInt64)]) throws(ValidatorSetError) {
        guard !members.isEmpty else { throw ValidatorSetError("a validator set needs at least one member") }
        // CometBFT's NewValidatorSet refuses zero power; in an update, zero means "remove".
        if let idle = members.first(where: { $0.power == 0 }) {
            throw ValidatorSetError("validator \(idle.key.address) has zero power")
        }
        var set = ValidatorSet(validators: [], totalPower: 0, proposerIndex: 0)
        try set.update(to: members)
        set.incrementProposerPriority(times: 1)
        self = set
    }

    private init(validators: [Validator], totalPower: UInt64, proposerIndex: Int) {
        self.validators = validators
        self.totalPower = totalPower
        self.proposerIndex = proposerIndex
    }

    /// The proposer of the current round: the validator the last advance chose (CometBFT's `GetProposer`).
    ///
    /// That is the validator that had the highest priority (ties: lower address) once the round's powers were added,
    /// before its priority fell back by the total; it is not the highest of the priorities as they stand now.
    public var proposer: Validator { validators[proposerIndex] }

    /// The set with priorities advanced `times` rounds (CometBFT IncrementProposerPriority); `times` ≥ 1.
    public mutating func incrementProposerPriority(times: Int) {
        precondition(times >= 1, "proposer priority is advanced at least once, not \(times) times")
        // Within the window factor times the total power: at most Int64.max / 4, so no overflow.
        rescalePriorities(diffMax: Self.priorityWindowFactor * Int64(totalPower))
        shiftByAveragePriority()
        for _ in 0..<times {
            proposerIndex = advanceOnce()
        }
    }

    /// A copy of this set with priorities advanced `times` rounds; `times` ≥ 1.
    public func incrementingProposerPriority(times: Int) -> ValidatorSet {
        var copy = self
        copy.incrementProposerPriority(times: times)
        return copy
    }

    /// The proposer of round `round` at this set's height: a copy advanced `round` times (round 0: `proposer`).
    public func proposer(round: UInt32) -> Validator {
        round == 0 ? proposer : incrementingProposerPriority(times: Int(round)).proposer
    }

    /// Applies a new target membership (the full list of who should be in the set with what power; absent = removed):
    /// CometBFT's updateWithChangeSet semantics (removed validators dropped, changed powers kept with their priority,
    /// new ones at -1.125·new total, then rescale and centre as CometBFT does). Throws if the result would be empty.
    ///
    /// A member listed with zero power counts as absent, as in CometBFT's change sets. The total a new validator's
    /// priority is taken from is CometBFT's: every listed power applied, the removed validators not yet taken out.
    /// The priorities are not advanced: as CometBFT's state transition does, call `incrementProposerPriority(times: 1)`
    /// after the update to get the next height's set. On a throw the set is unchanged.
    ///
    /// - Throws: on duplicate keys, a total power over `maxTotalPower`, or no member with power left.
    public mutating func update(to members: [(key: PublicKey, power: UInt64)]) throws(ValidatorSetError) {
        var listed = members.map { Validator(key: $0.key, power: $0.power) }
        listed.sort { $0.address < $1.address }
        for i in listed.indices.dropFirst() where listed[i].address == listed[i - 1].address {
            throw ValidatorSetError("validator \(listed[i].address) is listed twice")
        }
        let target = listed.filter { $0.power > 0 }
        guard !target.isEmpty else { throw ValidatorSetError("the update would leave the validator set empty") }

        // UInt128 sums: each power is a UInt64 and the list can be long.
        let newTotal = target.reduce(UInt128(0)) { $0 + UInt128($1.power) }
        guard newTotal <= UInt128(Self.maxTotalPower) else {
            throw ValidatorSetError("total voting power \(newTotal) exceeds the maximum \(Self.maxTotalPower)")
        }

        // Merge by address: a kept validator carries its priority over, a new one is noted for the entry priority.
        var merged: [Validator] = []
        merged.reserveCapacity(target.count)
        var isNew: [Bool] = []
        isNew.reserveCapacity(target.count)
        var removedPower: UInt64 = 0
        var old = 0
        for var member in target {
            while old < validators.count, validators[old].address < member.address {
                removedPower += validators[old].power
                old += 1
            }
            if old < validators.count, validators[old].address == member.address {
                member.proposerPriority = validators[old].proposerPriority
                old += 1
                isNew.append(false)
            } else {
                isNew.append(true)
            }
            merged.append(member)
        }
        for leaving in validators[old...] { removedPower += leaving.power }

        // CometBFT prices an entrant against the total with the updates applied and the removals not yet: at most
        // twice the maximum, so -(t + t/8) fits in Int64.
        let entryTotal = Int64(newTotal) + Int64(removedPower)
        let entryPriority = -(entryTotal + (entryTotal >> 3))
        for i in merged.indices where isNew[i] { merged[i].proposerPriority = entryPriority }

        let previousProposer = validators.isEmpty ? nil : proposer.address
        validators = merged
        totalPower = UInt64(newTotal)
        rescalePriorities(diffMax: Self.priorityWindowFactor * Int64(totalPower))
        shiftByAveragePriority()
        // CometBFT keeps its proposer pointer until the next advance; one that left the set has nothing to point at
        // here, so the highest priority stands in, as CometBFT's GetProposer does when it has no proposer.
        proposerIndex = previousProposer.flatMap(index(of:)) ?? indexOfHighestPriority()
    }

    /// The position of the validator with `address` in `validators`, if it is a member.
    public func index(of address: Address) -> Int? {
        var low = 0
        var high = validators.count
        while low < high {
            let mid = (low + high) / 2
            let here = validators[mid].address
            if here == address { return mid }
            if here < address { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    /// The member with `address`, if any.
    public func validator(_ address: Address) -> Validator? {
        index(of: address).map { validators[$0] }
    }

    /// Whether `other` has the same members with the same powers (what `hash` covers), compared without hashing.
    public func hasSameMembers(as other: ValidatorSet) -> Bool {
        validators.count == other.validators.count
            && zip(validators, other.validators).allSatisfy { $0.key.rawRepresentation == $1.key.rawRepresentation && $0.power == $1.power }
    }

    /// SHA-256 over the canonical encoding of (key, power) of every member in order; priorities are not part of it.
    public var hash: Hash {
        var w = CanonicalWriter()
        w.write(array: validators) { w, v in
            w.write(bytes: v.key.rawRepresentation)
            w.write(v.power)
        }
        return Hash.sha256(w.bytes)
    }

    /// Canonical encoding including priorities (the ledger stores the set with them).
    ///
    /// The members in order (key, power, priority as its two's-complement bits), then the proposer's index:
    /// the proposer cannot be derived from the priorities, and a restarted node must pick the same one.
    public func encode(to w: inout CanonicalWriter) {
        w.write(array: validators) { w, v in
            w.write(bytes: v.key.rawRepresentation)
            w.write(v.power)
            w.write(UInt64(bitPattern: v.proposerPriority))
        }
        w.write(UInt32(proposerIndex))
    }

    /// Decodes a set, refusing an empty, unsorted or duplicated member list, zero power, a total over
    /// `maxTotalPower` and a proposer index outside the set.
    public init(from r: inout CanonicalReader) throws(DecodeError) {
        let members = try r.readArray { (r: inout CanonicalReader) throws(DecodeError) -> Validator in
            guard let key = PublicKey(rawRepresentation: try r.readBytes(limit: 32)) else {
                throw DecodeError("validator key is not a 32-byte Ed25519 key")
            }
            let power = try r.readUInt64()
            let priority = Int64(bitPattern: try r.readUInt64())
            return Validator(key: key, power: power, proposerPriority: priority)
        }
        let proposerIndex = Int(try r.readUInt32())
        guard !members.isEmpty else { throw DecodeError("validator set is empty") }
        var total: UInt64 = 0
        for (i, v) in members.enumerated() {
            guard v.power > 0 else { throw DecodeError("validator \(v.address) has zero power") }
            guard v.power <= Self.maxTotalPower - total else {
                throw DecodeError("validator set's total power exceeds the maximum \(Self.maxTotalPower)")
            }
            total += v.power
            if i > 0, !(members[i - 1].address < v.address) {
                throw DecodeError("validators are not in strictly ascending address order at \(i)")
            }
        }
        guard proposerIndex < members.count else {
            throw DecodeError("proposer index \(proposerIndex) is outside a set of \(members.count)")
        }
        self.init(validators: members, totalPower: total, proposerIndex: proposerIndex)
    }

    /// More than two thirds of the total power (the +2/3 quorum): `power * 3 > totalPower * 2` (use wide arithmetic, no overflow).
    public func isQuorum(_ power: UInt64) -> Bool {
        UInt128(power) * 3 > UInt128(totalPower) * 2
    }

    /// More than one third (f+1): `power * 3 > totalPower`.
    public func exceedsOneThird(_ power: UInt64) -> Bool {
        UInt128(power) * 3 > UInt128(totalPower)
    }
}

// MARK: - CometBFT's priority arithmetic

extension ValidatorSet {
    /// One round (CometBFT's `incrementProposerPriority`): every priority grows by its power, the highest is chosen
    /// and falls back by the total. Returns the chosen index.
    private mutating func advanceOnce() -> Int {
        for i in validators.indices {
            validators[i].proposerPriority = Self.addClipped(validators[i].proposerPriority, Int64(validators[i].power))
        }
        let chosen = indexOfHighestPriority()
        validators[chosen].proposerPriority = Self.subtractClipped(validators[chosen].proposerPriority, Int64(totalPower))
        return chosen
    }

    /// The index of the highest priority, the lower address on a tie (CometBFT's `CompareProposerPriority`).
    private func indexOfHighestPriority() -> Int {
        var best = 0
        // Members are in ascending address order, so keeping the first of equals keeps the lower address.
        for i in validators.indices.dropFirst() where validators[i].proposerPriority > validators[best].proposerPriority {
            best = i
        }
        return best
    }

    /// Divides every priority by ceil(spread / diffMax) when the spread exceeds `diffMax` (CometBFT's `RescalePriorities`).
    ///
    /// Go's int64 arithmetic wraps and its division truncates toward zero; the wrapping operators and
    /// `dividedReportingOverflow` reproduce that, so even priorities far outside the reachable range give
    /// CometBFT's result instead of a trap.
    private mutating func rescalePriorities(diffMax: Int64) {
        guard diffMax > 0, !validators.isEmpty else { return }
        var highest = Int64.min
        var lowest = Int64.max
        for v in validators {
            highest = max(highest, v.proposerPriority)
            lowest = min(lowest, v.proposerPriority)
        }
        var diff = highest &- lowest
        if diff < 0 { diff = 0 &- diff }
        guard diff > diffMax else { return }
        let ratio = (diff &+ diffMax &- 1) / diffMax
        for i in validators.indices {
            validators[i].proposerPriority = validators[i].proposerPriority.dividedReportingOverflow(by: ratio).partialValue
        }
    }

    /// Subtracts the average priority from every priority (CometBFT's `shiftByAvgProposerPriority`).
    private mutating func shiftByAveragePriority() {
        guard !validators.isEmpty else { return }
        let average = averagePriority()
        for i in validators.indices {
            validators[i].proposerPriority = Self.subtractClipped(validators[i].proposerPriority, average)
        }
    }

    /// The average priority rounded down (CometBFT sums in a `big.Int` and divides with `Div`, which is Euclidean:
    /// for a positive divisor it floors, where Go's `/` would truncate toward zero).
    private func averagePriority() -> Int64 {
        let sum = validators.reduce(Int128(0)) { $0 + Int128($1.proposerPriority) }
        let count = Int128(validators.count)
        var quotient = sum / count
        if sum % count < 0 { quotient -= 1 }
        // The mean of Int64 values is within Int64.
        return Int64(quotient)
    }

    /// `a + b`, clipped to the Int64 range (CometBFT's `safeAddClip`).
    private static func addClipped(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b < 0 ? .min : .max
    }

    /// `a - b`, clipped to the Int64 range (CometBFT's `safeSubClip`).
    private static func subtractClipped(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        guard overflow else { return difference }
        return b > 0 ? .min : .max
    }
}

/// Why a validator set could not be made or updated.
public struct ValidatorSetError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public let message: String

    init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
