import Testing
import Foundation
import Logging
import Synchronization
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnConsensus
import CairnNode
import CairnChain
import CairnStorage
import CairnClient
import CairnTestSupport
import CairnP2P

/// The consensus reactor: what it does with transactions, evidence and blocks from peers, and whom it bans. The block
/// sync test runs real switches over loopback TCP.
@Suite(.timeLimit(.minutes(3))) struct ReactorTests {
    static let keys = (0..<2).map { PrivateKey.deterministic("reactor-validator-\($0)") }

    /// A node of a two-validator chain (unstarted driver), with a reactor attached to a switch that is not running.
    struct Lone {
        let dir: TemporaryDirectory
        let node: Node
        let driver: ConsensusDriver
        let reactor: ConsensusReactor
    }

    func lone() throws -> Lone {
        let dir = try TemporaryDirectory()
        let genesis = try ConsensusSimulation.genesis(chainID: "reactor", keys: Self.keys, powers: [1, 1])
        let home = NodeHome(path: dir.path("node"))
        try home.initialize(genesis: genesis, validatorKey: Self.keys[0])
        let runner = NodeRunner(home: home, logger: Self.quiet)
        let node = try runner.open()
        let driver = ConsensusDriver(chainID: "reactor", application: node, network: NoPeers(), signer: nil, timeouts: .standard, commitWait: 0)
        let reactor = ConsensusReactor(node: node)
        reactor.attach(PeerSwitch(nodeKey: NodeKey(), settings: .init(listenPort: 0)) { _, _ in .accepted }, driver: driver)
        return Lone(dir: dir, node: node, driver: driver, reactor: reactor)
    }

    static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }

    func transfer(nonce: UInt64, node: Node) throws -> Transaction {
        let baseFee = try node.chain.withState { try node.chain.ledger.baseFee(state: $0) }
        return TxBuilder(chainID: "reactor", tip: 1).build(messages: [MsgSend(to: Self.keys[1].publicKey.address, coins: [Coin(denom: Denom.native, amount: 5)])],
                                                            key: Self.keys[0], nonce: nonce, baseFee: baseFee)
    }

    @Test func aTransactionFromAPeerIsAdmittedAndAForgedOneGetsThePeerBanned() async throws {
        let n = try lone()
        let peer = NodeKey().id
        let tx = try transfer(nonce: 0, node: n.node)
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.mempool.id, bytes: tx.canonicalBytes)) == .accepted)
        #expect(await n.node.mempoolCount == 1, "the relayed transaction is in the mempool")
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.mempool.id, bytes: tx.canonicalBytes)) == .accepted,
                "the same transaction again is no fault of the peer's")
        #expect(await n.node.mempoolCount == 1)

        var forged = try transfer(nonce: 1, node: n.node)
        forged = Transaction(body: forged.body, signature: [UInt8](repeating: 7, count: forged.signature.count))
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.mempool.id, bytes: forged.canonicalBytes)) != .accepted)
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.mempool.id, bytes: [1, 2, 3])) != .accepted)
        #expect(await n.node.mempoolCount == 1)
    }

    /// Two conflicting prevotes of `key` at height 1.
    func equivocation(by key: PrivateKey) throws -> DuplicateVoteEvidence {
        let votes = [Hash.sha256([1]), Hash.sha256([2])].map { hash in
            let vote = Vote(type: .prevote, height: 1, round: 0, blockHash: hash, validator: key.publicKey.address)
            return SignedVote(vote: vote, signature: key.sign(domain: .vote, chainID: "reactor", payload: vote.canonicalBytes))
        }
        return try #require(DuplicateVoteEvidence(votes[0], votes[1]))
    }

    @Test func evidenceFromAPeerIsPooledAndForgedEvidenceGetsThePeerBanned() async throws {
        let n = try lone()
        let peer = NodeKey().id
        let real = try equivocation(by: Self.keys[1])
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.evidence.id, bytes: real.canonicalBytes)) == .accepted)
        #expect(await n.driver.pendingEvidence == [real], "the evidence waits to be proposed and passed on")

        let outsider = try equivocation(by: PrivateKey.deterministic("not a validator"))
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.evidence.id, bytes: outsider.canonicalBytes)) != .accepted)
        // Votes re-signed by another key than the validator's they name.
        let other = PrivateKey.deterministic("impostor")
        let resigned = [real.first, real.second].map { SignedVote(vote: $0.vote, signature: other.sign(domain: .vote, chainID: "reactor", payload: $0.vote.canonicalBytes)) }
        let forged = try #require(DuplicateVoteEvidence(resigned[0], resigned[1]))
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.evidence.id, bytes: forged.canonicalBytes)) != .accepted)
        #expect(await n.reactor.handle(peer, PeerMessage(channel: P2PChannel.evidence.id, bytes: [0])) != .accepted)
        #expect(await n.driver.pendingEvidence == [real])
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    func eventually(_ seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while try await !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    static func switchSettings(peers: [PeerAddress] = []) -> PeerSwitch.Settings {
        PeerSwitch.Settings(listenPort: 0, persistentPeers: peers, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(500),
                            banDuration: .seconds(120),
                            link: PeerConfiguration(pingInterval: .seconds(1), idleTimeout: .seconds(30), handshakeTimeout: .seconds(10)))
    }

    @Test func aNodeBehindSyncsFromAnHonestPeerAndBansOneServingBadCertificates() async throws {
        let dir = try TemporaryDirectory()
        let key = PrivateKey.deterministic("sync-validator")
        let genesis = try ConsensusSimulation.genesis(chainID: "sync", keys: [key], powers: [1])
        // The honest peer: a lone validator that decided 12 blocks.
        let aheadHome = NodeHome(path: dir.path("ahead"))
        try aheadHome.initialize(genesis: genesis, validatorKey: key)
        let aheadRunner = NodeRunner(home: aheadHome, logger: Self.quiet)
        let ahead = try aheadRunner.open()
        try await aheadRunner.decide(ahead, until: 12)
        let aheadDriver = ConsensusDriver(chainID: "sync", application: ahead, network: NoPeers(), signer: nil, timeouts: .standard, commitWait: 0)
        let aheadReactor = ConsensusReactor(node: ahead, tick: .milliseconds(100))
        var aheadSettings = Self.switchSettings()
        aheadSettings.listenPort = try FreePort.next()
        let aheadSwitch = PeerSwitch(nodeKey: NodeKey(), settings: aheadSettings, onConnect: { await aheadReactor.greet($0) }) {
            await aheadReactor.handle($0, $1)
        }
        aheadReactor.attach(aheadSwitch, driver: aheadDriver)

        // The liar: claims height 12 and answers every request with the honest block under a certificate nobody signed.
        let liarKey = NodeKey()
        let served = Atomic<Int>(0)
        let liarBox = Mutex<PeerSwitch?>(nil)
        let liar = PeerSwitch(nodeKey: liarKey, settings: Self.switchSettings(), onConnect: { peer in
            liarBox.withLock { $0 }?.send(to: peer, channel: .blocks, bytes: BlockSyncMessage.status(height: 12).canonicalBytes)
        }) { peer, message in
            guard message.channel == P2PChannel.blocks.id, case let .request(height)? = try? BlockSyncMessage(canonicalBytes: message.bytes),
                  let committed = try? ahead.chain.block(at: height) else { return .accepted }
            let b = committed.block
            let bytes = Block.encode(header: b.header, transactions: b.transactions.map(\.canonicalBytes), lastCommit: b.lastCommit, evidence: b.evidence)
            let unsigned = CommitCertificate(height: height, round: 0, blockHash: b.header.hash, signatures: [])
            served.add(1, ordering: .relaxed)
            liarBox.withLock { $0 }?.send(to: peer, channel: .blocks, bytes: BlockSyncMessage.block(bytes: bytes, certificate: unsigned).canonicalBytes)
            return .accepted
        }
        liarBox.withLock { $0 = liar }

        // The honest peer listens only once the node behind has dealt with the liar, so the liar is asked first.
        let tasks = Mutex<[Task<Void, any Error>]>([Task { try await liar.run() }])
        defer { for t in tasks.withLock({ $0 }) { t.cancel() } }
        #expect(try await eventually { liar.listeningPort != nil })

        // The node behind: a follower (no validator key) dialing both.
        let behindHome = NodeHome(path: dir.path("behind"))
        try behindHome.initialize(genesis: genesis, validatorKey: nil)
        let behind = try NodeRunner(home: behindHome, logger: Self.quiet).open()
        let driver = ConsensusDriver(chainID: "sync", application: behind, network: NoPeers(), signer: nil, timeouts: .standard, commitWait: 0)
        var settings = BlockSyncScheduler.Settings()
        settings.catchUpGap = 5
        let reactor = ConsensusReactor(node: behind, tick: .milliseconds(100), sync: settings)
        let peers = [PeerAddress(id: aheadSwitch.nodeKey.id, host: "127.0.0.1", port: aheadSwitch.settings.listenPort),
                     PeerAddress(id: liarKey.id, host: "127.0.0.1", port: liar.listeningPort!)]
        let behindSwitch = PeerSwitch(nodeKey: NodeKey(), settings: Self.switchSettings(peers: peers), onConnect: { await reactor.greet($0) }) {
            await reactor.handle($0, $1)
        }
        reactor.attach(behindSwitch, driver: driver)
        let running = [Task { try await behindSwitch.run() }, Task { try await reactor.run() }, Task { try await driver.run() }]
        defer { for t in running { t.cancel() } }

        #expect(try await eventually { behindSwitch.isBanned(liarKey.id) }, "the peer that served a block without a valid certificate is banned")
        #expect(served.load(ordering: .relaxed) >= 1, "the liar was asked for blocks")
        #expect(await behind.head.height == 0, "nothing the liar served was committed")
        tasks.withLock { $0 += [Task { try await aheadSwitch.run() }, Task { try await aheadReactor.run() }] }
        #expect(try await eventually { await behind.head.height == 12 }, "the node behind reached the honest head")
        #expect(try behind.chain.block(at: 12)?.block.header.hash == ahead.chain.block(at: 12)?.block.header.hash)
        #expect(!behindSwitch.isBanned(aheadSwitch.nodeKey.id))
        #expect(try await eventually(10) { behind.network.syncedBlocks == 12 }, "every block came by block sync")
        #expect(try await eventually(10) { !behind.network.catchingUp }, "caught up, the node no longer reports catching up")
        for h in UInt64(1)...12 { #expect(try behind.chain.block(at: h)?.commit.signatures.isEmpty == false, "block \(h) kept a signed certificate") }
    }
}
