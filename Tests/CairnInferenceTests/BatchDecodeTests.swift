import Foundation
import CairnTestSupport
import Testing
@testable import CairnInference

/// Batched decode and the scheduler: a sequence's numbers in a batch are bit for bit its numbers alone; requests
/// join, leave, wait and are refused as the limits say.
@Suite struct BatchDecodeTests {
    /// A fresh sequence state of `positions` positions for `model`.
    static func state(_ model: LlamaModel, positions: Int) -> LlamaRunState {
        LlamaRunState(config: model.config, contextLength: positions, prefillChunk: 1, cache: model.state.cache.precision)
    }

    /// Prefills each prompt into two states, then runs `steps` steps: one set of states as a batch, the other one
    /// sequence at a time. Every step's logits must be equal, as bits.
    static func checkBatchEqualsAlone(shape: TinyLlama.Shape, prompts: [[Int32]], steps: Int, kernels: MatVecKernels) throws {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write(seed: 11, shape: shape)), kernels: kernels)
        let batched = prompts.map { _ in state(model, positions: shape.context) }
        let alone = prompts.map { _ in state(model, positions: shape.context) }
        for (i, prompt) in prompts.enumerated() {
            try model.prefill(tokens: prompt, startPosition: 0, hiddenRows: nil, into: batched[i])
            try model.prefill(tokens: prompt, startPosition: 0, hiddenRows: nil, into: alone[i])
        }
        var positions = prompts.map(\.count)
        let vocabulary = model.config.vocabularySize
        for step in 0..<steps {
            let tokens = prompts.indices.map { Int32(($0 * 7 + step * 3) % vocabulary) }
            try model.decode(batch: prompts.indices.map { LlamaModel.BatchRow(token: tokens[$0], position: positions[$0], state: batched[$0]) })
            for i in prompts.indices {
                try model.decode(token: tokens[i], position: positions[i], into: alone[i])
                let a = Array(UnsafeBufferPointer(start: batched[i].logits, count: vocabulary))
                let b = Array(UnsafeBufferPointer(start: alone[i].logits, count: vocabulary))
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "sequence \(i) differs at step \(step)")
                positions[i] += 1
            }
        }
    }

    @Test(arguments: MatVecKernels.available)
    func batchedStepsGiveEachSequenceItsLogitsAloneBitForBit(kernels: MatVecKernels) async throws {
        try await onOwnThread { try Self.checkAllShapes(kernels: kernels) }
    }

    static func checkAllShapes(kernels: MatVecKernels) throws {
        // Every weight encoding of the tiny model (Q8_0, Q4_1, F16, F32), sequences at different positions; five
        // sequences, so the four-input Q8_0 kernel also runs a group of one.
        try checkBatchEqualsAlone(shape: .small, prompts: [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10, 11], [12, 13], [14, 15, 16]], steps: 12,
                                       kernels: kernels)
        // SmolLM2's head layout with long prefixes: attention split into segments, in parallel.
        let long = (0..<300).map { Int32($0 % 60) }
        try checkBatchEqualsAlone(shape: .wide, prompts: [long, Array(long.prefix(40)), [1, 2], Array(long.prefix(150))], steps: 4,
                                       kernels: kernels)
    }

    /// Several sequences prefilled together (pieces cut across chunks of 5 rows, one sequence starting past position 0)
    /// leave each its own cache and last logits, as prefilling it alone does, and hand out the same hidden rows.
    @Test func sequencesPrefilledTogetherMatchEachAlone() async throws {
        try await onOwnThread {
            let shape = TinyLlama.Shape.small
            let path = try TinyLlama.write(seed: 12, shape: shape)
            let together = try LlamaModel(file: GGUFFile(path: path), prefillChunk: 5)
            let single = try LlamaModel(file: GGUFFile(path: path), prefillChunk: 5)
            let prompts: [[Int32]] = [[1, 2, 3, 4, 5, 6, 7], [8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]]
            let d = together.config.dimension, vocabulary = together.config.vocabularySize
            let joint = prompts.map { _ in Self.state(together, positions: shape.context) }
            let alone = prompts.map { _ in Self.state(single, positions: shape.context) }
            // The third sequence's first three tokens are already cached: it continues from position 3.
            try together.prefill(tokens: Array(prompts[2].prefix(3)), startPosition: 0, hiddenRows: nil, into: joint[2])
            var hiddenTogether = [[Float]](repeating: [], count: prompts.count)
            try together.prefill(sequences: [(prompts[0], 0, joint[0]), (prompts[1], 0, joint[1]), (Array(prompts[2].dropFirst(3)), 3, joint[2])],
                                 finalLogits: true) { j, _, count, rows in
                hiddenTogether[j] += Array(UnsafeBufferPointer(start: rows, count: count * d))
            }
            for (i, prompt) in prompts.enumerated() {
                var hidden: [Float] = []
                try single.prefill(tokens: prompt, startPosition: 0, hiddenRows: { _, count, rows in
                    hidden += Array(UnsafeBufferPointer(start: rows, count: count * d))
                }, into: alone[i])
                let expected = i == 2 ? Array(hidden.dropFirst(3 * d)) : hidden
                #expect(hiddenTogether[i].count == expected.count)
                #expect(zip(hiddenTogether[i], expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "sequence \(i)'s hidden rows")
                let a = UnsafeBufferPointer(start: joint[i].logits, count: vocabulary), b = UnsafeBufferPointer(start: alone[i].logits, count: vocabulary)
                #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "sequence \(i)'s logits")
                // The caches agree: the next step decodes to the same logits.
                try together.decode(token: 3, position: prompt.count, into: joint[i])
                try single.decode(token: 3, position: prompt.count, into: alone[i])
                #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "sequence \(i)'s next step")
            }
            // A sequence past the context is refused before anything runs.
            #expect(throws: InferenceError.self) {
                try together.prefill(sequences: [([1, 2], shape.context - 1, joint[0])], finalLogits: false, hiddenRows: nil)
            }
        }
    }

    /// Runs each request alone on a separate copy of the model and returns the token ids.
    static func alone(_ path: String, _ requests: [(prompt: String, parameters: SamplingParameters)]) throws -> [[Int32]] {
        let generator = TextGenerator(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer())
        return try requests.map { r in
            var ids: [Int32] = []
            _ = try generator.generate(prompt: r.prompt, parameters: r.parameters) { if case .token(let id, _) = $0 { ids.append(id) } }
            return ids
        }
    }

    /// Runs the requests concurrently through `container`; returns each one's token ids and finish reason.
    static func together(_ container: ModelContainer, _ requests: [(prompt: String, parameters: SamplingParameters)])
        async throws -> [(ids: [Int32], reason: FinishReason?)] {
        try await withThrowingTaskGroup(of: (Int, [Int32], FinishReason?).self) { group in
            for (i, r) in requests.enumerated() {
                group.addTask {
                    var ids: [Int32] = []
                    var reason: FinishReason?
                    for try await event in container.generate(prompt: r.prompt, parameters: r.parameters) {
                        if case .token(let id, _) = event { ids.append(id) }
                        if case .finished(let summary) = event { reason = summary.finishReason }
                    }
                    return (i, ids, reason)
                }
            }
            var out = [([Int32], FinishReason?)](repeating: ([], nil), count: requests.count)
            for try await (i, ids, reason) in group { out[i] = (ids, reason) }
            return out.map { (ids: $0.0, reason: $0.1) }
        }
    }

    static let mixedRequests: [(prompt: String, parameters: SamplingParameters)] = [
        ("HELLO", .greedy(maxTokens: 9)),
        ("ABC", SamplingParameters(temperature: 0.8, topP: 0.9, seed: 5, maxTokens: 14)),
        ("QRSTUVWXYZ", .greedy(maxTokens: 3)),
        ("H", SamplingParameters(temperature: 1.2, topK: 8, seed: 77, maxTokens: 20)),
        ("MNOP", SamplingParameters(temperature: 1, seed: 1, maxTokens: 11, stopSequences: ["Z"])),
        ("DEFDEFDEF", .greedy(maxTokens: 16)),
    ]

    @Test func concurrentRequestsGetWhatTheyWouldAloneGreedyAndSeeded() async throws {
        let path = try TinyLlama.write()
        let expected = try Self.alone(path, Self.mixedRequests)
        // Room for three at a time: the others wait, then join as sequences finish.
        let container = ModelContainer(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer(),
                                       limits: BatchLimits(maxSequences: 3))
        let got = try await Self.together(container, Self.mixedRequests)
        #expect(got.map(\.ids) == expected)
        #expect(got.allSatisfy { $0.reason != nil })
        let status = container.status
        #expect(status.running == 0 && status.waiting == 0 && status.memoryInUse == 0)
        #expect(status.generatedTokens == expected.reduce(0) { $0 + $1.count })
        // More than one sequence shared steps.
        #expect(status.stepSequences > status.steps)
    }

    @Test func aRequestThatCouldNeverFitIsRefusedAndOthersStillRun() async throws {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write()))
        let container = ModelContainer(model: model, tokenizer: CharacterTokenizer(), limits: BatchLimits(memoryBudget: 1))
        let error = await #expect(throws: InferenceError.self) {
            for try await _ in container.generate(prompt: "HELLO", parameters: .greedy(maxTokens: 4)) {}
        }
        #expect(error?.message.contains("budget") == true)

        let roomy = ModelContainer(model: try LlamaModel(file: GGUFFile(path: try TinyLlama.write())), tokenizer: CharacterTokenizer(),
                                   limits: BatchLimits(memoryBudget: 0))
        let perRequest = roomy.memory(positions: 10)
        // Room for exactly one request of 10 positions at a time: the second waits for the first to finish.
        let one = ModelContainer(model: try LlamaModel(file: GGUFFile(path: try TinyLlama.write())), tokenizer: CharacterTokenizer(),
                                 limits: BatchLimits(memoryBudget: perRequest))
        let got = try await Self.together(one, [("HELLO", .greedy(maxTokens: 5)), ("ABCDE", .greedy(maxTokens: 5))])
        #expect(got.map(\.ids.count) == [5, 5])
        #expect(one.status.stepSequences == one.status.steps, "never two at once")
    }

    /// Serves the requests one after the other through `container`; returns each one's token ids and summary.
    static func inTurn(_ container: ModelContainer, _ requests: [(prompt: String, parameters: SamplingParameters)])
        async throws -> [(ids: [Int32], summary: GenerationSummary?)] {
        var out: [(ids: [Int32], summary: GenerationSummary?)] = []
        for r in requests {
            var ids: [Int32] = []
            var summary: GenerationSummary?
            for try await event in container.generate(prompt: r.prompt, parameters: r.parameters) {
                if case .token(let id, _) = event { ids.append(id) }
                if case .finished(let s) = event { summary = s }
            }
            out.append((ids, summary))
        }
        return out
    }

    static let sharedBeginnings: [(prompt: String, parameters: SamplingParameters)] = [
        ("HELLOWORLD", .greedy(maxTokens: 6)),
        ("HELLOWORLD", .greedy(maxTokens: 6)),
        ("HELLOWORLDAGAIN", SamplingParameters(temperature: 0.8, topP: 0.9, seed: 5, maxTokens: 8)),
        ("HELP", .greedy(maxTokens: 5)),
    ]

    @Test func aPromptThatBeginsLikeAKeptOneEvaluatesOnlyTheRestAndGetsTheSameTokens() async throws {
        let path = try TinyLlama.write()
        let expected = try Self.alone(path, Self.sharedBeginnings)
        let container = ModelContainer(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer())
        let got = try await Self.inTurn(container, Self.sharedBeginnings)
        #expect(got.map(\.ids) == expected)
        // The same prompt again: all of it (its logits too); a longer one: all of the kept one; "HELP": "HEL".
        #expect(got.map { $0.summary?.cachedPromptTokenCount } == [0, 10, 10, 3])
        #expect(got.map { $0.summary?.promptTokenCount } == [10, 10, 15, 4])
        let status = container.status
        #expect(status.promptCacheHits == 3 && status.reusedPromptTokens == 23)
        // "HELLOWORLDAGAIN" replaced the "HELLOWORLD" it extends; "HELP" is kept beside it.
        #expect(status.cachedPrompts == 2)
        #expect(status.running == 0 && status.memoryInUse == 0 && status.cachedMemory > 0)

        // Concurrent requests find the prompts kept before them too, and still get their tokens alone.
        let mixed = Self.mixedRequests + Self.sharedBeginnings
        let together = try await Self.together(container, mixed)
        #expect(together.map(\.ids) == (try Self.alone(path, mixed)))
        #expect(container.status.promptCacheHits > 3)
    }

    @Test func keptPromptsCanBeTurnedOffAndGiveWayToWaitingRequests() async throws {
        let path = try TinyLlama.write()
        let off = ModelContainer(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer(),
                                 limits: BatchLimits(cachedPrompts: 0))
        let got = try await Self.inTurn(off, Self.sharedBeginnings)
        #expect(got.map(\.ids) == (try Self.alone(path, Self.sharedBeginnings)))
        #expect(got.allSatisfy { $0.summary?.cachedPromptTokenCount == 0 })
        #expect(off.status.cachedPrompts == 0 && off.status.cachedMemory == 0 && off.status.promptCacheHits == 0)

        // Room for one sequence of 10 positions: the first one's kept prompt holds it all, and the next request (which
        // shares nothing with it) takes the room back instead of waiting for ever.
        let perRequest = off.memory(positions: 10)
        let one = ModelContainer(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer(),
                                 limits: BatchLimits(memoryBudget: perRequest))
        let first = try await Self.inTurn(one, [("HELLO", .greedy(maxTokens: 5))])
        #expect(first.first?.ids.count == 5)
        #expect(one.status.cachedPrompts == 1 && one.status.cachedMemory == perRequest)
        let second = try await Self.inTurn(one, [("ABCDE", .greedy(maxTokens: 5))])
        #expect(second.first?.ids.count == 5)
        #expect(one.status.cachedPrompts == 1 && one.status.cachedMemory == perRequest && one.status.promptCacheHits == 0)
    }

    /// Reads each stream to its end: the token ids and the summary.
    static func drain(_ streams: [AsyncThrowingStream<GenerationEvent, any Error>]) async throws -> [(ids: [Int32], summary: GenerationSummary?)] {
        var out: [(ids: [Int32], summary: GenerationSummary?)] = []
        for stream in streams {
            var ids: [Int32] = []
            var summary: GenerationSummary?
            for try await event in stream {
                if case .token(let id, _) = event { ids.append(id) }
                if case .finished(let s) = event { summary = s }
            }
            out.append((ids, summary))
        }
        return out
    }

    static let choices: [SamplingParameters] = [
        .greedy(maxTokens: 6),
        SamplingParameters(temperature: 0.8, topP: 0.9, seed: 5, maxTokens: 8),
        SamplingParameters(temperature: 1.2, topK: 8, seed: 6, maxTokens: 12),
        SamplingParameters(temperature: 1, seed: 7, maxTokens: 9, stopSequences: ["Z"]),
    ]

    @Test func theChoicesOfARequestEvaluateTheirPromptOnceAndGetWhatEachGetsAlone() async throws {
        let path = try TinyLlama.write()
        let prompt = "QRSTUVWXYZ"
        let tokens = try CharacterTokenizer().encode(prompt)
        let expected = try Self.alone(path, Self.choices.map { (prompt, $0) })
        let container = ModelContainer(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer())
        let got = try await Self.drain(container.generate(promptTokens: tokens, choices: Self.choices))
        #expect(got.map(\.ids) == expected)
        // One prompt pass carried one prompt; the other three choices took it from the first.
        var status = container.status
        #expect(status.promptPasses == 1 && status.promptSequences == 1)
        #expect(status.sharedPrompts == 3 && status.sharedPromptTokens == 30)
        // Evaluated for this request, not taken from a cache.
        #expect(got.allSatisfy { $0.summary?.cachedPromptTokenCount == 0 && $0.summary?.promptTokenCount == 10 })
        #expect(status.promptCacheHits == 0 && status.running == 0 && status.memoryInUse == 0)

        // The same request again: every choice starts from the kept prompt, and nothing is evaluated.
        let again = try await Self.drain(container.generate(promptTokens: tokens, choices: Self.choices))
        #expect(again.map(\.ids) == expected)
        status = container.status
        #expect(status.promptPasses == 1)
        #expect(again.allSatisfy { $0.summary?.cachedPromptTokenCount == 10 })

        // Sharing turned off: each choice evaluates the prompt, with the same results.
        let off = ModelContainer(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer(),
                                 limits: BatchLimits(cachedPrompts: 0))
        let separate = try await Self.drain(off.generate(promptTokens: tokens, choices: Self.choices))
        #expect(separate.map(\.ids) == expected)
        #expect(off.status.promptSequences == 4 && off.status.sharedPrompts == 0)
    }

    @Test func whenTheChoiceEvaluatingAPromptLeavesTheNextOneTakesItOver() async throws {
        // One token of prompt per step beside a decoding sequence, so the first choice's 400-token prompt takes 400 steps.
        let path = try TinyLlama.write(shape: .wide)
        let prompt = (0..<400).map { Int32(($0 * 7 + 1) % 64) }  // sharing nothing with the decoding one
        let alone = TextGenerator(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer())
        var expected: [Int32] = []
        _ = try alone.generate(promptTokens: prompt, parameters: .greedy(maxTokens: 8)) { if case .token(let id, _) = $0 { expected.append(id) } }
        // The consumer must leave while the prompt is half evaluated; a loaded machine can let the whole prompt pass
        // between two looks, and then the scenario is run again.
        for _ in 0..<5 {
            let scheduler = BatchScheduler(generator: TextGenerator(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer()),
                                           limits: BatchLimits(prefillChunk: 1))
            defer { scheduler.stop() }
            let decoding = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
            scheduler.submit(promptTokens: [0], choices: [(.greedy(maxTokens: 600), decoding.continuation)])
            let pairs = (0..<3).map { _ in AsyncThrowingStream<GenerationEvent, any Error>.makeStream() }
            scheduler.submit(promptTokens: prompt, choices: pairs.map { (parameters: .greedy(maxTokens: 8), continuation: $0.continuation) })
            // Between two steps, once the first choice has evaluated part of its prompt (and nobody has taken it yet),
            // its consumer leaves.
            var left = false, missed = false
            let deadline = Date().addingTimeInterval(60)
            while !left && !missed {
                scheduler.exclusive {
                    let status = scheduler.status
                    if status.sharedPrompts > 0 {
                        missed = true
                    } else if status.promptPasses >= 4 {
                        pairs[0].continuation.finish()
                        left = true
                    }
                }
                guard Date() < deadline else { throw InferenceError(.invalidRequest, "the prompt was not being evaluated") }
                try await Task.sleep(for: .milliseconds(1))
            }
            if missed {
                for c in [decoding.continuation] + pairs.map(\.continuation) { c.finish() }
                continue
            }
            let got = try await Self.drain(pairs.dropFirst().map(\.stream))
            // The second choice took what the first had evaluated and evaluated the rest; the third took it all from the
            // second. Both get what the prompt evaluated whole gives (the keys and values taken over were the right ones).
            #expect(got.map(\.ids) == [expected, expected])
            let status = scheduler.status
            #expect(status.sharedPrompts == 2)
            #expect(status.sharedPromptTokens > 400 + 2 && status.sharedPromptTokens < 800)
            #expect(got.allSatisfy { $0.summary?.cachedPromptTokenCount == 0 })
            _ = try await Self.drain([decoding.stream])
            #expect(scheduler.status.running == 0 && scheduler.status.memoryInUse == 0)
            return
        }
        Issue.record("in five runs the first choice's prompt was never seen half evaluated")
    }

    @Test func waitingRequestsAreAdmittedInArrivalOrderSoALargeOneIsNotPassedBySmallerOnes() async throws {
        let path = try TinyLlama.write(shape: .wide)
        let sizing = BatchScheduler(generator: TextGenerator(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer()),
                                    limits: BatchLimits())
        // Room for the long request and the small one beside it, not for the long request and the large one.
        let (long, large, small) = (sizing.memory(positions: 601), sizing.memory(positions: 102), sizing.memory(positions: 9))
        #expect(small < large)
        let scheduler = BatchScheduler(generator: TextGenerator(model: try LlamaModel(file: GGUFFile(path: path)), tokenizer: CharacterTokenizer()),
                                       limits: BatchLimits(memoryBudget: long + large - 1, cachedPrompts: 0))
        defer { scheduler.stop() }
        let streams = (0..<3).map { _ in AsyncThrowingStream<GenerationEvent, any Error>.makeStream() }
        scheduler.submit(promptTokens: [0], choices: [(.greedy(maxTokens: 600), streams[0].continuation)])
        let deadline = Date().addingTimeInterval(30)
        while scheduler.status.steps < 2 {
            guard Date() < deadline else { throw InferenceError(.invalidRequest, "the long request did not start") }
            try await Task.sleep(for: .milliseconds(1))
        }
        // The large request arrives first, then the small one, which would fit now: it waits behind the large one.
        scheduler.submit(promptTokens: [1, 2], choices: [(.greedy(maxTokens: 100), streams[1].continuation)])
        scheduler.submit(promptTokens: [3], choices: [(.greedy(maxTokens: 8), streams[2].continuation)])
        let seen = scheduler.status.steps
        while scheduler.status.steps < seen + 3 {
            guard Date() < deadline else { throw InferenceError(.invalidRequest, "the long request stopped") }
            try await Task.sleep(for: .milliseconds(1))
        }
        var status = scheduler.status
        #expect(status.running == 1 && status.waiting == 2 && status.memoryInUse == long, "\(status)")
        // The long request's consumer leaves: both waiting requests fit now, and run in arrival order.
        streams[0].continuation.finish()
        let got = try await Self.drain([streams[1].stream, streams[2].stream])
        #expect(got.map(\.ids.count) == [100, 8])
        status = scheduler.status
        #expect(status.running == 0 && status.waiting == 0 && status.memoryInUse == 0)
    }

    @Test func aConsumerThatLeavesEndsItsSequenceAndFreesItsMemory() async throws {
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write(shape: .wide)))
        let container = ModelContainer(model: model, tokenizer: CharacterTokenizer())
        for try await event in container.generate(prompt: "HELLO", parameters: .greedy(maxTokens: 600)) {
            if case .token = event { break }
        }
        let deadline = Date().addingTimeInterval(10)
        while container.status.running > 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(container.status.running == 0 && container.status.memoryInUse == 0)
        #expect(container.status.generatedTokens < 600, "the sequence stopped when its consumer left")
        // The model serves the next request as usual.
        let next = try await Self.together(container, [("ABC", .greedy(maxTokens: 4))])
        #expect(next.first?.ids.count == 4)
    }
}

