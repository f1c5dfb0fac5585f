import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnGovernance
import Foundation

/// `cairn tx gov ...`
struct GovTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gov", abstract: "Submit proposals, deposit on them, vote.",
                                                    subcommands: [SubmitProposal.self, Deposit.self, Vote.self])

    struct SubmitProposal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a proposal: text (the default), a parameter change (--param, repeatable) or a treasury spend (--spend-to with --spend-amount).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "Title (1 to 140 bytes).") var title: String
        @Option(help: "Description.") var description: String = ""
        @Option(help: "A parameter change MODULE.KEY=JSON, e.g. ledger.blockGasLimit=80000000 (repeatable).") var param: [String] = []
        @Option(help: "Recipient of a treasury spend.") var spendTo: String?
        @Option(help: "Amount of a treasury spend, e.g. 100cairn.") var spendAmount: String?
        @Option(help: "Initial deposit, e.g. 10cairn.") var deposit: String = "0ucairn"

        func run() async throws {
            try await reportingFailure {
                let content: ProposalContent
                if !param.isEmpty {
                    guard spendTo == nil else { throw CLIError("a proposal is a parameter change or a treasury spend, not both") }
                    content = .parameterChange(try param.map(parseChange))
                } else if let spendTo {
                    guard let spendAmount else { throw CLIError("--spend-to needs --spend-amount") }
                    content = .treasurySpend(recipient: try Address(bech32: spendTo), amount: try nativeAmount(spendAmount))
                } else {
                    content = .text
                }
                let coin = try Coin(parsing: deposit)
                guard coin.denom == Denom.native else { throw CLIError("--deposit must be in cairn or ucairn") }
                try await tx.send([MsgSubmitProposal(title: title, description: description, content: content, initialDeposit: coin.amount)],
                                  global: global)
            }
        }

        func parseChange(_ text: String) throws -> ParameterChange {
            guard let eq = text.firstIndex(of: "="), let dot = text[..<eq].firstIndex(of: ".") else {
                throw CLIError("--param must look like MODULE.KEY=JSON, got '\(text)'")
            }
            let module = String(text[..<dot]), key = String(text[text.index(after: dot)..<eq])
            let raw = String(text[text.index(after: eq)...])
            let value: JSONValue
            if let parsed = try? JSONValue(parsing: raw) { value = parsed } else { value = .string(raw) }
            return ParameterChange(module: module, key: key, value: value)
        }
    }

    struct Deposit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add to a proposal's deposit during its deposit period.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Proposal id.") var id: UInt64
        @Option(help: "Amount, e.g. 10cairn.") var amount: String

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgDeposit(proposalID: id, amount: try nativeAmount(amount))], global: global) }
        }
    }

    struct Vote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Vote yes, no, abstain or no_with_veto; a later vote replaces an earlier one.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Proposal id.") var id: UInt64
        @Argument(help: "yes, no, abstain or no_with_veto.") var option: String

        func run() async throws {
            try await reportingFailure {
                guard let o = VoteOption.allCases.first(where: { $0.name == option.replacingOccurrences(of: "-", with: "_") }) else {
                    throw CLIError("vote option must be yes, no, abstain or no_with_veto, got '\(option)'")
                }
                try await tx.send([MsgVote(proposalID: id, option: o)], global: global)
            }
        }
    }
}

/// `cairn query gov ...`
struct GovQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gov", abstract: "Proposals and their tallies.",
                                                    subcommands: [Proposals.self, ProposalDetail.self, Tally.self])

    struct Proposals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Proposals, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "At most this many.") var limit: Int = 50
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/gov/proposals?limit=\(limit)")) }
        }
    }

    struct ProposalDetail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "proposal", abstract: "One proposal with its tally, votes and deposits.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Proposal id.") var id: UInt64
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/gov/proposals/\(id)")) }
        }
    }

    struct Tally: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A proposal's tally: live while voting, final after.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Proposal id.") var id: UInt64
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/gov/proposals/\(id)/tally")) }
        }
    }
}

/// `cairn query decentralization`
struct DecentralizationQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decentralization",
        abstract: "Nakamoto coefficients, Gini and top-10 share of bonded stake and of voting power, for validators and providers.")
    @OptionGroup var global: GlobalOptions
    func run() async throws {
        try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/decentralization")) }
    }
}
