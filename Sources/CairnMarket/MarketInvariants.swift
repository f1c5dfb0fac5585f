import CairnPrimitives
public import CairnLedger

extension MarketModule {
    /// The escrow holds exactly what the channels say, and every channel is consistent with its indexes:
    /// - escrow balance = Σ (deposit − claimed) over channels not closed;
    /// - claimed ≤ deposit, and the per-model amounts (sorted, non-zero) sum to claimed;
    /// - every channel is indexed by client and by provider; a closing channel, and only it, is queued at
    ///   its settle height; the next channel id is above every id.
    public func checkInvariants(state: any StateReader) throws -> [String] {
        var violations = [String]()
        let reader = MarketReader(state: state)
        let channels = try reader.channels()
        var escrowed: UInt128 = 0
        var queued = 0
        for (id, c) in channels {
            violations += check(id, c)
            if c.claimed <= c.deposit { escrowed += c.unclaimed.value }
            if try state.get(MarketKeys.channels(ofClient: c.client) + StateKey.bigEndian(id)) == nil { violations.append("channel \(id) not indexed by client") }
            if try state.get(MarketKeys.channels(ofProvider: c.provider) + StateKey.bigEndian(id)) == nil { violations.append("channel \(id) not indexed by provider") }
            if c.state == .closing {
                queued += 1
                if try state.get(MarketKeys.settleQueue(at: c.settleHeight) + StateKey.bigEndian(id)) == nil {
                    violations.append("closing channel \(id) is not queued at its settle height \(c.settleHeight)")
                }
            }
        }
        if try reader.entries(MarketKeys.settlePrefix).count != queued { violations.append("settle queue and closing channels differ in number") }
        if try reader.entries(MarketKeys.byClientPrefix).count != channels.count { violations.append("client index and channels differ in number") }
        if try reader.entries(MarketKeys.byProviderPrefix).count != channels.count { violations.append("provider index and channels differ in number") }
        if let last = channels.last?.id, try reader.nextChannelID() <= last { violations.append("next channel id is not above channel \(last)") }
        let escrow = try bank.balance(of: MarketAccounts.escrow, denom: Denom.native, state: state)
        if escrow.value != escrowed { violations.append("escrow \(escrow) != Σ unclaimed deposits of channels not closed \(escrowed)") }
        return violations
    }

    func check(_ id: UInt64, _ c: ChannelRecord) -> [String] {
        var violations = [String]()
        if c.claimed > c.deposit { violations.append("channel \(id) claimed \(c.claimed) above its deposit \(c.deposit)") }
        var sum: UInt128 = 0
        var previous: UInt64?
        for p in c.claimedPerModel {
            if let previous, p.modelID <= previous { violations.append("channel \(id) per-model claims are not sorted") }
            if p.amount == .zero { violations.append("channel \(id) stores a zero claim for model \(p.modelID)") }
            let (s, overflow) = sum.addingReportingOverflow(p.amount.value)
            if overflow { violations.append("channel \(id) per-model claims overflow") }
            sum = s
            previous = p.modelID
        }
        previous = nil
        for u in c.claimedUsage {
            if let previous, u.modelID <= previous { violations.append("channel \(id) claimed usage is not sorted") }
            previous = u.modelID
        }
        if sum != c.claimed.value { violations.append("channel \(id) per-model claims sum to \(sum), not claimed \(c.claimed)") }
        if (c.state == .open) != (c.settleHeight == 0) { violations.append("channel \(id) is \(c.state.name) with settle height \(c.settleHeight)") }
        return violations
    }
}
