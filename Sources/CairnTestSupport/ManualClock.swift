import Synchronization

/// A clock that moves only when told to, in milliseconds since 1970 like block times.
///
/// Ledger code never reads a clock; services that stamp blocks take one of these in tests.
public final class ManualClock: Sendable {
    let milliseconds: Mutex<UInt64>

    /// Starts at `start` milliseconds since 1970.
    public init(start: UInt64 = TestGenesis.defaultTime) {
        milliseconds = Mutex(start)
    }

    /// The current time in milliseconds since 1970.
    public var now: UInt64 { milliseconds.withLock { $0 } }

    /// Moves the clock forward by `delta` milliseconds and returns the new time.
    @discardableResult
    public func advance(by delta: UInt64) -> UInt64 {
        milliseconds.withLock { value in
            value += delta
            return value
        }
    }
}
