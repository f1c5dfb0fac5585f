import ArgumentParser
import CairnClient
import CairnVerifier
import CairnPrimitives
import CairnLedger
import Foundation

/// `cairn verifier start`: the verifier's agent.
struct VerifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verifier", abstract: "Judge the challenges whose committee you sit on by running the check, and vote.", subcommands: [Start.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Watch the chain for challenges your key is drawn to judge; check each job and commit, then reveal, the verdict.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Key (in HOME/keys) of a registered verifier (`cairn tx verification register`).") var key: String
        @Option(help: "Folder holding the models (default: $CAIRN_MODELS, else ./.models).") var modelsDir: String?
        @Option(help: "Milliseconds between looks at the chain.") var intervalMs = 500
        @Option(help: "Models to load before watching, comma-separated (others load when a challenge first needs them).") var preload: String?
        @Option(help: "Mystery shopping: buy a chat completion from a random active provider every this many seconds, check it, and challenge a failure (off by default).")
        var shopInterval: Double?
        @Option(help: "Key that shops (default: --key; a key providers do not know as a verifier's is better).") var shopKey: String?
        @Option(help: "Deposit of each channel the shopping opens, e.g. 1cairn.") var shopDeposit = "1cairn"
        @Option(help: "Bond of each challenge the shopping raises, e.g. 10cairn.") var shopBond = "10cairn"

        func run() async throws {
            try await reportingFailure {
                guard intervalMs > 0 else { throw CLIError("--interval-ms must be positive") }
                let signer = try signingKey(key, home: global.home)
                let agent = try VerifierAgent(node: try NodeClient(url: global.node), key: signer, modelsDirectory: modelsDir,
                                              votesPath: URL(fileURLWithPath: global.home).appendingPathComponent("verifier-votes-\(key).json").path)
                // Unbuffered lines, each with its time: whoever runs the agent reads its log as it goes.
                let say: @Sendable (String) -> Void = {
                    FileHandle.standardOutput.write(Data((Date().formatted(.iso8601) + " " + $0 + "\n").utf8))
                }
                if let preload {
                    let names = preload.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    try await agent.preload(names)
                    say("loaded \(names.joined(separator: ", "))")
                }
                var shopper: MysteryShopper?
                if let shopInterval {
                    guard shopInterval > 0, shopInterval < 1e7 else { throw CLIError("--shop-interval must be a positive number of seconds") }
                    let buyer = try shopKey.map { try signingKey($0, home: global.home) } ?? signer
                    let node = try NodeClient(url: global.node)
                    shopper = try MysteryShopper(node: node, key: buyer, chainID: try await node.status().chainID,
                                                 walletPath: URL(fileURLWithPath: global.home).appendingPathComponent("verifier-wallet-\(shopKey ?? key).json").path,
                                                 modelsDirectory: modelsDir, deposit: try nativeAmount(shopDeposit), bond: try nativeAmount(shopBond))
                }
                say("verifier \(signer.publicKey.address) watching \(global.node)")
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await agent.run(interval: .milliseconds(intervalMs), report: say) }
                    if let shopper, let shopInterval {
                        group.addTask { await shopper.run(interval: .milliseconds(Int64(shopInterval * 1000)), report: say) }
                    }
                }
            }
        }
    }
}
