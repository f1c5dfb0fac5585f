import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "Read from a node.",
                                                    subcommands: [Account.self, Block.self, Tx.self, Status.self, StakingQuery.self, GovQuery.self, ModelsQuery.self, MarketQuery.self, ExchangeQuery.self, VerificationQuery.self, TrainQuery.self,
                                                                  Treasury.self, DecentralizationQuery.self])

    struct Account: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Balances and nonce of an address.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Address (cairn1...).") var address: String
        @Flag(help: "Fetch a Merkle proof and verify it against the block header's state root.") var prove = false

        func run() async throws {
            try await reportingFailure {
                let a = try Address(bech32: address)
                let client = try NodeClient(url: global.node)
                let view = try await client.account(a, prove: prove)
                var verified: String? = nil
                if prove, let proof = view.proof {
                    let header = try await client.block(proof.height).header
                    switch AccountProofCheck.verify(view, stateRoot: header.stateRoot) {
                    case let .success(n):
                        verified = "proof verified: \(n) state entries under the state root \(header.stateRoot) of block \(proof.height)"
                    case let .failure(e):
                        throw CLIError("proof verification FAILED: \(e.message)")
                    }
                }
                if global.json { try printJSON(view); return }
                print("address: \(view.address)\nnonce: \(view.nonce)\nbalances:")
                if view.balances.isEmpty { print("  (none)") }
                for c in view.balances { print("  \(c)\(c.denom == Denom.native ? " (\(c.amount)ucairn)" : "")") }
                if let verified { print(verified) }
            }
        }
    }

    struct Block: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A block by height, or the latest.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "'latest' or a height.") var height: String = "latest"

        func run() async throws {
            try await reportingFailure {
                let h: UInt64?
                if height == "latest" { h = nil } else {
                    guard let v = UInt64(height) else { throw CLIError("'\(height)' is not a height or 'latest'") }
                    h = v
                }
                let b = try await NodeClient(url: global.node).block(h)
                if global.json { try printJSON(b); return }
                print("""
                height: \(b.header.height)
                hash: \(b.hash)
                time: \(b.header.time)
                previous: \(b.header.previousHash)
                state root: \(b.header.stateRoot)
                tx root: \(b.header.txRoot)
                base fee: \(b.header.baseFee)ucairn/gas, gas used: \(b.header.gasUsed)
                proposer: \(b.header.proposer)
                transactions: \(b.transactions.count)
                """)
                for t in b.transactions { print("  \(t)") }
            }
        }
    }

    struct Tx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A committed transaction with its receipt.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Transaction hash.") var hash: String

        func run() async throws {
            try await reportingFailure {
                guard let h = Hash(hex: hash) else { throw CLIError("'\(hash)' is not a transaction hash (64 hex characters)") }
                try printJSON(try await NodeClient(url: global.node).transaction(h))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The node's chain, head and base fee.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingFailure {
                let s = try await NodeClient(url: global.node).status()
                if global.json { try printJSON(s); return }
                print("chain: \(s.chainID)\nheight: \(s.height)\nhead: \(s.latestBlockHash)\nstate root: \(s.stateRoot)\nbase fee: \(s.baseFee)ucairn/gas\nmempool: \(s.mempoolSize)")
            }
        }
    }

    struct Treasury: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The community treasury's address and balance.")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/treasury")) } }
    }
}
