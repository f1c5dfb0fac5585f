public import CairnPrimitives
public import CairnMarket
public import CairnModels
public import Logging
import CairnLedger
import CairnStaking

/// The provider's start-up on the chain: each model checked against the registry by the hash of its weights, the
/// key made a staking provider operator, and the provider listed (or its listing updated) with its models and prices.
public struct ProviderSetup: Sendable {
    let registry: any ProviderRegistry
    let key: PrivateKey
    let logger: Logger

    public init(registry: any ProviderRegistry, key: PrivateKey, logger: Logger) {
        self.registry = registry
        self.key = key
        self.logger = logger
    }

    /// The registry entry of a model whose weights hash to `hash`.
    /// - Throws: `.unregisteredModel` when no model has that hash; the message says whether a model of the same name
    ///   is registered with other weights.
    public func registered(_ model: ProviderConfig.Model, hash: Hash) async throws -> ModelView {
        let matches = try await registry.models(weightsHash: hash)
        if let view = matches.first(where: { $0.weightsHash == hash }) { return view }
        if let named = try await registry.models(name: model.name).first {
            throw ProviderError(.unregisteredModel, "model \(model.name) is registered (id \(named.id)) with weights hash \(named.weightsHash.hex), "
                                + "but \(model.path) hashes to \(hash.hex): serve the registered file")
        }
        throw ProviderError(.unregisteredModel, "no registered model has the weights of \(model.name) (\(model.path), sha256 \(hash.hex)); "
                            + "register it with `cairn tx models register`")
    }

    /// Makes sure the key is a staking operator of kind provider, bonding `selfBond` when it is not an operator yet.
    public func ensureOperator(selfBond: Amount?, moniker: String, commissionBps: UInt32) async throws {
        let address = key.publicKey.address
        switch try await registry.operatorKind(address) {
        case "provider"?:
            return
        case let kind?:
            throw ProviderError(.configuration, "\(address) is a \(kind) operator; a provider needs a key of its own")
        case nil:
            guard let selfBond else {
                throw ProviderError(.configuration, "\(address) is not a provider operator: pass --self-bond to bond stake and become one")
            }
            logger.info("registering as a staking provider", metadata: ["address": "\(address)", "self_bond": "\(selfBond)"])
            let spec = OperatorSpec(moniker: moniker, commissionBps: commissionBps, publicKey: key.publicKey, selfBond: selfBond)
            try check(try await registry.send([MsgCreateProvider(spec)]), "staking/create-provider")
        }
    }

    /// What ``ensureListed(_:)`` did.
    public enum Listing: String, Sendable {
        case registered, updated, unchanged
    }

    /// Registers the provider with `spec`, or updates its listing when it differs.
    @discardableResult
    public func ensureListed(_ spec: ProviderSpec) async throws -> Listing {
        let current = try await registry.provider(key.publicKey.address)
        if let current, current.endpoint == spec.endpoint, current.hardware == spec.hardware, current.models == spec.models {
            return .unchanged
        }
        if current == nil {
            try check(try await registry.send([MsgRegisterProvider(spec)]), MsgRegisterProvider.typeName)
            return .registered
        }
        try check(try await registry.send([MsgUpdateProvider(spec)]), MsgUpdateProvider.typeName)
        return .updated
    }

    func check(_ receipt: Receipt, _ what: String) throws(ProviderError) {
        if let e = receipt.error {
            throw ProviderError(.node, "\(what) failed: \(e.module)/\(e.code): \(e.message)")
        }
    }
}
