import Hummingbird
import CairnPrimitives
import CairnLedger
import CairnChain
import CairnStorage
import CairnConsensus
import CairnP2P

/// `GET /v1/net_info`, `/v1/validators` and `/v1/consensus_state`: the node's peers, validator sets and where its
/// consensus stands.
extension NodeAPI {
    func addNetworkRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/net_info") { _, _ in try json(netInfo()) }
        router.get("/v1/validators") { req, _ in try json(try validators(height: req.uri.queryParameters.get("height"))) }
        router.get("/v1/consensus_state") { _, _ in try json(try await consensusState()) }
    }

    func netInfo() -> NetInfoView {
        guard let peerSwitch = node.network.peerSwitch else {
            return NetInfoView(nodeID: nil, listening: false, listenAddress: nil, peers: [], droppedMessages: 0)
        }
        let port = peerSwitch.listeningPort
        let peers = peerSwitch.peers.map {
            NetInfoView.Peer(id: $0.id.hex, address: $0.address, direction: $0.outbound ? .outbound : .inbound, bytesSent: $0.bytesSent,
                             bytesReceived: $0.bytesReceived)
        }
        return NetInfoView(nodeID: peerSwitch.nodeKey.id.hex, listening: port != nil,
                           listenAddress: port.map { "\(peerSwitch.settings.listenHost):\($0)" }, peers: peers,
                           droppedMessages: peerSwitch.droppedMessages)
    }

    /// The set that decides block `param` (CometBFT's `/validators?height=H`); by default the one that decides the next
    /// block, the latest the node knows for certain.
    func validators(height param: String?) throws -> ValidatorsView {
        let ledger = chain.ledger
        // The head and the state from one snapshot, so a commit in between cannot shift the sets by a height.
        let (head, found, requested) = try chain.withProvableState { provable -> (UInt64, HistoricValidatorSet?, UInt64) in
            let head = provable.head.height
            let height: UInt64
            if let param {
                guard let h = UInt64(param), h >= 1 else {
                    throw APIError.badRequest("bad_height", "height '\(param.prefix(80))' is not a block height (a whole number from 1)")
                }
                height = h
            } else {
                height = head + 1
            }
            return (head, try ledger.validatorSet(deciding: height, head: head, state: provable.state), height)
        }
        guard let found else {
            throw APIError.notFound("the validator set of height \(requested) is not known: the head is \(head), and the node knows the "
                                    + "sets of heights 1 to \(head + 2)")
        }
        let members = found.set.validators.map {
            ValidatorsView.Member(address: $0.address, pubKey: $0.key.rawRepresentation.hexString, power: $0.power,
                                  proposerPriority: found.prioritiesKnown ? $0.proposerPriority : nil)
        }
        return ValidatorsView(height: requested, totalPower: found.set.totalPower, validators: members)
    }

    func consensusState() async throws -> ConsensusStateView {
        guard let driver = node.network.driver else {
            throw APIError(.serviceUnavailable, "consensus_unavailable", "this node runs no consensus engine, so it has no consensus state")
        }
        guard let s = await driver.stateSnapshot() else {
            throw APIError(.serviceUnavailable, "consensus_starting", "consensus has not started its first height yet; try again shortly")
        }
        func votes(_ t: ConsensusStateSnapshot.Tally) -> ConsensusStateView.Votes {
            var byBlock: [String: UInt64] = [:]
            for (hash, power) in t.powerByBlock { byBlock[hash?.hex ?? ConsensusStateView.Votes.nilVote] = power }
            return .init(byBlock: byBlock, total: t.total)
        }
        let proposal = s.proposal.map {
            ConsensusStateView.Proposal(blockHash: $0.blockHash, round: $0.round, polRound: $0.polRound, proposer: $0.proposer)
        }
        return ConsensusStateView(height: s.height, round: s.round, step: s.step.description, proposer: s.proposer, proposal: proposal,
                                  prevotes: votes(s.prevotes), precommits: votes(s.precommits), totalPower: s.totalPower,
                                  lockedRound: s.lockedRound, validRound: s.validRound, decided: s.decided)
    }
}
