public import CairnPrimitives
public import CairnLedger
public import CairnBank
public import CairnGovernance
import Synchronization

/// Staking as governance sees it, with operators and delegations a test sets directly.
public final class FakeStake: GovStake {
    struct Book {
        var operators: [Address: VotingOperator] = [:]
        var delegations: [Address: [Address: UInt128]] = [:]
    }

    private let book = Mutex(Book())

    public init() {}

    /// Registers or replaces an operator.
    public func setOperator(_ op: VotingOperator) {
        book.withLock { $0.operators[op.address] = op }
    }

    /// Sets `delegator`'s shares of `operator` (0 removes the delegation).
    public func setDelegation(_ delegator: Address, to operator: Address, shares: UInt128) {
        book.withLock { b in
            if shares == 0 { b.delegations[delegator]?[`operator`] = nil } else { b.delegations[delegator, default: [:]][`operator`] = shares }
        }
    }

    /// An operator with `tokens` and `shares`, its own delegation `selfShares`, and the given delegators.
    public func addOperator(_ address: Address, isValidator: Bool = true, tokens: Amount, shares: UInt128,
                            selfShares: UInt128, delegators: [(Address, UInt128)] = [], jailed: Bool = false) {
        setOperator(VotingOperator(address: address, isValidator: isValidator, tokens: tokens, shares: shares, jailed: jailed))
        setDelegation(address, to: address, shares: selfShares)
        for (d, s) in delegators { setDelegation(d, to: address, shares: s) }
    }

    public func votingOperators(state: any StateReader) throws -> [VotingOperator] {
        book.withLock { $0.operators.values.sorted { $0.address < $1.address } }
    }

    public func delegations(of voter: Address, state: any StateReader) throws -> [(operator: Address, shares: UInt128)] {
        book.withLock { b in
            (b.delegations[voter] ?? [:]).map { (operator: $0.key, shares: $0.value) }.sorted { $0.operator < $1.operator }
        }
    }
}