/// The real SmolLM2: requests served together through the container's batching give the tokens they give alone.
@Suite(.enabled(if: (try? ModelLocator().path(for: "smollm2")) != nil, "SmolLM2 is not installed"))
struct SmolLM2BatchTests {
    @Test func concurrentRequestsGiveTheirTokensAlone() async throws {
        let path = try ModelLocator().path(for: "smollm2")
        let requests: [(prompt: String, parameters: SamplingParameters)] = [
            ("The capital of France is", .greedy(maxTokens: 12)),
            ("Once upon a time", .greedy(maxTokens: 16)),
            ("def fibonacci(n):", SamplingParameters(temperature: 0.7, topP: 0.9, seed: 3, maxTokens: 12)),
            ("Water boils at", .greedy(maxTokens: 8)),
        ]
        let single = try await onOwnThread { try LanguageModelLoader.load(path: path, contextLength: 256) }
        var alone: [[Int32]] = []
        for r in requests {
            var ids: [Int32] = []
            for try await event in single.generate(prompt: r.prompt, parameters: r.parameters) { if case .token(let id, _) = event { ids.append(id) } }
            alone.append(ids)
        }
        let container = try await onOwnThread { try LanguageModelLoader.load(path: path, contextLength: 256) }
        let together = try await BatchDecodeTests.together(container, requests)
        #expect(together.map(\.ids) == alone)
        #expect(container.status.stepSequences > container.status.steps, "the requests shared decode steps")
        #expect(container.status.promptSequences > container.status.promptPasses, "prompts were evaluated together")
    }

