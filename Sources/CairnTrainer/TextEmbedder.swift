public import CairnPrimitives
public import CairnInference
import Foundation

/// Sentence embeddings of a participant's texts with the job's base model (MiniLM), cached under the home folder by
/// the data's commitment so a restarted participant does not embed its data again.
public enum TextEmbedder {
    /// The embeddings of `data`'s texts: from `cache` when it holds them for this data, else computed with the
    /// MiniLM model in `modelsDirectory` and written there.
    public static func embed(_ data: LabelledData, modelsDirectory: String?, cacheFolder: String?) throws -> [[Float]] {
        let root = data.commitment.root
        let path = cacheFolder.map { "\($0)/embeddings-\(root.hex.prefix(16)).f32" }
        if let path, let cached = try DurableFile.readIfPresent(path), let vectors = decode(cached, count: data.records.count) { return vectors }
        let model = try EmbeddingModel(directory: try ModelLocator(directory: modelsDirectory).path(for: "minilm"))
        let vectors = try model.embed(data.records.map(\.text))
        if let path {
            try DurableFile.createParentFolder(of: path)
            try DurableFile.replace(path, with: encode(vectors), mode: 0o600)
        }
        return vectors
    }

    /// Count, width, then the floats, little-endian.
    static func encode(_ vectors: [[Float]]) -> [UInt8] {
        var out = [UInt8]()
        let width = vectors.first?.count ?? 0
        for v in [UInt32(vectors.count), UInt32(width)] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        out.reserveCapacity(8 + vectors.count * width * 4)
        for v in vectors { for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out += $0 } } }
        return out
    }

    static func decode(_ bytes: [UInt8], count: Int) -> [[Float]]? {
        guard bytes.count >= 8 else { return nil }
        func word(_ i: Int) -> UInt32 { UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24 }
        let n = Int(word(0)), width = Int(word(4))
        guard n == count, bytes.count == 8 + n * width * 4 else { return nil }
        return (0..<n).map { r in (0..<width).map { c in Float(bitPattern: word(8 + 4 * (r * width + c))) } }
    }
}
