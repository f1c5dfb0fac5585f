/// A bounds-checked little-endian cursor over raw bytes; every read throws rather than running past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws -> Int {
        guard count >= 0, count <= remaining else {
            throw InferenceError(
                .truncated, "file ends at byte \(bytes.count) while reading \(what()) at offset \(offset) (needs \(count) bytes)")
        }
        let start = offset
        offset += count
        return start
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let start = try take(MemoryLayout<T>.size, what())
        return T(littleEndian: bytes.baseAddress!.loadUnaligned(fromByteOffset: start, as: T.self))
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads a count stored as `UInt64`, rejecting values that could not fit in the remaining bytes.
    mutating func readCount(_ what: @autoclosure () -> String, minimumElementSize: Int) throws -> Int {
        let raw = try read(UInt64.self, what())
        let size = UInt64(max(minimumElementSize, 1))
        guard raw <= UInt64(max(remaining, 0)) / size else {
            // A count that could not fit even in the whole file is corruption; one that fits the file but not
            // what is left of it means the file was cut short.
            let code: InferenceError.Code = raw > UInt64(bytes.count) / size ? .corrupt : .truncated
            throw InferenceError(code, "\(what()) declares \(raw) elements but only \(remaining) bytes remain")
        }
        return Int(raw)
    }

    /// Reads a GGUF string: a `UInt64` byte length followed by UTF-8 bytes (invalid UTF-8 is repaired).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = try readCount("length of \(what())", minimumElementSize: 1)
        let start = try take(length, what())
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + length]), as: UTF8.self)
    }

    mutating func align(to alignment: Int) {
        let aligned = (offset + alignment - 1) / alignment * alignment
        offset = min(aligned, bytes.count + alignment)
    }
}
