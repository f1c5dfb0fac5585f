public import CairnPrimitives
public import CairnLedger
public import CairnMarket

/// Verification: staked verifiers, challenges of provider-signed receipts decided by a committee of verifiers drawn
/// from block entropy in proportion to their bonds (commit, then reveal), slashing of cheating providers through
/// staking with a bounty to the challenger, and each provider's reputation.
public struct VerificationModule: LedgerModule {
    public let name = VerificationKeys.module
    let bank: any VerificationBank
    let stake: any VerificationStake

    public init(bank: any VerificationBank, stake: any VerificationStake) {
        self.bank = bank
        self.stake = stake
    }

    public var messageDecoders: [String: @Sendable ([UInt8]) throws(DecodeError) -> any LedgerMessage] {
        [
            MsgRegisterVerifier.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRegisterVerifier(canonicalBytes: b) },
            MsgLeaveVerifier.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgLeaveVerifier(canonicalBytes: b) },
            MsgChallenge.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgChallenge(canonicalBytes: b) },
            MsgPooledChallenge.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgPooledChallenge(canonicalBytes: b) },
            MsgPooledEvidence.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgPooledEvidence(canonicalBytes: b) },
            MsgCommitVerdict.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgCommitVerdict(canonicalBytes: b) },
            MsgRevealVerdict.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgRevealVerdict(canonicalBytes: b) },
            MsgReportCheck.typeName: { (b: [UInt8]) throws(DecodeError) -> any LedgerMessage in try MsgReportCheck(canonicalBytes: b) },
        ]
    }

    public func execute(_ message: any LedgerMessage, signer: Address, context: ExecutionContext) throws(LedgerError) {
        switch message {
        case let m as MsgRegisterVerifier: try register(m, signer: signer, context: context)
        case is MsgLeaveVerifier: try leave(signer: signer, context: context)
        case let m as MsgChallenge: try challenge(m, signer: signer, context: context)
        case let m as MsgPooledChallenge: try pooledChallenge(m, signer: signer, context: context)
        case let m as MsgPooledEvidence: try evidence(m, signer: signer, context: context)
        case let m as MsgCommitVerdict: try commit(m, signer: signer, context: context)
        case let m as MsgRevealVerdict: try reveal(m, signer: signer, context: context)
        case let m as MsgReportCheck: try report(m, signer: signer, context: context)
        default: throw CoreError.unknownMessage(type(of: message).typeName)
        }
    }

    /// The hash a receipt is known by: SHA-256 of its canonical bytes (the signed payload).
    public static func receiptHash(_ signed: SignedReceipt) -> Hash { Hash.sha256(signed.receipt.canonicalBytes) }

    static func native(_ amount: Amount) -> Coin { Coin(denom: Denom.native, amount: amount) }

    func register(_ m: MsgRegisterVerifier, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        let params = try params(state: context.state)
        var record = try store.read.verifier(signer) ?? VerifierRecord(bond: .zero, joinedHeight: context.height)
        let (total, overflow) = record.bond.value.addingReportingOverflow(m.bond.value)
        guard !overflow else { throw VerificationError.invalidMessage("the bond would overflow") }
        guard total >= params.minVerifierBond.value else {
            throw VerificationError.bondTooSmall("a verifier's bond", Amount(total), minimum: params.minVerifierBond)
        }
        try bank.send(Self.native(m.bond), from: signer, to: VerificationAccounts.bonds, context: context)
        record.bond = Amount(total)
        store.write(record, signer)
        context.emit(VerificationEvents.register(signer, bond: record.bond))
    }

    func leave(signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        guard let record = try store.read.verifier(signer) else { throw VerificationError.notVerifier(signer) }
        guard record.openCommittees == 0 else { throw VerificationError.verifierBusy(signer, committees: record.openCommittees) }
        if record.bond > .zero { try bank.send(Self.native(record.bond), from: VerificationAccounts.bonds, to: signer, context: context) }
        store.removeVerifier(signer)
        context.emit(VerificationEvents.leave(signer, bond: record.bond))
    }

    /// Verifiers that may sit on a committee judging `provider` for `challenger`: bonded at least the minimum, and neither
    /// of the two parties.
    func eligible(excluding parties: Set<Address>, params: VerificationParams, reader: VerificationReader) throws(LedgerError)
        -> [(address: Address, weight: UInt128)] {
        try reader.verifiers().compactMap { v in
            parties.contains(v.address) || v.record.bond < params.minVerifierBond ? nil : (v.address, v.record.bond.value)
        }
    }

    /// What any challenge needs: a receipt the named provider signed on this chain, a provider in staking that is not the
    /// challenger, a bond of at least `challengeBond`, and enough verifiers besides the two for a committee.
    func checkChallengeable(_ receipt: SignedReceipt, bond: Amount, signer: Address, params: VerificationParams, store: VerificationStore,
                            context: ExecutionContext) throws(LedgerError) {
        let provider = receipt.receipt.provider
        guard receipt.isValid(chainID: context.chainID) else {
            throw VerificationError.badReceipt("its signature does not verify as \(provider)'s on chain \(context.chainID)")
        }
        guard provider != signer else { throw VerificationError.badReceipt("a provider cannot challenge its own receipt") }
        let isProvider: Bool
        do { isProvider = try stake.isProvider(provider, state: context.state) } catch { throw VerificationError.corrupt("staking: \(error)") }
        guard isProvider else { throw VerificationError.badReceipt("\(provider) is not a provider in staking") }
        guard bond >= params.challengeBond else { throw VerificationError.bondTooSmall("a challenge's bond", bond, minimum: params.challengeBond) }
        let candidates = try eligible(excluding: [signer, provider], params: params, reader: store.read)
        guard candidates.count >= Int(params.committeeSize) else {
            throw VerificationError.notEnoughVerifiers(candidates.count, needed: params.committeeSize)
        }
    }

    func challenge(_ m: MsgChallenge, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        let params = try params(state: context.state)
        try checkChallengeable(m.receipt, bond: m.bond, signer: signer, params: params, store: store, context: context)
        guard Hash.sha256(m.request) == m.receipt.receipt.requestHash else {
            throw VerificationError.badReceipt("the request given does not hash to the receipt's requestHash")
        }
        guard Hash.sha256(m.output) == m.receipt.receipt.outputHash else {
            throw VerificationError.badReceipt("the output given does not hash to the receipt's outputHash")
        }
        let receiptHash = Self.receiptHash(m.receipt)
        if let existing = try store.read.challengeOf(receipt: receiptHash) { throw VerificationError.alreadyChallenged(receiptHash, by: existing) }
        try bank.send(Self.native(m.bond), from: signer, to: VerificationAccounts.bonds, context: context)
        let c = Challenge(id: try store.read.nextChallengeID(), challenger: signer, provider: m.receipt.receipt.provider, receipt: m.receipt,
                          request: m.request, output: m.output, bond: m.bond, raisedHeight: context.height)
        store.create(c, receipt: receiptHash)
        context.emit(VerificationEvents.challenge(c))
    }

    /// A pooled challenge: checked as a challenge of its receipt, which must have at least a window's worth of jobs of its
    /// model on its channel; one undecided pooled challenge per challenger and provider.
    func pooledChallenge(_ m: MsgPooledChallenge, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        let params = try params(state: context.state)
        try checkChallengeable(m.receipt, bond: m.bond, signer: signer, params: params, store: store, context: context)
        let provider = m.receipt.receipt.provider
        guard m.receipt.receipt.modelRequests >= UInt64(params.pooledJobs) else {
            throw VerificationError.badReceipt("it counts \(m.receipt.receipt.modelRequests) jobs of its model on its channel, fewer than a "
                                               + "pooled window of \(params.pooledJobs)")
        }
        for id in try store.read.pending(provider) {
            let other = try store.read.existingChallenge(id)
            if other.window != nil && other.challenger == signer {
                throw VerificationError.invalidMessage("\(signer) already has pooled challenge \(id) against \(provider) undecided")
            }
        }
        try bank.send(Self.native(m.bond), from: signer, to: VerificationAccounts.bonds, context: context)
        let c = Challenge(id: try store.read.nextChallengeID(), challenger: signer, provider: provider, receipt: m.receipt, request: [], output: [],
                          bond: m.bond, raisedHeight: context.height,
                          window: PooledWindow(upTo: m.receipt.receipt.modelRequests, size: params.pooledJobs, lookback: params.pooledLookback))
        store.create(c, receipt: nil)
        context.emit(VerificationEvents.challenge(c))
    }

    /// Jobs of a pooled challenge's drawn window, from its challenger, before the evidence deadline: each a receipt the
    /// provider signed for the named receipt's channel and model inside the window, not given before, whose request and
    /// output hash to it. The last job completes the window; its committee is drawn at the end of a later block.
    func evidence(_ m: MsgPooledEvidence, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        var c = try store.read.existingChallenge(m.challengeID)
        guard var window = c.window else { throw VerificationError.badEvidence(c.id, "it is not a pooled challenge") }
        guard c.challenger == signer else { throw VerificationError.badEvidence(c.id, "only its challenger gives its evidence") }
        guard c.status == .gathering, let range = window.range, context.height <= window.evidenceDeadline else {
            throw VerificationError.wrongPhase(c.id, c.status == .gathering && window.range == nil ? "its window is not drawn yet"
                                               : "it takes evidence only while gathering, until its deadline (it is \(c.status.name))")
        }
        let named = c.receipt.receipt
        var given = Set(window.jobs.map(\.receipt.receipt.modelRequests))
        for job in m.jobs {
            let r = job.receipt.receipt
            guard r.provider == c.provider, job.receipt.isValid(chainID: context.chainID) else {
                throw VerificationError.badEvidence(c.id, "a receipt does not verify as \(c.provider)'s on chain \(context.chainID)")
            }
            guard r.channelID == named.channelID, r.modelID == named.modelID else {
                throw VerificationError.badEvidence(c.id, "a receipt is for channel \(r.channelID) and model \(r.modelID), not the window's "
                                                   + "channel \(named.channelID) and model \(named.modelID)")
            }
            guard range.contains(r.modelRequests) else {
                throw VerificationError.badEvidence(c.id, "job \(r.modelRequests) lies outside the window \(range.lowerBound)...\(range.upperBound)")
            }
            guard given.insert(r.modelRequests).inserted else { throw VerificationError.badEvidence(c.id, "job \(r.modelRequests) was already given") }
            guard Hash.sha256(job.request) == r.requestHash, Hash.sha256(job.output) == r.outputHash else {
                throw VerificationError.badEvidence(c.id, "job \(r.modelRequests)'s request or output does not hash to its receipt")
            }
            window.jobs.append(job)
        }
        if window.isComplete {
            window.readyHeight = context.height
            c.status = .drawing
        }
        c.window = window
        store.write(c)
        context.emit(VerificationEvents.evidence(c, added: m.jobs.count))
    }

    func commit(_ m: MsgCommitVerdict, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        var c = try store.read.existingChallenge(m.challengeID)
        guard c.status == .committing, context.height <= c.commitDeadline else {
            throw VerificationError.wrongPhase(c.id, "it takes commitments only while committing (it is \(c.status.name))")
        }
        guard let seat = c.seat(of: signer) else { throw VerificationError.notOnCommittee(signer, c.id) }
        guard c.committee[seat].commitment == nil else { throw VerificationError.wrongPhase(c.id, "\(signer) already committed") }
        c.committee[seat].commitment = m.commitment
        // Once every member has committed, revealing starts at once.
        if c.committee.allSatisfy({ $0.commitment != nil }) { c.status = .revealing }
        store.write(c)
        context.emit(VerificationEvents.vote(c.id, member: signer, verdict: nil))
    }

    func reveal(_ m: MsgRevealVerdict, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        var c = try store.read.existingChallenge(m.challengeID)
        guard c.status == .revealing, context.height <= c.revealDeadline else {
            throw VerificationError.wrongPhase(c.id, "it takes verdicts only while revealing (it is \(c.status.name))")
        }
        guard let seat = c.seat(of: signer) else { throw VerificationError.notOnCommittee(signer, c.id) }
        guard let commitment = c.committee[seat].commitment else {
            throw VerificationError.wrongPhase(c.id, "\(signer) did not commit to a verdict in time")
        }
        guard c.committee[seat].verdict == nil else { throw VerificationError.wrongPhase(c.id, "\(signer) already revealed") }
        guard Verdict.commitment(challenge: c.id, member: signer, verdict: m.verdict, salt: m.salt) == commitment else {
            throw VerificationError.commitmentMismatch(c.id)
        }
        c.committee[seat].verdict = m.verdict
        store.write(c)
        context.emit(VerificationEvents.vote(c.id, member: signer, verdict: m.verdict))
    }

    func report(_ m: MsgReportCheck, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = VerificationStore(state: context.state)
        guard try store.read.verifier(signer) != nil else { throw VerificationError.notVerifier(signer) }
        let provider = m.receipt.receipt.provider
        guard m.receipt.isValid(chainID: context.chainID) else {
            throw VerificationError.badReceipt("its signature does not verify as \(provider)'s on chain \(context.chainID)")
        }
        guard provider != signer else { throw VerificationError.badReceipt("a provider cannot report checks of its own receipts") }
        let receiptHash = Self.receiptHash(m.receipt)
        guard try !store.read.reported(receiptHash) else { throw VerificationError.alreadyReported(receiptHash) }
        var r = try store.read.reputation(provider)
        if m.passed { r.checksPassed += 1 } else { r.checksFailed += 1 }
        store.write(r, provider)
        store.markReported(receiptHash, by: signer)
        context.emit(VerificationEvents.check(provider: provider, reporter: signer, receipt: receiptHash, passed: m.passed))
    }
}
