import Testing
import CairnPrimitives
import CairnGovernance

@Test func votingOperatorKeepsWhatItIsGiven() {
    let a = Address(bytes: [UInt8](repeating: 7, count: 20))!
    let op = VotingOperator(address: a, isValidator: true, tokens: 10, shares: 10, jailed: false)
    #expect(op.tokens == 10 && op.address == a)
}
