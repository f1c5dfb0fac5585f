import CairnBank
import CairnLedger
import CairnMarket
import CairnPrimitives
import CairnTestSupport
import Testing

/// Random opens, top-ups, claims (valid, replayed, lowered, forged, over the deposit) and closes over many
/// blocks, with the market's, staking's and the bank's invariants audited after every block.
@Suite struct MarketPropertyTests {
    struct Known {
        let client: DevAccount
        let provider: DevAccount
        var claimedByEvents = Amount.zero
        var refunded: Amount?
    }

    /// Runs the traffic of `seed` for `blocks` blocks, then closes every channel and waits for the refunds;
    /// returns the final state's entries.
    func simulate(seed: UInt64, blocks: Int) throws -> [[UInt8]: [UInt8]] {
        var rng = SeededRandom(seed: seed)
        let provider2 = DevAccount("provider-2")
        let clients = [DevAccount("client-2"), DevAccount("client-3")]
        let f = try MarketFixture(extraAccounts: [provider2] + clients)
        try f.registerProvider()
        try f.bondProvider(provider2)
        try f.succeed(provider2, MsgRegisterProvider(MarketFixture.spec([1, 3])))
        let allClients = [f.client] + clients
        let providers = [f.provider, provider2]
        var known: [UInt64: Known] = [:]
        var outcomes = [Bool]()

        for _ in 0..<blocks {
            var txs = [Transaction]()
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let ids = Array(known.keys).sorted()
                let action = ids.isEmpty ? 0 : Int.random(in: 0..<10, using: &rng)
                switch action {
                case 0, 1:
                    let client = allClients.randomElement(using: &rng)!
                    let provider = providers.randomElement(using: &rng)!
                    let deposit = Amount(UInt128(UInt64.random(in: 1...2_000_000, using: &rng)))
                    txs.append(tx(f, client, MsgOpenChannel(provider: provider.address, deposit: deposit, voucherKey: client.publicKey)))
                case 2:
                    let id = ids.randomElement(using: &rng)!
                    let signer = rng.chance(0.8) ? known[id]!.client : f.stranger
                    let amount = Amount(UInt128(UInt64.random(in: 1...500_000, using: &rng)))
                    txs.append(tx(f, signer, MsgTopUpChannel(channelID: id, amount: amount)))
                case 3:
                    let id = ids.randomElement(using: &rng)!
                    txs.append(tx(f, known[id]!.client, MsgCloseChannel(channelID: id)))
                default:
                    let id = ids.randomElement(using: &rng)!
                    let c = known[id]!
                    let signer = rng.chance(0.9) ? c.provider : c.client
                    txs.append(tx(f, signer, MsgClaim(voucher: try voucher(f, id, c, rng: &rng))))
                }
            }
            let exec = try f.harness.block(txs, proposer: f.validator.address)
            #expect(exec.dropped.isEmpty, "\(exec.dropped.map(\.error))")
            outcomes += exec.receipts.map(\.success)
            for event in exec.receipts.flatMap(\.events) + exec.blockEvents {
                guard let id = event["id"].flatMap({ UInt64($0) }) else { continue }
                switch event.type {
                case "market.channel_opened":
                    let client = allClients.first { $0.address.bech32 == event["client"] }!
                    let provider = providers.first { $0.address.bech32 == event["provider"] }!
                    known[id] = Known(client: client, provider: provider)
                case "market.claimed":
                    try checkSplit(event)
                    known[id]!.claimedByEvents = Amount(known[id]!.claimedByEvents.value + Amount(decimal: event["amount"]!)!.value)
                case "market.channel_closed":
                    known[id]!.refunded = Amount(decimal: event["refund"]!)!
                default: break
                }
            }
            try expectSupplyConserved(f)
        }

        for id in known.keys.sorted() {
            if try f.channel(id).state == "open" { try f.succeed(known[id]!.client, MsgCloseChannel(channelID: id)) }
        }
        try f.blocks(Int(MarketFixture.marketParams.settleDelayBlocks) + 1)
        #expect(try f.escrow() == .zero)
        for (id, c) in known {
            let view = try f.channel(id)
            #expect(view.state == "closed")
            // What the events reported claimed is what the channel records.
            #expect(view.claimed == c.claimedByEvents)
        }
        #expect(outcomes.contains(true) && outcomes.contains(false))
        // The traffic must reach claims that pay and closes that refund.
        #expect(known.values.contains { $0.claimedByEvents > .zero } && known.values.contains { ($0.refunded ?? .zero) > .zero })
        #expect(f.harness.violations.isEmpty, "\(f.harness.violations.prefix(5))")
        return f.state.entries
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func randomChannelTrafficKeepsTheEscrowAndSupplyExact(seed: UInt64) throws {
        _ = try simulate(seed: seed, blocks: 60)
    }

    @Test func theSameTrafficGivesTheSameState() throws {
        #expect(try simulate(seed: 7, blocks: 25) == (try simulate(seed: 7, blocks: 25)))
    }

    func tx(_ f: MarketFixture, _ who: DevAccount, _ message: some LedgerMessage) -> Transaction {
        f.harness.tx(who, [RawMessage(message)], gasLimit: 1_000_000)
    }

    /// A voucher over what the channel has claimed: usually more on some models, sometimes the same
    /// (a replay), lower, above the deposit, or signed by the wrong key.
    func voucher(_ f: MarketFixture, _ id: UInt64, _ c: Known, rng: inout SeededRandom) throws -> SignedVoucher {
        let view = try f.channel(id)
        var parts: [UInt64: UInt128] = [:]
        for p in view.claimedPerModel { parts[p.modelID] = p.amount.value }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: break
        case 1:
            if let m = parts.keys.sorted().first, parts[m]! > 1 { parts[m]! -= 1 }
        case 2: parts[1, default: 0] += view.deposit.value + 1
        default:
            for m: UInt64 in [1, 2, 3] where rng.chance(0.6) { parts[m, default: 0] += UInt128(UInt64.random(in: 1...80_000, using: &rng)) }
        }
        let key = rng.chance(0.1) ? f.stranger.key : c.client.key
        return f.voucher(id, parts.keys.sorted().map { ($0, Amount(parts[$0]!)) }, key: key)
    }

    func checkSplit(_ e: Event) throws {
        func a(_ k: String) throws -> UInt128 { try #require(e[k].flatMap { Amount(decimal: $0) }).value }
        #expect(try a("fee") + a("royalties") + a("provider_amount") == a("amount"))
        #expect(try a("burned") + a("treasury") == a("fee"))
    }

    /// Minted − burned equals the sum of every balance.
    func expectSupplyConserved(_ f: MarketFixture) throws {
        let bank = BankModule()
        var balances: UInt128 = 0
        for entry in try f.state.scan(prefix: BankKeys.allBalancesPrefix) where entry.key.hasSuffix(Array("/\(Denom.native)".utf8)) {
            var r = CanonicalReader(entry.value)
            balances += try r.readAmount().value
        }
        let supply = try bank.supply(Denom.native, state: f.state).value
        let burned = try bank.burned(Denom.native, state: f.state).value
        #expect(supply - burned == balances, "height \(f.height)")
    }
}

extension Array where Element == UInt8 {
    fileprivate func hasSuffix(_ suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
