import ArgumentParser
import CairnInference
#if canImport(Glibc)
import Glibc
#endif

/// `cairn bench inference`: SmolLM2 prefill, decode, time to first token, peak memory; MiniLM throughput.
struct BenchInferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference", abstract: "Measure SmolLM2 prefill/decode speed, peak memory and MiniLM throughput.")

    @Option(help: "Folder holding the models (default: $CAIRN_MODELS or ./.models).")
    var models: String?
    @Option(help: "Prompt length in tokens for the prefill measurement.")
    var promptTokens = 400
    @Option(help: "Tokens decoded for the decode measurement.")
    var decodeTokens = 128
    @Option(help: "Repetitions; the best run is reported.")
    var runs = 3
    @Flag(help: "Skip the MiniLM embedding measurement.")
    var skipEmbeddings = false
    @Flag(help: "Also time decode's matrix-vector products alone, over every layer's weights, on one thread and on all.")
    var matVec = false
    @Option(help: "Concurrent streams to measure through the batching scheduler, comma-separated (such as 1,4,8,16,32); each stream decodes --decode-tokens tokens after a prompt of 20 to 200 tokens.")
    var streams: String?
    @Option(help: "Also time one request of this many choices (n; sampled, --decode-tokens each) on the benchmark prompt: its prompt evaluated once for all choices, and once per choice.")
    var choices: Int?
    @Flag(help: "Also time decoding under a grammar (response_format json_object, and a schema) against free text, and the grammar's token mask alone.")
    var constrained = false

    func run() async throws {
        try await reportingFailure {
            let locator = ModelLocator(directory: models)
            let path = try locator.path(for: "smollm2")
            let model = try LlamaModel(path: path)
            let prompt = try benchPrompt(model: model)
            print("SmolLM2-135M Q4_1, \(ComputePool.shared.threadCount) threads, prompt \(prompt.count) tokens, decode \(decodeTokens) tokens")
            print("decode kernels: \(MatVecKernels.preferred) (CAIRN_KERNELS=float selects floating-point)")
            print("BLAS kernels (prefill, MiniLM): \(BLASSetup.core)")
            var bestPrefill = Double.infinity, bestTTFT = Double.infinity, bestDecode = Double.infinity
            for _ in 0..<max(1, runs) {
                let t0 = now()
                try model.prefill(tokens: prompt)
                let t1 = now()
                var token = Sampler.argmax(UnsafeMutableBufferPointer(mutating: model.logits))
                let t2 = now()
                for i in 0..<decodeTokens {
                    try model.decode(token: token, position: prompt.count + i)
                    token = Sampler.argmax(UnsafeMutableBufferPointer(mutating: model.logits))
                }
                let t3 = now()
                bestPrefill = min(bestPrefill, t1 - t0)
                bestTTFT = min(bestTTFT, t2 - t0)
                bestDecode = min(bestDecode, t3 - t2)
            }
            let prefillRate = Double(prompt.count) / bestPrefill, decodeRate = Double(decodeTokens) / bestDecode
            print(format("prefill", prefillRate, "tokens/s", reference: 460))
            print(format("decode", decodeRate, "tokens/s", reference: 170))
            print("time to first token: \(fixed(bestTTFT * 1000, 1)) ms (\(prompt.count)-token prompt)")
            print("SmolLM2 peak resident memory: \(fixed(Double(peakResidentKiB()) / 1024, 1)) MiB (goal < 300 MiB)")
            if matVec { benchMatVec(model: model) }
            if let streams {
                let counts = streams.split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
                guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 && $0 <= 256 }) else {
                    throw ValidationError("--streams takes counts from 1 to 256 separated by commas, such as 1,4,8,16")
                }
                try await benchStreams(path: path, counts: counts, prompt: prompt)
            }
            if let choices {
                guard (2...16).contains(choices) else { throw ValidationError("--choices takes 2 to 16") }
                try await benchChoices(path: path, count: choices, prompt: prompt)
            }
            if constrained { try await benchConstrained(path: path) }
            if skipEmbeddings {
                print("MiniLM: skipped (--skip-embeddings)")
            } else {
                try await benchEmbeddings(locator: locator)
            }
        }
    }

    /// Decode's matrix-vector products without the rest of decode: every layer's seven projections and the
    /// classifier, applied to a fixed input as decode applies them, timed on one thread and on the shared pool.
    private func benchMatVec(model: LlamaModel) {
        let c = model.config
        let width = max(c.dimension, c.hiddenDimension)
        let input = MatVecInput(capacity: width)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(width, c.vocabularySize))
        defer { x.deallocate(); out.deallocate() }
        var rng = Xoshiro256(seed: 1)
        for i in 0..<width { x[i] = rng.nextUnitFloat() * 2 - 1 }
        let layers = model.weights.layers
        let layerBytes = layers.reduce(0) { $0 + $1.matrices.reduce(0) { $0 + $1.byteCount } }
        for pool in [ComputePool(threads: 1), ComputePool.shared] {
            var bestLayers = Double.infinity, bestClassifier = Double.infinity
            for _ in 0..<max(3, runs) {
                let t0 = now()
                for layer in layers {
                    for m in layer.matrices { MatVec.multiply(m, x: x, input: input, output: out, pool: pool) }
                }
                let t1 = now()
                MatVec.multiply(model.weights.output, x: x, input: input, output: out, pool: pool)
                let t2 = now()
                bestLayers = min(bestLayers, t1 - t0)
                bestClassifier = min(bestClassifier, t2 - t1)
            }
            let rows = layers.reduce(0) { $0 + $1.matrices.reduce(0) { $0 + $1.rows } }
            print("matvec, \(pool.threadCount) thread\(pool.threadCount == 1 ? "" : "s"): layers \(fixed(bestLayers * 1000, 3)) ms "
                + "(\(fixed(Double(layerBytes) / bestLayers / 1e9, 1)) GB/s, \(fixed(bestLayers * 1e9 / Double(rows), 1)) ns/row), "
                + "classifier \(fixed(bestClassifier * 1000, 3)) ms (\(fixed(Double(model.weights.output.byteCount) / bestClassifier / 1e9, 1)) GB/s)")
        }
        for batch in [4, 16, 32] {
            let (single, batched) = BatchBenchmark.layerProducts(model, batch: batch, runs: max(3, runs))
            print("batched layer products, \(batch) inputs: \(fixed(batched * 1000, 3)) ms a step, \(fixed(batched / Double(batch) * 1000, 3)) ms "
                + "an input against \(fixed(single * 1000, 3)) ms alone (\(fixed(single * Double(batch) / batched, 2))× the throughput)")
        }
    }

    /// A deterministic prompt of `promptTokens` tokens: English text if the tokenizer is available, else ids.
    private func benchPrompt(model: LlamaModel) throws -> [Int32] {
        var ids: [Int32] = []
        if let tokenizer = try LanguageModelLoader.tokenizer(for: model.weights.file) {
            let paragraph = "The history of computing is a story of people who wanted to calculate faster. "
                + "From the abacus to mechanical calculators, from vacuum tubes to transistors, each step made "
                + "machines smaller, cheaper and more capable, and each one changed how we work and live. "
            while ids.count < promptTokens { ids += tokenizer.encode(paragraph) }
        } else {
            var rng = Xoshiro256(seed: 42)
            while ids.count < promptTokens { ids.append(Int32(100 + rng.next() % 40_000)) }
        }
        return Array(ids.prefix(promptTokens))
    }

    private func format(_ name: String, _ value: Double, _ unit: String, reference: Double, against: String = "llama.cpp") -> String {
        "\(name): \(fixed(value, 1)) \(unit) (\(against) reference \(Int(reference)), ratio \(fixed(value / reference, 2)))"
    }
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return "\(rounded)"
}

