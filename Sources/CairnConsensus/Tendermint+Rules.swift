import CairnPrimitives
import CairnLedger

extension Tendermint {
    /// Fires every rule whose condition holds, until none does. Each rule changes the step, the round or a "first time"
    /// flag when it fires, so the loop ends.
    mutating func applyRules(_ effects: inout [ConsensusEffect]) {
        guard votes != nil else { return }
        while decision == nil {
            if line49(&effects) { return }
            if line55(&effects) { continue }
            let fired = line22(&effects) || line28(&effects) || line34(&effects) || line36(&effects) || line44(&effects)
                || line47(&effects)
            if !fired { return }
        }
    }

    /// The proposal of `round` with its block's verdict, when both are known.
    func proposal(in r: UInt32) -> (proposal: BlockProposal, valid: Bool?)? {
        proposals[r].map { ($0.proposal, validity[$0.proposal.blockHash]) }
    }

    /// Line 22: upon the proposal of the current round with no proof-of-lock round, while in propose: prevote for it if it
    /// is valid and this node is not locked on another value; else prevote nil.
    mutating func line22(_ effects: inout [ConsensusEffect]) -> Bool {
        guard step == .propose, let (p, valid) = proposal(in: round), p.polRound == nil, let valid else { return false }
        let acceptable = valid && (lockedRound == nil || lockedValue == p.blockHash)
        castVote(.prevote, acceptable ? p.blockHash : nil, &effects)
        step = .prevote
        return true
    }

    /// Line 28: upon the proposal of the current round with proof-of-lock round vr < round, and +2/3 prevotes for its
    /// block in vr, while in propose: prevote for it if it is valid and this node's lock is no newer than vr or is on the
    /// same value; else prevote nil.
    mutating func line28(_ effects: inout [ConsensusEffect]) -> Bool {
        guard step == .propose, let (p, valid) = proposal(in: round), let vr = p.polRound, vr < round, let valid,
              votes!.hasQuorum(.prevote, round: vr, for: p.blockHash) else { return false }
        let acceptable = valid && (lockedRound.map { $0 <= vr } ?? true || lockedValue == p.blockHash)
        castVote(.prevote, acceptable ? p.blockHash : nil, &effects)
        step = .prevote
        return true
    }

    /// Line 34: upon +2/3 prevotes of the current round for anything, while in prevote, the first time: start the
    /// prevote timer.
    mutating func line34(_ effects: inout [ConsensusEffect]) -> Bool {
        guard step == .prevote, !prevoteTimerSet.contains(round), votes!.hasQuorumOfAny(.prevote, round: round) else { return false }
        prevoteTimerSet.insert(round)
        schedule(.prevote, round: round, &effects)
        return true
    }

    /// Line 36: upon the proposal of the current round, valid, with +2/3 prevotes for its block, while in prevote or
    /// later, the first time: in prevote, lock on it and precommit it; in any case it becomes the valid value.
    mutating func line36(_ effects: inout [ConsensusEffect]) -> Bool {
        guard step >= .prevote, !line36Fired.contains(round),
              let p = allProposals(in: round).map(\.proposal).first(where: {
                  validity[$0.blockHash] == true && votes!.hasQuorum(.prevote, round: round, for: $0.blockHash)
              }) else { return false }
        line36Fired.insert(round)
        if step == .prevote {
            lockedValue = p.blockHash
            lockedRound = round
            castVote(.precommit, p.blockHash, &effects)
            step = .precommit
        }
        validValue = p.blockHash
        validRound = round
        return true
    }

    /// Line 44: upon +2/3 prevotes of the current round for nil, while in prevote: precommit nil.
    mutating func line44(_ effects: inout [ConsensusEffect]) -> Bool {
        guard step == .prevote, votes!.hasQuorum(.prevote, round: round, for: nil) else { return false }
        castVote(.precommit, nil, &effects)
        step = .precommit
        return true
    }

    /// Line 47: upon +2/3 precommits of the current round for anything, the first time: start the precommit timer.
    mutating func line47(_ effects: inout [ConsensusEffect]) -> Bool {
        guard !precommitTimerSet.contains(round), votes!.hasQuorumOfAny(.precommit, round: round) else { return false }
        precommitTimerSet.insert(round)
        schedule(.precommit, round: round, &effects)
        return true
    }

    /// Line 49: upon the proposal of any round r and +2/3 precommits for its block in r, the block valid: decide it.
    mutating func line49(_ effects: inout [ConsensusEffect]) -> Bool {
        for (r, sp) in proposals.sorted(by: { $0.key < $1.key }).flatMap({ r, _ in allProposals(in: r).map { (r, $0) } }) {
            let hash = sp.proposal.blockHash
            guard validity[hash] == true, votes!.hasQuorum(.precommit, round: r, for: hash) else { continue }
            let certificate = CommitCertificate(precommits: votes!.precommits(round: r, for: hash))
            decision = certificate
            step = .commit
            effects.append(.decide(certificate))
            return true
        }
        return false
    }

    /// Line 55: upon messages of a higher round from validators with more than a third of the power: start that round.
    mutating func line55(_ effects: inout [ConsensusEffect]) -> Bool {
        guard let target = votes!.skipTarget(above: round) else { return false }
        startRound(target, &effects)
        return true
    }

    /// Lines 57, 61 and 65: the timers. Propose: prevote nil if still proposing. Prevote: precommit nil if still
    /// prevoting. Precommit: move to the next round.
    mutating func onTimeout(_ t: Timeout, _ effects: inout [ConsensusEffect]) {
        guard t.height == height, t.round == round, decision == nil, votes != nil else { return }
        switch t.kind {
        case .propose:
            guard step == .propose else { return }
            castVote(.prevote, nil, &effects)
            step = .prevote
        case .prevote:
            guard step == .prevote else { return }
            castVote(.precommit, nil, &effects)
            step = .precommit
        case .precommit:
            startRound(round + 1, &effects)
        }
    }
}
