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

    public init(maxSequences: Int = 32, memoryBudget: Int = 2 << 30, prefillChunk: Int = 128) {
        self.maxSequences = max(1, maxSequences)
        self.memoryBudget = memoryBudget
        self.prefillChunk = max(1, prefillChunk)
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
}

/// Continuous batching over one model: requests join between decode steps, their prompts are evaluated in chunks
/// between the running sequences' steps, every step decodes one token for every running sequence, and a sequence
/// that ends or whose consumer leaves is dropped at once with its memory.
///
/// Each sequence gets its own KV cache sized to its prompt and `maxTokens`. When the budget or the sequence limit
/// is reached, requests wait in arrival order; one that could never fit is refused. One thread runs the loop;
/// ``exclusive(_:)`` gives other users of the model (benchmarks, verification) the model between two steps.
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
        /// Prompt tokens evaluated so far.
        var evaluated = 0
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
    // Owned by the loop thread:
    private var active: [Running] = []

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
                        steps: steps, stepSequences: stepSequences, promptPasses: promptPasses, promptSequences: promptSequences)
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
            while let head = waiting.first, running < limits.maxSequences, memoryInUse + head.memory <= limits.memoryBudget {
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
        let continuation = job.continuation
        let sequence = GenerationSequence(
            prompt: job.prompt, parameters: job.parameters, state: state, vocabularySize: model.config.vocabularySize,
            tokenizer: generator.tokenizer, endTokens: generator.endTokens, trie: try? generator.trie(for: job.parameters),
            isCancelled: { job.cancelled },
            emit: { continuation.yield($0) })
        active.append(Running(job: job, sequence: sequence))
    }

    /// One decode step for every sequence with a token to run, then up to `prefillChunk` tokens of the prompts still
    /// being evaluated, oldest first, in one pass. The figures are counted before any consumer learns its sequence ended.
    private func step() {
        var ended: [Running] = []
        var generated = 0
        var prompts = 0
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
                    guard r.evaluated == r.sequence.prompt.count else { continue }
                    r.sequence.prefillDone()
                    let before = r.sequence.generated
                    r.next = r.sequence.advance()
                    generated += r.sequence.generated - before
                    if r.next == nil { ended.append(r) }
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
            release(r)
            r.sequence.finish()
            r.job.continuation.finish()
        }
    }

    private func fail(_ r: Running, _ error: any Error) {
        guard active.contains(where: { $0 === r }) else { return }
        release(r)
        r.job.continuation.finish(throwing: error)
    }

    private func release(_ r: Running) {
        active.removeAll { $0 === r }
        condition.withLock {
            running -= 1
            memoryInUse -= r.job.memory
        }
    }
}
