public import CairnPrimitives
import CairnLedger
import CairnConsensus
import CairnChain
import CairnStorage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension NodeRunner {
    /// What a migration did.
    public struct Migration: Sendable {
        /// Blocks re-executed after genesis.
        public let blocks: UInt64
        public let oldStateRoot: Hash
        public let newStateRoot: Hash
        /// Where the store as it was is kept.
        public let backup: String
    }

    /// The command that migrates this home's store.
    public var migrateCommand: String { "cairn node migrate --home \(home.root.path)" }

    /// Migrates the home's store when an earlier, one-validator version wrote it (headers from before BFT consensus):
    /// re-executes every block into a new store under this version's encoding, signs a precommit for each with the
    /// validator key, copies the provider
    /// probes, then puts the new store in place and keeps the old one as `chain.sqlite.pre-migration`.
    ///
    /// A failure (or a crash) before the last step leaves the store as it was; the half-made new one is removed at
    /// the next try.
    /// - Returns: what was done, or nil when the store needs no migration.
    public func migrateStore() async throws -> Migration? {
        let path = home.databasePath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let old = try SQLiteStore(path: path)
        let source = try chain(on: old)
        guard try old.head() != nil, try source.hasLegacyHeaders() else {
            try old.close()
            return nil
        }
        guard let key = try home.loadValidatorKey() else {
            try old.close()
            throw NodeHomeError("the store at \(path) must be migrated, and each migrated block signed again by the validator; "
                                + "this home holds no validator key (\(home.validatorKeyFile.path))")
        }
        let fresh = path + ".migrating"
        try Self.removeDatabase(at: fresh)
        let target = try SQLiteStore(path: fresh)
        let oldRoot = try source.head().stateRoot
        let blocks: UInt64
        do {
            blocks = try source.migrate(into: try chain(on: target), signingWith: key)
            try target.copyProbes(from: path)
        } catch {
            try? target.close()
            try? old.close()
            try? Self.removeDatabase(at: fresh)
            throw error
        }
        let newRoot = try target.head()?.stateRoot ?? .zero
        // Both closed with their logs copied into their files, so the database files alone hold everything.
        try target.close()
        try old.close()
        try Self.removeLog(of: fresh)
        try Self.removeLog(of: path)
        // The old store stays under its name until the new one replaces it in one rename: a crash at any point leaves
        // either store in place, never none (a start with no store would begin a new chain).
        let backup = path + ".pre-migration"
        try Self.removeDatabase(at: backup)
        try FileManager.default.linkItem(atPath: path, toPath: backup)
        guard rename(fresh, path) == 0 else {
            throw NodeHomeError("cannot put the migrated store \(fresh) in place of \(path): errno \(errno)")
        }
        return Migration(blocks: blocks, oldStateRoot: oldRoot, newStateRoot: newRoot, backup: backup)
    }

    /// The files of the SQLite database at `path`: the database, its write-ahead log and its shared memory.
    static func databaseFiles(_ path: String) -> [String] { [path, path + "-wal", path + "-shm"] }

    static func removeDatabase(at path: String) throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try removeLog(of: path)
    }

    /// Removes the write-ahead log and shared memory of a closed database whose log was copied into it.
    static func removeLog(of path: String) throws {
        for file in databaseFiles(path).dropFirst() where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.removeItem(atPath: file)
        }
    }
}
