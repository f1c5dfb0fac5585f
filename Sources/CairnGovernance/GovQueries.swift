public import CairnPrimitives
public import CairnLedger

/// A vote as queries return it.
public struct VoteRecord: Sendable, Equatable, Codable {
    public var voter: Address
    public var option: VoteOption

    public init(voter: Address, option: VoteOption) {
        self.voter = voter
        self.option = option
    }
}

/// A deposit as queries return it.
public struct DepositRecord: Sendable, Equatable, Codable {
    public var depositor: Address
    public var amount: Amount

    public init(depositor: Address, amount: Amount) {
        self.depositor = depositor
        self.amount = amount
    }
}

/// How concentrated stake and voting power are, for validators and for providers.
public struct DecentralizationReport: Sendable, Equatable, Codable {
    /// The figures of one kind of operator.
    public struct Group: Sendable, Equatable, Codable {
        /// Over bonded stake (operator tokens).
        public var stake: Decentralization
        /// Over the weight each operator's stake would carry in a tally under the current rules.
        public var votingPower: Decentralization
    }

    public var validators: Group
    public var providers: Group
}

extension GovModule {
    /// Proposals newest first: up to `limit` (1 to 100) with ids below `before` (nil: from the newest).
    public func proposals(state: any StateReader, before: UInt64? = nil, limit: Int = 50) throws -> [Proposal] {
        let reader = GovReader(state: state)
        var id = min(before ?? UInt64.max, try reader.nextID())
        var out = [Proposal]()
        let wanted = max(1, min(limit, 100))
        while id > 1, out.count < wanted {
            id -= 1
            if let p = try reader.proposal(id) { out.append(p) }
        }
        return out
    }

    /// Proposal `id`, or nil.
    public func proposal(_ id: UInt64, state: any StateReader) throws -> Proposal? {
        try GovReader(state: state).proposal(id)
    }

    /// The tally of proposal `id`: live while it is in its voting period, final once ended; nil for an
    /// unknown proposal and for one that never reached voting.
    public func tally(of id: UInt64, state: any StateReader) throws -> TallyResult? {
        guard let p = try GovReader(state: state).proposal(id) else { return nil }
        if p.status == .votingPeriod { return try tally(id, state: state, params: try GovReader(state: state).params()) }
        return p.finalTally
    }

    /// The votes on proposal `id`, in voter address order.
    public func votes(of id: UInt64, state: any StateReader) throws -> [VoteRecord] {
        try GovReader(state: state).votes(id).map { VoteRecord(voter: $0.voter, option: $0.option) }
    }

    /// The deposits on proposal `id`, in depositor address order.
    public func deposits(of id: UInt64, state: any StateReader) throws -> [DepositRecord] {
        try GovReader(state: state).deposits(id).map { DepositRecord(depositor: $0.depositor, amount: $0.amount) }
    }

    /// The treasury's ucairn balance.
    public func treasuryBalance(state: any StateReader) throws -> Amount {
        try bank.balance(of: ModuleAccount.treasury, denom: Denom.native, state: state)
    }

    /// Decentralization of bonded stake and of voting power, validators and providers apart; jailed
    /// operators are left out. Voting power caps each operator at `voterCapBps` of all unjailed stake
    /// (as if everyone voted) and square-roots it when quadratic voting is on.
    public func decentralization(state: any StateReader) throws -> DecentralizationReport {
        let params = try GovReader(state: state).params()
        let active = try stake.votingOperators(state: state).filter { !$0.jailed }
        let total = try active.reduce(UInt128(0)) { (sum: UInt128, op: VotingOperator) throws(LedgerError) in
            try Tally.add(sum, op.tokens.value, "total bonded")
        }
        let cap: UInt128? = params.voterCapBps == 0 ? nil : Tally.mulDiv(total, UInt128(params.voterCapBps), 10_000)
        func group(_ validators: Bool) -> DecentralizationReport.Group {
            let ops = active.filter { $0.isValidator == validators }
            return .init(stake: Decentralization(stakes: ops.map(\.tokens)),
                         votingPower: Decentralization(stakes: ops.map {
                             Amount(Tally.weight($0.tokens.value, cap: cap, quadratic: params.quadraticVoting))
                         }))
        }
        return DecentralizationReport(validators: group(true), providers: group(false))
    }
}
