import CairnPrimitives
import CairnLedger

extension GovModule {
    /// Checks the proposal against the state, records it and takes the initial deposit.
    func submit(_ m: MsgSubmitProposal, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = GovStore(state: context.state)
        let params = try store.params()
        guard m.description.utf8.count <= params.maxDescriptionBytes else {
            throw GovError.invalidProposal("the description is \(m.description.utf8.count) bytes; the limit is \(params.maxDescriptionBytes)")
        }
        if case let .parameterChange(changes) = m.content { try dryRun(changes, context: context) }
        let id = try store.read.nextID()
        guard id < UInt64.max else { throw GovError.overflow("proposal id") }
        let (depositEnd, o) = context.height.addingReportingOverflow(params.depositPeriodBlocks)
        guard !o else { throw GovError.overflow("deposit end height") }
        store.setNextID(id + 1)
        let proposal = Proposal(id: id, proposer: signer, title: m.title, description: m.description, content: m.content,
                                status: .depositPeriod, submitHeight: context.height, depositEndHeight: depositEnd,
                                totalDeposit: .zero)
        store.put(proposal)
        store.enqueue(.deposit, depositEnd, id)
        context.emit(GovEvents.submit(proposal, deposit: m.initialDeposit))
        if m.initialDeposit > .zero {
            try addDeposit(m.initialDeposit, to: proposal, from: signer, params: params, store: store, context: context)
        }
    }

    /// Adds to a proposal's deposit while it is in its deposit period.
    func deposit(_ m: MsgDeposit, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = GovStore(state: context.state)
        let proposal = try store.read.existingProposal(m.proposalID)
        guard proposal.status == .depositPeriod else { throw GovError.depositPeriodOver(proposal.id, status: proposal.status) }
        try addDeposit(m.amount, to: proposal, from: signer, params: try store.params(), store: store, context: context)
    }

    /// Records the signer's vote, replacing an earlier one.
    func vote(_ m: MsgVote, signer: Address, context: ExecutionContext) throws(LedgerError) {
        let store = GovStore(state: context.state)
        let proposal = try store.read.existingProposal(m.proposalID)
        switch proposal.status {
        case .votingPeriod: break
        case .depositPeriod: throw GovError.votingNotStarted(proposal.id, depositEnd: proposal.depositEndHeight)
        default: throw GovError.votingEnded(proposal.id, endedAt: proposal.votingEndHeight, status: proposal.status)
        }
        store.setVote(proposal.id, signer, m.option)
        context.emit(GovEvents.vote(proposal.id, voter: signer, option: m.option))
    }

    /// Applies every change inside a checkpoint and reverts it: the router's own checks decide, so a
    /// proposal that could never execute is refused now rather than failing after its vote.
    func dryRun(_ changes: [ParameterChange], context: ExecutionContext) throws(LedgerError) {
        guard let router = context.parameters else { throw GovError.invalidProposal("no parameter router in this context") }
        let events = context.events.count
        context.state.checkpoint()
        defer {
            context.state.revertCheckpoint()
            context.truncateEvents(to: events)
        }
        for (i, c) in changes.enumerated() {
            do { try router.setParameter(module: c.module, key: c.key, value: c.value, context: context) } catch {
                throw GovError.invalidParameterChange(i + 1, c.module, c.key, error.message)
            }
        }
    }

    /// Moves `amount` from `depositor` into escrow, and starts the voting period when the minimum is reached.
    func addDeposit(_ amount: Amount, to proposal: Proposal, from depositor: Address, params: GovParams,
                    store: GovStore, context: ExecutionContext) throws(LedgerError) {
        var p = proposal
        try bank.send(GovModule.native(amount), from: depositor, to: GovModule.escrow, context: context)
        guard let mine = try store.read.deposit(p.id, depositor).adding(amount),
              let total = p.totalDeposit.adding(amount) else { throw GovError.overflow("deposit") }
        store.setDeposit(p.id, depositor, mine)
        p.totalDeposit = total
        context.emit(GovEvents.deposit(p.id, depositor: depositor, amount: amount, total: total))
        if total >= params.minDeposit {
            let (end, o) = context.height.addingReportingOverflow(params.votingPeriodBlocks)
            guard !o else { throw GovError.overflow("voting end height") }
            store.dequeue(.deposit, p.depositEndHeight, p.id)
            store.enqueue(.voting, end, p.id)
            p.status = .votingPeriod
            p.votingStartHeight = context.height
            p.votingEndHeight = end
            context.emit(GovEvents.votingStarted(p.id, end: end))
        }
        store.put(p)
    }
}
