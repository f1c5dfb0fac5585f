import Testing
import Foundation
import Logging
import CairnPrimitives
import CairnLedger
import CairnConsensus
import CairnNode
import CairnChain
import CairnStorage
import CairnTestSupport
import CairnP2P

/// Validators running the real engine over real nodes (SQLite stores, sign guards and consensus logs on disk) in one
/// process, their messages passed from driver to driver.
@Suite struct InProcessValidatorsTests {
    static let timeouts = TimeoutConfig(proposeInit: 500, proposeDelta: 100, prevoteInit: 200, prevoteDelta: 100, precommitInit: 200,
                                        precommitDelta: 100)

    struct Validators {
        let dir: TemporaryDirectory
        let keys: [PrivateKey]
        let nodes: [Node]
        let drivers: [ConsensusDriver]
    }

    /// `count` validators of equal power, each with its home under a temporary folder, joined by one in-process network.
    func validators(_ count: Int, until height: UInt64) throws -> Validators {
        let dir = try TemporaryDirectory()
        let keys = (0..<count).map { PrivateKey.deterministic("in-process-validator-\($0)") }
        let genesis = try ConsensusSimulation.genesis(chainID: "in-process", keys: keys, powers: Array(repeating: 1, count: count))
        let network = InProcessNetwork()
        var logger = Logger(label: "test")
        logger.logLevel = .error
        var nodes: [Node] = []
        var drivers: [ConsensusDriver] = []
        for (i, key) in keys.enumerated() {
            let home = NodeHome(path: dir.path("validator-\(i)"))
            try home.initialize(genesis: genesis, validatorKey: key)
            let runner = NodeRunner(home: home, logger: logger)
            let node = try runner.open()
            let driver = ConsensusDriver(chainID: genesis.chainID, application: node, network: network.endpoint(i), signer: try runner.signer(),
                                         timeouts: Self.timeouts, commitWait: 0, lastHeight: height)
            network.join(i, driver)
            nodes.append(node)
            drivers.append(driver)
        }
        return Validators(dir: dir, keys: keys, nodes: nodes, drivers: drivers)
    }

    func run(_ drivers: [ConsensusDriver]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for driver in drivers { group.addTask { try await driver.run() } }
            try await group.waitForAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func fourValidatorsDecideOneChainWithAQuorumBehindEveryBlock() async throws {
        let v = try validators(4, until: 6)
        try await run(v.drivers)
        var proposers: Set<Address> = []
        for h in UInt64(1)...6 {
            let blocks = try v.nodes.map { try #require(try $0.chain.block(at: h)) }
            #expect(Set(blocks.map(\.block.header.hash)).count == 1, "every node holds the same block \(h)")
            let commit = blocks[0].commit
            #expect(commit.blockHash == blocks[0].block.header.hash && commit.height == h)
            #expect(commit.signatures.count >= 3, "more than two thirds of four signed block \(h)")
            proposers.insert(blocks[0].block.header.proposer)
            if h > 1 { #expect(blocks[0].block.lastCommit.height == h - 1, "block \(h) carries the commit of block \(h - 1)") }
        }
        #expect(proposers.count >= 3, "the proposer rotates: \(proposers.count) of 4 proposed")
    }

    @Test(.timeLimit(.minutes(1))) func threeOfFourDecideWhileTheFourthIsDown() async throws {
        let v = try validators(4, until: 4)
        try await run(Array(v.drivers.prefix(3)))
        let down = v.keys[3].publicKey.address
        for h in UInt64(1)...4 {
            let blocks = try v.nodes.prefix(3).map { try #require(try $0.chain.block(at: h)) }
            #expect(Set(blocks.map(\.block.header.hash)).count == 1)
            #expect(!blocks[0].commit.signatures.map(\.validator).contains(down))
            #expect(blocks[0].block.header.proposer != down, "the validator that is down proposes nothing")
        }
        #expect(try v.nodes[3].chain.head().height == 0)
    }

    @Test func theReactorReportsAPeerWhoseMessagesDoNotDecode() async throws {
        let v = try validators(1, until: 1)
        let reactor = ConsensusReactor(node: v.nodes[0])
        let peer = NodeKey().id
        #expect(await reactor.handle(peer, PeerMessage(channel: P2PChannel.consensus.id, bytes: [9, 9, 9])) != .accepted)
        #expect(await reactor.handle(peer, PeerMessage(channel: P2PChannel.blocks.id, bytes: [])) != .accepted)
        #expect(await reactor.handle(peer, PeerMessage(channel: P2PChannel.blocks.id, bytes: BlockSyncMessage.status(height: 3).canonicalBytes)) == .accepted)
        #expect(await reactor.handle(peer, PeerMessage(channel: P2PChannel.blocks.id, bytes: BlockSyncMessage.request(height: 99).canonicalBytes)) == .accepted,
                "a request for a block this node does not have is answered with nothing")
    }

    @Test func aBlockSyncMessageRoundTrips() throws {
        let certificate = CommitCertificate(height: 4, round: 1, blockHash: Hash.sha256([1]), signatures: [])
        for m in [BlockSyncMessage.status(height: 7), .request(height: 8), .block(bytes: [1, 2, 3], certificate: certificate)] {
            #expect(try BlockSyncMessage(canonicalBytes: m.canonicalBytes) == m)
        }
        #expect(throws: (any Error).self) { try BlockSyncMessage(canonicalBytes: [4]) }
    }
}
