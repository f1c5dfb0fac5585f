import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport

/// Seeded random blocks of valid and invalid transfers among a set of accounts.
///
/// It reads each sender's next nonce from the committed state, then mixes in every way a transaction
/// can fail: overdrafts, wrong nonces, fees below the base fee, tips above the maximum, out of gas,
/// bad signatures, accounts too poor for the maximum fee, and two-message transactions.
struct RandomTraffic {
    var rng: SeededRandom
    let accounts: [DevAccount]
    let poor: DevAccount
    let recipients: [Address]

    init(seed: UInt64, accounts: [DevAccount], poor: DevAccount, validator: DevAccount) {
        rng = SeededRandom(seed: seed)
        self.accounts = accounts
        self.poor = poor
        recipients = accounts.map(\.address) + [validator.address, poor.address, DevAccount("stranger").address]
    }

    mutating func block(nonces: [Address: UInt64], baseFee: Amount) -> [Transaction] {
        var next = nonces
        return (0..<Int.random(in: 0...10, using: &rng)).map { _ in transaction(nonces: &next, baseFee: baseFee) }
    }

    mutating func transaction(nonces: inout [Address: UInt64], baseFee: Amount) -> Transaction {
        let kind = Int.random(in: 0..<100, using: &rng)
        let sender = kind < 95 ? accounts.randomElement(using: &rng)! : poor
        let to = recipients.randomElement(using: &rng)!
        var nonce = nonces[sender.address, default: 0]
        // Balances are about 10^12: a send of 10^9 at most succeeds, one above 2 * 10^12 fails.
        let amount = kind < 8 ? UInt128(rng.next()) + 2_000_000_000_000 : UInt128.random(in: 1...1_000_000_000, using: &rng)
        var maxFee = Amount(baseFee.value + UInt128.random(in: 0...20, using: &rng))
        var tip = Amount(UInt128.random(in: 0...(maxFee.value - baseFee.value + 3), using: &rng))
        var gasLimit = UInt64.random(in: 10_000...16_000, using: &rng)
        var messages = [RawMessage(MsgSend(to: to, coins: [ucairn(amount)]))]
        switch kind {
        case 8..<14: nonce = nonce == 0 || Bool.random(using: &rng) ? nonce + UInt64.random(in: 1...3, using: &rng) : nonce - 1
        case 14..<20:
            maxFee = Amount(baseFee.value - 1)
            tip = .zero
        case 20..<24: tip = Amount(maxFee.value + 1)
        case 24..<30: gasLimit = 4_500  // above the intrinsic gas, below what the send needs
        case 30..<40:
            let second = Bool.random(using: &rng) ? ucairn(1) : ucairn(3_000_000_000_000)
            messages.append(RawMessage(MsgSend(to: recipients.randomElement(using: &rng)!, coins: [second])))
        default: break
        }
        var tx = sender.transaction(messages, nonce: nonce, gasLimit: gasLimit, maxFee: maxFee, tip: tip)
        if (40..<45).contains(kind) { tx.signature[Int.random(in: 0..<64, using: &rng)] ^= 0x08 }
        if nonce == nonces[sender.address, default: 0] { nonces[sender.address] = nonce + 1 }
        return tx
    }
}
