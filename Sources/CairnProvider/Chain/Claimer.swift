public import Logging
public import ServiceLifecycle
import CairnMarket
import Foundation

/// Claims the provider's vouchers on the chain: every tick it asks the desk which claims are due (past the
/// threshold, periodic, or a closing channel) and submits them one by one.
///
/// A claim is marked as submitted before it is sent and the channel is re-read after it, so the same voucher
/// is never claimed twice; a claim the chain refused is not repeated.
public struct Claimer: Service {
    let chain: any MarketChain
    let desk: PaymentDesk
    let policy: ClaimPolicy
    let tick: Duration
    let now: @Sendable () -> UInt64
    let logger: Logger

    /// - Parameters:
    ///   - tick: how often due claims are looked for; a few ticks should fit in a channel's settle delay.
    ///   - now: milliseconds since 1970 (a manual clock in tests).
    public init(chain: any MarketChain, desk: PaymentDesk, policy: ClaimPolicy, tick: Duration = .seconds(2),
                now: @escaping @Sendable () -> UInt64 = Claimer.wallClock, logger: Logger) {
        self.chain = chain
        self.desk = desk
        self.policy = policy
        self.tick = tick
        self.now = now
        self.logger = logger
    }

    /// Milliseconds since 1970 by the system clock.
    public static let wallClock: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }

    public func run() async throws {
        let tick = tick
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await claimDue()
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) } } catch { return }
        }
    }

    /// Submits every claim due now; returns how many succeeded.
    @discardableResult
    public func claimDue() async -> Int {
        do {
            await desk.observe(height: try await chain.latestHeight())
        } catch {
            logger.debug("cannot read the chain height", metadata: ["error": "\(error)"])
        }
        var succeeded = 0
        for claim in await desk.takeClaims(now: now(), policy: policy) {
            let v = claim.voucher.voucher
            do {
                try await chain.claim(claim.voucher)
                succeeded += 1
                logger.info("claimed", metadata: ["channel": "\(v.channelID)", "cumulative": "\(v.cumulative)", "reason": "\(claim.reason.rawValue)"])
            } catch {
                // A failure that is not the chain's refusal (the node unreachable) is tried again later.
                let failure = error as? ClaimFailure ?? ClaimFailure(refusedByChain: false, message: "\(error)")
                logger.warning("claim failed", metadata: ["channel": "\(v.channelID)", "error": "\(failure.message)"])
                await desk.claimFailed(claim.voucher, refusedByChain: failure.refusedByChain)
            }
            await desk.refresh(v.channelID)
        }
        return succeeded
    }
}
