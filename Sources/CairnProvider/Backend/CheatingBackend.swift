import Foundation

/// A provider that cheats, for the verification tests: `CAIRN_TEST_PROVIDER_CHEAT=random-text` makes it answer with
/// made-up words instead of what its model generated (billing the model's token counts, signing receipts as usual);
/// `CAIRN_TEST_PROVIDER_WEIGHTS=PATH` makes it register (and name in its receipts) the weights it was given but
/// generate with the GGUF file at PATH (a cheaper model made from them, such as `DegradedModel` writes).
/// Both are refused unless `CAIRN_ENABLE_TEST_HOOKS=1` is set too, so a normal run can never switch one on by a stray
/// variable.
public enum ProviderTestHooks {
    public static let enableVariable = "CAIRN_ENABLE_TEST_HOOKS"
    public static let cheatVariable = "CAIRN_TEST_PROVIDER_CHEAT"
    public static let weightsVariable = "CAIRN_TEST_PROVIDER_WEIGHTS"

    /// The weights file `environment` asks language models to be served from instead of their own (nil: none).
    /// - Throws: `ProviderError` without `CAIRN_ENABLE_TEST_HOOKS=1`.
    public static func weights(environment: [String: String]) throws -> String? {
        guard let value = environment[weightsVariable] else { return nil }
        guard environment[enableVariable] == "1" else {
            throw ProviderError(.configuration, "\(weightsVariable): test-only cheat, refused unless \(enableVariable)=1")
        }
        return value
    }

    /// The cheat `environment` asks for (nil: none).
    /// - Throws: `ProviderError` for a cheat without `CAIRN_ENABLE_TEST_HOOKS=1`, or one that is not known.
    public static func cheat(environment: [String: String]) throws -> CheatingBackend.Cheat? {
        guard let value = environment[cheatVariable] else { return nil }
        guard environment[enableVariable] == "1" else {
            throw ProviderError(.configuration, "\(cheatVariable): test-only cheat, refused unless \(enableVariable)=1")
        }
        guard let cheat = CheatingBackend.Cheat(rawValue: value) else {
            throw ProviderError(.configuration, "\(cheatVariable) must be one of \(CheatingBackend.Cheat.allCases.map(\.rawValue)), not '\(value)'")
        }
        return cheat
    }
}

/// A backend that hands on everything of the one it wraps but the text it generates (see ``ProviderTestHooks``).
public struct CheatingBackend: InferenceBackend {
    public enum Cheat: String, Sendable, CaseIterable {
        /// Every piece of text becomes a made-up word.
        case randomText = "random-text"
    }

    let inner: any InferenceBackend
    let cheat: Cheat

    public init(_ inner: any InferenceBackend, cheat: Cheat) {
        self.inner = inner
        self.cheat = cheat
    }

    static let words = ["banana", "orbit", "quietly", "purple", "umbrella", "violin", "frozen", "river", "maps", "seventeen", "lantern",
                        "marble", "whisper", "copper", "meadow"]

    public var models: [ServedModel] { inner.models }
    public func prepare(_ request: GenerationRequest) async throws -> PreparedGeneration { try await inner.prepare(request) }
    public func prepare(_ request: EmbeddingRequest) async throws -> PreparedEmbedding { try await inner.prepare(request) }
    public func embed(_ prepared: PreparedEmbedding) async throws -> EmbeddingResult { try await inner.embed(prepared) }
    public func metrics() -> String { inner.metrics() }
    public func capacity(of model: ServedModel) -> Int { inner.capacity(of: model) }

    public func generate(_ prepared: PreparedGeneration) -> AsyncThrowingStream<GenerationOutput, any Error> {
        let upstream = inner.generate(prepared)
        return AsyncThrowingStream { continuation in
            let task = Task {
                var n = 0
                do {
                    for try await output in upstream {
                        if case .text = output {
                            continuation.yield(.text(" " + Self.words[n % Self.words.count]))
                            n += 1
                        } else {
                            continuation.yield(output)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
