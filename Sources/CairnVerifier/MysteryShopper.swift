public import CairnPrimitives
public import CairnClient
import CairnMarket
import CairnModels
import CairnVerification
import CairnGateway
import Foundation

/// A verifier's mystery shopping: now and then it buys a chat completion from an active provider, the way any client
/// does (a payment channel, a voucher, an ordinary prompt from a list, greedy or sampled), checks the answer it got
/// against the receipt it was given, and challenges the provider when the check fails. Only providers serving a model
/// this verifier has are shopped.
///
/// The shopping key should not be the verifier's registered key: a provider that knew the verifiers' addresses could
/// answer them honestly and cheat the rest. (The challenge names the shopping key as the challenger.)
public actor MysteryShopper {
    /// Ordinary requests: what a chat user asks.
    public static let prompts = [
        "What is the capital of France?", "Give me three tips for sleeping better.", "Explain photosynthesis in one sentence.",
        "Write a short haiku about autumn.", "What is 12 times 7?", "Name three primary colors.",
        "How do I boil an egg?", "What does a compiler do?", "Suggest a name for a grey cat.", "Why is the sky blue?",
    ]

    let node: NodeClient
    let key: PrivateKey
    let wallet: ChannelWallet
    let judge: JobJudge
    let deposit: Amount
    let bond: Amount
    var modelNames: [UInt64: String] = [:]
    var generator = SystemRandomNumberGenerator()

    public init(node: NodeClient, key: PrivateKey, chainID: String, walletPath: String, modelsDirectory: String?, deposit: Amount,
                bond: Amount) throws {
        self.node = node
        self.key = key
        wallet = try ChannelWallet(node: node, key: key, chainID: chainID, path: walletPath)
        judge = JobJudge(modelsDirectory: modelsDirectory)
        self.deposit = deposit
        self.bond = bond
    }

    struct Providers: Decodable { let providers: [ProviderView] }

    /// One purchase and its check; returns what happened (nil: no provider to shop from).
    public func shopOnce() async throws -> String? {
        let me = key.publicKey.address
        var offers: [(ProviderView, ModelPrice, String)] = []
        for p in try await node.get("/v1/market/providers", as: Providers.self).providers where p.active && p.address != me {
            for price in p.models {
                let name = try await modelName(price.modelID)
                if judge.canJudge(model: name) { offers.append((p, price, name)) }
            }
        }
        guard let (provider, price, model) = offers.randomElement(using: &generator) else { return nil }
        let prompt = Self.prompts.randomElement(using: &generator)!
        let temperature = Bool.random(using: &generator) ? 0 : 0.7
        let body = try JSONSerialization.data(withJSONObject: [
            "model": model, "messages": [["role": "user", "content": prompt]], "max_tokens": 32, "temperature": temperature,
        ] as [String: Any])
        let needed = price.cost(promptTokens: 64, completionTokens: 32, embeddingTokens: 0)
        let channel = try await wallet.ensureChannel(to: provider.address, needed: needed, deposit: Amount(max(deposit.value, needed.value)))
        let response = try await ProviderClient(url: provider.endpoint, timeout: 120).post("/v1/chat/completions", body: body,
                                                                                         voucher: try await wallet.voucher(for: channel.id))
        guard response.status == 200, let signed = response.receipt else {
            return "provider \(provider.address): answered \(response.status) without a receipt"
        }
        _ = try await wallet.accept(signed, channel: channel.id, price: price)
        guard let text = AnswerText.whole(response.body) else {
            return "provider \(provider.address): an answer the check does not judge"
        }
        let receipt = signed.receipt
        guard Hash.sha256(Array(body)) == receipt.requestHash, Hash.sha256(Array(text.utf8)) == receipt.outputHash else {
            // The receipt does not cover what was asked and answered: the wallet's check of it failed already.
            return "provider \(provider.address): a receipt that does not match the job"
        }
        let (verdict, reason) = judge.judge(request: Array(body), output: Array(text.utf8), receipt: receipt)
        guard verdict == .cheated else { return "provider \(provider.address): passed (\(reason))" }
        try await VerifierError.send(MsgChallenge(receipt: signed, request: Array(body), output: Array(text.utf8), bond: bond), via: wallet.sender)
        return "provider \(provider.address): failed and challenged (\(reason))"
    }

    func modelName(_ id: UInt64) async throws -> String {
        if let name = modelNames[id] { return name }
        let name = try await node.get("/v1/registry/models/\(id)", as: ModelView.self).name
        modelNames[id] = name
        return name
    }
}

extension MysteryShopper {
    /// Shops every `interval` until the task is cancelled; `report` hears what each purchase found, and every error.
    public func run(interval: Duration, report: @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            do {
                if let line = try await shopOnce() { report("shopped: \(line)") }
            } catch {
                report("shopping error: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
