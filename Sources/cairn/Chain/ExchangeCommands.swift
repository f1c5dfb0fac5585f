import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnExchange
import Foundation

/// `cairn tx exchange ...`
struct ExchangeTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exchange", abstract: "Create pools, add and remove liquidity, swap.",
                                                    subcommands: [CreatePool.self, AddLiquidity.self, RemoveLiquidity.self, Swap.self])

    /// A deadline: the one given, else 100 blocks past the head (about 100 s at the default block time).
    static func deadline(_ given: UInt64?, global: GlobalOptions) async throws -> UInt64 {
        if let given { return given }
        return try await NodeClient(url: global.node).status().height + 100
    }

    static func coin(_ text: String, _ flag: String) throws -> Coin {
        do { return try Coin(parsing: text) } catch { throw CLIError("\(flag): \(error)") }
    }

    /// The pool's record, read from the node.
    static func pool(_ id: UInt64, global: GlobalOptions) async throws -> PoolView {
        do { return try await NodeClient(url: global.node).get("/v1/exchange/pools/\(id)", as: PoolView.self) } catch {
            throw CLIError("cannot read pool \(id): \(error)")
        }
    }

    /// `coins` as the pool's (amount0, amount1); each must be one of the pool's denominations, once.
    static func amounts(_ coins: [Coin], in pool: PoolView) throws -> (Amount, Amount) {
        guard coins.count == 2, Set(coins.map(\.denom)) == [pool.denom0, pool.denom1] else {
            throw CLIError("pool \(pool.id) trades \(pool.denom0) and \(pool.denom1): give an amount of each")
        }
        let a0 = coins.first { $0.denom == pool.denom0 }!.amount, a1 = coins.first { $0.denom == pool.denom1 }!.amount
        return (a0, a1)
    }

    struct CreatePool: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-pool", abstract: "Create a pool of two denominations with its first liquidity, e.g. 1000cairn 2000000000uusdc.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "The first deposit of one denomination.") var first: String
        @Argument(help: "The first deposit of the other.") var second: String

        func run() async throws {
            try await reportingFailure {
                let a = try ExchangeTx.coin(first, "first amount"), b = try ExchangeTx.coin(second, "second amount")
                try await tx.send([MsgCreatePool(denomA: a.denom, amountA: a.amount, denomB: b.denom, amountB: b.amount)], global: global)
            }
        }
    }

    struct AddLiquidity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-liquidity", abstract: "Deposit at most these amounts into a pool, at its ratio, for its shares.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Pool id.") var pool: UInt64
        @Argument(help: "The most of one denomination to put in, e.g. 100cairn.") var first: String
        @Argument(help: "The most of the other.") var second: String
        @Option(help: "Fail unless at least this many shares are minted.") var minShares: String = "1"
        @Option(help: "Last height the deposit may execute in (default: 100 blocks from now).") var deadline: UInt64?

        func run() async throws {
            try await reportingFailure {
                let view = try await ExchangeTx.pool(pool, global: global)
                let (a0, a1) = try ExchangeTx.amounts([try ExchangeTx.coin(first, "first amount"), try ExchangeTx.coin(second, "second amount")],
                                                      in: view)
                guard let min = Amount(decimal: minShares) else { throw CLIError("--min-shares must be a whole number of shares") }
                try await tx.send([MsgAddLiquidity(poolID: pool, amount0: a0, amount1: a1, minShares: min,
                                                   deadline: try await ExchangeTx.deadline(deadline, global: global))], global: global)
            }
        }
    }

    struct RemoveLiquidity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-liquidity", abstract: "Burn pool shares for their part of both reserves.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Pool id.") var pool: UInt64
        @Option(help: "Shares to burn (base units of pool/ID).") var shares: String
        @Option(help: "Fail unless at least this much of each comes out, e.g. --min 90cairn --min 180uusdc.") var min: [String] = []
        @Option(help: "Last height the exit may execute in (default: 100 blocks from now).") var deadline: UInt64?

        func run() async throws {
            try await reportingFailure {
                guard let s = Amount(decimal: shares) else { throw CLIError("--shares must be a whole number of shares") }
                let view = try await ExchangeTx.pool(pool, global: global)
                var min0 = Amount.zero, min1 = Amount.zero
                for text in min {
                    let c = try ExchangeTx.coin(text, "--min")
                    if c.denom == view.denom0 { min0 = c.amount } else if c.denom == view.denom1 { min1 = c.amount } else {
                        throw CLIError("--min \(text): pool \(pool) trades \(view.denom0) and \(view.denom1)")
                    }
                }
                try await tx.send([MsgRemoveLiquidity(poolID: pool, shares: s, minAmount0: min0, minAmount1: min1,
                                                      deadline: try await ExchangeTx.deadline(deadline, global: global))], global: global)
            }
        }
    }

    struct Swap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Swap through a pool: exactly --in with at least --min-out, or exactly --out with at most --max-in.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Pool id.") var pool: UInt64
        @Option(name: .customLong("in"), help: "Exactly this goes in, e.g. 10cairn.") var amountIn: String?
        @Option(help: "With --in: fail unless at least this comes out, e.g. 19uusdc (default: anything above zero).") var minOut: String?
        @Option(name: .customLong("out"), help: "Exactly this comes out, e.g. 20uusdc.") var amountOut: String?
        @Option(help: "With --out: fail unless at most this goes in, e.g. 11cairn (required with --out).") var maxIn: String?
        @Option(help: "Last height the swap may execute in (default: 100 blocks from now).") var deadline: UInt64?

        func run() async throws {
            try await reportingFailure {
                let view = try await ExchangeTx.pool(pool, global: global)
                func other(_ denom: String) throws -> String {
                    guard denom == view.denom0 || denom == view.denom1 else {
                        throw CLIError("pool \(pool) trades \(view.denom0) and \(view.denom1), not \(denom)")
                    }
                    return denom == view.denom0 ? view.denom1 : view.denom0
                }
                let denomIn: String, trade: Pool.Trade
                switch (amountIn, amountOut) {
                case let (text?, nil):
                    let c = try ExchangeTx.coin(text, "--in")
                    let out = try other(c.denom)
                    var minimum = Amount(1)
                    if let minOut {
                        let m = try ExchangeTx.coin(minOut, "--min-out")
                        guard m.denom == out else { throw CLIError("--min-out must be in \(out)") }
                        minimum = m.amount
                    }
                    guard maxIn == nil else { throw CLIError("--max-in goes with --out") }
                    (denomIn, trade) = (c.denom, .exactIn(amount: c.amount.value, minOut: minimum.value))
                case let (nil, text?):
                    let c = try ExchangeTx.coin(text, "--out")
                    let inDenom = try other(c.denom)
                    guard let maxIn else { throw CLIError("--out needs --max-in, the most you will pay") }
                    let m = try ExchangeTx.coin(maxIn, "--max-in")
                    guard m.denom == inDenom else { throw CLIError("--max-in must be in \(inDenom)") }
                    guard minOut == nil else { throw CLIError("--min-out goes with --in") }
                    (denomIn, trade) = (inDenom, .exactOut(amount: c.amount.value, maxIn: m.amount.value))
                default:
                    throw CLIError("give exactly one of --in and --out")
                }
                try await tx.send([MsgSwap(poolID: pool, denomIn: denomIn, trade: trade, deadline: try await ExchangeTx.deadline(deadline, global: global))],
                                  global: global)
            }
        }
    }
}

/// `cairn query exchange ...`
struct ExchangeQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exchange", abstract: "Pools, their reserves and prices.",
                                                    subcommands: [Pools.self, PoolDetail.self])

    struct Pools: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every pool, and what the buybacks burned.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/exchange/pools")) }
        }
    }

    struct PoolDetail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pool", abstract: "One pool: reserves, shares, spot and average prices.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Pool id.") var id: UInt64
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/exchange/pools/\(id)")) }
        }
    }
}
