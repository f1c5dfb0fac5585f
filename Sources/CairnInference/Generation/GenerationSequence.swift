/// One sequence's generation after its prompt: each step samples from the logits in its state, applies the stop
/// conditions and emits the token, its text and (when asked) its log-probabilities. The caller runs the model: it
/// evaluates the prompt, calls ``prefillDone()``, then decodes each token ``advance()`` returns at ``position``
/// until it returns nil, and ends with ``finish()``. The same steps serve one sequence alone (``TextGenerator``)
/// and many in a batch (``BatchScheduler``), so a sequence's output does not depend on which runs it.
final class GenerationSequence {
    let prompt: [Int32]
    let parameters: SamplingParameters
    let state: LlamaRunState
    private let endTokens: Set<Int32>
    private let isCancelled: () -> Bool
    private let emit: (GenerationEvent) -> Void
    private var sampler: Sampler
    private let vocabularySize: Int
    private var detokenizer: StreamingDetokenizer?
    private var stops: StopSequenceMatcher
    private var history: [Int32]
    private(set) var generated = 0
    /// Prompt tokens taken from a kept prompt (set by the scheduler before the prompt is evaluated).
    var cachedPromptTokens = 0
    private(set) var reason = FinishReason.length
    private let started: Double
    private var prefillSeconds: Double = 0
    /// With a grammar: the vocabulary's trie and where the output stands in the grammar.
    private let trie: TokenTrie?
    private var grammarState: GrammarState?
    private var allowed: [Bool] = []

    init(prompt: [Int32], parameters: SamplingParameters, state: LlamaRunState, vocabularySize: Int, tokenizer: (any TextTokenizer)?,
         endTokens: Set<Int32>, trie: TokenTrie? = nil, isCancelled: @escaping () -> Bool, emit: @escaping (GenerationEvent) -> Void) {
        self.prompt = prompt
        self.parameters = parameters
        self.state = state
        self.endTokens = endTokens
        self.isCancelled = isCancelled
        self.emit = emit
        sampler = Sampler(parameters: parameters, vocabularySize: vocabularySize)
        self.vocabularySize = vocabularySize
        detokenizer = tokenizer.map { StreamingDetokenizer(tokenizer: $0) }
        stops = StopSequenceMatcher(stops: parameters.stopSequences)
        history = prompt
        history.reserveCapacity(prompt.count + parameters.maxTokens)
        started = TextGenerator.now()
        self.trie = trie
        if let grammar = parameters.grammar {
            precondition(trie != nil, "a grammar needs the vocabulary's trie")
            grammarState = grammar.start
            allowed = [Bool](repeating: false, count: vocabularySize)
        }
    }

    /// The position the token ``advance()`` returned is decoded at.
    var position: Int { history.count - 1 }

    /// Whether the consumer has gone.
    var cancelled: Bool { isCancelled() }

    /// Ends the sequence early because its consumer left.
    func markCancelled() { reason = .cancelled }

    /// Marks the prompt evaluated: its last logits are in the state.
    func prefillDone() { prefillSeconds = TextGenerator.now() - started }

    /// Samples the next token from the state's logits and emits it; returns the token to decode next, or nil when
    /// the sequence has ended (``reason`` says why).
    func advance() -> Int32? {
        if isCancelled() {
            reason = .cancelled
            return nil
        }
        let logits = UnsafeMutableBufferPointer(start: state.logits, count: vocabularySize)
        // The sampler may change the logits (the repetition penalty): log-probabilities are read from a copy.
        let before = parameters.logprobs == nil ? nil : Array(logits)
        if let grammar = parameters.grammar, let trie, let current = grammarState {
            guard constrain(logits, grammar: grammar, trie: trie, state: current) else {
                reason = .endOfSequence
                return nil
            }
        }
        let token = sampler.sample(logits: logits, history: history[...])
        if endTokens.contains(token) {
            reason = .endOfSequence
            return nil
        }
        if let grammar = parameters.grammar, let trie, let current = grammarState {
            // The mask allowed only tokens the grammar accepts; a refusal here would be a bug, and ends the output
            // rather than letting it go on unconstrained.
            guard let next = current.advanced(by: trie.bytes[Int(token)], in: grammar) else {
                reason = .endOfSequence
                return nil
            }
            grammarState = next
        }
        history.append(token)
        generated += 1
        let piece = detokenizer?.append(token) ?? ""
        let (text, stopped) = stops.append(piece)
        if let before, let k = parameters.logprobs {
            emit(.logprobs(before.withUnsafeBufferPointer { TokenLogprobs.measure($0, token: token, k: k) }))
        }
        emit(.token(id: token, text: text))
        if stopped {
            reason = .stopSequence
            return nil
        }
        if let current = grammarState, !current.canContinue {
            // The grammar's output is complete and nothing may follow: the end token is the only choice left.
            reason = .endOfSequence
            return nil
        }
        if generated == parameters.maxTokens { return nil }
        guard history.count < state.contextLength else {
            reason = .contextFull
            return nil
        }
        return token
    }

    /// Sets the logit of every token the grammar does not allow next to -infinity (end tokens only where the output
    /// may end); false when no token is allowed, or only an end token when the model has none.
    private func constrain(_ logits: UnsafeMutableBufferPointer<Float>, grammar: Grammar, trie: TokenTrie, state: GrammarState) -> Bool {
        for i in allowed.indices { allowed[i] = false }
        var any = false
        for token in trie.allowed(from: state, grammar: grammar) {
            allowed[Int(token)] = true
            any = true
        }
        if state.isComplete {
            for token in endTokens where Int(token) < allowed.count {
                allowed[Int(token)] = true
                any = true
            }
        }
        guard any else { return false }
        for i in 0..<logits.count where !allowed[i] { logits[i] = -.infinity }
        return true
    }

    /// Releases the text held back, emits the summary and returns it.
    @discardableResult
    func finish() -> GenerationSummary {
        if reason != .stopSequence {
            let (text, stopped) = stops.append(detokenizer?.flush() ?? "")
            let tail = text + (stopped ? "" : stops.finish())
            if stopped { reason = .stopSequence }
            if !tail.isEmpty { emit(.text(tail)) }
        }
        var summary = GenerationSummary(
            promptTokenCount: prompt.count, completionTokenCount: generated, finishReason: reason,
            prefillSeconds: prefillSeconds, decodeSeconds: TextGenerator.now() - started - prefillSeconds, text: stops.emitted)
        summary.cachedPromptTokenCount = cachedPromptTokens
        emit(.finished(summary))
        return summary
    }
}
