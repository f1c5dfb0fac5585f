public import CairnPrimitives
public import CairnClient
import CairnLedger
public import CairnMarket
public import CairnVerification
import CairnInference
import CairnProvider
import CairnWire
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The verifier's agent (`cairn verifier start`): it watches the chain for challenges whose committee it sits on, judges
/// each job by running the check (one teacher-forced pass of the claimed model over the prompt and the output the
/// challenge carries), commits to its verdict and reveals it once revealing opens.
///
/// A job the check cannot judge (its decoding was constrained by a grammar or tools, it asked for several choices, its
/// model is not here) is judged honest: a verifier never votes to slash what it could not check. Verdicts are kept in a
/// file beside the key so that a restarted agent reveals what it committed to; the salt comes from the key and the
/// challenge, as the CLI derives it.
public actor VerifierAgent {
    /// What the agent did in one pass.
    public struct Action: Sendable, Equatable {
        public var challenge: UInt64
        /// `commit` or `reveal`.
        public var step: String
        /// `cheated` or `honest`.
        public var verdict: String
        public var reason: String
    }

    let node: NodeClient
    let key: PrivateKey
    let sender: TransactionSender
    let votesPath: String
    var votes: [UInt64: String]
    let judge: JobJudge

    /// - Parameters:
    ///   - votesPath: the JSON file that keeps the verdicts committed to (created when missing).
    public init(node: NodeClient, key: PrivateKey, modelsDirectory: String?, votesPath: String) throws {
        self.node = node
        self.key = key
        sender = TransactionSender(node: node, key: key)
        judge = JobJudge(modelsDirectory: modelsDirectory)
        self.votesPath = votesPath
        if FileManager.default.fileExists(atPath: votesPath) {
            let data = try Data(contentsOf: URL(fileURLWithPath: votesPath))
            let stored = try JSONDecoder().decode([String: String].self, from: data)
            votes = Dictionary(uniqueKeysWithValues: stored.compactMap { k, v in UInt64(k).map { ($0, v) } })
        } else {
            votes = [:]
        }
    }

    public var address: Address { key.publicKey.address }

    /// The salt of this agent's commitment on `challenge` (the same derivation as `cairn tx verification commit`).
    public static func salt(key: PrivateKey, challenge: UInt64) -> [UInt8] { Verdict.salt(keySeed: key.seed, challenge: challenge) }

    struct ChallengeList: Decodable { let challenges: [ChallengeView] }

    /// One pass: commits on every challenge in its commit phase whose committee holds this agent and that it has not
    /// committed on, and reveals on every challenge in its reveal phase that it committed on and has not revealed.
    public func step() async throws -> [Action] {
        let me = address.bech32
        var actions: [Action] = []
        for status in ["committing", "revealing"] {
            let list = try await node.get("/v1/verification/challenges?status=\(status)", as: ChallengeList.self).challenges
            for c in list {
                guard let seat = c.committee.first(where: { $0.member == me }) else { continue }
                if status == "committing", !seat.committed {
                    let (verdict, reason) = judgeChallenge(c)
                    votes[c.id] = verdict.name
                    try saveVotes()
                    let commitment = Verdict.commitment(challenge: c.id, member: address, verdict: verdict, salt: Self.salt(key: key, challenge: c.id))
                    try await send(MsgCommitVerdict(challengeID: c.id, commitment: commitment))
                    actions.append(Action(challenge: c.id, step: "commit", verdict: verdict.name, reason: reason))
                } else if status == "revealing", seat.committed, seat.verdict == nil {
                    var reason = "the verdict committed to"
                    let verdict: Verdict
                    if let stored = votes[c.id].flatMap(Verdict.init(name:)) { verdict = stored } else {
                        (verdict, reason) = judgeChallenge(c)
                    }
                    try await send(MsgRevealVerdict(challengeID: c.id, verdict: verdict, salt: Self.salt(key: key, challenge: c.id)))
                    actions.append(Action(challenge: c.id, step: "reveal", verdict: verdict.name, reason: reason))
                }
            }
        }
        return actions
    }

    /// Runs ``step()`` every `interval` until the task is cancelled; `report` hears every action and every error.
    public func run(interval: Duration, report: @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            do {
                for a in try await step() { report("challenge \(a.challenge): \(a.step) \(a.verdict) (\(a.reason))") }
            } catch {
                report("error: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The verdict on a challenged job (or a pooled challenge's window) and why.
    public func judgeChallenge(_ c: ChallengeView) -> (Verdict, String) {
        if let pooled = c.pooled { return judgeWindow(pooled) }
        guard let (request, output) = JobJudge.bytes(request: c.request, outputBase64: c.outputBase64, receipt: c.receipt) else {
            return (.honest, "the job does not match its receipt as the node lists it, so it cannot be checked")
        }
        return judge.judge(request: request, output: output, receipt: c.receipt)
    }

    /// The verdict on a pooled window (``JobJudge/judgeWindow(_:)``).
    public func judgeWindow(_ pooled: ChallengeView.Pooled) -> (Verdict, String) { judge.judgeWindow(pooled) }

    /// The verdict on a job: `output` returned for the request body `request`, billed as `receipt` says.
    public func judge(request: [UInt8], output: String, receipt: ServiceReceipt) -> (Verdict, String) {
        judge.judge(request: request, output: Array(output.utf8), receipt: receipt)
    }

    /// Loads `models` now, so that the first challenge's clock does not run while a model loads.
    public func preload(_ models: [String]) throws { try judge.preload(models) }

    func send(_ message: some LedgerMessage) async throws { try await VerifierError.send(message, via: sender) }

    func saveVotes() throws {
        let stored = Dictionary(uniqueKeysWithValues: votes.map { (String($0.key), $0.value) })
        let data = try JSONEncoder().encode(stored)
        let temporary = votesPath + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        // Replaced in one step: a kill mid-write leaves the old file, never half a new one.
        guard rename(temporary, votesPath) == 0 else { throw VerifierError("cannot replace \(votesPath): errno \(errno)") }
    }
}

/// An error of the verifier's agent.
public struct VerifierError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension VerifierError {
    /// Sends `message` through `sender` (after the key's earlier sends) and waits for its receipt; a failed receipt is an error.
    @discardableResult
    static func send(_ message: some LedgerMessage, via sender: TransactionSender) async throws -> Receipt {
        do {
            return try await sender.send([message])
        } catch {
            throw VerifierError("\(type(of: message).typeName) failed: \(error)")
        }
    }
}

/// Judges jobs by running the check, loading each model the first time a job needs it. Not thread-safe: one owner
/// (an actor) uses it at a time.
public final class JobJudge {
    let models: ModelLocator
    var verifiers: [String: InferenceVerifier] = [:]
    var embedders: [String: EmbeddingVerifier] = [:]
    /// The hash of each loaded model's weights file, to compare with what receipts name.
    var weights: [String: Hash] = [:]

    public init(modelsDirectory: String?) { models = ModelLocator(directory: modelsDirectory) }

    /// Whether the model named `model` is here to check with.
    public func canJudge(model: String) -> Bool {
        if verifiers[model] != nil { return true }
        guard let path = try? models.path(for: model) else { return false }
        return ModelLocator.exists(path)
    }

    /// The verdict on a job: `output` (the bytes the receipt hashes: text as UTF-8, or embedding vectors as little-endian
    /// F32) returned for the request body `request`, billed as `receipt` says.
    public func judge(request: [UInt8], output: [UInt8], receipt: ServiceReceipt) -> (Verdict, String) {
        let (verdict, reason, _) = check(request: request, output: output, receipt: receipt)
        return (verdict, reason)
    }

    /// The verdict on a pooled window: cheated when one of its jobs fails the check, or when their evidence pooled does
    /// (``PooledEvidence``, a repeated job counted once); honest otherwise, and when the window is not all there.
    public func judgeWindow(_ pooled: ChallengeView.Pooled) -> (Verdict, String) {
        guard pooled.jobs.count == Int(pooled.size) else {
            return (.honest, "the window holds \(pooled.jobs.count) of its \(pooled.size) jobs, so it cannot be judged")
        }
        var evidence = PooledEvidence()
        var seen = Set<[Hash]>()
        var judged = 0
        for job in pooled.jobs.sorted(by: { $0.receipt.modelRequests < $1.receipt.modelRequests }) {
            guard let (request, output) = JobJudge.bytes(request: job.request, outputBase64: job.outputBase64, receipt: job.receipt) else { continue }
            let (verdict, reason, check) = check(request: request, output: output, receipt: job.receipt)
            if verdict == .cheated { return (.cheated, "job \(job.receipt.modelRequests) of the window: \(reason)") }
            if let check, seen.insert([job.receipt.requestHash, job.receipt.outputHash]).inserted {
                evidence.add(check)
                judged += 1
            }
        }
        if let why = evidence.failure() { return (.cheated, "the window's \(judged) checked jobs pooled: \(why)") }
        return (.honest, "each of the window's \(judged) checked jobs passes, and pooled they do too")
    }

    /// A job's request and output bytes as the node lists them, when they hash to its receipt.
    static func bytes(request text: String, outputBase64: String, receipt: ServiceReceipt) -> (request: [UInt8], output: [UInt8])? {
        let request = Array(text.utf8)
        guard let output = Data(base64Encoded: outputBase64).map(Array.init), Hash.sha256(request) == receipt.requestHash,
              Hash.sha256(output) == receipt.outputHash else { return nil }
        return (request, output)
    }

    /// ``judge(request:output:receipt:)`` with the check's own verdict on text (nil: not judged, or embeddings), for pooling.
    func check(request: [UInt8], output bytes: [UInt8], receipt: ServiceReceipt) -> (Verdict, String, InferenceCheck.Verdict?) {
        if let embeddings = try? JSONDecoder().decode(EmbeddingsRequest.self, from: Data(request)) {
            do {
                let verifier = try embeddingVerifier(for: receipt.model)
                let result = try verifier.check(inputs: embeddings.input, claimed: try verifier.vectors(fromOutput: bytes))
                return (result.passed ? .honest : .cheated, result.reason, nil)
            } catch {
                return (.honest, "not judged: \(error)", nil)
            }
        }
        let output = String(decoding: bytes, as: UTF8.self)
        let replay: JobReplay
        do { replay = try JobReplay(requestBody: request) } catch { return (.honest, "the request cannot be read: \(error)", nil) }
        if let why = replay.unjudgeable { return (.honest, "not judged: \(why)", nil) }
        do {
            let verifier = try verifier(for: receipt.model)
            if receipt.weightsHash != .zero, let mine = weights[receipt.model], receipt.weightsHash != mine {
                return (.honest, "not judged: the receipt names weights \(receipt.weightsHash.hex), this verifier has \(mine.hex)", nil)
            }
            // The finish reason the provider signed (older receipts carry none: not checked).
            let finish = ["stop", "length"].contains(receipt.finishReason) ? receipt.finishReason : nil
            let claim = InferenceCheck.Claim(temperature: replay.temperature, topP: replay.topP, billedTokens: Int(receipt.completionTokens),
                                             finishReason: finish, maxTokens: replay.maxTokens)
            // Relevance is measured (and its bound calibrated) on one-question chats only.
            let chat = if case .chat(let messages) = replay.prompt, messages.count == 1 { true } else { false }
            let result = try verifier.check(promptTokens: try replay.promptTokens(verifier), outputTokens: try verifier.tokenizer.encode(output),
                                            claim: claim, chat: chat)
            return (result.passed ? .honest : .cheated, result.reason, result)
        } catch {
            return (.honest, "not judged: \(error)", nil)
        }
    }

    /// Loads `models` now.
    public func preload(_ models: [String]) throws {
        for m in models {
            let path = try self.models.path(for: m)
            if WeightsHasher.weightsFile(at: path) != path { _ = try embeddingVerifier(for: m) } else { _ = try verifier(for: m) }
        }
    }

    func embeddingVerifier(for model: String) throws -> EmbeddingVerifier {
        if let v = embedders[model] { return v }
        let v = EmbeddingVerifier(model: try EmbeddingModel(directory: try models.path(for: model)))
        embedders[model] = v
        return v
    }

    func verifier(for model: String) throws -> InferenceVerifier {
        if let v = verifiers[model] { return v }
        let path = try models.path(for: model)
        let v = try InferenceVerifier(path: path)
        weights[model] = try WeightsHasher.hash(file: WeightsHasher.weightsFile(at: path))
        verifiers[model] = v
        return v
    }

}