    @Test func theChoicesOfARequestShareTheirPromptAndGetWhatEachGetsAlone() async throws {
        let path = try ModelLocator().path(for: "smollm2")
        let container = try await onOwnThread { try LanguageModelLoader.load(path: path, contextLength: 256) }
        let separate = try await onOwnThread {
            try LanguageModelLoader.load(path: path, contextLength: 256, limits: BatchLimits(cachedPrompts: 0))
        }
        let prompt = "Write one sentence about the sea:"
        let tokens = try #require(container.tokenizer).encode(prompt)
        let choices = (0..<3).map { SamplingParameters(temperature: 0.8, topP: 0.95, seed: 11 + UInt64($0), maxTokens: 16) }
            + [.greedy(maxTokens: 16)]
        let got = try await BatchDecodeTests.drain(container.generate(promptTokens: tokens, choices: choices))
        // Each choice alone, one after the other, where nothing is kept: each evaluates the prompt by itself.
        let alone = try await BatchDecodeTests.inTurn(separate, choices.map { (prompt, $0) })
        #expect(got.map(\.ids) == alone.map(\.ids))
        #expect(Set(got.map(\.ids)).count > 1, "the seeds gave different samples")
        #expect(container.status.promptSequences == 1 && container.status.sharedPrompts == 3)
        #expect(separate.status.promptSequences == 4 && separate.status.sharedPrompts == 0)
    }

