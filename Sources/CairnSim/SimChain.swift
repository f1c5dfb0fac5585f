import CairnPrimitives
import CairnLedger
import CairnBank
import CairnStaking
import CairnApp
import Foundation
import CairnGovernance
import CairnModels
import CairnMarket
import CairnExchange

/// A simulated account: a key the simulator holds and signs with.
struct SimAccount: Sendable {
    let name: String
    let key: PrivateKey
    let address: Address

    init(_ name: String) {
        self.name = name
        key = PrivateKey.deterministic("cairn-sim/\(name)")
        address = key.publicKey.address
    }
}

/// What a submitted transaction came to.
struct TxOutcome {
    let tag: String
    /// The receipt when it was included (it may have failed: `receipt.success`).
    let receipt: Receipt?
    /// Why it was not included.
    let dropped: LedgerError?

    var succeeded: Bool { receipt?.success == true }
}

/// The node's ledger over an in-memory store, block after block, with real signed transactions and the
/// simulator's checks after every block: supply conservation per denomination, the EIP-1559 base fee against its
/// rule, and each block's emission against the schedule's closed form.
final class SimChain {
    let ledger = LedgerWiring.makeLedger()
    let store = SimStore()
    let chainID = "cairn-sim"
    let bank = LedgerWiring.bank
    private(set) var height: UInt64 = 0
    private(set) var time: UInt64
    let intervalMs: UInt64
    let chainParams: ChainParams
    let stakingParams: StakingParams
    private var nonces: [Address: UInt64] = [:]
    private var pending: [(tx: Transaction, tag: String)] = []
    private(set) var checks = SimChecks()
    /// Σ balances per denomination, kept up to date from each block's writes.
    private var balanceSums: [String: UInt128] = [:]
    private var expectedBaseFee: UInt128
    /// Base-fee burns of the last block and every block's emission, for the day's figures.
    private(set) var lastBlockFeeBurn: UInt128 = 0
    private(set) var lastBlockEmission: UInt128 = 0

    init(genesis: Genesis, intervalSeconds: UInt64, stakingParams: StakingParams) throws {
        time = genesis.genesisTime
        intervalMs = intervalSeconds * 1_000
        chainParams = genesis.params
        self.stakingParams = stakingParams
        let execution = try ledger.initGenesis(genesis)
        store.apply(execution.state.changes)
        expectedBaseFee = genesis.params.initialBaseFee.value
        for entry in try store.scan(prefix: BankKeys.allBalancesPrefix) {
            let denom = String(decoding: entry.key[(BankKeys.allBalancesPrefix.count + 21)...], as: UTF8.self)
            balanceSums[denom, default: 0] &+= try Self.amount(entry.value)
        }
        try fullAudit()
    }

    /// Queues `messages` signed by `account` for the next block.
    func submit(_ account: SimAccount, _ messages: [any LedgerMessage], tag: String) {
        let raw = messages.map { RawMessage($0) }
        let gas = messages.reduce(UInt64(0)) { $0 + $1.gas }
        let bytes = raw.reduce(0) { $0 + $1.body.count + $1.type.utf8.count + 16 }
        let gasLimit = gas + CoreGas.base + CoreGas.perByte * UInt64(bytes + 400)
        let nonce = nonces[account.address, default: 0]
        nonces[account.address] = nonce + 1
        // As wallets do: a max fee of twice the next block's base fee (plus a margin), a tip of 1.
        let maxFee = max(20, 2 * expectedBaseFee + 10)
        let tx = TransactionBody(chainID: chainID, signer: account.key.publicKey, nonce: nonce, gasLimit: gasLimit,
                                 maxFeePerGas: Amount(maxFee), maxPriorityFeePerGas: Amount(1), messages: raw, memo: "")
            .signed(with: account.key)
        pending.append((tx, tag))
    }

    /// Executes and commits the next block with the queued transactions; returns each one's outcome in order.
    func produceBlock(proposer: Address) throws -> (outcomes: [TxOutcome], blockEvents: [Event]) {
        height += 1
        time += intervalMs
        let queued = pending
        pending = []
        let checked = queued.map { ledger.check($0.tx) }
        let supplyBefore = try bank.supply(Denom.native, state: store).value
        let execution = try ledger.executeBlock(base: store, height: height, time: time, proposer: proposer, transactions: checked,
                                                mode: .propose)
        var byHash: [Hash: Receipt] = [:]
        for r in execution.receipts { byHash[r.txHash] = r }
        var droppedByHash: [Hash: LedgerError] = [:]
        for (tx, error) in execution.dropped {
            droppedByHash[tx.hash] = error
            // Its nonce was not used: take it back so the account's next transaction is valid.
            nonces[tx.body.sender] = min(nonces[tx.body.sender, default: 0], tx.body.nonce)
        }
        let outcomes = zip(queued, checked).map { q, c in TxOutcome(tag: q.tag, receipt: byHash[c.hash], dropped: droppedByHash[c.hash]) }
        try checkBlock(execution, supplyBefore: supplyBefore)
        return (outcomes, execution.blockEvents)
    }

