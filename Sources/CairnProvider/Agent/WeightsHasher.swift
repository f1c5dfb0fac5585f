public import CairnPrimitives
import Crypto
import Foundation

/// SHA-256 of model weight files, read in chunks so a file of any size hashes in constant memory.
public enum WeightsHasher {
    /// The hash of the file at `path`.
    /// - Throws: `ProviderError` `.io` when the file cannot be read.
    public static func hash(file path: String, chunkBytes: Int = 4 << 20) throws(ProviderError) -> Hash {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ProviderError(.io, "cannot open the weights file \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: chunkBytes), !chunk.isEmpty {
                hasher.update(data: chunk)
            }
        } catch {
            throw ProviderError(.io, "cannot read the weights file \(path)", cause: error)
        }
        // A SHA-256 digest is always 32 bytes.
        return Hash(bytes: Array(hasher.finalize()))!
    }

    /// The file whose hash registers a model: the file itself, or `model.safetensors` in a sentence-transformers folder.
    public static func weightsFile(at path: String) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return path }
        return URL(fileURLWithPath: path, isDirectory: true).appendingPathComponent("model.safetensors").path
    }
}
