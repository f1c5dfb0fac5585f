public import CairnPrimitives

/// Accounts that belong to a module rather than to a key: no one can sign for them, so only the module's
/// own rules move their coins.
///
/// The address is the first 20 bytes of SHA-256("cairn/module/" + name); no Ed25519 key hashes to it
/// except by a 2^-160 accident, the same bet every address makes.
public enum ModuleAccount {
    /// The account of the module account named `name`.
    public static func address(_ name: String) -> Address {
        Address(bytes: Array(Hash.sha256(Array("cairn/module/\(name)".utf8)).bytes.prefix(20)))!
    }

    /// The community treasury: a share of emission and fees flows in; only governance spends it.
    public static let treasury = address("treasury")
    /// Where transaction tips collect during a block when a module distributes them (the staking module).
    public static let feeCollector = address("fee_collector")
}
