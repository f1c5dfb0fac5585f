import CairnPrimitives
import CairnTestSupport
import Testing

@Suite struct SignatureTests {
    let key = PrivateKey.deterministic("signature-tests")
    let payload: [UInt8] = Array("pay 5 ucairn".utf8)

    @Test(arguments: SigningDomain.allCases)
    func aSignatureVerifiesOnlyInItsOwnDomain(domain: SigningDomain) {
        let signature = key.sign(domain: domain, chainID: "chain-a", payload: payload)
        for other in SigningDomain.allCases {
            #expect(key.publicKey.isValidSignature(signature, domain: other, chainID: "chain-a", payload: payload) == (other == domain),
                    "signed as \(domain), checked as \(other)")
        }
    }

    @Test func aBlockSignatureDoesNotVerifyAsATransaction() {
        let signature = key.sign(domain: .block, chainID: "chain-a", payload: payload)
        #expect(key.publicKey.isValidSignature(signature, domain: .block, chainID: "chain-a", payload: payload))
        #expect(!key.publicKey.isValidSignature(signature, domain: .transaction, chainID: "chain-a", payload: payload))
    }

    @Test func aSignatureForOneChainDoesNotVerifyForAnother() {
        let signature = key.sign(domain: .transaction, chainID: "chain-a", payload: payload)
        #expect(key.publicKey.isValidSignature(signature, domain: .transaction, chainID: "chain-a", payload: payload))
        for other in ["chain-b", "chain-", "chain-aa", ""] {
            #expect(!key.publicKey.isValidSignature(signature, domain: .transaction, chainID: other, payload: payload))
        }
    }

    @Test func signingBytesAreLengthPrefixedSoFieldsCannotBeShifted() {
        // Without length prefixes, ("ab", "c") and ("a", "bc") would sign the same bytes.
        let a = SigningDomain.transaction.signingBytes(chainID: "ab", payload: Array("c".utf8))
        let b = SigningDomain.transaction.signingBytes(chainID: "a", payload: Array("bc".utf8))
        #expect(a != b)
    }

    @Test func anyChangeToThePayloadOrSignatureInvalidatesIt() {
        let signature = key.sign(domain: .vote, chainID: "c", payload: payload)
        for i in payload.indices {
            var changed = payload
            changed[i] ^= 1
            #expect(!key.publicKey.isValidSignature(signature, domain: .vote, chainID: "c", payload: changed))
        }
        for i in stride(from: 0, to: 64, by: 7) {
            var changed = signature
            changed[i] ^= 0x10
            #expect(!key.publicKey.isValidSignature(changed, domain: .vote, chainID: "c", payload: payload))
        }
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), domain: .vote, chainID: "c", payload: payload))
        #expect(!key.publicKey.isValidSignature([], domain: .vote, chainID: "c", payload: payload))
    }

    @Test func anotherKeysSignatureDoesNotVerify() {
        let other = PrivateKey.deterministic("someone-else")
        let signature = other.sign(domain: .transaction, chainID: "c", payload: payload)
        #expect(!key.publicKey.isValidSignature(signature, domain: .transaction, chainID: "c", payload: payload))
    }

    @Test func keysFromTheSameSeedAreTheSameKey() throws {
        let restored = try PrivateKey(seed: key.seed)
        #expect(restored.publicKey == key.publicKey)
        #expect(PrivateKey.deterministic("signature-tests").publicKey == key.publicKey)
        #expect(PrivateKey.deterministic("other").publicKey != key.publicKey)
        #expect(throws: KeyError.self) { try PrivateKey(seed: [1, 2, 3]) }
        #expect(PublicKey(rawRepresentation: key.publicKey.rawRepresentation) == key.publicKey)
        #expect(PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 31)) == nil)
    }
}
