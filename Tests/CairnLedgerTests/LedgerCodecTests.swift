import CairnBank
import CairnLedger
import CairnPrimitives
import CairnTestSupport
import Foundation
import Testing

/// Random ledger values for codec tests.
struct LedgerSamples {
    var rng: SeededRandom

    mutating func address() -> Address { Address(bytes: rng.bytes(20))! }
    mutating func hash() -> Hash { Hash(bytes: rng.bytes(32))! }
    mutating func amount() -> Amount { Amount(UInt128(rng.next()) << UInt128(Int.random(in: 0...64, using: &rng))) }

    mutating func transaction() -> Transaction {
        let signer = DevAccount("codec-\(Int.random(in: 0..<4, using: &rng))")
        let messages = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            RawMessage(MsgSend(to: address(), coins: [Coin(denom: "ucairn", amount: amount())]))
        }
        return signer.transaction(messages, nonce: rng.next(), chainID: "c-\(rng.next() % 100)", gasLimit: rng.next(),
                                  maxFee: amount(), tip: amount(), memo: String(repeating: "é", count: Int.random(in: 0...5, using: &rng)))
    }

    mutating func receipt() -> Receipt {
        let failed = Bool.random(using: &rng)
        let events = (0..<Int.random(in: 0...3, using: &rng)).map { i in
            Event(type: "bank.transfer", [("n", "\(i)"), ("to", address().bech32)])
        }
        return Receipt(txHash: hash(), height: rng.next(), index: UInt32.random(in: 0...9, using: &rng), success: !failed,
                       gasUsed: rng.next(), fee: amount(), burned: amount(), tip: amount(),
                       failedMessage: failed ? UInt32.random(in: 0...3, using: &rng) : nil,
                       error: failed ? BankError.insufficientFunds("ucairn", have: "1", need: "2") : nil, events: events)
    }

    mutating func header() -> BlockHeader {
        BlockHeader(chainID: "chain-\(rng.next() % 1000)", height: rng.next(), time: rng.next(), previousHash: hash(), txRoot: hash(),
                    stateRoot: hash(), receiptRoot: hash(), baseFee: amount(), gasUsed: rng.next(), proposer: address(),
                    validatorsHash: hash(), nextValidatorsHash: hash(), lastCommitHash: hash(), evidenceHash: hash())
    }
}

/// Feeds random and mutated bytes to a decoder: it must decode or throw `DecodeError`, never crash,
/// and whatever it decodes must encode back to the same bytes (the encoding is canonical).
func fuzz<T: CanonicalCodable>(_ type: T.Type, seed: UInt64, valid: (inout LedgerSamples) -> T) -> Int {
    var samples = LedgerSamples(rng: SeededRandom(seed: seed))
    var decoded = 0
    for round in 0..<1_500 {
        var bytes: [UInt8]
        if round % 3 == 0 {
            bytes = samples.rng.bytes(Int.random(in: 0...300, using: &samples.rng))
        } else {
            bytes = valid(&samples).canonicalBytes
            switch Int.random(in: 0..<4, using: &samples.rng) {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &samples.rng)))
            case 1: bytes += samples.rng.bytes(Int.random(in: 1...8, using: &samples.rng))
            default:
                for _ in 0..<Int.random(in: 1...3, using: &samples.rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &samples.rng)] = UInt8.random(in: 0...255, using: &samples.rng)
                }
            }
        }
        if let value = try? T(canonicalBytes: bytes) {
            #expect(value.canonicalBytes == bytes)
            decoded += 1
        }
    }
    return decoded
}

@Suite struct LedgerCodecTests {
    @Test func transactionsReceiptsAndHeadersRoundTrip() throws {
        var s = LedgerSamples(rng: SeededRandom(seed: 0x1ED6))
        for _ in 0..<100 {
            let tx = s.transaction()
            let decoded = try Transaction(canonicalBytes: tx.canonicalBytes)
            #expect(decoded == tx)
            #expect(decoded.hash == tx.hash)
            #expect(decoded.hasValidSignature)
            let receipt = s.receipt()
            #expect(try Receipt(canonicalBytes: receipt.canonicalBytes) == receipt)
            #expect(try JSONDecoder().decode(Receipt.self, from: JSONEncoder().encode(receipt)) == receipt)
            let header = s.header()
            #expect(try BlockHeader(canonicalBytes: header.canonicalBytes) == header)
            #expect(try JSONDecoder().decode(BlockHeader.self, from: JSONEncoder().encode(header)) == header)
        }
    }

    @Test func truncatedTransactionsThrowDecodeError() {
        var s = LedgerSamples(rng: SeededRandom(seed: 5))
        let bytes = s.transaction().canonicalBytes
        for n in 0..<bytes.count {
            #expect(throws: DecodeError.self) { try Transaction(canonicalBytes: Array(bytes.prefix(n))) }
        }
        #expect(throws: DecodeError.self) { try Transaction(canonicalBytes: bytes + [0]) }
    }

    @Test func randomBytesNeverCrashTheTransactionDecoder() {
        #expect(fuzz(Transaction.self, seed: 1) { $0.transaction() } > 0)
    }

    @Test func randomBytesNeverCrashTheReceiptDecoder() {
        #expect(fuzz(Receipt.self, seed: 2) { $0.receipt() } > 0)
    }

    @Test func randomBytesNeverCrashTheHeaderDecoder() {
        #expect(fuzz(BlockHeader.self, seed: 3) { $0.header() } > 0)
    }

    @Test func randomBytesNeverCrashTheMessageAndCommitDecoders() {
        #expect(fuzz(MsgSend.self, seed: 4) { MsgSend(to: $0.address(), coins: [Coin(denom: "ucairn", amount: $0.amount())]) } > 0)
        #expect(fuzz(CommitCertificate.self, seed: 6) { s in
            CommitCertificate(height: s.rng.next(), round: UInt32(truncatingIfNeeded: s.rng.next()), blockHash: s.hash(),
                              signatures: [.init(validator: s.address(), signature: s.rng.bytes(64))])
        } > 0)
        #expect(fuzz(DuplicateVoteEvidence.self, seed: 7) { s in
            let key = DevAccount("v").key
            let votes = [s.hash(), s.hash()].map { Vote(type: .prevote, height: 3, round: 1, blockHash: $0, validator: key.publicKey.address).signed(by: key, chainID: "c") }
            return DuplicateVoteEvidence(votes[0], votes[1])!
        } > 0)
    }

    @Test func aSignerThatIsNotAValidKeyIsADecodeError() {
        var s = LedgerSamples(rng: SeededRandom(seed: 8))
        var bytes = s.transaction().canonicalBytes
        // chain id: 4-byte length + text; then the signer's 4-byte length: claim 31 bytes.
        let chainLength = Int(bytes[3])
        bytes[4 + chainLength + 3] = 31
        #expect(throws: DecodeError.self) { try Transaction(canonicalBytes: bytes) }
    }
}
