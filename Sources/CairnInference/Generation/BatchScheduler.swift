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
    /// same system prompt, the conversation so far) starts after them. Kept prompts give their memory back, least
    /// recently used first, before a request would wait for room. Running sequences' prompts are shared the same way
    /// (the choices of one request, the same prompt from two clients at once). 0 keeps and shares none: every prompt is
    /// evaluated in full.
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
    /// Prompt tokens taken from kept prompts or from other requests' running prompts instead of being evaluated, and the
    /// requests that took any.
    public var reusedPromptTokens: Int = 0
    public var promptCacheHits: Int = 0
    /// Choices of a request (`n` > 1) that took their prompt from another choice of it instead of evaluating it (the
    /// prompt evaluated once for all of them), and the prompt tokens they did not evaluate.
    public var sharedPrompts: Int = 0
    public var sharedPromptTokens: Int = 0
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
/// A running sequence's evaluated prompt serves the same way: a prompt equal to one still being evaluated follows it
/// (nothing is evaluated for it; when the first one's prompt is done, its keys, values and logits are copied), so the
/// `n` choices of a request, submitted together with ``submit(promptTokens:choices:)``, evaluate their prompt once.
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
        /// The request the job is a choice of (the jobs submitted together share it).
        let request: Int
        let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
        private let lock = NSLock()
        private var gone = false

        init(prompt: [Int32], parameters: SamplingParameters, positions: Int, memory: Int, request: Int,
             continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) {
            self.prompt = prompt
            self.parameters = parameters
            self.positions = positions
            self.memory = memory
            self.request = request
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
        /// The running sequence with the same prompt whose evaluation this one waits for (it evaluates nothing itself),
        /// and the sequences waiting so for this one's.
        var leader: Running?
        var followers: [Running] = []

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
    private var sharedPrompts = 0
    private var sharedPromptTokens = 0
    private var requests = 0
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
        submit(promptTokens: promptTokens, choices: [(parameters, continuation)])
    }

    /// Queues generations of one prompt together (the choices of one request): they are admitted in order, the first
    /// evaluates the prompt and the others follow it. A choice whose parameters are refused ends with its error alone.
    func submit(promptTokens: [Int32],
                choices: [(parameters: SamplingParameters, continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation)]) {
        var jobs: [Job] = []
        let request = condition.withLock {
            requests += 1
            return requests
        }
        for (parameters, continuation) in choices {
            let prompt: [Int32]
            do {
                prompt = try generator.checkedPrompt(promptTokens, parameters: parameters)
                if parameters.grammar != nil && generator.tokenizer == nil {
                    throw InferenceError(.invalidRequest, "constrained output needs the model's tokenizer")
                }
            } catch {
                continuation.finish(throwing: error)
                continue
            }
            if parameters.maxTokens == 0 {
                continuation.yield(.finished(GenerationSummary(promptTokenCount: prompt.count, completionTokenCount: 0, finishReason: .length)))
                continuation.finish()
                continue
            }
            let positions = min(model.contextLength, prompt.count + parameters.maxTokens)
            let memory = memory(positions: positions)
            guard memory <= limits.memoryBudget else {
                continuation.finish(throwing: InferenceError(
                    .invalidRequest, "a sequence of \(positions) positions needs \(memory >> 20) MiB, more than this model's budget of "
                        + "\(limits.memoryBudget >> 20) MiB for running sequences"))
                continue
            }
            let job = Job(prompt: prompt, parameters: parameters, positions: positions, memory: memory, request: request,
                          continuation: continuation)
            continuation.onTermination = { [weak self] _ in
                job.cancel()
                self?.wake()
            }
            jobs.append(job)
        }
        guard !jobs.isEmpty else { return }
        condition.withLock {
            waiting += jobs
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
                        promptCacheHits: promptCacheHits, sharedPrompts: sharedPrompts, sharedPromptTokens: sharedPromptTokens)
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
        let continuation = job.continuation
        let sequence = GenerationSequence(
            prompt: job.prompt, parameters: job.parameters, state: state, vocabularySize: model.config.vocabularySize,
            tokenizer: generator.tokenizer, endTokens: generator.endTokens, trie: try? generator.trie(for: job.parameters),
            isCancelled: { job.cancelled },
            emit: { continuation.yield($0) })
        let r = Running(job: job, sequence: sequence)
        defer { active.append(r) }
        guard limits.cachedPrompts > 0 else { return }
        // The same prompt kept whole gives its keys, values and logits, and nothing is evaluated (so the output is what
        // the first one got, bit for bit).
        if let i = kept.firstIndex(where: { $0.logits != nil && $0.tokens == job.prompt }), let logits = kept[i].logits {
            let k = kept.remove(at: i)
            kept.append(k)  // now the most recently used
            state.cache.copyPositions(from: k.state.cache, count: job.prompt.count)
            state.logits.update(from: logits, count: logits.count)
            (r.evaluated, r.primed, r.promptLogits) = (job.prompt.count, true, logits)
            sequence.cachedPromptTokens = job.prompt.count
            condition.withLock {
                reusedPromptTokens += job.prompt.count
                promptCacheHits += 1
            }
            return
        }
        // The same prompt running: evaluated, it is copied now; still being evaluated, this one waits for it.
        if let same = active.first(where: { $0.sequence.prompt == job.prompt && !$0.job.cancelled }) {
            let lead = same.leader ?? same
            if lead.evaluated == job.prompt.count, let logits = lead.promptLogits {
                take(r, from: lead, logits: logits)
                r.primed = true
                return
            }
            if lead.evaluated < job.prompt.count {
                r.leader = lead
                lead.followers.append(r)
                return
            }
        }
        // Otherwise the kept or running prompt sharing the longest beginning with this one gives its keys and values for
        // it, and the rest is evaluated (at least the last token, for the logits of the first step).
        var reused = 0
        var source: Int?
        for (i, k) in kept.enumerated() {
            let n = Self.sharedBeginning(k.tokens, job.prompt, limit: job.prompt.count - 1)
            if n > reused { (reused, source) = (n, i) }
        }
        var runningSource: Running?
        for other in active where other.leader == nil && !other.job.cancelled {
            let n = Self.sharedBeginning(other.sequence.prompt[..<other.evaluated], job.prompt, limit: job.prompt.count - 1)
            if n > reused { (reused, runningSource) = (n, other) }
        }
        if let runningSource {
            state.cache.copyPositions(from: runningSource.sequence.state.cache, count: reused)
            r.evaluated = reused
            credit(r, from: runningSource, tokens: reused)
        } else if let source {
            let k = kept.remove(at: source)
            kept.append(k)
            state.cache.copyPositions(from: k.state.cache, count: reused)
            r.evaluated = reused
            sequence.cachedPromptTokens = reused
            condition.withLock {
                reusedPromptTokens += reused
                promptCacheHits += 1
            }
        }
    }

    /// How many tokens `a` and `b` begin with alike, at most `limit`.
    static func sharedBeginning(_ a: some Collection<Int32>, _ b: [Int32], limit: Int) -> Int {
        var n = 0
        for (x, y) in zip(a, b) {
            guard n < limit, x == y else { break }
            n += 1
        }
        return n
    }

    /// Gives `r` the whole evaluated prompt of `lead` (the same tokens): its keys and values, and its logits after them
    /// (`logits`, taken before sampling could change them).
    private func take(_ r: Running, from lead: Running, logits: UnsafePointer<Float>) {
        r.sequence.state.cache.copyPositions(from: lead.sequence.state.cache, count: lead.evaluated)
        r.sequence.state.logits.update(from: logits, count: model.config.vocabularySize)
        r.evaluated = lead.evaluated
        r.promptLogits = Array(UnsafeBufferPointer(start: logits, count: model.config.vocabularySize))
        credit(r, from: lead, tokens: lead.evaluated)
    }

    private func take(_ r: Running, from lead: Running, logits: [Float]) {
        logits.withUnsafeBufferPointer { take(r, from: lead, logits: $0.baseAddress!) }
    }

    /// Counts `tokens` prompt tokens that `r` took from the running sequence `source` instead of evaluating them. Taken
    /// from another choice of the same request, they are the request's own evaluation (shared; its cached tokens are the
    /// source's); taken from another request, they were cached for this one.
    private func credit(_ r: Running, from source: Running, tokens: Int) {
        let sameRequest = r.job.request == source.job.request
        r.sequence.cachedPromptTokens = sameRequest ? min(tokens, source.sequence.cachedPromptTokens) : tokens
        condition.withLock {
            if sameRequest {
                sharedPrompts += 1
                sharedPromptTokens += tokens
            } else {
                reusedPromptTokens += tokens
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
        /// A sequence whose prompt is evaluated (its logits in its state) samples its first token; the sequences that
        /// waited for the same prompt take it first and then sample theirs.
        func begin(_ r: Running) {
            if limits.cachedPrompts > 0 && r.promptLogits == nil {
                // Kept with the prompt, taken before sampling, which may change the logits (the repetition penalty).
                r.promptLogits = Array(UnsafeBufferPointer(start: r.sequence.state.logits, count: model.config.vocabularySize))
            }
            let followers = r.followers
            r.followers = []
            for f in followers {
                f.leader = nil
                if !f.job.cancelled { take(f, from: r, logits: r.sequence.state.logits) }
            }
            r.sequence.prefillDone()
            let before = r.sequence.generated
            r.next = r.sequence.advance()
            generated += r.sequence.generated - before
            if r.next == nil { ended.append(r) }
            for f in followers where !f.job.cancelled { begin(f) }
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
        let prefilling = active.filter { $0.next == nil && $0.leader == nil && $0.evaluated < $0.sequence.prompt.count && !$0.job.cancelled }
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
        // The sequences waiting for its prompt would meet the same error.
        let followers = r.followers
        r.followers = []
        for f in followers {
            f.leader = nil
            fail(f, error)
        }
        release(r)
        r.job.continuation.finish(throwing: error)
    }

    /// Drops `r` from the running set; with `keepPrompt`, its evaluated prompt is kept for later prompts that begin
    /// the same way (replacing kept prompts it extends; the least recently used go beyond ``BatchLimits/cachedPrompts``).
    private func release(_ r: Running, keepPrompt: Bool = false) {
        active.removeAll { $0 === r }
        r.leader?.followers.removeAll { $0 === r }
        r.leader = nil
        // Sequences waiting for its prompt: the first still wanted takes what was evaluated of it and goes on with it,
        // the others wait for that one.
        let followers = r.followers.filter { !$0.job.cancelled }
        for f in r.followers { f.leader = nil }
        r.followers = []
        if let heir = followers.first {
            if r.evaluated > 0 {
                heir.sequence.state.cache.copyPositions(from: r.sequence.state.cache, count: r.evaluated)
                heir.evaluated = r.evaluated
                credit(heir, from: r, tokens: r.evaluated)
            }
            heir.followers = Array(followers.dropFirst())
            for f in heir.followers { f.leader = heir }
        }
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