/// The process's peak resident set (`VmHWM` in /proc/self/status), in KiB; 0 where unavailable.
func peakResidentKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            return Int(text.dropFirst(6).filter { $0.isNumber }) ?? 0
        }
    }
    return 0
}

extension BenchInferenceCommand {
    /// MiniLM sentences per second at batch 1 and 32, against sentence-transformers' figures on this machine.
    func benchEmbeddings(locator: ModelLocator) async throws {
        let model = try EmbeddingModel(directory: try locator.path(for: "minilm"))
        let figures = try EmbeddingBenchmark.run(model, runs: runs)
        print("MiniLM (mean \(fixed(figures.meanTokens, 1)) tokens per sentence):")
        print("  " + format("batch 1", figures.batch1, "sentences/s", reference: 147, against: "sentence-transformers"))
        print("  " + format("batch 32", figures.batch32, "sentences/s", reference: 340, against: "sentence-transformers"))
        // 64 one-sentence requests arriving together, 16 at a time: through the batcher, as the provider serves them.
        let batcher = EmbeddingBatcher(model: model)
        var best = 0.0
        for _ in 0..<max(1, runs) {
            let start = now()
            for wave in 0..<4 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<16 { group.addTask { _ = try await batcher.embed([EmbeddingBenchmark.sentence(wave * 16 + i)]) } }
                    try await group.waitForAll()
                }
            }
            best = max(best, 64 / (now() - start))
        }
        let served = batcher.figures
        print("  16 concurrent one-sentence requests: \(fixed(best, 1)) sentences/s (\(fixed(best / figures.batch1, 2))× one request at a time; "
            + "\(fixed(Double(served.requests) / Double(max(1, served.batches)), 1)) requests per forward batch)")
    }
}

