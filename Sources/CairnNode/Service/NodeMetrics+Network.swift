import CairnConsensus

/// The network's metrics in the Prometheus text format: peers and their traffic, block sync, and consensus step times
/// and rounds.
extension NodeMetrics {
    /// The exposition text of `figures`.
    public static func render(_ figures: NetworkFigures) -> String {
        var out = """
        # HELP cairn_p2p_peers Peers connected now.
        # TYPE cairn_p2p_peers gauge
        cairn_p2p_peers \(figures.peers)
        # HELP cairn_p2p_dropped_messages_total Messages not sent because a peer's queue was full.
        # TYPE cairn_p2p_dropped_messages_total counter
        cairn_p2p_dropped_messages_total \(figures.droppedMessages)
        # HELP cairn_p2p_bytes_sent_total Bytes of messages sent to peers.
        # TYPE cairn_p2p_bytes_sent_total counter
        cairn_p2p_bytes_sent_total \(figures.bytesSent)
        # HELP cairn_p2p_bytes_received_total Bytes of messages received from peers.
        # TYPE cairn_p2p_bytes_received_total counter
        cairn_p2p_bytes_received_total \(figures.bytesReceived)
        # HELP cairn_blocksync_blocks_total Blocks committed by block sync.
        # TYPE cairn_blocksync_blocks_total counter
        cairn_blocksync_blocks_total \(figures.syncedBlocks)
        # HELP cairn_blocksync_blocks_per_second Blocks per second committed by block sync over the last 10 seconds.
        # TYPE cairn_blocksync_blocks_per_second gauge
        cairn_blocksync_blocks_per_second \(figures.syncRate)
        # HELP cairn_catching_up 1 while the node fetches blocks by block sync rather than deciding them.
        # TYPE cairn_catching_up gauge
        cairn_catching_up \(figures.catchingUp ? 1 : 0)
        # HELP cairn_consensus_rounds_per_height The round in which each height this node decided by consensus was decided.
        # TYPE cairn_consensus_rounds_per_height histogram

        """
        out += histogram("cairn_consensus_rounds_per_height", figures.consensus.decisionRounds)
        out += """
        # HELP cairn_consensus_step_seconds Time spent in each consensus step.
        # TYPE cairn_consensus_step_seconds histogram

        """
        for step in [RoundStep.propose, .prevote, .precommit] {
            guard let h = figures.consensus.steps[step] else { continue }
            out += histogram("cairn_consensus_step_seconds", h, label: "step=\"\(step)\"")
        }
        return out
    }

    /// The `_bucket`, `_sum` and `_count` lines of one histogram, each with `label` when given.
    static func histogram(_ name: String, _ h: ConsensusTimings.Histogram, label: String? = nil) -> String {
        let prefix = label.map { "\($0)," } ?? ""
        let only = label.map { "{\($0)}" } ?? ""
        var out = ""
        for (bound, count) in zip(h.bounds, h.buckets) {
            out += "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(count)\n"
        }
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(h.count)\n"
        out += "\(name)_sum\(only) \(h.sum)\n"
        out += "\(name)_count\(only) \(h.count)\n"
        return out
    }
}
