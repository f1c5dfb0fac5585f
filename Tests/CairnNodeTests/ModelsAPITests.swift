import Testing
import Foundation
import CairnPrimitives
import CairnLedger
import CairnModels
import CairnClient
import CairnTestSupport

/// The model registry over a real HTTP server: a model registered by a signed transaction is served by
/// id, by weights hash, by name and by owner, as `ModelView` JSON.
@Suite struct ModelsAPITests {
    struct ModelsList: Decodable { var models: [ModelView] }

    @Test func aRegisteredModelIsServedByIdHashNameAndOwner() async throws {
        try await InProcessNode.with { node in
            let client = try node.client()
            let status = try await client.status()
            let spec = ModelSpec(name: "smollm2", weightsHash: Hash.sha256(Array("smollm2 weights".utf8)), format: .gguf,
                                 architecture: "llama", licence: "Apache-2.0", royaltyBps: 500)
            let tx = TxBuilder(chainID: status.chainID, tip: 2).build(messages: [MsgRegisterModel(spec)], key: InProcessNode.funded.key,
                                                                       nonce: 0, baseFee: status.baseFee)
            let receipt = try await client.waitForReceipt(try await client.submit(tx), timeout: .seconds(15))
            #expect(receipt.success, "\(receipt.error.map(\.description) ?? "")")
            #expect(receipt.events.first { $0.type == "models.registered" }?["id"] == "1")

            let one = try await node.request("GET", "/v1/registry/models/1")
            #expect(one.status == 200)
            let view = try JSONDecoder().decode(ModelView.self, from: one.body)
            #expect(view.id == 1 && view.name == "smollm2" && view.owner == InProcessNode.funded.address)
            #expect(view.weightsHash == spec.weightsHash && view.format == .gguf && view.royaltyBps == 500 && view.sharesDenom == nil)

            for query in ["", "?hash=\(spec.weightsHash.hex)", "?name=smollm2", "?owner=\(InProcessNode.funded.address.bech32)"] {
                let reply = try await node.request("GET", "/v1/registry/models\(query)")
                #expect(reply.status == 200)
                #expect(try JSONDecoder().decode(ModelsList.self, from: reply.body).models == [view], "query '\(query)'")
            }
            for query in ["?hash=\(String(repeating: "ab", count: 32))", "?name=other", "?owner=\(DevAccount("nobody").address.bech32)",
                          "?after=1", "?name=smollm2&owner=\(DevAccount("nobody").address.bech32)"] {
                let reply = try await node.request("GET", "/v1/registry/models\(query)")
                #expect(try JSONDecoder().decode(ModelsList.self, from: reply.body).models.isEmpty, "query '\(query)'")
            }
            let params = try await node.request("GET", "/v1/params/models")
            #expect(params.text.contains("\"maxRoyaltyBps\":2000"))
        }
    }
}
