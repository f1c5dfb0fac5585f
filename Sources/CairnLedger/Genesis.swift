public import CairnPrimitives

/// The genesis file: chain id, time, parameters, the validator set and each module's initial state.
public struct Genesis: Sendable, Equatable, Codable {
    public var chainID: String
    /// Milliseconds since 1970.
    public var genesisTime: UInt64
    public var params: ChainParams
    public var validators: [GenesisValidator]
    /// Each module's section, by module name.
    public var modules: [String: JSONValue]

    public init(chainID: String, genesisTime: UInt64, params: ChainParams, validators: [GenesisValidator],
                modules: [String: JSONValue]) {
        self.chainID = chainID
        self.genesisTime = genesisTime
        self.params = params
        self.validators = validators
        self.modules = modules
    }
}

/// A validator named in genesis.
public struct GenesisValidator: Sendable, Equatable, Codable {
    public var name: String
    /// Hex of the 32-byte Ed25519 public key.
    public var publicKey: String

    public init(name: String, publicKey: PublicKey) {
        self.name = name
        self.publicKey = publicKey.rawRepresentation.hexString
    }

    /// The parsed key.
    public var key: PublicKey? { [UInt8](hex: publicKey).flatMap(PublicKey.init(rawRepresentation:)) }
}

/// Validation of a chain id: 1 to 48 characters of letters, digits, '-', '_' or '.'.
public func isValidChainID(_ id: String) -> Bool {
    (1...48).contains(id.utf8.count) && id.unicodeScalars.allSatisfy {
        ($0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || "-_.".unicodeScalars.contains($0))
    }
}
