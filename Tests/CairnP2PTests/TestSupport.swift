import Synchronization
import Testing
@testable import CairnP2P

/// The code of the ``P2PError`` `body` throws; nil when it returns or throws something else.
func errorCode<T>(_ body: () throws -> T) -> P2PError.Code? {
    do {
        _ = try body()
        return nil
    } catch let error as P2PError {
        return error.code
    } catch {
        return nil
    }
}

/// The code of the ``P2PError`` `body` throws; nil when it returns or throws something else.
func errorCode<T>(_ body: () async throws -> T) async -> P2PError.Code? {
    do {
        _ = try await body()
        return nil
    } catch let error as P2PError {
        return error.code
    } catch {
        return nil
    }
}

extension PeerConfiguration {
    /// Timings for tests: pings every 100 ms, closed after 20 s of silence (beside the rest of the suite on two cores a
    /// task has waited over 8 s for its turn, so nothing here counts on less).
    static var fast: PeerConfiguration {
        PeerConfiguration(pingInterval: .milliseconds(100), idleTimeout: .seconds(20), handshakeTimeout: .seconds(10))
    }

    /// For the test of the idle timeout: pings every 100 ms, closed after 2 s of silence.
    static var shortIdle: PeerConfiguration {
        PeerConfiguration(pingInterval: .milliseconds(100), idleTimeout: .seconds(2), handshakeTimeout: .seconds(10))
    }

    /// For the test that pings keep a link open: closed after 30 s of silence, far more than the 100 ms between pings,
    /// since beside the whole suite (compute-bound tests hold the cooperative threads) a reader has waited over 15 s
    /// for its turn.
    static var keptAlive: PeerConfiguration {
        PeerConfiguration(pingInterval: .milliseconds(100), idleTimeout: .seconds(30), handshakeTimeout: .seconds(10))
    }

    /// Keep-alive out of the way, for tests about ordering.
    static var quiet: PeerConfiguration {
        PeerConfiguration(pingInterval: .seconds(60), idleTimeout: .seconds(120), handshakeTimeout: .seconds(5))
    }
}

extension P2PChannel {
    /// The standard channel with `id`.
    static func standard(_ id: UInt8) -> P2PChannel {
        P2PChannel.standard.first { $0.id == id }!
    }
}

/// Runs a link between two in-memory ends, each side's body in its own task; returns both outcomes.
func runPair<A: Sendable, B: Sendable>(
    keys: (NodeKey, NodeKey) = (NodeKey(), NodeKey()),
    configurations: (PeerConfiguration, PeerConfiguration) = (.fast, .fast),
    streams: (any ByteStream, any ByteStream)? = nil,
    _ bodyA: @escaping @Sendable (PeerConnection) async throws -> A,
    _ bodyB: @escaping @Sendable (PeerConnection) async throws -> B
) async -> (Result<A, any Error>, Result<B, any Error>) {
    let a: any ByteStream
    let b: any ByteStream
    if let streams {
        a = streams.0
        b = streams.1
    } else {
        let pair = InMemoryByteStream.pair()
        a = pair.0
        b = pair.1
    }
    async let outcomeA = capture {
        try await PeerConnection.withConnection(over: a, nodeKey: keys.0, configuration: configurations.0, bodyA)
    }
    async let outcomeB = capture {
        try await PeerConnection.withConnection(over: b, nodeKey: keys.1, configuration: configurations.1, bodyB)
    }
    return await (outcomeA, outcomeB)
}

func capture<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

extension Result {
    /// The code of the ``P2PError`` this failed with, if it did.
    var p2pCode: P2PError.Code? {
        if case .failure(let error as P2PError) = self { return error.code }
        return nil
    }
}

/// A stream whose writes wait while the gate is shut: holds a link's writer still so its queue fills.
final class GatedStream: ByteStream, Sendable {
    let inner: InMemoryByteStream
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], writes: Int)>((true, [], 0))

    init(_ inner: InMemoryByteStream) { self.inner = inner }

    func shut() { state.withLock { $0.open = false } }

    /// The number of writes so far (a link writes each frame on its own).
    var writes: Int { state.withLock { $0.writes } }

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func read() async throws -> [UInt8]? { try await inner.read() }

    func write(_ bytes: [UInt8]) async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wait = state.withLock { s in
                s.writes += 1
                if s.open { return false }
                s.waiters.append(c)
                return true
            }
            if !wait { c.resume() }
        }
        try await inner.write(bytes)
    }

    func close() async {
        open()
        await inner.close()
    }
}

/// A value set from a concurrent task and read after it.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    var get: Value { value.withLock { $0 } }
    func set(_ new: Value) { value.withLock { $0 = new } }
    func update(_ body: (inout Value) -> Void) { value.withLock { body(&$0) } }
}

/// A stream that flips the last byte of its `target`-th write (1 is the hello, 2 the auth frame).
final class TamperingStream: ByteStream, Sendable {
    let inner: InMemoryByteStream
    let target: Int
    private let count = Mutex(0)

    init(_ inner: InMemoryByteStream, tamperingWith target: Int) {
        self.inner = inner
        self.target = target
    }

    func read() async throws -> [UInt8]? { try await inner.read() }

    func write(_ bytes: [UInt8]) async throws {
        let n = count.withLock { n in
            n += 1
            return n
        }
        var bytes = bytes
        if n == target { bytes[bytes.count - 1] ^= 0x80 }
        try await inner.write(bytes)
    }

    func close() async { await inner.close() }
}
