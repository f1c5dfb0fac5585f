import ArgumentParser
import CairnPrimitives
import CairnMarket
import CairnInference
import CairnProvider
import Logging
import ServiceLifecycle
import UnixSignals
import Foundation

/// `cairn provider ...`: run a compute provider.
struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Serve models to paying clients and get paid on the chain.", subcommands: [Start.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the models against the registry, bond and list the provider, serve the OpenAI API until Ctrl-C.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Key (in HOME/keys) that signs the provider's transactions and receipts.") var key: String
        @Option(help: "Address the HTTP server listens on, HOST:PORT.") var listen = "127.0.0.1:8400"
        @Option(help: "URL registered on the chain (default: http://LISTEN).") var endpoint: String?
        @Option(help: "Built-in engine models to serve, comma-separated (smollm2, minilm, or paths in the models folder).")
        var models = "smollm2,minilm"
        @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?
        @Option(help: "KV cache length of the language models in tokens (default: the model's, at most 2048).") var context: Int?
        @Option(help: "Price of a model in ucairn per million tokens, MODEL:PROMPT:COMPLETION:EMBEDDING (repeatable; default 100:200:20).")
        var price: [String] = []
        @Option(help: "Self-bond when the key is not yet a staking provider, e.g. 1000cairn.") var selfBond: String?
        @Option(help: "Operator name when registering as a staking provider.") var moniker = "cairn-provider"
        @Option(help: "Claim a channel once this much is unclaimed, e.g. 1cairn.") var claimThreshold = "1cairn"
        @Option(help: "Claim everything unclaimed every this many seconds.") var claimInterval = 3600
        @Option(help: "URL of an external OpenAI-compatible server (llama.cpp server, vLLM, Ollama) to serve from instead of the engine.")
        var backendURL: String?
        @Option(help: "A model of the external server and its weights file, NAME=PATH (repeatable; NAME as the server knows it).")
        var backendModel: [String] = []
        @Option(help: "Context length reported for the external server's models.") var backendContext = 4096

        func run() async throws {
            try await reportingFailure {
                let signer = try signingKey(key, home: global.home)
                let logger = cairnLogger("cairn.provider")
                let agent = ProviderAgent(config: try config(), key: signer, logger: logger) { ready in
                    print("provider \(ready.address) serving \(ready.models.map(\.name).joined(separator: ", ")) "
                          + "on http://\((try? parseListen(listen).host) ?? "127.0.0.1"):\(ready.port)")
                    fflush(nil)
                }
                let group = ServiceGroup(configuration: .init(services: [agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
        }

        func config() throws -> ProviderConfig {
            let (host, port) = try parseListen(listen)
            let prices = try parsePrices()
            var served: [ProviderConfig.Model] = []
            let backend: ProviderConfig.Backend
            if let backendURL {
                guard !backendModel.isEmpty else { throw CLIError("--backend-url needs at least one --backend-model NAME=PATH") }
                for entry in backendModel {
                    guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                        throw CLIError("--backend-model must be NAME=PATH, got '\(entry)'")
                    }
                    served.append(model(String(entry[..<eq]), path: String(entry[entry.index(after: eq)...]), prices: prices))
                }
                backend = .openAI(url: backendURL, contextLength: backendContext)
            } else {
                let locator = ModelLocator(directory: modelsDir)
                for name in models.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                    served.append(model(name, path: try locator.path(for: name), prices: prices))
                }
                backend = .engine(contextLength: context)
            }
            guard !served.isEmpty else { throw CLIError("no models to serve") }
            for name in prices.keys where !served.contains(where: { $0.name == name }) {
                throw CLIError("--price names \(name), which is not served")
            }
            let policy = ClaimPolicy(threshold: try nativeAmount(claimThreshold), intervalMilliseconds: UInt64(max(1, claimInterval)) * 1000)
            return ProviderConfig(home: global.home, nodeURL: global.node, listenHost: host, listenPort: port, endpoint: endpoint,
                                  models: served, backend: backend, selfBond: try selfBond.map(nativeAmount), moniker: moniker,
                                  claimPolicy: policy)
        }

        typealias Price = (prompt: Amount, completion: Amount, embedding: Amount)

        func model(_ name: String, path: String, prices: [String: Price]) -> ProviderConfig.Model {
            let p = prices[name] ?? (100, 200, 20)
            return ProviderConfig.Model(name: name, path: path, promptPerMillion: p.prompt, completionPerMillion: p.completion,
                                        embeddingPerMillion: p.embedding)
        }

        func parsePrices() throws -> [String: Price] {
            var prices: [String: Price] = [:]
            for entry in price {
                // The model name may itself contain ':' (Ollama tags): the last three fields are the prices.
                let fields = entry.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count >= 4 else { throw CLIError("--price must be MODEL:PROMPT:COMPLETION:EMBEDDING, got '\(entry)'") }
                let amounts = try fields.suffix(3).map { field -> Amount in
                    guard let a = Amount(decimal: String(field)), a <= ModelPrice.maxPerMillion else {
                        throw CLIError("--price '\(entry)': '\(field)' is not a price in ucairn per million tokens")
                    }
                    return a
                }
                prices[fields.dropLast(3).joined(separator: ":")] = (amounts[0], amounts[1], amounts[2])
            }
            return prices
        }
    }
}