    // MARK: Checks

    private func checkBlock(_ execution: BlockExecution, supplyBefore: UInt128) throws {
        // Base fee: the block charged what the rule gave after the block before, and every receipt burned base fee × gas.
        let charged = execution.baseFee.value
        checks.record(.baseFee, ok: charged == expectedBaseFee, height: height, "base fee \(charged), rule gives \(expectedBaseFee)")
        var feeBurn: UInt128 = 0
        for r in execution.receipts {
            feeBurn += r.burned.value
            checks.record(.baseFee, ok: r.burned.value == charged * UInt128(r.gasUsed), height: height,
                          "receipt burned \(r.burned) for \(r.gasUsed) gas at \(charged)")
        }
        lastBlockFeeBurn = feeBurn
        expectedBaseFee = SimClosedForm.nextBaseFee(current: charged, gasUsed: execution.gasUsed, params: chainParams)

        // Emission: what staking minted against circulating × rate(year) / blocksPerYear, with circulating as staking saw
        // it: the supply before the block less everything burned up to its end-block turn (burns of the end-block hooks
        // that run after it are taken back out).
        let burnedAfter = try bank.burned(Denom.native, state: execution.state).value
        var lateBurns: UInt128 = 0
        var emitted: UInt128 = 0
        for e in execution.blockEvents {
            if e.type == "bank.burn", let amount = e["amount"], amount.hasSuffix(Denom.native) {
                lateBurns += UInt128(amount.dropLast(Denom.native.count)) ?? 0
            } else if e.type == "staking.rewards" {
                emitted = UInt128(e["emission"] ?? "") ?? 0
            }
        }
        let circulating = supplyBefore - (burnedAfter - lateBurns)
        let expected = SimClosedForm.blockEmission(height: height, circulating: circulating, params: stakingParams)
        checks.record(.emission, ok: emitted == expected, height: height, "emission \(emitted), closed form \(expected)")
        lastBlockEmission = emitted

        // Conservation: Σ balances + burned = minted for every denomination, from this block's writes alone.
        for change in execution.state.changes where change.key.starts(with: BankKeys.allBalancesPrefix) {
            let denom = String(decoding: change.key[(BankKeys.allBalancesPrefix.count + 21)...], as: UTF8.self)
            let old = try store.value(change.key).map(Self.amount) ?? 0
            let new = try change.value.map(Self.amount) ?? 0
            balanceSums[denom, default: 0] = balanceSums[denom, default: 0] &- old &+ new
        }
        store.apply(execution.state.changes)
        for (denom, held) in balanceSums.sorted(by: { $0.key < $1.key }) {
            let minted = try bank.supply(denom, state: store).value
            let burned = try bank.burned(denom, state: store).value
            checks.record(.conservation, ok: held &+ burned == minted, height: height,
                          "\(denom): balances \(held) + burned \(burned) != minted \(minted)")
        }
    }

    /// The bank's own invariant over a full scan, and the running sums against a recount (run once a simulated day).
    func fullAudit() throws {
        let violations = try bank.checkInvariants(state: store)
        checks.record(.conservation, ok: violations.isEmpty, height: height, violations.first ?? "")
        var recount: [String: UInt128] = [:]
        for entry in try store.scan(prefix: BankKeys.allBalancesPrefix) {
            let denom = String(decoding: entry.key[(BankKeys.allBalancesPrefix.count + 21)...], as: UTF8.self)
            recount[denom, default: 0] &+= try Self.amount(entry.value)
        }
        let same = recount.allSatisfy { balanceSums[$0.key, default: 0] == $0.value }
        checks.record(.conservation, ok: same, height: height, "running balance sums differ from a full recount")
    }

    static func amount(_ raw: [UInt8]) throws -> UInt128 {
        var r = CanonicalReader(raw)
        return try r.readAmount().value
    }

    /// The native balance of `address`, in ucairn.
    func cairn(_ address: Address) -> UInt128 { (try? bank.balance(of: address, denom: Denom.native, state: store).value) ?? 0 }

    /// `address`'s balance of `denom`.
    func balance(_ address: Address, _ denom: String) -> UInt128 { (try? bank.balance(of: address, denom: denom, state: store).value) ?? 0 }
}