    @Test func aRepeatedPromptGetsItsTokensAgainAndAConversationStartsAfterItsLastTurn() async throws {
        let path = try ModelLocator().path(for: "smollm2")
        let container = try await onOwnThread { try LanguageModelLoader.load(path: path, contextLength: 256) }
        let uncached = try await onOwnThread {
            let file = try GGUFFile(path: path)
            return ModelContainer(model: try LlamaModel(file: file, contextLength: 256), tokenizer: try LanguageModelLoader.tokenizer(for: file),
                                  limits: BatchLimits(cachedPrompts: 0))
        }
        let question = "The capital of France is"
        let sampled = SamplingParameters(temperature: 0.7, topP: 0.9, seed: 3, maxTokens: 16)
        let first = try await BatchDecodeTests.inTurn(container, [(question, .greedy(maxTokens: 16)), (question, sampled)])
        let again = try await BatchDecodeTests.inTurn(container, [(question, .greedy(maxTokens: 16)), (question, sampled)])
        let alone = try await BatchDecodeTests.inTurn(uncached, [(question, .greedy(maxTokens: 16)), (question, sampled)])
        // The same prompt again evaluates nothing and gets, bit for bit, what it got the first time and what it gets
        // where nothing is kept.
        #expect(first.map(\.ids) == alone.map(\.ids))
        #expect(again.map(\.ids) == first.map(\.ids))
        #expect(first[0].summary?.cachedPromptTokenCount == 0)
        #expect((first.dropFirst() + again).allSatisfy { $0.summary.map { $0.cachedPromptTokenCount == $0.promptTokenCount } == true })
        #expect(alone.allSatisfy { $0.summary?.cachedPromptTokenCount == 0 })

        // The next turn begins with this one: only the rest is evaluated. Its numbers are those of a prompt evaluated in
        // two pieces, as under load, so only its first token is compared.
        let next = question + " Paris. The capital of Italy is"
        let turn = try await BatchDecodeTests.inTurn(container, [(next, .greedy(maxTokens: 4))])
        let turnAlone = try await BatchDecodeTests.inTurn(uncached, [(next, .greedy(maxTokens: 4))])
        #expect(turn[0].ids.first == turnAlone[0].ids.first)
        #expect(turn[0].summary.map { $0.cachedPromptTokenCount >= 5 && $0.cachedPromptTokenCount < $0.promptTokenCount } == true)

    }
}
