import Testing
import Foundation
import Synchronization
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnModels
import CairnStaking
import CairnProvider
import CairnWire
import CairnTestSupport

/// Start-up on the chain: models checked by hash against the registry, the operator bonded, the listing kept current.
@Suite struct ProviderSetupTests {
    /// A registry in memory that records what is sent to it and applies it.
    final class FakeRegistry: ProviderRegistry {
        struct State {
            var models: [ModelView] = []
            var operatorKind: String?
            var provider: ProviderView?
            var sent: [String] = []
        }
        let chainID = TestClient.chainID
        let state = Mutex(State())

        func models(weightsHash: Hash) async throws -> [ModelView] { state.withLock { $0.models.filter { $0.weightsHash == weightsHash } } }
        func models(name: String) async throws -> [ModelView] { state.withLock { $0.models.filter { $0.name == name } } }
        func operatorKind(_ address: Address) async throws -> String? { state.withLock { $0.operatorKind } }
        func provider(_ address: Address) async throws -> ProviderView? { state.withLock { $0.provider } }

        func send(_ messages: [any LedgerMessage]) async throws -> Receipt {
            state.withLock { s in
                for m in messages {
                    s.sent.append(type(of: m).typeName)
                    if m is MsgCreateProvider { s.operatorKind = "provider" }
                    let spec = (m as? MsgRegisterProvider)?.spec ?? (m as? MsgUpdateProvider)?.spec
                    if let spec {
                        s.provider = ProviderView(address: Address(publicKey: ProviderHarness.providerKey.publicKey), endpoint: spec.endpoint,
                                                  hardware: spec.hardware, models: spec.models, stake: 1, jailed: false, active: true,
                                                  registeredHeight: 1, updatedHeight: 1)
                    }
                }
            }
            return Receipt(txHash: .zero, height: 1, index: 0, success: true, gasUsed: 1, fee: .zero, burned: .zero, tip: .zero,
                           failedMessage: nil, error: nil, events: [])
        }
    }

    static func weights(_ dir: TemporaryDirectory, _ text: String) throws -> (ProviderConfig.Model, Hash) {
        let path = dir.path("weights-\(text).gguf")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (ProviderConfig.Model(name: "tiny", path: path, promptPerMillion: 1, completionPerMillion: 2, embeddingPerMillion: 3),
                Hash.sha256(Array(text.utf8)))
    }

    static func view(id: UInt64, name: String, hash: Hash) -> ModelView {
        ModelView(id: id, name: name, weightsHash: hash, format: .gguf, architecture: "llama", licence: "MIT", royaltyBps: 100,
                  owner: PaymentGateTests.other, sharesDenom: nil, shares: .zero, royaltiesEarned: .zero, registeredHeight: 1)
    }

    @Test func weightsAreHashedInChunks() throws {
        let dir = try TemporaryDirectory()
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let path = dir.path("big.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try WeightsHasher.hash(file: path, chunkBytes: 4096) == Hash.sha256(bytes))
        #expect(throws: ProviderError.self) { try WeightsHasher.hash(file: dir.path("missing")) }
    }

    @Test func aRegisteredModelIsFoundByTheHashOfItsWeights() async throws {
        let dir = try TemporaryDirectory()
        let (model, hash) = try Self.weights(dir, "tiny weights")
        let registry = FakeRegistry()
        registry.state.withLock { $0.models = [Self.view(id: 4, name: "tiny-llama", hash: hash)] }
        let setup = ProviderSetup(registry: registry, key: ProviderHarness.providerKey, logger: ProviderHarness.logger)
        let found = try await setup.registered(model, hash: try WeightsHasher.hash(file: model.path))
        #expect(found.id == 4)
    }

    @Test func aModelNotRegisteredOrWithOtherWeightsIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let (model, hash) = try Self.weights(dir, "local weights")
        let registry = FakeRegistry()
        let setup = ProviderSetup(registry: registry, key: ProviderHarness.providerKey, logger: ProviderHarness.logger)
        let missing = await #expect(throws: ProviderError.self) { try await setup.registered(model, hash: hash) }
        #expect(missing?.code == .unregisteredModel)
        #expect(missing?.message.contains("register it") == true)
        registry.state.withLock { $0.models = [Self.view(id: 2, name: "tiny", hash: Hash.sha256(Array("other".utf8)))] }
        let differs = await #expect(throws: ProviderError.self) { try await setup.registered(model, hash: hash) }
        #expect(differs?.code == .unregisteredModel)
        #expect(differs?.message.contains("hashes to \(hash.hex)") == true, "\(differs?.message ?? "")")
    }

    @Test func aNewProviderBondsRegistersAndLaterUpdates() async throws {
        let registry = FakeRegistry()
        let setup = ProviderSetup(registry: registry, key: ProviderHarness.providerKey, logger: ProviderHarness.logger)
        await #expect(throws: ProviderError.self) { try await setup.ensureOperator(selfBond: nil, moniker: "p", commissionBps: 0) }
        try await setup.ensureOperator(selfBond: 1_000_000_000, moniker: "p", commissionBps: 500)
        try await setup.ensureOperator(selfBond: 1_000_000_000, moniker: "p", commissionBps: 500)
        let spec = ProviderSpec(endpoint: "http://127.0.0.1:9000", hardware: Hardware(cpuCores: 2, memoryBytes: 1 << 30),
                                models: [ModelPrice(modelID: 1, promptPerMillion: 1, completionPerMillion: 2, embeddingPerMillion: 3)])
        #expect(try await setup.ensureListed(spec) == .registered)
        #expect(try await setup.ensureListed(spec) == .unchanged)
        var cheaper = spec
        cheaper.models[0].completionPerMillion = 1
        #expect(try await setup.ensureListed(cheaper) == .updated)
        #expect(registry.state.withLock { $0.sent } == ["staking/create-provider", "market/register-provider", "market/update-provider"])
        registry.state.withLock { $0.operatorKind = "validator" }
        await #expect(throws: ProviderError.self) { try await setup.ensureOperator(selfBond: 1, moniker: "p", commissionBps: 0) }
    }
}
