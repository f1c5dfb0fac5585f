import Testing
import Foundation
import Logging
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnNode
import CairnP2P
import CairnClient
import CairnTestSupport

/// `GET /v1/net_info`, `/v1/validators`, `/v1/consensus_state`, the status's `catchingUp` and the network metrics, on a
/// real HTTP server.
@Suite struct NetworkAPITests {
    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    /// Asks `probe` every 100 ms until it gives a value; fails after 60 s (the machine may be loaded).
    static func poll<T: Sendable>(_ what: String, _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Timeout(description: "\(what) did not happen within 60 s")
    }

    /// The node's head once it is at least `height`.
    static func head(of node: InProcessNode, atLeast height: UInt64) async throws -> UInt64 {
        let client = try node.client()
        return try await poll("height \(height)") {
            let h = try await client.status().height
            return h >= height ? h : nil
        }
    }

    /// The response body as a JSON object, to see which keys are there and which are null.
    static func object(_ reply: InProcessNode.Reply) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any], "not a JSON object: \(reply.text.prefix(300))")
    }

    static func validatorKey(_ node: InProcessNode) throws -> PrivateKey { try #require(try node.home.loadValidatorKey()) }

    // MARK: status

    @Test func aLoneNodeIsNotCatchingUp() async throws {
        try await InProcessNode.with { node in
            let reply = try await node.request("GET", "/v1/status")
            #expect(reply.status == 200)
            let json = try Self.object(reply)
            #expect(json["catchingUp"] as? Bool == false, "status: \(reply.text)")
            #expect(json["chainID"] as? String == InProcessNode.chainID, "the old fields stay")
            #expect(try await node.client().status().catchingUp == false)
        }
    }

    @Test func aStatusWithoutCatchingUpDecodesAsNotCatchingUp() throws {
        let old = #"{"chainID":"c","height":3,"latestBlockHash":"\#(String(repeating: "ab", count: 32))","latestBlockTime":1,"#
            + #""stateRoot":"\#(String(repeating: "cd", count: 32))","baseFee":"7","mempoolSize":0,"blockGasLimit":10}"#
        let status = try JSONDecoder().decode(StatusView.self, from: Data(old.utf8))
        #expect(status.height == 3 && status.catchingUp == false)
    }

    // MARK: net_info

    @Test func netInfoWithoutP2PListensNowhereAndHasNoPeers() async throws {
        try await InProcessNode.with { node in
            let reply = try await node.request("GET", "/v1/net_info")
            #expect(reply.status == 200)
            let json = try Self.object(reply)
            #expect(json["nodeID"] is NSNull, "nodeID is null: \(reply.text)")
            #expect(json["listenAddress"] is NSNull, "listenAddress is null: \(reply.text)")
            #expect(json["listening"] as? Bool == false)
            #expect(json["nPeers"] as? Int == 0)
            #expect((json["peers"] as? [Any])?.isEmpty == true)
            #expect(json["droppedMessages"] as? Int == 0)
            let info = try await node.client().netInfo()
            #expect(info == NetInfoView(nodeID: nil, listening: false, listenAddress: nil, peers: [], droppedMessages: 0))
        }
    }

    @Test func netInfoWithP2PShowsTheNodeIDAndWhereItListens() async throws {
        try await InProcessNode.with(p2p: true) { node in
            let client = try node.client()
            let info = try await Self.poll("the p2p listener") {
                let info = try await client.netInfo()
                return info.listening ? info : nil
            }
            let key = try NodeKey.loadOrCreate(path: node.home.nodeKeyFile.path)
            #expect(info.nodeID == key.id.hex)
            let address = try #require(info.listenAddress)
            #expect(address.hasPrefix("127.0.0.1:") && Int(address.dropFirst("127.0.0.1:".count)) != nil, "listen address \(address)")
            #expect(info.nPeers == 0 && info.peers.isEmpty, "a lone node has no peers")
        }
    }

    // MARK: validators

    @Test func validatorsDefaultToTheSetOfTheNextBlock() async throws {
        try await InProcessNode.with { node in
            let before = try await Self.head(of: node, atLeast: 2)
            let reply = try await node.request("GET", "/v1/validators")
            #expect(reply.status == 200)
            let after = try await node.client().status().height
            let set = try JSONDecoder().decode(ValidatorsView.self, from: reply.body)
            #expect((before + 1...after + 1).contains(set.height), "height \(set.height), head went \(before) to \(after)")

            let key = try Self.validatorKey(node)
            let member = try #require(set.validators.first)
            #expect(set.validators.count == 1)
            #expect(member.address == key.publicKey.address)
            #expect(member.pubKey == key.publicKey.rawRepresentation.hexString)
            #expect(member.power > 0 && member.power == set.totalPower)
            #expect(member.proposerPriority == 0, "a lone validator's priority is always 0")
            let entry = try #require((try Self.object(reply)["validators"] as? [[String: Any]])?.first)
            #expect(Set(entry.keys) == ["address", "pubKey", "power", "proposerPriority"])
        }
    }

    @Test func validatorsAtHeightOneAndAtTheHeadAreTheLoneValidator() async throws {
        try await InProcessNode.with { node in
            let head = try await Self.head(of: node, atLeast: 3)
            let client = try node.client()
            let key = try Self.validatorKey(node)
            // 1 and 2 come from the history of changes (replayed), the head and the two after it from the state.
            for height in [1, 2, head, head + 1, head + 2] {
                let set = try await client.validators(height: height)
                #expect(set.height == height)
                #expect(set.validators.map(\.address) == [key.publicKey.address], "height \(height)")
                #expect(set.validators.map(\.proposerPriority) == [0], "height \(height)")
                #expect(set.totalPower == set.validators.first?.power)
            }
        }
    }

    @Test func validatorsOfAFarFutureHeightAreNotFound() async throws {
        try await InProcessNode.with { node in
            let head = try await Self.head(of: node, atLeast: 1)
            let reply = try await node.request("GET", "/v1/validators?height=\(head + 1_000)")
            #expect(reply.status == 404)
            let error = try JSONDecoder().decode(ErrorBody.self, from: reply.body).error
            #expect(error.code == "not_found")
            #expect(error.message.contains("\(head + 1_000)") && error.message.contains("head"), "message: \(error.message)")
            let thrown = await #expect(throws: ClientError.self) { _ = try await node.client().validators(height: head + 1_000) }
            #expect(thrown?.status == 404)
        }
    }

    // MARK: consensus_state

    @Test func consensusStateShowsTheHeightBeingDecidedAndTheLoneValidatorsPower() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let key = try Self.validatorKey(node)
            let head = try await Self.head(of: node, atLeast: 1)
            // Deciding, the node works on a height above the head; decided, it shows that height until the next starts. A
            // lone validator decides within milliseconds, so either may be seen.
            let state = try await client.consensusState()
            if state.decided {
                #expect(state.height >= head && state.step == "commit", "decided \(state.height) (\(state.step)), the head was \(head)")
            } else {
                #expect(state.height > head, "deciding \(state.height) above the head \(head)")
                #expect(["propose", "prevote", "precommit"].contains(state.step), "step \(state.step)")
            }
            #expect(state.proposer == key.publicKey.address)
            let power = try await client.validators().totalPower
            #expect(state.totalPower == power)
            let json = try Self.object(try await node.request("GET", "/v1/consensus_state"))
            #expect(Set(json.keys) == ["height", "round", "step", "proposer", "proposal", "prevotes", "precommits", "totalPower",
                                       "lockedRound", "validRound", "decided"])

            // Between deciding and the next height (200 ms here) the round's votes are all in.
            let decided = try await Self.poll("a decided height") {
                let s = try await client.consensusState()
                return s.decided ? s : nil
            }
            #expect(decided.step == "commit")
            let headNow = try await client.status().height
            // The head read above may itself still be shown as decided, until the next height starts.
            #expect(decided.height >= head && decided.height <= headNow, "decided \(decided.height), head \(head) then \(headNow)")
            let proposal = try #require(decided.proposal)
            #expect(proposal.proposer == key.publicKey.address && proposal.round == decided.round)
            #expect(decided.prevotes.byBlock == [proposal.blockHash.hex: power])
            #expect(decided.precommits.byBlock == [proposal.blockHash.hex: power])
            #expect(decided.precommits.total == power)
        }
    }

    @Test func consensusStateOfANodeWithoutConsensusIsUnavailable() async throws {
        let (node, dir) = try InProcessNode.openedOnly()
        defer { withExtendedLifetime(dir) {} }
        let (port, task) = try await LoopbackServer.start(NodeAPI(node: node).router())
        try await task.stop {
            let reply = try await HTTP.request("GET", URL(string: "http://127.0.0.1:\(port)/v1/consensus_state")!)
            #expect(reply.status == 503)
            let error = try JSONDecoder().decode(ErrorBody.self, from: reply.body).error
            #expect(error.code == "consensus_unavailable", "\(error.message)")
            #expect(!error.message.isEmpty)
            // The rest of the API still answers.
            let status = try await HTTP.request("GET", URL(string: "http://127.0.0.1:\(port)/v1/status")!)
            #expect(status.status == 200)
        }
    }

    // MARK: metrics

    static let networkMetrics = [
        "cairn_p2p_peers", "cairn_p2p_dropped_messages_total", "cairn_p2p_bytes_sent_total", "cairn_p2p_bytes_received_total",
        "cairn_consensus_rounds_per_height", "cairn_consensus_step_seconds", "cairn_blocksync_blocks_per_second",
        "cairn_blocksync_blocks_total", "cairn_catching_up",
    ]

    /// The value of the sample line that starts with `series` and a space.
    static func sample(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func metricsShowPeersBlockSyncAndConsensusFigures() async throws {
        try await InProcessNode.with { node in
            _ = try await Self.head(of: node, atLeast: 3)
            let text = try await node.request("GET", "/metrics").text
            for name in Self.networkMetrics {
                #expect(text.contains("# TYPE \(name) "), "no \(name) in the metrics")
            }
            #expect(Self.sample(text, "cairn_p2p_peers") == 0)
            #expect(Self.sample(text, "cairn_catching_up") == 0)
            #expect(Self.sample(text, "cairn_blocksync_blocks_total") == 0)
            let decisions = try #require(Self.sample(text, "cairn_consensus_rounds_per_height_count"))
            #expect(decisions >= 2, "the node decided blocks 1 to 3 itself")
            #expect(Self.sample(text, "cairn_consensus_rounds_per_height_bucket{le=\"0.0\"}") == decisions, "a lone validator decides in round 0")
            for step in ["propose", "prevote", "precommit"] {
                let count = try #require(Self.sample(text, "cairn_consensus_step_seconds_count{step=\"\(step)\"}"), "no \(step) count")
                #expect(count >= 2, "\(step) was timed")
                #expect(Self.sample(text, "cairn_consensus_step_seconds_bucket{step=\"\(step)\",le=\"+Inf\"}") == count)
            }
        }
    }
}

extension InProcessNode {
    /// A node opened from a fresh home and not run: no consensus driver, no peers. Keep the folder while using the node.
    static func openedOnly() throws -> (Node, TemporaryDirectory) {
        let dir = try TemporaryDirectory()
        let home = NodeHome(path: dir.path("home"))
        try home.initialize(chainID: "opened-only", genesisTime: 1_000) { validator in
            let balances = [BankGenesis.Balance(address: validator.address, coins: [Coin(denom: Denom.native, amount: 1_000_000)])]
            return ["bank": try JSONValue(encoding: BankGenesis(balances: balances))]
        }
        var logger = Logger(label: "cairn.test.node")
        logger.logLevel = .critical
        return (try NodeRunner(home: home, logger: logger).open(), dir)
    }
}
