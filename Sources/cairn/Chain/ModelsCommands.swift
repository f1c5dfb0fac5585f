import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnModels

/// `cairn tx models ...`
struct ModelsTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Register models, transfer them, issue revenue shares, claim royalties.",
        subcommands: [Register.self, Transfer.self, IssueShares.self, ClaimRoyalties.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a model owned by the --from key; prints its id.",
            discussion: "The weights are identified by their SHA-256: give the file (--file) or its hash (--weights-hash).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "Model name, unique on the chain (1 to 64 bytes of a-z, 0-9, '-', '.', '_').") var name: String
        @Option(help: "The weights file, hashed with SHA-256.") var file: String?
        @Option(help: "SHA-256 of the weights file (64 hex characters), instead of --file.") var weightsHash: String?
        @Option(help: "Weights format: gguf or safetensors.") var format: String
        @Option(help: "Architecture, e.g. llama or bert.") var architecture: String
        @Option(help: "Licence, e.g. Apache-2.0.") var licence: String
        @Option(help: "Royalty on every use, in basis points (100 = 1%).") var royaltyBps: UInt32

        func run() async throws {
            try await reportingFailure {
                guard let format = ModelFormat(rawValue: format) else { throw CLIError("--format must be gguf or safetensors, got '\(format)'") }
                let spec = ModelSpec(name: name, weightsHash: try hash(), format: format, architecture: architecture, licence: licence,
                                     royaltyBps: royaltyBps)
                do { try spec.validate() } catch let error as LedgerError { throw CLIError(error.message) }
                let receipt = try await tx.send([MsgRegisterModel(spec)], global: global)
                if let id = receipt?.events.lazy.compactMap(ModelsEvents.Registered.init).first?.id, !global.json {
                    print("registered model \(id)")
                }
            }
        }

        func hash() throws -> Hash {
            switch (file, weightsHash) {
            case let (path?, nil):
                do { return try WeightsFile.sha256(atPath: path) } catch { throw CLIError("cannot read \(path): \(error)") }
            case let (nil, hex?):
                guard let h = Hash(hex: hex) else { throw CLIError("--weights-hash must be 64 hex characters, got '\(hex)'") }
                return h
            default:
                throw CLIError("give the weights as --file PATH or --weights-hash HEX (one of the two)")
            }
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a model you own (and its future royalties, while it has no shares) to another address.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Model id.") var id: UInt64
        @Option(help: "New owner (cairn1...).") var to: String

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgTransferModel(modelID: id, to: try Address(bech32: to))], global: global) }
        }
    }

    struct IssueShares: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue revenue shares of a model you own (once); royalties then go to share holders pro rata.",
            discussion: "The shares are minted to you as the denomination model/ID and move with `cairn tx send --amount Nmodel/ID`.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Model id.") var id: UInt64
        @Option(help: "Number of shares (1 to 10^18).") var shares: String

        func run() async throws {
            try await reportingFailure {
                guard let n = Amount(decimal: shares), n > .zero, n.value <= ModelShares.maxShares else {
                    throw CLIError("--shares must be a whole number from 1 to \(ModelShares.maxShares), got '\(shares)'")
                }
                try await tx.send([MsgIssueShares(modelID: id, shares: n)], global: global)
            }
        }
    }

    struct ClaimRoyalties: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim the royalties your shares of a model have earned.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Model id.") var id: UInt64

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgClaimRoyalties(modelID: id)], global: global) }
        }
    }
}

/// `cairn query models [ID]`
struct ModelsQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "Registered models: all, one by id, or by hash, name or owner.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Model id (all models when left out).") var id: UInt64?
    @Option(help: "Only the model with this weights hash.") var hash: String?
    @Option(help: "Only the model with this name.") var name: String?
    @Option(help: "Only the models of this owner (cairn1...).") var owner: String?
    @Option(help: "With an id: this holder's shares and claimable royalties (cairn1...).") var holder: String?

    func run() async throws {
        try await reportingFailure {
            let client = try NodeClient(url: global.node)
            if let id {
                guard hash == nil, name == nil, owner == nil else { throw CLIError("--hash, --name and --owner filter the list; leave out the id") }
                if let holder {
                    let a = try Address(bech32: holder)
                    try printJSON(try await client.get("/v1/registry/models/\(id)/holders/\(a.bech32)"))
                } else {
                    try printJSON(try await client.get("/v1/registry/models/\(id)"))
                }
                return
            }
            guard holder == nil else { throw CLIError("--holder needs a model id") }
            var query = [String]()
            if let hash {
                guard let h = Hash(hex: hash) else { throw CLIError("--hash must be 64 hex characters") }
                query.append("hash=\(h.hex)")
            }
            if let name {
                guard ModelSpec.isValidName(name) else { throw CLIError("'\(name)' is not a valid model name") }
                query.append("name=\(name)")
            }
            if let owner { query.append("owner=\(try Address(bech32: owner).bech32)") }
            try printJSON(try await client.get("/v1/registry/models" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))))
        }
    }
}
