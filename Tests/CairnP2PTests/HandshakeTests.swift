import Crypto
import Testing
@testable import CairnP2P

@Suite(.timeLimit(.minutes(1))) struct HandshakeTests {
    func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

    /// Runs the handshake on both ends of an in-memory pipe.
    func handshakeOverPipe(_ keyA: NodeKey, _ keyB: NodeKey) async throws -> (SecretSession, SecretSession) {
        let (a, b) = InMemoryByteStream.pair()
        async let sessionA = Handshake.perform(over: a, nodeKey: keyA)
        async let sessionB = Handshake.perform(over: b, nodeKey: keyB)
        return try await (sessionA, sessionB)
    }

    @Test func bothSidesAgreeOnKeysAndLearnEachOthersID() async throws {
        let keyA = NodeKey()
        let keyB = NodeKey()
        let (a, b) = try await handshakeOverPipe(keyA, keyB)
        #expect(a.peerID == keyB.id)
        #expect(b.peerID == keyA.id)
        #expect(a.peerPublicKey == keyB.publicKey)
        #expect(bytes(a.keys.send) == bytes(b.keys.receive))
        #expect(bytes(a.keys.receive) == bytes(b.keys.send))
        #expect(bytes(a.keys.send) != bytes(a.keys.receive))
        #expect(a.keys.challenge == b.keys.challenge)
        // The first frame each way was the auth frame.
        #expect(a.sealer.counter == 1 && a.opener.counter == 1)

        // The sessions carry frames both ways.
        var sealer = a.sealer
        var opener = b.opener
        opener.append(try sealer.seal(.ping))
        #expect(try opener.next() == .ping)
    }

    @Test func theSameNodeKeysNeverGiveTheSameSessionKeysTwice() async throws {
        let keyA = NodeKey()
        let keyB = NodeKey()
        var seen = Set<[UInt8]>()
        for _ in 0..<5 {
            let (a, _) = try await handshakeOverPipe(keyA, keyB)
            #expect(seen.insert(bytes(a.keys.send)).inserted)
            #expect(seen.insert(bytes(a.keys.receive)).inserted)
            #expect(seen.insert(a.keys.challenge).inserted)
        }
    }

    @Test func thePureStepsAgreeAndTheSortOrderAssignsTheDirections() throws {
        let a = Handshake(nodeKey: NodeKey())
        let b = Handshake(nodeKey: NodeKey())
        #expect(a.hello.count == Handshake.helloSize)
        #expect(Array(a.hello.prefix(9)) == Array("CAIRNP2P".utf8) + [1])
        let keysA = try a.keys(peerHello: b.hello)
        let keysB = try b.keys(peerHello: a.hello)
        #expect(bytes(keysA.send) == bytes(keysB.receive))
        #expect(keysA.challenge == keysB.challenge)
        let aIsLower = a.ephemeralPublicKey.lexicographicallyPrecedes(b.ephemeralPublicKey)
        let (lower, higher) = aIsLower ? (a.ephemeralPublicKey, b.ephemeralPublicKey) : (b.ephemeralPublicKey, a.ephemeralPublicKey)
        #expect(Handshake.transcript(lower: lower, higher: higher) != Handshake.transcript(lower: higher, higher: lower))

        let peerOfA = try Handshake.verify(b.authFrame(keysB), keys: keysA)
        #expect(peerOfA.id == b.nodeKey.id)
        // A proof made for one side does not pass as the other's (it signs its own ephemeral key).
        #expect(errorCode { try Handshake.verify(a.authFrame(keysA), keys: keysA) } == .badSignature)
    }

    /// Low-order points of Curve25519 (u = 0 and u = 1, and 0 written non-canonically as p): X25519 with them
    /// gives the all-zero secret.
    @Test(arguments: [
        [UInt8](repeating: 0, count: 32),
        [1] + [UInt8](repeating: 0, count: 31),
        [0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f],
    ])
    func aLowOrderEphemeralKeyIsRejected(point: [UInt8]) {
        let handshake = Handshake(nodeKey: NodeKey())
        let hello = Handshake.magic + [Handshake.version] + point
        #expect(errorCode { try handshake.keys(peerHello: hello) } == .weakKey)
    }

    @Test func ourOwnHelloReflectedBackIsRejected() {
        let handshake = Handshake(nodeKey: NodeKey())
        #expect(errorCode { try handshake.keys(peerHello: handshake.hello) } == .weakKey)
    }

    @Test func aWrongMagicOrVersionIsAProtocolMismatch() {
        let a = Handshake(nodeKey: NodeKey())
        var hello = Handshake(nodeKey: NodeKey()).hello
        hello[Handshake.magic.count] = 2
        #expect(errorCode { try a.keys(peerHello: hello) } == .protocolMismatch)
        hello = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [UInt8](repeating: 0, count: 14)
        #expect(errorCode { try a.keys(peerHello: hello) } == .protocolMismatch)
    }

    @Test func aForgedSignatureIsRejected() throws {
        let a = Handshake(nodeKey: NodeKey())
        let b = Handshake(nodeKey: NodeKey())
        let keysA = try a.keys(peerHello: b.hello)
        let keysB = try b.keys(peerHello: a.hello)
        guard case .auth(let publicKey, var signature) = b.authFrame(keysB) else { Issue.record("no auth frame"); return }
        signature[0] ^= 1
        #expect(errorCode { try Handshake.verify(.auth(publicKey: publicKey, signature: signature), keys: keysA) } == .badSignature)
        // Someone else's key with b's signature.
        let stolen = Frame.auth(publicKey: NodeKey().publicKey, signature: signature)
        #expect(errorCode { try Handshake.verify(stolen, keys: keysA) } == .badSignature)
        #expect(errorCode { try Handshake.verify(.ping, keys: keysA) } == .handshakeFailed)
    }

    @Test func aPeerThatHangsUpMidHandshakeFails() async {
        let (a, b) = InMemoryByteStream.pair()
        async let sessionA = errorCode { try await Handshake.perform(over: a, nodeKey: NodeKey()) }
        try? await b.write(Array(Handshake(nodeKey: NodeKey()).hello.prefix(10)))
        await b.close()
        #expect(await sessionA == .handshakeFailed)
    }
}
