import Foundation

/// How many sequences a model runs at once and how much memory they may take.
public struct BatchLimits: Sendable, Equatable {
    /// The most sequences decoding together.
    public var maxSequences: Int
    /// The bytes the running sequences' KV caches and activations may take together.
    public var memoryBudget: Int
    /// The most prompt tokens evaluated between two decode steps while sequences are decoding, so that new requests'
    /// prompts never stall the running streams for long (alone, the oldest prompt is evaluated whole). The tokens of
    /// a step may come from several prompts, evaluated together.
    public var prefillChunk: Int
    /// Finished sequences whose evaluated prompts are kept so that a later prompt beginning with the same tokens (the
    /// same system prompt, the conversation so far) starts after them (0 keeps none). Kept prompts give their memory
    /// back, least recently used first, before a request would wait for room.
    public var cachedPrompts: Int

    public init(maxSequences: Int = 32, memoryBudget: Int = 2 << 30, prefillChunk: Int = 128, cachedPrompts: Int = 32) {
        self.maxSequences = max(1, maxSequences)
        self.memoryBudget = memoryBudget
        self.prefillChunk = max(1, prefillChunk)
        self.cachedPrompts = max(0, cachedPrompts)
    }
}

/// What a scheduler is doing, for metrics.
public struct BatchStatus: Sendable, Equatable {
    /// Sequences being evaluated or decoded.
    public var running: Int
    /// Requests waiting for room.
    public var waiting: Int
    /// The bytes the running sequences hold.
    public var memoryInUse: Int
    /// Tokens generated since the model was loaded.
    public var generatedTokens: Int
    /// Decode steps run since the model was loaded, and the sequences they carried (their ratio is the mean batch).
    public var steps: Int
    public var stepSequences: Int
    /// Prompt passes run, and the prompts they carried (their ratio is the mean number evaluated together).
    public var promptPasses: Int
    public var promptSequences: Int
    /// Prompts kept for reuse and the bytes they hold (within the budget, besides ``memoryInUse``).
    public var cachedPrompts: Int = 0
    public var cachedMemory: Int = 0
    /// Prompt tokens taken from kept prompts instead of being evaluated, and the requests that took any.
    public var reusedPromptTokens: Int = 0
    public var promptCacheHits: Int = 0
}

/// Continuous batching over one model: requests join between decode steps, their prompts are evaluated in chunks
/// between the running sequences' steps, every step decodes one token for every running sequence, and a sequence
/// that ends or whose consumer leaves is dropped at once.
///
/// Each sequence gets its own KV cache sized to its prompt and `maxTokens`. The caches of finished sequences are kept
/// (up to ``BatchLimits/cachedPrompts``) with the prompt tokens they hold, never generated ones: a new prompt that
/// begins with some of those tokens copies their keys and values and evaluates only the rest. The same prompt again
/// evaluates nothing and gets, bit for bit, what it got before; a prompt that goes on from a kept one gets the numbers of
/// a prompt evaluated in two pieces, as under load, which can differ from one evaluated whole in the last bits.
///
/// When the budget or the sequence limit is reached (kept prompts give their memory back first), requests wait in
/// arrival order; one that could never fit is refused. One thread runs the loop; ``exclusive(_:)`` gives other users
/// of the model (benchmarks, verification) the model between two steps.
final class BatchScheduler: @unchecked Sendable {
    /// A request waiting or running.
    final class Job: @unchecked Sendable {
        let prompt: [Int32]
        let parameters: SamplingParameters
        let positions: Int
        let memory: Int
        let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
        private let lock = NSLock()
        private var gone = false

        init(prompt: [Int32], parameters: SamplingParameters, positions: Int, memory: Int,
             continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) {
            self.prompt = prompt
            self.parameters = parameters
            self.positions = positions
            self.memory = memory
            self.continuation = continuation
        }

        var cancelled: Bool { lock.withLock { gone } }
        func cancel() { lock.withLock { gone = true } }
    }

