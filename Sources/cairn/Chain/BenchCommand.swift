import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks that print figures.",
                                                    subcommands: [BenchLedgerCommand.self, BenchConsensusCommand.self, BenchInferenceCommand.self, BenchGatewayCommand.self, BenchTransfersCommand.self, BenchVerificationCommand.self])
}
