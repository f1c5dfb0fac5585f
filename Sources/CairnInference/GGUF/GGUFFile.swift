/// A parsed GGUF v2/v3 file: metadata, tensor table, and tensor data memory-mapped in place.
///
/// Parsing bounds-checks every read, so a truncated or corrupt file throws an ``InferenceError`` instead of crashing.
public final class GGUFFile: Sendable {
    /// The GGUF format version (2 or 3).
    public let version: UInt32
    /// Every metadata key-value pair.
    public let metadata: [String: GGUFValue]
    /// The tensors in file order.
    public let tensors: [GGUFTensor]
    /// The alignment of the data section (`general.alignment`, 32 by default).
    public let alignment: Int
    /// The byte offset where tensor data begins.
    public let dataOffset: Int
    private let tensorIndex: [String: Int]
    /// The mapping that tensor pointers point into.
    public let file: MappedFile

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws {
        try self.init(mapped: MappedFile(path: path))
    }

    /// Parses an already mapped file.
    public init(mapped file: MappedFile) throws {
        self.file = file
        var reader = ByteReader(file.bytes)
        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            throw InferenceError(.corrupt, "\(file.path) is not a GGUF file (bad magic)")
        }
        version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            throw InferenceError(.unsupported, "GGUF version \(version) is not supported (expected 2 or 3)")
        }
        // Each tensor entry needs at least 8 (name) + 4 + 8 + 4 + 8 bytes, each key-value pair at least 8 + 4 + 1.
        let tensorCount = try reader.readCount("tensor count", minimumElementSize: 32)
        let kvCount = try reader.readCount("metadata count", minimumElementSize: 13)
        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(kvCount)
        for index in 0..<kvCount {
            let key = try reader.readString("metadata key #\(index)")
            let type = try reader.read(UInt32.self, "type of '\(key)'")
            metadata[key] = try reader.readValue(type, key: key)
        }
        self.metadata = metadata
        let alignment = metadata["general.alignment"]?.intValue ?? 32
        guard alignment > 0, alignment.nonzeroBitCount == 1, alignment <= 1 << 20 else {
            throw InferenceError(.corrupt, "general.alignment \(alignment) is not a power of two")
        }
        self.alignment = alignment

        var pending: [(name: String, dims: [Int], type: GGMLType, offset: Int)] = []
        pending.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("name of tensor #\(index)")
            let rank = try reader.read(UInt32.self, "rank of \(name)")
            guard rank >= 1, rank <= 4 else { throw InferenceError(.corrupt, "tensor \(name) has rank \(rank)") }
            var dims: [Int] = []
            for _ in 0..<rank {
                let d = try reader.read(UInt64.self, "dimensions of \(name)")
                guard d >= 1, d <= 1 << 40 else { throw InferenceError(.corrupt, "tensor \(name) has dimension \(d)") }
                dims.append(Int(d))
            }
            let rawType = try reader.read(UInt32.self, "type of \(name)")
            guard let type = GGMLType(rawValue: rawType) else {
                throw InferenceError(
                    .unsupported, "tensor \(name) uses \(GGMLType.name(ofRaw: rawType)), which this engine does not support")
            }
            let offset = try reader.read(UInt64.self, "offset of \(name)")
            guard offset <= UInt64(file.count), Int(offset) % alignment == 0 else {
                throw InferenceError(.corrupt, "tensor \(name) has invalid data offset \(offset)")
            }
            pending.append((name, dims, type, Int(offset)))
        }
        reader.align(to: alignment)
        dataOffset = reader.offset

        var tensors: [GGUFTensor] = []
        var index: [String: Int] = [:]
        for entry in pending {
            var elements = 1
            for d in entry.dims {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else { throw InferenceError(.corrupt, "tensor \(entry.name) is impossibly large") }
                elements = product
            }
            guard entry.dims[0] % entry.type.blockSize == 0, let bytes = entry.type.byteCount(elements: elements) else {
                throw InferenceError(
                    .corrupt, "tensor \(entry.name) row of \(entry.dims[0]) is not a whole number of \(entry.type) blocks")
            }
            let start = dataOffset + entry.offset
            guard start <= file.count, bytes <= file.count - start else {
                throw InferenceError(
                    .truncated,
                    "tensor \(entry.name) needs bytes \(start)..<\(start + bytes) but the file has \(file.count) bytes")
            }
            guard index[entry.name] == nil else { throw InferenceError(.corrupt, "tensor \(entry.name) appears twice") }
            index[entry.name] = tensors.count
            tensors.append(GGUFTensor(name: entry.name, dimensions: entry.dims, type: entry.type, fileOffset: start, byteCount: bytes))
        }
        self.tensors = tensors
        self.tensorIndex = index
    }

    /// The tensor named `name`, if present.
    public func tensor(named name: String) -> GGUFTensor? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Releases the resident pages of `byteCount` bytes at `pointer` inside the mapping (``MappedFile/release(_:byteCount:)``).
    public func release(_ pointer: UnsafeRawPointer, byteCount: Int) {
        file.release(pointer, byteCount: byteCount)
    }

    /// A pointer to the first byte of `tensor`'s data inside the mapping.
    public func data(of tensor: GGUFTensor) -> UnsafeRawPointer {
        file.base + tensor.fileOffset
    }
}