    /// A running job: its state and where it is.
    private final class Running {
        let job: Job
        let sequence: GenerationSequence
        /// Prompt tokens evaluated so far (those taken from a kept prompt included).
        var evaluated = 0
        /// The logits after the whole prompt, as the prompt pass left them (kept with the prompt).
        var promptLogits: [Float]?
        /// The whole prompt and its logits came from a kept prompt: the first token is sampled at the next step.
        var primed = false
        /// The token to decode next (nil while the prompt is being evaluated).
        var next: Int32?

        init(job: Job, sequence: GenerationSequence) {
            self.job = job
            self.sequence = sequence
        }
    }

    let limits: BatchLimits
    private let generator: TextGenerator
    private var model: LlamaModel { generator.model }
    private let condition = NSCondition()
    /// Guards the model: held by the loop for each step and by ``exclusive(_:)``.
    private let modelLock = NSLock()
    // Guarded by `condition`:
    private var waiting: [Job] = []
    private var running = 0
    private var memoryInUse = 0
    private var stopped = false
    private var started = false
    private var generatedTokens = 0
    private var steps = 0
    private var stepSequences = 0
    private var promptPasses = 0
    private var promptSequences = 0
    private var keptCount = 0
    private var cachedMemory = 0
    private var reusedPromptTokens = 0
    private var promptCacheHits = 0
    // Owned by the loop thread:
    private var active: [Running] = []
    /// Kept prompts, least recently used first (their memory is `cachedMemory`, changed under `condition`).
    private var kept: [KeptPrompt] = []

    /// A finished sequence's cache, holding the keys and values of `tokens` (positions `0..<tokens.count`), and the
    /// logits after them when they were its whole prompt.
    private final class KeptPrompt {
        let tokens: [Int32]
        let state: LlamaRunState
        let logits: [Float]?
        let memory: Int

        init(tokens: [Int32], state: LlamaRunState, logits: [Float]?, memory: Int) {
            self.tokens = tokens
            self.state = state
            self.logits = logits
            self.memory = memory
        }
    }

    init(generator: TextGenerator, limits: BatchLimits) {
        self.generator = generator
        self.limits = limits
    }

    /// The bytes a sequence of `positions` positions holds: its KV cache, its attention scores and its activations.
    func memory(positions: Int) -> Int {
        let c = model.config
        let cache = 2 * c.layerCount * c.kvDimension * positions * model.state.cache.elementBytes
        let scores = c.headCount * positions * 4
        let activations = (4 * c.dimension + 2 * c.kvDimension + 2 * c.hiddenDimension + c.vocabularySize) * 4
        return cache + scores + activations
    }

    /// Queues a generation; its events and end go to `continuation`.
    func submit(promptTokens: [Int32], parameters: SamplingParameters,
                continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) {
        let prompt: [Int32]
        do {
            prompt = try generator.checkedPrompt(promptTokens, parameters: parameters)
            if parameters.grammar != nil && generator.tokenizer == nil {
                throw InferenceError(.invalidRequest, "constrained output needs the model's tokenizer")
            }
        } catch {
            continuation.finish(throwing: error)
            return
        }
        if parameters.maxTokens == 0 {
            continuation.yield(.finished(GenerationSummary(promptTokenCount: prompt.count, completionTokenCount: 0, finishReason: .length)))
            continuation.finish()
            return
        }
        let positions = min(model.contextLength, prompt.count + parameters.maxTokens)
        let memory = memory(positions: positions)
        guard memory <= limits.memoryBudget else {
            continuation.finish(throwing: InferenceError(
                .invalidRequest, "a sequence of \(positions) positions needs \(memory >> 20) MiB, more than this model's budget of "
                    + "\(limits.memoryBudget >> 20) MiB for running sequences"))
            return
        }
        let job = Job(prompt: prompt, parameters: parameters, positions: positions, memory: memory, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            job.cancel()
            self?.wake()
        }
        condition.withLock {
            waiting.append(job)
            if !started {
                started = true
                let thread = Thread { [weak self] in self?.loop() }
                thread.name = "cairn-batch"
                thread.start()
            }
            condition.signal()
        }
    }

