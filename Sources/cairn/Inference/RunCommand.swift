import ArgumentParser
import CairnInference
#if canImport(Glibc)
import Glibc
#endif

/// Sampling and model-location options shared by `run` and `chat`.
struct GenerationOptions: ParsableArguments {
    @Option(help: "Model name (smollm2) or path relative to the models folder.")
    var model = "smollm2"
    @Option(help: "Folder holding the models (default: $CAIRN_MODELS or ./.models).")
    var models: String?
    @Option(help: "Maximum number of tokens to generate (0 generates nothing).")
    var maxTokens = 256
    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float?
    @Option(help: "Keep only the K most likely tokens (0: off).")
    var topK = 0
    @Option(help: "Nucleus sampling probability mass (1: off).")
    var topP: Float = 1
    @Option(help: "Repetition penalty (1: off).")
    var repeatPenalty: Float = 1
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Stop when the output contains this text (repeatable).")
    var stop: [String] = []
    @Option(help: "KV cache length in tokens (default: the model's, at most 2048).")
    var context: Int?

    func parameters(defaultTemperature: Float) -> SamplingParameters {
        SamplingParameters(
            temperature: temperature ?? defaultTemperature, topK: topK, topP: topP, repetitionPenalty: repeatPenalty,
            seed: seed, maxTokens: maxTokens, stopSequences: stop)
    }

    func loadContainer() throws -> ModelContainer {
        let path = try ModelLocator(directory: models).path(for: model)
        return try LanguageModelLoader.load(path: path, contextLength: context)
    }
}

/// `cairn run PROMPT`: streams the model's continuation of a prompt to standard output.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Stream a model's continuation of PROMPT to standard output.")

    @OptionGroup var options: GenerationOptions
    @Flag(help: "Print token counts and speed to standard error at the end.")
    var stats = false
    @Argument(help: "The prompt text.")
    var prompt: String

    func run() async throws {
        try await reportingFailure {
            let container = try options.loadContainer()
            let parameters = options.parameters(defaultTemperature: 0)
            try parameters.validate()
            for try await event in container.generate(prompt: prompt, parameters: parameters) {
                switch event {
                case .token(_, let text), .text(let text):
                    writeOut(text)
                case .finished(let summary):
                    writeOut("\n")
                    if stats { reportStats(summary) }
                case .logprobs:
                    break
                }
            }
        }
    }
}

/// Writes `text` to standard output immediately (no line buffering), so tokens appear as they stream.
func writeOut(_ text: String) {
    guard !text.isEmpty else { return }
    writeAll(1, text)
}

/// Writes all of `text` to file descriptor `fd` with unbuffered `write` calls.
func writeAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}

/// Prints a generation's counts and speeds to standard error.
func reportStats(_ summary: GenerationSummary) {
    let decodeRate = summary.decodeSeconds > 0 ? Double(max(0, summary.completionTokenCount - 1)) / summary.decodeSeconds : 0
    let line = "[prompt \(summary.promptTokenCount) tokens in \(fixed(summary.prefillSeconds * 1000, 1)) ms, "
        + "completion \(summary.completionTokenCount) tokens at \(fixed(decodeRate, 1)) tokens/s, "
        + "finish: \(summary.finishReason.rawValue)]\n"
    writeAll(2, line)
}
