public import CairnPrimitives
public import CairnLedger

/// State layout of the verification module (prefix `verification`):
/// - `verification/params`: `VerificationParams`
/// - `verification/verifier/<address>`: `VerifierRecord`
/// - `verification/next-challenge`: the id the next challenge gets (8 bytes BE; absent means 1)
/// - `verification/challenge/<id>`: `Challenge`
/// - `verification/open/<id>`: one byte (1); the challenges not yet decided, for the end of each block
/// - `verification/pending/<provider>/<id>`: one byte (1); the undecided challenges against each provider
/// - `verification/receipt/<receipt hash>`: the id of the challenge of that receipt (8 bytes BE)
/// - `verification/reputation/<provider>`: `Reputation`
/// - `verification/check/<receipt hash>`: the reporter of a check of that receipt (20 bytes)
public enum VerificationKeys {
    public static let module = "verification"
    public static let params = StateKey.make(module, "params")
    static let verifierPrefix = StateKey.make(module, "verifier") + [UInt8(ascii: "/")]
    static let nextChallenge = StateKey.make(module, "next-challenge")
    static let challengePrefix = StateKey.make(module, "challenge") + [UInt8(ascii: "/")]
    static let openPrefix = StateKey.make(module, "open") + [UInt8(ascii: "/")]
    static let pendingPrefix = StateKey.make(module, "pending") + [UInt8(ascii: "/")]
    static let receiptPrefix = StateKey.make(module, "receipt") + [UInt8(ascii: "/")]
    static let reputationPrefix = StateKey.make(module, "reputation") + [UInt8(ascii: "/")]
    static let checkPrefix = StateKey.make(module, "check") + [UInt8(ascii: "/")]

    static func verifier(_ a: Address) -> [UInt8] { verifierPrefix + a.bytes }
    static func challenge(_ id: UInt64) -> [UInt8] { challengePrefix + StateKey.bigEndian(id) }
    static func open(_ id: UInt64) -> [UInt8] { openPrefix + StateKey.bigEndian(id) }
    static func pending(_ provider: Address) -> [UInt8] { pendingPrefix + provider.bytes + [UInt8(ascii: "/")] }
    static func pending(_ provider: Address, _ id: UInt64) -> [UInt8] { pending(provider) + StateKey.bigEndian(id) }
    static func receipt(_ hash: Hash) -> [UInt8] { receiptPrefix + hash.bytes }
    static func reputation(_ provider: Address) -> [UInt8] { reputationPrefix + provider.bytes }
    static func check(_ hash: Hash) -> [UInt8] { checkPrefix + hash.bytes }
}

/// The module's account: verifiers' bonds and open challenges' bonds.
public enum VerificationAccounts {
    /// Holds Σ verifiers' bonds + Σ bonds of undecided challenges.
    public static let bonds = ModuleAccount.address("verification/bonds")
}
