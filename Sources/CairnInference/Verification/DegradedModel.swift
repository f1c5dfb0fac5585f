/// Cheaper models a dishonest provider could serve while billing for the real one, made from the real model's file:
/// transformer layers removed, or the 4-bit weights rounded to fewer bits (the same weights at a lower quantization).
/// The verification benchmark and the cheating test providers serve them; nothing else should.
public enum DegradedModel {
    /// The GGUF bytes of `file` without the layers in `removed` (the others renumbered, `block_count` lowered).
    public static func withoutLayers(_ file: GGUFFile, removing removed: Set<Int>) throws -> [UInt8] {
        let key = try blockCountKey(file)
        let layers = try file.requireInt(key)
        guard !removed.isEmpty, removed.allSatisfy({ (0..<layers).contains($0) }), removed.count < layers else {
            throw InferenceError(.invalidRequest, "layers to remove must be some, not all, of 0..<\(layers)")
        }
        let kept = (0..<layers).filter { !removed.contains($0) }
        let renumber = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($0.element, $0.offset) })
        var writer = metadataWriter(file, replacing: [key: .uint32(UInt32(kept.count))])
        for tensor in file.tensors {
            var name = tensor.name
            if let layer = layerIndex(tensor.name) {
                guard let to = renumber[layer] else { continue }
                name = "blk.\(to)." + tensor.name.dropFirst("blk.\(layer).".count)
            }
            writer.tensors.append(.init(name: name, dimensions: tensor.dimensions, type: tensor.type, data: bytes(file, tensor)))
        }
        return writer.serialized()
    }

    /// The GGUF bytes of `file` with every Q4_1 tensor's blocks rounded to `bits` bits (1 to 3) per weight: each block of
    /// 32 keeps its own minimum and a step of (max − min) / (2^bits − 1), stored in the same Q4_1 layout.
    public static func requantized(_ file: GGUFFile, bits: Int) throws -> [UInt8] {
        guard (1...3).contains(bits) else { throw InferenceError(.invalidRequest, "bits must be 1, 2 or 3, not \(bits)") }
        guard file.tensors.contains(where: { $0.type == .q4_1 }) else { throw InferenceError(.invalidRequest, "the model has no Q4_1 tensors") }
        var writer = metadataWriter(file, replacing: [:])
        let levels = Float((1 << bits) - 1)
        for tensor in file.tensors {
            var data = bytes(file, tensor)
            if tensor.type == .q4_1 {
                var values = [Float](repeating: 0, count: 32)
                for b in 0..<data.count / 20 {
                    values.withUnsafeMutableBufferPointer { v in
                        data.withUnsafeBytes { BlockFormats.dequantize(.q4_1, $0.baseAddress! + 20 * b, count: 32, into: v.baseAddress!) }
                    }
                    let low = values.min()!, high = values.max()!
                    let step = Float16((high - low) / levels), minimum = Float16(low)
                    let d = Float(step), m = Float(minimum)
                    withUnsafeBytes(of: step.bitPattern.littleEndian) { data.replaceSubrange(20 * b..<20 * b + 2, with: $0) }
                    withUnsafeBytes(of: minimum.bitPattern.littleEndian) { data.replaceSubrange(20 * b + 2..<20 * b + 4, with: $0) }
                    func level(_ x: Float) -> UInt8 { d > 0 ? UInt8(min(max(((x - m) / d).rounded(), 0), levels)) : 0 }
                    for j in 0..<16 { data[20 * b + 4 + j] = level(values[j]) | level(values[j + 16]) << 4 }
                }
            }
            writer.tensors.append(.init(name: tensor.name, dimensions: tensor.dimensions, type: tensor.type, data: data))
        }
        return writer.serialized()
    }

    static func blockCountKey(_ file: GGUFFile) throws -> String {
        guard let architecture = file.metadata["general.architecture"]?.stringValue else {
            throw InferenceError(.invalidRequest, "the model names no general.architecture")
        }
        return architecture + ".block_count"
    }

    static func metadataWriter(_ file: GGUFFile, replacing: [String: GGUFValue]) -> GGUFWriter {
        var writer = GGUFWriter()
        writer.alignment = file.alignment
        writer.metadata = file.metadata.keys.sorted().map { ($0, replacing[$0] ?? file.metadata[$0]!) }
        return writer
    }

    static func layerIndex(_ name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0 != "." })
    }

    static func bytes(_ file: GGUFFile, _ tensor: GGUFTensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: file.data(of: tensor), count: tensor.byteCount))
    }
}
