import CairnPrimitives
import CairnLedger
import CairnStaking
import CairnApp
import CairnChain
import CairnStorage

extension Explorer {
    /// The validator set: who decides the next block, with voting power, share, proposer priority, whether each signed
    /// the head block, and its standing in staking; and the set in force after it when staking has changed it.
    func validators() throws -> Output {
        let head = try chain.head().height
        let (sets, operators) = try chain.withState { s in
            (try chain.ledger.validatorSets(state: s), try LedgerWiring.staking.operatorViews(state: s))
        }
        let byAddress = Dictionary(operators.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let headSigners = head == 0 ? [] : Set(try chain.block(at: head)?.commit.signatures.map(\.validator) ?? [])
        let nextProposer = sets.current.proposer(round: 0).address

        func rows(_ set: ValidatorSet, signed: Bool) -> [[HTML]] {
            set.validators.sorted { $0.power != $1.power ? $0.power > $1.power : $0.address < $1.address }.enumerated().map { i, v in
                let op = byAddress[v.address]
                let name = op.map { $0.moniker.isEmpty ? v.address.bech32 : $0.moniker } ?? v.address.bech32
                var standing = op.map { $0.tombstoned ? "tombstoned" : $0.jailed ? "jailed" : "bonded" } ?? "not an operator"
                if v.address == nextProposer, signed { standing += ", proposes next" }
                var row: [HTML] = [HTML(text: "\(i + 1)"), Links.account(v.address, label: name), HTML(text: Format.count(v.power)),
                                   HTML(text: Format.percent(Double(v.power) / Double(max(set.totalPower, 1)), digits: 2)),
                                   HTML(text: "\(v.proposerPriority)")]
                if signed { row.append(HTML(text: head == 0 ? "–" : headSigners.contains(v.address) ? "yes" : "no")) }
                row.append(HTML(text: standing))
                return row
            }
        }
        let facts: [(String, HTML)] = [
            ("Decides block", HTML(text: Format.count(head + 1))),
            ("Validators", HTML(text: "\(sets.current.validators.count)")),
            ("Total voting power", HTML(text: "\(Format.count(sets.current.totalPower)) (a block needs more than two thirds: \(Format.count(sets.current.totalPower * 2 / 3 + 1)))")),
            ("Proposer of round 0", Links.account(nextProposer, label: byAddress[nextProposer]?.moniker ?? nextProposer.bech32)),
            ("Set hash", "<code>\(sets.current.hash.hex)</code>"),
        ]
        var body: HTML = """
            <h1>Validators</h1>
            <p>The set that decides the next block: the bonded validators with the most stake (one unit of voting power per CAIRN, \
            up to the <code>maxValidators</code> staking parameter), jailed ones left out. A change in staking takes effect two \
            heights later. Proposers take turns by CometBFT's weighted round robin: the highest priority proposes.</p>
            \(Table.facts(facts))
            \(Table.make(["#", "Validator", "Voting power", "Share", "Proposer priority", "Signed block \(Format.count(head))", "Standing"],
                         rows(sets.current, signed: true), numeric: [0, 2, 3, 4], empty: "No validators."))
            """
        if sets.next.hash != sets.current.hash {
            body = """
                \(body)
                <h2>From block \(Format.count(head + 2))</h2>
                \(Table.make(["#", "Validator", "Voting power", "Share", "Proposer priority", "Standing"], rows(sets.next, signed: false),
                             numeric: [0, 2, 3, 4], empty: "No validators."))
                """
        }
        return .page(title: "Validators", body: body)
    }
}
