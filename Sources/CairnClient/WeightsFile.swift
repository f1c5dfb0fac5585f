public import CairnPrimitives
public import Foundation
import Crypto

/// Content hashes of model weights files, as the model registry keys them.
public enum WeightsFile {
    /// SHA-256 of the file at `path`, read in chunks of 4 MiB so that multi-gigabyte weights are never held in memory.
    ///
    /// - Throws: the file system's error when the file cannot be opened or read.
    public static func sha256(atPath path: String) throws -> Hash {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        let digest = Array(hasher.finalize())
        // A SHA-256 digest is 32 bytes.
        return Hash(bytes: digest)!
    }
}
