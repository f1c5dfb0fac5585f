import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnStaking

/// `cairn tx staking ...`
struct StakingTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staking", abstract: "Register operators, delegate, undelegate, redelegate, withdraw rewards.",
        subcommands: [CreateValidator.self, CreateProvider.self, Delegate.self, Undelegate.self, Redelegate.self,
                      WithdrawRewards.self, Unjail.self])

    struct OperatorOptions: ParsableArguments {
        @Option(help: "Display name (1 to 64 bytes).") var moniker: String
        @Option(help: "Commission on rewards, in percent (e.g. 5 or 12.5).") var commission: String = "10"
        @Option(help: "Self-bond, e.g. 1000cairn.") var selfBond: String

        func spec(key: PrivateKey) throws -> OperatorSpec {
            guard let percent = Double(commission), (0...100).contains(percent) else {
                throw CLIError("--commission must be a percentage from 0 to 100, got '\(commission)'")
            }
            return OperatorSpec(moniker: moniker, commissionBps: UInt32((percent * 100).rounded()), publicKey: key.publicKey,
                                selfBond: try nativeAmount(selfBond))
        }
    }

    struct CreateValidator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register the --from key as a validator with a self-bond.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @OptionGroup var op: OperatorOptions

        func run() async throws {
            try await reportingFailure {
                let key = try signingKey(tx.from, home: global.home)
                try await tx.send([MsgCreateValidator(try op.spec(key: key))], global: global)
            }
        }
    }

    struct CreateProvider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register the --from key as a provider with a self-bond.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @OptionGroup var op: OperatorOptions

        func run() async throws {
            try await reportingFailure {
                let key = try signingKey(tx.from, home: global.home)
                try await tx.send([MsgCreateProvider(try op.spec(key: key))], global: global)
            }
        }
    }

    /// The operator and amount of a delegate or undelegate.
    struct OperatorAmount: ParsableArguments {
        @Option(name: .customLong("operator"), help: "Operator address (cairn1...).") var op: String
        @Option(help: "Amount, e.g. 100cairn.") var amount: String

        func message<M: OperatorAmountMessage>(_ type: M.Type) throws -> M {
            M(operator: try Address(bech32: op), amount: try nativeAmount(amount))
        }
    }

    struct Delegate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bond tokens behind an operator.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @OptionGroup var stake: OperatorAmount

        func run() async throws {
            try await reportingFailure { try await tx.send([try stake.message(MsgDelegate.self)], global: global) }
        }
    }

    struct Undelegate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start unbonding stake; it is paid out after the unbonding period.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @OptionGroup var stake: OperatorAmount

        func run() async throws {
            try await reportingFailure { try await tx.send([try stake.message(MsgUndelegate.self)], global: global) }
        }
    }

    struct Redelegate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move stake from one operator to another at once.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "Operator the stake leaves.") var source: String
        @Option(help: "Operator the stake moves to.") var destination: String
        @Option(help: "Amount, e.g. 100cairn.") var amount: String

        func run() async throws {
            try await reportingFailure {
                try await tx.send([MsgRedelegate(source: try Address(bech32: source), destination: try Address(bech32: destination),
                                                 amount: try nativeAmount(amount))], global: global)
            }
        }
    }

    struct WithdrawRewards: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw rewards from an operator (and its commission, for the operator itself).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(name: .customLong("operator"), help: "Operator address (cairn1...).") var op: String

        func run() async throws {
            try await reportingFailure {
                try await tx.send([MsgWithdrawRewards(operator: try Address(bech32: op))], global: global)
            }
        }
    }

    struct Unjail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return the --from operator to the active set after its jail time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions

        func run() async throws {
            try await reportingFailure { try await tx.send([MsgUnjail()], global: global) }
        }
    }
}

/// An amount of the native token: `12.5cairn` or `100ucairn`.
func nativeAmount(_ text: String) throws -> Amount {
    let coin = try Coin(parsing: text)
    guard coin.denom == Denom.native else { throw CLIError("amount must be in cairn or ucairn, got '\(text)'") }
    guard coin.amount > .zero else { throw CLIError("amount must be above zero") }
    return coin.amount
}

/// `cairn query staking ...`
struct StakingQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "staking", abstract: "Operators, delegations, parameters.",
                                                    subcommands: [Operators.self, Operator.self, Delegations.self, Params.self])

    struct Operators: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every operator and the staking pools.")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/staking/operators")) } }
    }

    struct Operator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One operator.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Operator address (cairn1...).") var address: String
        func run() async throws {
            try await reportingFailure {
                let a = try Address(bech32: address)
                try printJSON(try await NodeClient(url: global.node).get("/v1/staking/operators/\(a.bech32)"))
            }
        }
    }

    struct Delegations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An address's delegations, rewards and unbonding stake.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Delegator address (cairn1...).") var address: String
        func run() async throws {
            try await reportingFailure {
                let a = try Address(bech32: address)
                try printJSON(try await NodeClient(url: global.node).get("/v1/staking/delegations/\(a.bech32)"))
            }
        }
    }

    struct Params: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A module's parameters (staking by default; also ledger, gov).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Module name.") var module: String = "staking"
        func run() async throws {
            try await reportingFailure {
                guard module.allSatisfy({ $0.isLetter || $0 == "_" }) else { throw CLIError("'\(module)' is not a module name") }
                try printJSON(try await NodeClient(url: global.node).get("/v1/params/\(module)"))
            }
        }
    }
}
