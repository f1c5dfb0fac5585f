import CairnPrimitives
import CairnLedger

extension GovModule {
    /// A proposal whose deposit period ends without the minimum deposit: expired, its deposits refunded
    /// (or burned when `burnDepositOnExpiry`).
    func expire(_ id: UInt64, store: GovStore, context: ExecutionContext) throws(LedgerError) {
        var p = try store.read.existingProposal(id)
        store.dequeue(.deposit, context.height, id)
        // A proposal that reached the minimum left this queue when its voting began; anything else is stale.
        guard p.status == .depositPeriod else { return }
        p.status = .expired
        store.put(p)
        context.emit(GovEvents.end(p))
        try settleDeposits(p, burn: try store.params().burnDepositOnExpiry, store: store, context: context)
    }

    /// A proposal whose voting period ends: tallied, executed when it passed, its deposits settled.
    func finish(_ id: UInt64, store: GovStore, context: ExecutionContext) throws(LedgerError) {
        var p = try store.read.existingProposal(id)
        store.dequeue(.voting, context.height, id)
        guard p.status == .votingPeriod else { return }
        let params = try store.params()
        let tally = try tally(id, state: context.state, params: params)
        p.finalTally = tally
        p.status = Tally.outcome(tally, params: params)
        var events = [GovEvents.end(p)]
        if p.status == .passed {
            let mark = context.events.count
            context.state.checkpoint()
            do {
                try executeContent(p.content, context: context)
                context.state.commitCheckpoint()
                events.append(GovEvents.executed(p))
            } catch {
                context.state.revertCheckpoint()
                context.truncateEvents(to: mark)
                p.status = .failed
                p.executionError = error.description
                events = [GovEvents.end(p), GovEvents.executionFailed(p, error: error.description)]
            }
        }
        store.put(p)
        let burn = (p.status == .vetoed && params.burnDepositOnVeto) || (p.status == .noQuorum && params.burnDepositOnNoQuorum)
        events.forEach(context.emit)
        try settleDeposits(p, burn: burn, store: store, context: context)
    }

    /// Does what a passed proposal says; throws (and the caller reverts) when any part fails.
    func executeContent(_ content: ProposalContent, context: ExecutionContext) throws(LedgerError) {
        switch content {
        case .text:
            return
        case let .parameterChange(changes):
            guard let router = context.parameters else { throw GovError.invalidProposal("no parameter router in this context") }
            for c in changes { try router.setParameter(module: c.module, key: c.key, value: c.value, context: context) }
        case let .treasurySpend(recipient, amount):
            try bank.send(GovModule.native(amount), from: ModuleAccount.treasury, to: recipient, context: context)
        }
    }

    /// Refunds every deposit of `p` to its depositor, or burns them all from escrow.
    func settleDeposits(_ p: Proposal, burn: Bool, store: GovStore, context: ExecutionContext) throws(LedgerError) {
        guard p.totalDeposit > .zero else { return }
        if burn {
            try bank.burn(GovModule.native(p.totalDeposit), from: GovModule.escrow, context: context)
            context.emit(GovEvents.burned(p.id, amount: p.totalDeposit))
            return
        }
        for d in try store.read.deposits(p.id) where d.amount > .zero {
            try bank.send(GovModule.native(d.amount), from: GovModule.escrow, to: d.depositor, context: context)
            context.emit(GovEvents.refunded(p.id, depositor: d.depositor, amount: d.amount))
        }
    }

    /// The tally of proposal `id`'s votes against the stake in `state`, under `params`.
    func tally(_ id: UInt64, state: any StateReader, params: GovParams) throws(LedgerError) -> TallyResult {
        let votes = try GovReader(state: state).votes(id)
        let operators: [VotingOperator]
        do { operators = try stake.votingOperators(state: state) } catch { throw GovError.readFailed("operators", error) }
        let stake = self.stake
        return try Tally.compute(votes: votes, operators: operators,
                                 delegations: { try stake.delegations(of: $0, state: state) }, params: params)
    }
}
