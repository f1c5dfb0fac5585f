import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnBank

struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tx", abstract: "Sign and send transactions.",
                                                    subcommands: [Send.self, StakingTx.self, GovTx.self, ModelsTx.self, MarketTx.self, ExchangeTx.self, VerificationTx.self, TrainTx.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send tokens to an address.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "Recipient address (cairn1...).") var to: String
        @Option(help: "Amount, e.g. 12.5cairn or 100ucairn.") var amount: String

        func run() async throws {
            try await reportingFailure {
                let recipient = try Address(bech32: to)
                let coin = try Coin(parsing: amount)
                try await tx.send([MsgSend(to: recipient, coins: [coin])], global: global)
            }
        }
    }
}

/// What every transaction command takes: the signing key, the tip, a memo, and whether to wait for the block.
struct TxOptions: ParsableArguments {
    @Option(help: "Name of the signing key.") var from: String
    @Option(help: "Tip per gas for the proposer, in ucairn.") var tip: UInt64 = 1
    @Option(help: "Memo.") var memo: String = ""
    @Flag(help: "Return once the mempool accepts it, without waiting for the block.") var noWait = false

    /// Signs `messages` with the `--from` key, submits them and (unless `--no-wait`) waits for the receipt;
    /// a failed receipt is an error naming the failing message and its `(module, code)`.
    @discardableResult
    func send(_ messages: [any LedgerMessage], global: GlobalOptions) async throws -> Receipt? {
        let key = try signingKey(from, home: global.home)
        let client = try NodeClient(url: global.node)
        let status = try await client.status()
        let account = try await client.account(key.publicKey.address)
        let builder = TxBuilder(chainID: status.chainID, tip: Amount(UInt128(tip)))
        let tx = builder.build(messages: messages, key: key, nonce: account.nonce, baseFee: status.baseFee, memo: memo)
        let hash = try await client.submit(tx)
        if noWait {
            if global.json { try printJSON(["hash": hash.hex]) } else { print("submitted \(hash)") }
            return nil
        }
        let receipt = try await client.waitForReceipt(hash)
        if global.json { try printJSON(receipt) } else {
            print("tx \(hash)\nincluded in block \(receipt.height), gas used \(receipt.gasUsed), fee \(Coin(denom: Denom.native, amount: receipt.fee)) (burned \(receipt.burned)ucairn, tip \(receipt.tip)ucairn)")
            // The fee and the transfers are in the line above or in the command itself.
            for e in receipt.events where e.type != CoreEvents.FeePaid.type && e.type != BankEvents.Transfer.type {
                print("  \(e.type): " + e.attributes.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
        }
        if let e = receipt.error {
            throw CLIError("transaction failed in message \(receipt.failedMessage.map(String.init) ?? "-"): \(e.module)/\(e.code): \(e.message)")
        }
        return receipt
    }
}