extension BenchInferenceCommand {
    /// Aggregate decode tokens/s and time to first token with `counts` concurrent streams through ``ModelContainer``'s
    /// batching; stream i's prompt is the first 20 + (37·i mod 181) tokens of the benchmark prompt. Those prompts begin
    /// alike, so the container keeps no prompts: every stream's prompt is evaluated whole, every run.
    func benchStreams(path: String, counts: [Int], prompt: [Int32]) async throws {
        let container = try LanguageModelLoader.load(path: path, contextLength: 1024, limits: BatchLimits(cachedPrompts: 0))
        var single: Double?
        print("concurrent streams (greedy, \(decodeTokens) tokens each, prompts of 20 to 200 tokens, none kept; best of \(max(1, runs))):")
        for count in counts {
            var best: (rate: Double, ttft: [Double])?
            for _ in 0..<max(1, runs) {
                let start = now()
                let streams = (0..<count).map { i in
                    container.generate(promptTokens: Array(prompt.prefix(20 + (37 * i) % 181)), parameters: SamplingParameters(maxTokens: decodeTokens))
                }
                let results = try await Self.read(streams, since: start)
                let elapsed = now() - start
                let rate = Double(results.reduce(0) { $0 + $1.tokens }) / elapsed
                if best == nil || rate > best!.rate { best = (rate, results.map(\.first).sorted()) }
            }
            guard let best else { continue }
            func percentile(_ p: Double) -> Double { best.ttft[min(best.ttft.count - 1, Int((Double(best.ttft.count) * p).rounded(.up)) - 1)] }
            if count == counts.first(where: { $0 == 1 }) ?? -1 { single = best.rate }
            let ratio = single.map { ", \(fixed(best.rate / $0, 2))× one stream" } ?? ""
            print("  \(count) stream\(count == 1 ? "" : "s"): \(fixed(best.rate, 1)) tokens/s\(ratio); time to first token p50 "
                + "\(fixed(percentile(0.5) * 1000, 0)) ms, p99 \(fixed(percentile(0.99) * 1000, 0)) ms")
        }
        let extra = container.memory(positions: 200 + decodeTokens)
        print("  memory per extra running sequence of \(200 + decodeTokens) positions: \(fixed(Double(extra) / 1_048_576, 1)) MiB")
    }

    /// Reads the streams concurrently to their ends: each one's tokens generated and seconds from `start` to its first token.
    static func read(_ streams: [AsyncThrowingStream<GenerationEvent, any Error>], since start: Double) async throws -> [(tokens: Int, first: Double)] {
        try await withThrowingTaskGroup(of: (tokens: Int, first: Double).self) { group in
            for stream in streams {
                group.addTask {
                    var first: Double?
                    var generated = 0
                    for try await event in stream {
                        if case .token = event, first == nil { first = now() }
                        if case .finished(let summary) = event { generated = summary.completionTokenCount }
                    }
                    return (generated, (first ?? now()) - start)
                }
            }
            return try await group.reduce(into: [(tokens: Int, first: Double)]()) { $0.append($1) }
        }
    }

