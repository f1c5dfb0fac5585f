public import CairnPrimitives
public import CairnMarket

/// Everything `cairn provider start` configures.
public struct ProviderConfig: Sendable {
    /// A model to serve: the local name clients may use, where its weights are, and its price.
    public struct Model: Sendable, Equatable {
        /// The local name (`smollm2`, `minilm`, or the name an external server knows the model by).
        public var name: String
        /// The weights file (or sentence-transformers folder) that is hashed and, for the built-in engine, loaded.
        public var path: String
        /// Per million prompt, completion and embedding tokens, in ucairn.
        public var promptPerMillion: Amount
        public var completionPerMillion: Amount
        public var embeddingPerMillion: Amount

        public init(name: String, path: String, promptPerMillion: Amount, completionPerMillion: Amount, embeddingPerMillion: Amount) {
            self.name = name
            self.path = path
            self.promptPerMillion = promptPerMillion
            self.completionPerMillion = completionPerMillion
            self.embeddingPerMillion = embeddingPerMillion
        }
    }

    /// Where inference runs.
    public enum Backend: Sendable, Equatable {
        /// The built-in engine; `contextLength` caps the language models' KV cache (nil: the engine's default).
        case engine(contextLength: Int?)
        /// An external OpenAI-compatible server at `url`; `contextLength` is what `/v1/models` reports.
        case openAI(url: String, contextLength: Int)
    }

    /// The provider's home (its voucher store lives under `provider/`).
    public var home: String
    /// The node's API URL.
    public var nodeURL: String
    public var listenHost: String
    public var listenPort: Int
    /// The URL registered on the chain (default `http://HOST:PORT` of the listen address).
    public var endpoint: String?
    public var models: [Model]
    public var backend: Backend
    /// Bonded with `staking/create-provider` when the key is not yet a provider operator.
    public var selfBond: Amount?
    public var moniker: String
    public var commissionBps: UInt32
    public var claimPolicy: ClaimPolicy
    /// How often due claims are looked for.
    public var claimTick: Duration

    public init(home: String, nodeURL: String, listenHost: String, listenPort: Int, endpoint: String? = nil, models: [Model],
                backend: Backend, selfBond: Amount? = nil, moniker: String = "cairn-provider", commissionBps: UInt32 = 1000,
                claimPolicy: ClaimPolicy = ClaimPolicy(), claimTick: Duration = .seconds(2)) {
        self.home = home
        self.nodeURL = nodeURL
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.endpoint = endpoint
        self.models = models
        self.backend = backend
        self.selfBond = selfBond
        self.moniker = moniker
        self.commissionBps = commissionBps
        self.claimPolicy = claimPolicy
        self.claimTick = claimTick
    }

    /// The endpoint registered on the chain.
    public var registeredEndpoint: String { endpoint ?? "http://\(listenHost):\(listenPort)" }
}
