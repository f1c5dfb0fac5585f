import ArgumentParser

/// The `cairn` command: node, devnet, keys, transactions, queries, provider, models and benchmarks.
@main
struct CairnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Cairn: an open compute network for AI with its own ledger.",
        subcommands: [
            DevnetCommand.self, TestnetCommand.self, NodeCommand.self, ConsensusCommand.self, KeysCommand.self, TxCommand.self, QueryCommand.self,
            ProviderCommand.self, GatewayCommand.self, RunCommand.self, ChatCommand.self, EmbedCommand.self, VerifyCommand.self, BenchCommand.self,
            SimCommand.self, VerifierCommand.self, TrainCommand.self, ClassifyCommand.self,
        ]
    )
}