    /// One request of `count` seeded choices on `prompt`, each run on a fresh container (so nothing is kept between
    /// runs): with the prompt evaluated once and shared, and with every choice evaluating it (no prompts kept or shared).
    func benchChoices(path: String, count: Int, prompt: [Int32]) async throws {
        print("one request of \(count) choices (sampled at 0.8, \(decodeTokens) tokens each, the \(prompt.count)-token prompt; best of \(max(1, runs))):")
        for shared in [true, false] {
            var best: (rate: Double, last: Double)?
            for _ in 0..<max(1, runs) {
                let container = try LanguageModelLoader.load(path: path, contextLength: 1024, limits: BatchLimits(cachedPrompts: shared ? 32 : 0))
                let parameters = (0..<count).map { SamplingParameters(temperature: 0.8, seed: UInt64($0 + 1), maxTokens: decodeTokens) }
                let start = now()
                let streams = container.generate(promptTokens: prompt, choices: parameters)
                let results = try await Self.read(streams, since: start)
                let rate = Double(results.reduce(0) { $0 + $1.tokens }) / (now() - start)
                let last = results.map(\.first).max() ?? 0
                if best == nil || rate > best!.rate { best = (rate, last) }
            }
            guard let best else { continue }
            print("  prompt evaluated \(shared ? "once" : "by every choice"): \(fixed(best.rate, 1)) tokens/s, every choice's first token within "
                + "\(fixed(best.last * 1000, 0)) ms")
        }
    }

    /// Decode rate of one greedy stream through the container, free and under grammars, and the time to compute the
    /// grammar's mask over the vocabulary at every byte of a JSON document (inside strings and between tokens).
    func benchConstrained(path: String) async throws {
        let container = try LanguageModelLoader.load(path: path, contextLength: 1024)
        guard let tokenizer = try LanguageModelLoader.tokenizer(for: GGUFFile(path: path)) else { return }
        let schema = try JSONDocument(parsing: #"""
            {"type": "object", "properties": {"cities": {"type": "array", "maxItems": 3, "items": {"type": "object",
             "properties": {"name": {"type": "string"}, "country": {"type": "string"}, "population": {"type": "integer"}},
             "required": ["name", "country", "population"]}}}, "required": ["cities"]}
            """#)
        let prompt = tokenizer.encode(ChatTemplate.smolLM2.render([.user("Describe three European cities as JSON.")]))
        print("constrained decoding (one greedy stream, up to \(decodeTokens) tokens; best of \(max(1, runs))):")
        var free: Double?
        for (label, grammar) in [("free text", nil), ("json_object", JSONSchemaGrammar.anyObject()), ("json_schema", try JSONSchemaGrammar.grammar(schema: schema))] as [(String, Grammar?)] {
            var best = 0.0, tokens = 0
            for _ in 0..<max(1, runs) {
                let parameters = SamplingParameters(maxTokens: decodeTokens, grammar: grammar)
                for try await event in container.generate(promptTokens: prompt, parameters: parameters) {
                    if case .finished(let summary) = event, summary.decodeSeconds > 0 {
                        best = max(best, Double(summary.completionTokenCount) / summary.decodeSeconds)
                        tokens = summary.completionTokenCount
                    }
                }
            }
            if grammar == nil { free = best }
            let ratio = free.map { grammar == nil ? "" : ", \(fixed(best / $0, 2))× free text" } ?? ""
            print("  \(label): \(fixed(best, 1)) tokens/s over \(tokens) tokens\(ratio)")
        }
        let trie = TokenTrie(tokenizer: tokenizer, vocabularySize: tokenizer.vocabularySize, excluded: [])
        let grammar = try JSONSchemaGrammar.grammar(schema: schema)
        let document = #"{"cities": [{"name": "Oslo", "country": "Norway", "population": 709000}, {"name": "Lyon", "country": "France", "population": 522000}]}"#
        var state = grammar.start
        var inString = (time: 0.0, count: 0), between = (time: 0.0, count: 0), allowed = 0
        for byte in Array(document.utf8) {
            let looping = state.isInFreeString(grammar)
            let t0 = now()
            allowed += trie.allowed(from: state, grammar: grammar).count
            let t = now() - t0
            if looping { inString = (inString.time + t, inString.count + 1) } else { between = (between.time + t, between.count + 1) }
            guard let next = state.advanced(by: byte, in: grammar) else { break }
            state = next
        }
        print("  token mask over \(tokenizer.vocabularySize) tokens: \(fixed(inString.time / Double(max(1, inString.count)) * 1e6, 0)) µs inside strings "
            + "(\(inString.count) positions), \(fixed(between.time / Double(max(1, between.count)) * 1e6, 0)) µs elsewhere (\(between.count) positions); "
            + "\(allowed / max(1, inString.count + between.count)) tokens allowed on average")
    }
}
