public import CairnPrimitives
import Synchronization

/// A clock that moves only when told to, in milliseconds: the services that read a `MillisecondClock` take one in tests.
public final class ManualClock: MillisecondClock {
    let milliseconds: Mutex<UInt64>

    /// Starts at `start` milliseconds.
    public init(start: UInt64 = TestGenesis.defaultTime) {
        milliseconds = Mutex(start)
    }

    /// The current time in milliseconds.
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
