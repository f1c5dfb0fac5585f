public import CairnPrimitives
public import CairnLedger
public import Foundation

/// A node's home folder:
/// - `config/genesis.json`: the genesis file
/// - `config/node.json`: listen port, block interval and provider probe interval
/// - `config/validator_key.json`: the validator's private key (owner-only permissions)
/// - `config/node_key.json`: the node's p2p key, which gives its node id (owner-only permissions)
/// - `data/chain.sqlite`: the store
public struct NodeHome: Sendable {
    public let root: URL

    public init(path: String) {
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    public var configDir: URL { root.appendingPathComponent("config") }
    public var dataDir: URL { root.appendingPathComponent("data") }
    public var genesisFile: URL { configDir.appendingPathComponent("genesis.json") }
    public var configFile: URL { configDir.appendingPathComponent("node.json") }
    public var validatorKeyFile: URL { configDir.appendingPathComponent("validator_key.json") }
    /// The node's p2p identity key (made at its first start with p2p).
    public var nodeKeyFile: URL { configDir.appendingPathComponent("node_key.json") }
    public var databasePath: String { dataDir.appendingPathComponent("chain.sqlite").path }

    /// Whether `init` has run here.
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: genesisFile.path) }

    /// Node settings kept in `config/node.json`.
    public struct Config: Codable, Sendable {
        public var rpcHost: String
        public var rpcPort: Int
        public var blockIntervalMilliseconds: Int
        /// Seconds between two probes of each active provider's endpoint (for the explorer's uptime); 0 turns probing off.
        public var probeIntervalSeconds: Int
        /// Where the node listens for peers; no p2p at all when the port is nil (a lone validator).
        public var p2pHost: String
        public var p2pPort: Int?
        /// Peers dialed at start and redialed whenever their link is down: `id@host:port`.
        public var persistentPeers: [String]

        /// The probe interval of a config that names none (one written before there were probes).
        public static let defaultProbeIntervalSeconds = 30

        public init(rpcHost: String = "127.0.0.1", rpcPort: Int = 26657, blockIntervalMilliseconds: Int = 1000,
                    probeIntervalSeconds: Int = Config.defaultProbeIntervalSeconds, p2pHost: String = "127.0.0.1", p2pPort: Int? = nil,
                    persistentPeers: [String] = []) {
            self.rpcHost = rpcHost
            self.rpcPort = rpcPort
            self.blockIntervalMilliseconds = blockIntervalMilliseconds
            self.probeIntervalSeconds = probeIntervalSeconds
            self.p2pHost = p2pHost
            self.p2pPort = p2pPort
            self.persistentPeers = persistentPeers
        }

        enum CodingKeys: String, CodingKey {
            case rpcHost, rpcPort, blockIntervalMilliseconds, probeIntervalSeconds, p2pHost, p2pPort, persistentPeers
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rpcHost = try c.decode(String.self, forKey: .rpcHost)
            rpcPort = try c.decode(Int.self, forKey: .rpcPort)
            blockIntervalMilliseconds = try c.decode(Int.self, forKey: .blockIntervalMilliseconds)
            probeIntervalSeconds = try c.decodeIfPresent(Int.self, forKey: .probeIntervalSeconds) ?? Config.defaultProbeIntervalSeconds
            p2pHost = try c.decodeIfPresent(String.self, forKey: .p2pHost) ?? "127.0.0.1"
            p2pPort = try c.decodeIfPresent(Int.self, forKey: .p2pPort)
            persistentPeers = try c.decodeIfPresent([String].self, forKey: .persistentPeers) ?? []
        }
    }

    struct StoredKey: Codable {
        var seed: String
        var publicKey: String
        var address: String
    }

    /// Creates the folders, a validator key, the genesis file and the config; refuses an initialized home.
    public func initialize(chainID: String, genesisTime: UInt64, params: ChainParams = .default, config: Config = Config(),
                           validatorKey: PrivateKey = PrivateKey(), modules: (PublicKey) throws -> [String: JSONValue]) throws {
        let genesis = Genesis(chainID: chainID, genesisTime: genesisTime, params: params,
                              validators: [GenesisValidator(name: "validator", publicKey: validatorKey.publicKey)],
                              modules: try modules(validatorKey.publicKey))
        try initialize(genesis: genesis, validatorKey: validatorKey, config: config)
    }

    /// Creates the folders, the genesis file, the config and, for a validator, its key; refuses an initialized home.
    public func initialize(genesis: Genesis, validatorKey: PrivateKey?, config: Config = Config()) throws {
        guard !isInitialized else { throw NodeHomeError("\(root.path) already holds a node (config/genesis.json exists)") }
        guard isValidChainID(genesis.chainID) else {
            throw NodeHomeError("chain id '\(genesis.chainID)' is invalid: use 1 to 48 letters, digits, '-', '_' or '.'")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: configDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.createDirectory(at: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let validatorKey {
            let key = StoredKey(seed: validatorKey.seed.hexString, publicKey: validatorKey.publicKey.rawRepresentation.hexString,
                                address: validatorKey.publicKey.address.bech32)
            try writePrivate(try JSONEncoder.pretty.encode(key), to: validatorKeyFile)
        }
        try JSONEncoder.pretty.encode(genesis).write(to: genesisFile, options: .atomic)
        try JSONEncoder.pretty.encode(config).write(to: configFile, options: .atomic)
    }

    public func loadGenesis() throws -> Genesis {
        do { return try JSONDecoder().decode(Genesis.self, from: Data(contentsOf: genesisFile)) } catch {
            throw NodeHomeError("cannot read the genesis file \(genesisFile.path): \(error)")
        }
    }

    public func loadConfig() throws -> Config {
        do { return try JSONDecoder().decode(Config.self, from: Data(contentsOf: configFile)) } catch {
            throw NodeHomeError("cannot read \(configFile.path): \(error)")
        }
    }

    public func saveConfig(_ config: Config) throws {
        try JSONEncoder.pretty.encode(config).write(to: configFile, options: .atomic)
    }

    public func loadValidatorKey() throws -> PrivateKey? {
        guard FileManager.default.fileExists(atPath: validatorKeyFile.path) else { return nil }
        do {
            let stored = try JSONDecoder().decode(StoredKey.self, from: Data(contentsOf: validatorKeyFile))
            guard let seed = [UInt8](hex: stored.seed) else { throw NodeHomeError("seed is not hex") }
            return try PrivateKey(seed: seed)
        } catch {
            throw NodeHomeError("cannot read the validator key \(validatorKeyFile.path): \(error)")
        }
    }
}

/// Writes `data` to `url` atomically with owner-only permissions.
public func writePrivate(_ data: Data, to url: URL) throws {
    let tmp = url.appendingPathExtension("tmp")
    _ = FileManager.default.createFile(atPath: tmp.path, contents: data, attributes: [.posixPermissions: 0o600])
    if FileManager.default.fileExists(atPath: url.path) {
        _ = try FileManager.default.replaceItemAt(url, withItemAt: tmp)
    } else {
        try FileManager.default.moveItem(at: tmp, to: url)
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
}

/// A problem with a node's home folder.
public struct NodeHomeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
