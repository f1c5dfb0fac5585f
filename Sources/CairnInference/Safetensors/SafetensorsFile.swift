internal import Foundation

/// A memory-mapped `.safetensors` file: an 8-byte little-endian header length, a JSON header describing each
/// tensor (dtype, shape, byte range), then the raw little-endian tensor data.
///
/// Every header entry is checked against the file before any tensor is read: the dtype must be known, the byte
/// range must lie inside the data section and match the shape, and ranges must not overlap. A truncated or
/// corrupt file throws ``InferenceError`` (`.truncated`, `.corrupt` or `.unsupported`), never traps.
public final class SafetensorsFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// The tensors by name.
    public let tensors: [String: SafetensorsTensor]
    /// The free-form `__metadata__` string map (empty if absent).
    public let metadata: [String: String]
    /// The offset of the data section (8 + header length).
    public let dataOffset: Int

    /// The largest JSON header accepted; the format's reference implementation uses the same bound.
    static let maxHeaderLength = 100 * 1024 * 1024

    /// Maps and validates the file at `path`.
    /// - Throws: `.io` if it cannot be read, `.truncated`/`.corrupt`/`.unsupported` for a bad file.
    public convenience init(path: String) throws {
        try self.init(mapped: MappedFile(path: path))
    }

    /// Validates an already-mapped file.
    public init(mapped file: MappedFile) throws {
        self.file = file
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw InferenceError(.truncated, "\(file.path): \(bytes.count) bytes, too short for a safetensors header length")
        }
        let declared = UInt64(littleEndian: bytes.baseAddress!.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderLength) else {
            throw InferenceError(.corrupt, "\(file.path): header length \(declared) exceeds \(Self.maxHeaderLength) bytes")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw InferenceError(
                .truncated, "\(file.path): header declares \(headerLength) bytes but only \(bytes.count - 8) follow")
        }
        dataOffset = 8 + headerLength
        let header = Data(bytes: bytes.baseAddress! + 8, count: headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw InferenceError(.corrupt, "\(file.path): header is not valid JSON (\(error))")
        }
        guard let entries = json as? [String: Any] else {
            throw InferenceError(.corrupt, "\(file.path): header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensor] = [:]
        let dataLength = bytes.count - dataOffset
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw InferenceError(.corrupt, "\(file.path): __metadata__ is not an object")
                }
                for (key, entry) in map { metadata[key] = entry as? String ?? "\(entry)" }
                continue
            }
            tensors[name] = try SafetensorsTensor(name: name, entry: value, dataLength: dataLength, path: file.path)
        }
        try Self.checkNoOverlap(tensors.values, path: file.path)
        self.metadata = metadata
        self.tensors = tensors
    }

    private static func checkNoOverlap(_ tensors: some Sequence<SafetensorsTensor>, path: String) throws {
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.byteRange.lowerBound < earlier.byteRange.upperBound {
            throw InferenceError(.corrupt, "\(path): tensors '\(earlier.name)' and '\(later.name)' overlap")
        }
    }

    /// The tensor named `name`.
    /// - Throws: `.missingField` naming the tensor when it is absent.
    public func tensor(named name: String) throws -> SafetensorsTensor {
        guard let tensor = tensors[name] else {
            throw InferenceError(.missingField, "\(file.path) has no tensor '\(name)'")
        }
        return tensor
    }

    /// The raw bytes of `tensor` inside the mapping.
    public func data(of tensor: SafetensorsTensor) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: file.base + dataOffset + tensor.byteRange.lowerBound, count: tensor.byteCount)
    }

    /// The elements of tensor `name` converted to `Float` (from F32, F16 or BF16), row-major.
    /// - Parameter shape: if given, the tensor must have exactly this shape.
    /// - Throws: `.missingField` if absent or of another shape, `.unsupported` for a non-float dtype.
    public func floats(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        let tensor = try tensor(named: name)
        if let shape, shape != tensor.shape {
            throw InferenceError(.missingField, "tensor '\(name)' has shape \(tensor.shape), expected \(shape)")
        }
        let raw = data(of: tensor)
        let count = tensor.elementCount
        switch tensor.dtype {
        case .f32:
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                initialized = count
            }
        case .f16:
            return (0..<count).map { i in
                Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .bf16:
            return (0..<count).map { i in
                Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        default:
            throw InferenceError(.unsupported, "tensor '\(name)' has dtype \(tensor.dtype.rawValue); only F32, F16 and BF16 convert to Float")
        }
    }
}
