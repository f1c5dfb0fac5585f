/// Where a service reads the time, in milliseconds: the system's monotonic clock when it runs, a manual clock in tests.
public protocol MillisecondClock: Sendable {
    /// Milliseconds since an origin fixed for the clock's life.
    var now: UInt64 { get }
}

/// The system's monotonic clock (it never jumps with the wall clock), in milliseconds since it was made.
public struct MonotonicClock: MillisecondClock {
    let origin = ContinuousClock.now

    public init() {}

    public var now: UInt64 {
        let (seconds, attoseconds) = (ContinuousClock.now - origin).components
        return UInt64(max(0, seconds)) * 1_000 + UInt64(max(0, attoseconds) / 1_000_000_000_000_000)
    }
}
