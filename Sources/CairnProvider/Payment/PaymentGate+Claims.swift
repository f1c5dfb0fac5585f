public import CairnPrimitives
public import CairnMarket

extension PaymentGate {
    /// Why a claim is due.
    public enum ClaimReason: String, Sendable {
        /// The unclaimed amount reached the threshold.
        case threshold
        /// The periodic claim of everything unclaimed.
        case periodic
        /// The channel is closing: it is claimed at once, long before its settle height, and again if the client
        /// hands over a better voucher meanwhile.
        case closing
    }

    /// A claim to submit.
    public struct Claim: Sendable, Equatable {
        public var voucher: SignedVoucher
        public var reason: ClaimReason
        public var channelID: UInt64 { voucher.voucher.channelID }
    }

    /// The vouchers to claim now, by channel id.
    ///
    /// A channel is claimed when its best voucher is above what the chain shows claimed, no claim of it is under
    /// way, the chain would accept it (each model at least what was claimed for it), and either the unclaimed amount
    /// reached the threshold, the periodic claim is due, or the channel is closing. A channel past its settle height
    /// is not claimed: the chain would refuse.
    /// - Parameter now: milliseconds since 1970.
    public mutating func claimsDue(now: UInt64, policy: ClaimPolicy) -> [Claim] {
        guard let next = nextPeriodicClaim else {
            nextPeriodicClaim = now + policy.intervalMilliseconds
            return claims(periodic: false, policy: policy)
        }
        let periodic = now >= next
        if periodic { nextPeriodicClaim = now + policy.intervalMilliseconds }
        return claims(periodic: periodic, policy: policy)
    }

    func claims(periodic: Bool, policy: ClaimPolicy) -> [Claim] {
        var due: [Claim] = []
        for id in channelIDs {
            guard let account = accounts[id], let chain = account.chain, let voucher = account.record.voucher,
                  account.claimPending == nil, account.claimRefused != voucher.voucher.cumulative, chain.state != .closed,
                  voucher.voucher.cumulative > chain.claimed,
                  chain.claimedPerModel.allSatisfy({ voucher.voucher.amount(for: $0.modelID) >= $0.amount }) else { continue }
            let unclaimed = voucher.voucher.cumulative.subtracting(chain.claimed) ?? .zero
            if chain.state == .closing {
                if height <= chain.settleHeight { due.append(Claim(voucher: voucher, reason: .closing)) }
                continue
            }
            if unclaimed >= policy.threshold {
                due.append(Claim(voucher: voucher, reason: .threshold))
            } else if periodic {
                due.append(Claim(voucher: voucher, reason: .periodic))
            }
        }
        return due
    }

    /// Notes that a claim of `voucher` was submitted: the channel is not claimed again until the chain shows it
    /// claimed or the claim failed.
    public mutating func claimSubmitted(_ voucher: SignedVoucher) {
        accounts[voucher.voucher.channelID]?.claimPending = voucher.voucher.cumulative
    }

    /// Notes that a submitted claim failed. A claim the chain refused is not submitted again (a better voucher is);
    /// one that never reached the chain is tried again.
    public mutating func claimFailed(_ voucher: SignedVoucher, refusedByChain: Bool) {
        let id = voucher.voucher.channelID
        accounts[id]?.claimPending = nil
        if refusedByChain { accounts[id]?.claimRefused = voucher.voucher.cumulative }
    }

    /// The amount above what the chain shows claimed, per channel with a chain view.
    public var unclaimed: [UInt64: Amount] {
        var result: [UInt64: Amount] = [:]
        for (id, account) in accounts {
            guard let chain = account.chain, let v = account.record.voucher else { continue }
            result[id] = v.voucher.cumulative.subtracting(chain.claimed) ?? .zero
        }
        return result
    }
}
