public import CairnLedger

/// The node's peers, validator sets and consensus state.
extension NodeClient {
    /// `GET /v1/net_info`: the node's p2p id, where it listens, and its peers.
    public func netInfo() async throws(ClientError) -> NetInfoView { try await request("/v1/net_info", as: NetInfoView.self) }

    /// `GET /v1/validators`: the validator set that decides block `height`, or by default the next block.
    ///
    /// - Throws: a `ClientError` with status 404 for a height whose set the node does not know.
    public func validators(height: UInt64? = nil) async throws(ClientError) -> ValidatorsView {
        try await request("/v1/validators\(height.map { "?height=\($0)" } ?? "")", as: ValidatorsView.self)
    }

    /// `GET /v1/consensus_state`: the height the node is deciding, its round, step, proposal and votes.
    ///
    /// - Throws: a `ClientError` with status 503 from a node that runs no consensus engine.
    public func consensusState() async throws(ClientError) -> ConsensusStateView {
        try await request("/v1/consensus_state", as: ConsensusStateView.self)
    }
}