    /// Runs `body` with the model to itself, between two steps of the loop.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        modelLock.lock()
        defer { modelLock.unlock() }
        return try body()
    }

    /// What the scheduler is doing now.
    var status: BatchStatus {
        condition.withLock {
            BatchStatus(running: running, waiting: waiting.count, memoryInUse: memoryInUse, generatedTokens: generatedTokens,
                        steps: steps, stepSequences: stepSequences, promptPasses: promptPasses, promptSequences: promptSequences,
                        cachedPrompts: keptCount, cachedMemory: cachedMemory, reusedPromptTokens: reusedPromptTokens,
                        promptCacheHits: promptCacheHits)
        }
    }

    /// Ends the loop once nothing runs (the model is being released).
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func wake() { condition.withLock { condition.signal() } }

    private func loop() {
        while true {
            var admitted: [Job] = []
            condition.lock()
            while !stopped && active.isEmpty && waiting.isEmpty { condition.wait() }
            if stopped && active.isEmpty {
                condition.unlock()
                for job in waiting { job.continuation.finish(throwing: CancellationError()) }
                return
            }
            // Requests that left while waiting go at once; then arrivals join in order while they fit.
            for job in waiting where job.cancelled { job.continuation.finish() }
            waiting.removeAll { $0.cancelled }
            while let head = waiting.first, running < limits.maxSequences {
                if memoryInUse + cachedMemory + head.memory > limits.memoryBudget {
                    // Kept prompts give way before a request waits.
                    guard !kept.isEmpty else { break }
                    cachedMemory -= kept.removeFirst().memory
                    keptCount = kept.count
                    continue
                }
                waiting.removeFirst()
                running += 1
                memoryInUse += head.memory
                admitted.append(head)
            }
            condition.unlock()
            modelLock.lock()
            for job in admitted { admit(job) }
            step()
            modelLock.unlock()
        }
    }

    private func admit(_ job: Job) {
        let state = LlamaRunState(config: model.config, contextLength: job.positions, prefillChunk: 1, cache: model.state.cache.precision)
        // The kept prompt sharing the longest beginning with this one gives its keys and values for it. The same prompt
        // again takes its logits too and evaluates nothing (so it gets what it got the first time, bit for bit);
        // otherwise at least the last prompt token is evaluated, for the logits of the first step.
        var reused = 0
        var source: Int?
        for (i, k) in kept.enumerated() {
            if k.logits != nil && k.tokens == job.prompt {
                (reused, source) = (job.prompt.count, i)
                break
            }
            let limit = min(k.tokens.count, job.prompt.count - 1)
            var n = 0
            while n < limit && k.tokens[n] == job.prompt[n] { n += 1 }
            if n > reused { (reused, source) = (n, i) }
        }
        if let source {
            let k = kept.remove(at: source)
            state.cache.copyPositions(from: k.state.cache, count: reused)
            if reused == job.prompt.count, let logits = k.logits {
                state.logits.update(from: logits, count: logits.count)
            }
            kept.append(k)  // now the most recently used
        }
        let continuation = job.continuation
        let sequence = GenerationSequence(
            prompt: job.prompt, parameters: job.parameters, state: state, vocabularySize: model.config.vocabularySize,
            tokenizer: generator.tokenizer, endTokens: generator.endTokens, trie: try? generator.trie(for: job.parameters),
            isCancelled: { job.cancelled },
            emit: { continuation.yield($0) })
        let r = Running(job: job, sequence: sequence)
        r.evaluated = reused
        r.primed = reused == job.prompt.count
        sequence.cachedPromptTokens = reused
        active.append(r)
        if reused > 0 {
            condition.withLock {
                reusedPromptTokens += reused
                promptCacheHits += 1
            }
        }
    }

    /// One decode step for every sequence with a token to run, then up to `prefillChunk` tokens of the prompts still
    /// being evaluated, oldest first, in one pass. The figures are counted before any consumer learns its sequence ended.
    private func step() {
        var ended: [Running] = []
        var generated = 0
        var prompts = 0
        /// A sequence whose prompt is evaluated (its logits in its state) samples its first token.
        func begin(_ r: Running) {
            if limits.cachedPrompts > 0 {
                // Kept with the prompt, taken before sampling, which may change the logits (the repetition penalty).
                r.promptLogits = Array(UnsafeBufferPointer(start: r.sequence.state.logits, count: model.config.vocabularySize))
            }
            r.sequence.prefillDone()
            let before = r.sequence.generated
            r.next = r.sequence.advance()
            generated += r.sequence.generated - before
            if r.next == nil { ended.append(r) }
        }
        // Prompts taken whole from kept ones sample their first token now, and decode with the others.
        for r in active where r.primed {
            r.primed = false
            begin(r)
        }
        let decoding = active.filter { $0.next != nil }
        if !decoding.isEmpty {
            do {
                try model.decode(batch: decoding.map { LlamaModel.BatchRow(token: $0.next!, position: $0.sequence.position, state: $0.sequence.state) })
                for r in decoding {
                    let before = r.sequence.generated
                    r.next = r.sequence.advance()
                    generated += r.sequence.generated - before
                    if r.next == nil { ended.append(r) }
                }
            } catch {
                for r in decoding { fail(r, error) }
            }
        }
        // Prompt tokens up to the budget, oldest prompts first, evaluated together in one pass (their rows share every
        // weight product); alone, the oldest prompt is evaluated whole.
        let prefilling = active.filter { $0.next == nil && $0.evaluated < $0.sequence.prompt.count && !$0.job.cancelled }
        if let oldest = prefilling.first {
            var budget = decoding.isEmpty ? max(limits.prefillChunk, oldest.sequence.prompt.count - oldest.evaluated) : limits.prefillChunk
            var pieces: [(running: Running, count: Int)] = []
            for r in prefilling where budget > 0 {
                let count = min(budget, r.sequence.prompt.count - r.evaluated)
                pieces.append((r, count))
                budget -= count
            }
            prompts = pieces.count
            do {
                try model.prefill(sequences: pieces.map { piece in
                    let (r, count) = piece
                    return (Array(r.sequence.prompt[r.evaluated..<r.evaluated + count]), r.evaluated, r.sequence.state)
                }, finalLogits: true, hiddenRows: nil)
                for (r, count) in pieces {
                    r.evaluated += count
                    if r.evaluated == r.sequence.prompt.count { begin(r) }
                }
            } catch {
                for (r, _) in pieces { fail(r, error) }
            }
        }
        // Consumers that left: their sequences end now.
        for r in active where r.job.cancelled && !ended.contains(where: { $0 === r }) {
            r.sequence.markCancelled()
            ended.append(r)
        }
        condition.withLock {
            generatedTokens += generated
            if !decoding.isEmpty {
                steps += 1
                stepSequences += decoding.count
            }
            if prompts > 0 {
                promptPasses += 1
                promptSequences += prompts
            }
        }
        for r in ended where active.contains(where: { $0 === r }) {
            release(r, keepPrompt: true)
            r.sequence.finish()
            r.job.continuation.finish()
        }
    }

    private func fail(_ r: Running, _ error: any Error) {
        guard active.contains(where: { $0 === r }) else { return }
        release(r)
        r.job.continuation.finish(throwing: error)
    }

    /// Drops `r` from the running set; with `keepPrompt`, its evaluated prompt is kept for later prompts that begin
    /// the same way (replacing kept prompts it extends; the least recently used go beyond ``BatchLimits/cachedPrompts``).
    private func release(_ r: Running, keepPrompt: Bool = false) {
        active.removeAll { $0 === r }
        let tokens = Array(r.sequence.prompt[0..<r.evaluated])
        let whole = r.evaluated == r.sequence.prompt.count
        // A prompt cut short is not kept where the same tokens are kept whole (with their logits).
        let keep = keepPrompt && limits.cachedPrompts > 0 && r.evaluated > 0 && (whole || !kept.contains { $0.tokens == tokens })
        var dropped = 0
        if keep {
            kept.removeAll { k in
                let covered = k.tokens.count <= tokens.count && tokens.starts(with: k.tokens)
                if covered { dropped += k.memory }
                return covered
            }
            kept.append(KeptPrompt(tokens: tokens, state: r.sequence.state, logits: whole ? r.promptLogits : nil, memory: r.job.memory))
            while kept.count > limits.cachedPrompts { dropped += kept.removeFirst().memory }
        }
        condition.withLock {
            running -= 1
            memoryInUse -= r.job.memory
            if keep { cachedMemory += r.job.memory }
            cachedMemory -= dropped
            keptCount = kept.count
        }
    }
}
