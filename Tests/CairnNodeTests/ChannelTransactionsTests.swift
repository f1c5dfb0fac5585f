import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnBank
import CairnMarket
import CairnClient
import CairnTestSupport

/// Channel transactions from one key, asked for at once (as a gateway does for concurrent requests), are sent one after
/// the other: each reads the account's nonce, so two in flight together would sign the same one.
@Suite struct ChannelTransactionsTests {
    /// Registers the funded account as a provider of a new model and funds a client account named `name` to pay it.
    static func payerOfARegisteredProvider(_ client: NodeClient, name: String) async throws -> DevAccount {
        let funded = InProcessNode.funded
        let modelID = try await ProviderProbeTests.registerModel(client, owner: funded)
        try await ProviderProbeTests.registerProvider(client, funded, endpoint: "http://127.0.0.1:9", modelID: modelID,
                                                      bond: MarketParams.default.minProviderStake)
        let payer = DevAccount(name)
        _ = try await client.send([MsgSend(to: payer.address, coins: [Coin(denom: Denom.native, amount: 100_000_000)])], key: funded.key)
        return payer
    }

    @Test func concurrentOpensAndTopUpsFromOneKeyAreAllIncluded() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let funded = InProcessNode.funded
            let payer = try await Self.payerOfARegisteredProvider(client, name: "channel-transactions-payer")
            let transactions = ChannelTransactions(node: client, key: payer.key)
            let provider = funded.address
            let ids = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<5 { group.addTask { try await transactions.open(to: provider, deposit: 1_000_000) } }
                return try await group.reduce(into: [UInt64]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 5, "five channels opened: \(ids)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids { group.addTask { try await transactions.topUp(id, amount: 500_000) } }
                try await group.waitForAll()
            }
            let views = try await transactions.channels()
            #expect(Set(views.map(\.id)) == Set(ids))
            #expect(views.allSatisfy { $0.deposit == 1_500_000 && $0.state == "open" })
        }
    }

    /// A gateway's channel transactions and its auditor's challenges are signed with one key: sent through one sender,
    /// neither takes the other's nonce (sent apart, one of two asked together is refused as a pending nonce), and
    /// transactions asked for together go into the same blocks.
    @Test func channelTransactionsAndOtherSendsOfTheKeyShareItsNonces() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let funded = InProcessNode.funded
            let payer = try await Self.payerOfARegisteredProvider(client, name: "channel-transactions-shared")
            let sender = TransactionSender(node: client, key: payer.key)
            let transactions = ChannelTransactions(sender: sender)
            let provider = funded.address, sink = DevAccount("channel-transactions-sink").address
            let heights = try await withThrowingTaskGroup(of: UInt64?.self) { group in
                for i in 0..<4 {
                    group.addTask {
                        _ = try await transactions.open(to: provider, deposit: 1_000_000)
                        return nil
                    }
                    group.addTask {
                        try await sender.send([MsgSend(to: sink, coins: [Coin(denom: Denom.native, amount: Amount(UInt128(1_000 + i)))])]).height
                    }
                }
                return try await group.reduce(into: [UInt64]()) { if let h = $1 { $0.append(h) } }
            }
            // Submitted one after the other without waiting for blocks, the eight share blocks.
            #expect(Set(heights).count < 4, "the sends' blocks: \(heights)")
            #expect(try await transactions.channels().count == 4)
            #expect(try await client.account(sink).balances == [Coin(denom: Denom.native, amount: 4_006)])
            #expect(try await client.account(payer.address).nonce == 8)
        }
    }
}
