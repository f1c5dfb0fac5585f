/// Where a service reads the time, in milliseconds: the system's monotonic clock when it runs, a manual clock in tests.
public protocol MillisecondClock: Sendable {
    /// Milliseconds since an origin fixed for the clock's life.
    var now: UInt64 { get }
}

/// The system's monotonic clock (it never jumps with the wall clock), in milliseconds since it was made.
public struct MonotonicClock: MillisecondClock {
    let origin = ContinuousClock.now

    public init() {}

    public var now: UInt64 { (ContinuousClock.now - origin).milliseconds }
}

extension Duration {
    /// This duration in whole milliseconds (0 for a negative one).
    public var milliseconds: UInt64 {
        let (s, atto) = components
        return s < 0 ? 0 : UInt64(s) * 1_000 + UInt64(max(0, atto) / 1_000_000_000_000_000)
    }
}
