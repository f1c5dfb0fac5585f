import CairnPrimitives
import Foundation
import GRDB

/// Moves a store's state tree from nodes keyed by hash to nodes keyed by (version, depth, path).
///
/// The head's tree is walked from its root and written again under the head's height; nodes reachable
/// only from older roots are dropped, so proofs are served for the head from then on.
enum TreeMigration {
    static func run(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE tree_nodes_v3 (key BLOB PRIMARY KEY, node BLOB NOT NULL) WITHOUT ROWID")
        let values = try StoreSnapshot(db: db).meta()
        if let version = values["head_height"].flatMap(BigEndian.uint64), let root = values["state_root"].flatMap(Hash.init(bytes:)) {
            let read = try db.makeStatement(sql: "SELECT node FROM tree_nodes WHERE hash = ?")
            let write = try db.makeStatement(sql: "INSERT INTO tree_nodes_v3 (key, node) VALUES (?, ?)")

            /// The old form: tag, then two 32-byte hashes (key and value hash, or left and right child).
            func oldNode(_ hash: Hash) throws -> (isLeaf: Bool, a: Hash, b: Hash) {
                guard let data = try Data.fetchOne(read, arguments: [Data(hash.bytes)]), data.count == 65, data[0] <= 1 else {
                    throw StorageError(.missingTreeNode, "tree node \(hash) is missing or corrupt; the state tree cannot be migrated")
                }
                let b = Array(data)
                return (b[0] == 0, Hash(bytes: b[1..<33])!, Hash(bytes: b[33..<65])!)
            }

            /// Writes the subtree with this hash at (depth, path) and returns its parent's reference to it.
            func copy(_ hash: Hash, depth: Int, path: Hash) throws -> ChildRef {
                if hash == .zero { return .empty }
                let old = try oldNode(hash)
                let node: TreeNode
                if old.isLeaf {
                    node = .leaf(keyHash: old.a, valueHash: old.b)
                } else {
                    node = .inner(left: try copy(old.a, depth: depth + 1, path: path),
                                  right: try copy(old.b, depth: depth + 1, path: path.settingBit(depth)))
                }
                guard node.hash == hash else { throw StorageError(.corruptTree, "tree node \(hash) does not hash to its key") }
                try write.execute(arguments: [Data(NodeKey(version: version, depth: depth, path: path).encoded), Data(node.encoded)])
                return ChildRef(hash: hash, version: version, isLeaf: old.isLeaf)
            }

            _ = try copy(root, depth: 0, path: .zero)
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('state_root_version', ?)",
                           arguments: [Data(BigEndian.bytes(version))])
        }
        try db.execute(sql: "DROP TABLE tree_nodes")
        try db.execute(sql: "ALTER TABLE tree_nodes_v3 RENAME TO tree_nodes")
    }
}
