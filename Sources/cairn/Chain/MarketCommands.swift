import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnMarket
import Foundation

/// `cairn tx market ...`
struct MarketTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market", abstract: "Payment channels and the provider registry.",
        subcommands: [OpenChannel.self, TopUp.self, CloseChannel.self, Claim.self, RegisterProvider.self, UpdateProvider.self,
                      DeregisterProvider.self])

    struct OpenChannel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Escrow a deposit in a payment channel to a provider; prints the channel id.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "Provider address (cairn1...).") var provider: String
        @Option(help: "Deposit, e.g. 10cairn.") var deposit: String
        @Option(help: "Hex of the 32-byte Ed25519 key that signs the channel's vouchers (default: the --from key's).") var voucherKey: String?

        func run() async throws {
            try await reportingFailure {
                let key: PublicKey
                if let voucherKey {
                    guard let k = [UInt8](hex: voucherKey).flatMap(PublicKey.init(rawRepresentation:)) else {
                        throw CLIError("--voucher-key must be the hex of a 32-byte Ed25519 public key")
                    }
                    key = k
                } else {
                    key = try signingKey(tx.from, home: global.home).publicKey
                }
                let message = MsgOpenChannel(provider: try Address(bech32: provider), deposit: try nativeAmount(deposit), voucherKey: key)
                let receipt = try await tx.send([message], global: global)
                if !global.json, let id = receipt?.events.lazy.compactMap(MarketEvents.ChannelOpened.init).first?.id { print("channel \(id)") }
            }
        }
    }

    struct TopUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "top-up", abstract: "Add to an open channel's deposit (its client only).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Channel id.") var id: UInt64
        @Option(help: "Amount, e.g. 5cairn.") var amount: String

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgTopUpChannel(channelID: id, amount: try nativeAmount(amount))], global: global) }
        }
    }

    struct CloseChannel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start closing a channel (its client only); after the settle delay what was not claimed returns.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Channel id.") var id: UInt64

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgCloseChannel(channelID: id)], global: global) }
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim a client's voucher on a channel (its provider only).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "The signed voucher, base64 as in the X-Cairn-Voucher header.") var voucher: String

        func run() async throws {
            try await reportingFailure {
                guard let signed = SignedVoucher(headerValue: voucher) else { throw CLIError("--voucher is not base64 of a signed voucher") }
                try await tx.send([MsgClaim(voucher: signed)], global: global)
            }
        }
    }

    struct RegisterProvider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the --from key (a bonded staking provider) with its endpoint, hardware, models and prices.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @OptionGroup var provider: ProviderOptions

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgRegisterProvider(try provider.spec())], global: global) }
        }
    }

    struct UpdateProvider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the --from provider's registration.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @OptionGroup var provider: ProviderOptions

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgUpdateProvider(try provider.spec())], global: global) }
        }
    }

    struct DeregisterProvider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the --from provider's registration (its channels stay claimable).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgDeregisterProvider()], global: global) }
        }
    }
}

/// What a provider registers, from the command line.
struct ProviderOptions: ParsableArguments {
    @Option(help: "The provider's HTTP base URL.") var endpoint: String
    @Option(name: .customLong("model"), help: "ID:PROMPT:COMPLETION:EMBEDDING, prices in ucairn per million tokens (repeatable).")
    var models: [String]
    @Option(help: "CPU cores (default: this machine's).") var cpuCores: UInt32?
    @Option(help: "Memory in bytes (default: this machine's).") var memoryBytes: UInt64?
    @Option(help: "Number of GPUs.") var gpus: UInt32 = 0
    @Option(help: "GPU model.") var gpuModel: String = ""

    func spec() throws -> ProviderSpec {
        let prices = try models.map(Self.price).sorted { $0.modelID < $1.modelID }
        for (a, b) in zip(prices, prices.dropFirst()) where a.modelID == b.modelID {
            throw CLIError("model \(a.modelID) is given twice")
        }
        let hardware = Hardware(cpuCores: cpuCores ?? UInt32(ProcessInfo.processInfo.activeProcessorCount),
                                memoryBytes: memoryBytes ?? ProcessInfo.processInfo.physicalMemory, gpus: gpus, gpuModel: gpuModel)
        let spec = ProviderSpec(endpoint: endpoint, hardware: hardware, models: prices)
        do { try spec.validate() } catch { throw CLIError(error.message) }
        return spec
    }

    static func price(_ text: String) throws -> ModelPrice {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let id = UInt64(parts[0]), let prompt = Amount(decimal: parts[1]),
              let completion = Amount(decimal: parts[2]), let embedding = Amount(decimal: parts[3]) else {
            throw CLIError("--model must be ID:PROMPT:COMPLETION:EMBEDDING with whole numbers (ucairn per million tokens), got '\(text)'")
        }
        return ModelPrice(modelID: id, promptPerMillion: prompt, completionPerMillion: completion, embeddingPerMillion: embedding)
    }
}

/// `cairn query market ...`
struct MarketQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "market", abstract: "Providers and payment channels.",
                                                    subcommands: [Providers.self, Channels.self, Channel.self])

    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every registered provider with its stake and whether it is active, or one.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "One provider's address (cairn1...).") var address: String?

        func run() async throws {
            try await reportingFailure {
                let client = try NodeClient(url: global.node)
                if let address {
                    try printJSON(try await client.get("/v1/market/providers/\(try Address(bech32: address).bech32)"))
                } else {
                    try printJSON(try await client.get("/v1/market/providers"))
                }
            }
        }
    }

    struct Channels: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The channels of a client or of a provider.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Client address.") var client: String?
        @Option(help: "Provider address.") var provider: String?

        func run() async throws {
            try await reportingFailure {
                let query: String
                switch (client, provider) {
                case let (c?, nil): query = "client=\(try Address(bech32: c).bech32)"
                case let (nil, p?): query = "provider=\(try Address(bech32: p).bech32)"
                default: throw CLIError("give exactly one of --client or --provider")
                }
                try printJSON(try await NodeClient(url: global.node).get("/v1/market/channels?\(query)"))
            }
        }
    }

    struct Channel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One channel: deposit, claimed (per model), state, settle height.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Channel id.") var id: UInt64

        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/market/channels/\(id)")) }
        }
    }
}
