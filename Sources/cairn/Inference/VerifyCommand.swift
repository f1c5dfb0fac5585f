import ArgumentParser
import CairnInference
import Foundation

/// `cairn verify`: re-scores an output under the claimed model and settings (teacher forcing) and prints the verdict.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that OUTPUT is what the model would produce for PROMPT under the claimed sampling settings.",
        discussion: """
            One batched pass of the model over prompt + output scores every output token. Greedy (temperature 0): each \
            token must be the model's clear top choice. Sampled: each token must lie in the set the settings sample from, \
            and the output's log-probability and its count of top choices must fit the temperature. Exit status 0 when \
            the check passes, 2 when it fails, 1 on an error.
            """)

    @Option(help: "Model name (smollm2) or path relative to the models folder.") var model = "smollm2"
    @Option(help: "The prompt: raw text as `cairn run` takes it, or with --chat one user message.") var prompt: String
    @Option(help: "The output to check.") var output: String?
    @Option(help: "Check an embedding instead: a JSON file holding the vector the provider returned for --prompt (an array of numbers), checked against the embedding model's own (cosine at least 0.999).") var embedding: String?
    @Flag(help: "The prompt is a chat message, rendered with the model's chat template.") var chat = false
    @Option(help: "The claimed temperature; 0 is greedy.") var temperature: Float = 0
    @Option(help: "The claimed top-p.") var topP: Float = 1
    @Option(help: "The claimed top-k (0: off).") var topK = 0
    @Option(help: "Completion tokens billed, to check against the output.") var billedTokens: Int?
    @Option(help: "The claimed finish reason: stop or length.") var finishReason: String?
    @Option(help: "The request's max_tokens, for a length finish.") var maxTokens: Int?
    @Option(help: "Folder holding the models (default: $CAIRN_MODELS or ./.models).") var models: String?
    @Flag(help: "Print one JSON object: verdict, tokens, mismatches, reason and the statistics.") var json = false

    func run() async throws {
        if let embedding { return try await checkEmbedding(embedding) }
        let verdict: InferenceCheck.Verdict
        do {
            guard let output else { throw ValidationError("--output is required (or --embedding FILE)") }
            guard temperature >= 0, temperature <= 10 else { throw ValidationError("--temperature must be between 0 and 10") }
            guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be above 0 and at most 1") }
            guard topK >= 0 else { throw ValidationError("--top-k must not be negative") }
            if let finishReason, !["stop", "length"].contains(finishReason) { throw ValidationError("--finish-reason must be stop or length") }
            let path = try ModelLocator(directory: models).path(for: model)
            let verifier = try InferenceVerifier(path: path)
            verdict = try verifier.check(prompt: prompt, chat: chat, output: output,
                                         claim: .init(temperature: temperature, topK: topK, topP: topP, billedTokens: billedTokens,
                                                      finishReason: finishReason, maxTokens: maxTokens))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        try report(verdict, passed: verdict.passed,
                   line: "\(verdict.verdict): \(verdict.reason) (\(verdict.tokens) tokens, \(verdict.mismatches) mismatches)")
    }

    /// Prints `verdict` (one JSON object with --json, else `line`) and exits 2 when it failed.
    func report(_ verdict: some Encodable, passed: Bool, line: String) throws {
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(verdict), as: UTF8.self))
        } else {
            print(line)
        }
        if !passed { throw ExitCode(2) }
    }

    /// `--embedding FILE`: the provider's vector for `--prompt` against the model's own.
    func checkEmbedding(_ file: String) async throws {
        let verdict: EmbeddingCheck.Verdict
        do {
            let model = self.model == "smollm2" ? "minilm" : self.model
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let numbers = try JSONSerialization.jsonObject(with: data) as? [NSNumber] else {
                throw ValidationError("\(file) must hold one JSON array of numbers")
            }
            let verifier = EmbeddingVerifier(model: try EmbeddingModel(directory: try ModelLocator(directory: models).path(for: model)))
            verdict = try verifier.check(inputs: [prompt], claimed: [numbers.map(\.floatValue)])
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        try report(verdict, passed: verdict.passed, line: "\(verdict.verdict): \(verdict.reason)")
    }
}
