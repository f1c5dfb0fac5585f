#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(CairnVNNI)
import CairnVNNI
import CairnVNNI512
import CairnAVX2
#endif

/// A read-only `rows × columns` weight matrix stored row-major in one of the ``GGMLType`` encodings.
///
/// The bytes usually live in a memory-mapped GGUF file, or in a ``PlanarStorage`` made by
/// ``planar(into:)``; the matrix does not own them.
public struct WeightMatrix: @unchecked Sendable {
    /// How the encoded values of a row are arranged.
    public enum Layout: Sendable {
        /// GGML's blocks, each with its scale (and minimum) before its values, as in the GGUF file.
        case blocks
        /// Q4_1 and Q8_0 only: a row holds the values of every block, then every block's float16 scale, then
        /// (Q4_1) every minimum, with Q8_0 values of each pair of blocks interleaved by halves. Rows keep their
        /// size; the integer kernels (`CairnVNNI.IntegerDot`) read this layout.
        case planar
    }

    /// The first byte of row 0.
    public let base: UnsafeRawPointer
    /// The element encoding.
    public let type: GGMLType
    /// The arrangement of each row.
    public let layout: Layout
    /// The number of rows (output features).
    public let rows: Int
    /// The number of columns (input features); a multiple of the type's block size.
    public let columns: Int
    /// The number of bytes per row.
    public let rowBytes: Int
    /// Every value decoded to float32 once and kept in ``FloatPanels`` (when the model keeps them,
    /// ``withPanels(in:)``): batched products read these instead of decoding; the decode kernels never do.
    public private(set) var panels: UnsafePointer<Float>?

    /// Wraps `rows × columns` values of `type` at `base`.
    public init(base: UnsafeRawPointer, type: GGMLType, rows: Int, columns: Int, layout: Layout = .blocks) {
        precondition(columns % type.blockSize == 0, "row length must be a whole number of blocks")
        precondition(layout == .blocks || type == .q4_1 || type == .q8_0, "only Q4_1 and Q8_0 have a planar layout")
        self.base = base
        self.type = type
        self.layout = layout
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.byteCount(elements: columns)!
    }

    /// The widest rows the integer kernels take (their per-row scratch lives on the stack).
    public static let planarMaximumColumns = 4096

    /// The number of bytes of the matrix.
    public var byteCount: Int { rows * rowBytes }

    /// A pointer to the start of `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer { base + row * rowBytes }

    /// Computes `output[r] = row(r) · x` for `r` in `rows` on the calling thread.
    ///
    /// Planar matrices use the integer kernels and read `input`'s quantization; the others use the
    /// floating-point kernels and read `x` (and, for Q4_1, `input`'s block sums).
    /// - Parameters:
    ///   - x: the input, `columns` floats.
    ///   - input: `x` prepared by ``MatVecInput/prepare(_:count:sums:quantize:)``, quantized for a planar matrix.
    @inline(__always)
    public func multiply(
        rows range: Range<Int>, x: UnsafePointer<Float>, input: MatVecInput, into output: UnsafeMutablePointer<Float>
    ) {
        let blocks = columns / 32
        if layout == .planar {
            #if canImport(CairnVNNI)
            switch MatVecKernels.integerInstructions {
            case .avx512:
                CairnVNNI512.IntegerDot.multiply(
                    type == .q4_1 ? .q4_1 : .q8_0, base: base, rowBytes: rowBytes, rows: range, blocks: blocks,
                    quants: input.quants, scales: input.scales, quantSums: input.quantSums, output: output)
            case .avx2:
                CairnAVX2.IntegerDot.multiply(
                    type == .q4_1 ? .q4_1 : .q8_0, base: base, rowBytes: rowBytes, rows: range, blocks: blocks,
                    quants: input.quants, scales: input.scales, quantSums: input.quantSums, output: output)
            default:
                CairnVNNI.IntegerDot.multiply(
                    type == .q4_1 ? .q4_1 : .q8_0, base: base, rowBytes: rowBytes, rows: range, blocks: blocks,
                    quants: input.quants, scales: input.scales, quantSums: input.quantSums, output: output)
            }
            return
            #else
            preconditionFailure("planar matrices need the integer kernels")
            #endif
        }
        let xSums = UnsafePointer(input.sums)
        switch type {
        case .q4_1:
            var r = range.lowerBound
            while r + 1 < range.upperBound {
                (output[r], output[r + 1]) = DotKernels.q4_1Pair(row(r), row(r + 1), x, xSums, blocks: blocks)
                r += 2
            }
            if r < range.upperBound { output[r] = DotKernels.q4_1(row(r), x, xSums, blocks: blocks) }
        case .q8_0:
            for r in range { output[r] = DotKernels.q8_0(row(r), x, blocks: blocks) }
        case .f16:
            for r in range { output[r] = DotKernels.f16(row(r), x, count: columns) }
        case .f32:
            for r in range {
                output[r] = DotKernels.f32(row(r).assumingMemoryBound(to: Float.self), x, count: columns)
            }
        }
    }

    /// ``multiply(rows:x:input:into:)`` for several inputs, each result bit for bit what that call gives: the rows
    /// are read from memory once for all of them. Planar rows are unpacked once per pair for every input; Q8_0 rows in
    /// GGML's blocks are widened once per four inputs.
    @inline(__always)
    func multiply(rows range: Range<Int>, batch: BatchedInputs, into outputs: UnsafePointer<UnsafeMutablePointer<Float>>) {
        let blocks = columns / 32
        let count = batch.count
        if layout == .planar {
            #if canImport(CairnVNNI)
            switch MatVecKernels.integerInstructions {
            case .avx512:
                CairnVNNI512.IntegerDot.multiplyBatch(
                    type == .q4_1 ? .q4_1 : .q8_0, base: base, rowBytes: rowBytes, rows: range, blocks: blocks, count: count,
                    quants: batch.quants, scales: batch.scales, quantSums: batch.quantSums, outputs: outputs)
            case .avx2:
                CairnAVX2.IntegerDot.multiplyBatch(
                    type == .q4_1 ? .q4_1 : .q8_0, base: base, rowBytes: rowBytes, rows: range, blocks: blocks, count: count,
                    quants: batch.quants, scales: batch.scales, quantSums: batch.quantSums, outputs: outputs)
            default:
                CairnVNNI.IntegerDot.multiplyBatch(
                    type == .q4_1 ? .q4_1 : .q8_0, base: base, rowBytes: rowBytes, rows: range, blocks: blocks, count: count,
                    quants: batch.quants, scales: batch.scales, quantSums: batch.quantSums, outputs: outputs)
            }
            return
            #else
            preconditionFailure("planar matrices need the integer kernels")
            #endif
        }
        if type == .q8_0 {
            var i = 0
            while i < count {
                // A group of fewer than four repeats its last input and drops the extra results.
                let last = count - 1
                let xs = batch.xs
                let x0 = xs[i], x1 = xs[min(i + 1, last)], x2 = xs[min(i + 2, last)], x3 = xs[min(i + 3, last)]
                for r in range {
                    let (o0, o1, o2, o3) = DotKernels.q8_0x4(row(r), x0, x1, x2, x3, blocks: blocks)
                    outputs[i][r] = o0
                    if i + 1 <= last { outputs[i + 1][r] = o1 }
                    if i + 2 <= last { outputs[i + 2][r] = o2 }
                    if i + 3 <= last { outputs[i + 3][r] = o3 }
                }
                i += 4
            }
            return
        }
        for j in 0..<count { multiply(rows: range, x: batch.xs[j], input: batch.inputs[j], into: outputs[j]) }
    }

    /// Decodes rows `range` to Float into `destination`, row-major with `columns` floats per row.
    public func dequantize(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() {
            if layout == .planar {
                dequantizePlanar(row(r), into: destination + i * columns)
            } else {
                Dequantize.row(type, row(r), count: columns, into: destination + i * columns)
            }
        }
    }

    /// Where the 16 values `half` (0 or 1) of block `b` start in a planar row (Q4_1 blocks keep GGML's nibble
    /// order, so for them `half` is ignored and the offset is the block's).
    @inline(__always)
    func planarOffset(block b: Int, half: Int) -> Int {
        type == .q4_1 ? 16 * b : Self.interleavedOffset(block: b, half: half, blocks: columns / 32)
    }

    /// The byte offset of the 16 bytes `half` of block `b` of `blocks` in the pair-interleaved order that the
    /// integer kernels read (planar Q8_0 values and quantized inputs): the halves of blocks 2p and 2p+1 go to
    /// bytes 0 and 32, and 16 and 48, of the pair's 64 bytes; an odd last block stays in order.
    @inline(__always)
    static func interleavedOffset(block b: Int, half: Int, blocks: Int) -> Int {
        b / 2 * 2 + 1 < blocks ? 64 * (b / 2) + 16 * (b % 2) + 32 * half : 32 * b + 16 * half
    }

    private func dequantizePlanar(_ source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let blocks = columns / 32
        let payload = blocks * (type == .q4_1 ? 16 : 32)
        let out = UnsafeMutableRawPointer(destination)
        for b in 0..<blocks {
            let d = BlockFormats.half(source, payload + 2 * b)
            if type == .q4_1 {
                let m = SIMD16<Float>(repeating: BlockFormats.half(source, payload + 2 * blocks + 2 * b))
                let q = source.loadUnaligned(fromByteOffset: 16 * b, as: SIMD16<UInt8>.self)
                let dv = SIMD16<Float>(repeating: d)
                out.storeBytes(of: m.addingProduct(dv, DotKernels.floats(q & 0x0F)), toByteOffset: 128 * b, as: SIMD16<Float>.self)
                out.storeBytes(of: m.addingProduct(dv * 0.0625, DotKernels.floats(q & 0xF0)), toByteOffset: 128 * b + 64, as: SIMD16<Float>.self)
            } else {
                let dv = SIMD16<Float>(repeating: d)
                for half in 0..<2 {
                    let q = source.loadUnaligned(fromByteOffset: planarOffset(block: b, half: half), as: SIMD16<Int8>.self)
                    out.storeBytes(of: dv * DotKernels.floats(q), toByteOffset: 128 * b + 64 * half, as: SIMD16<Float>.self)
                }
            }
        }
    }

    /// This matrix with its values also decoded to float32 into panels in `storage` (what ``dequantize(rows:into:)``
    /// gives); itself where panels do not apply (neither AVX-512F nor AVX2, or rows not a whole number of panels).
    public func withPanels(in storage: PlanarStorage) -> WeightMatrix {
        guard FloatPanels.available, rows % FloatPanels.rows == 0 else { return self }
        let count = FloatPanels.count(rows: rows, columns: columns)
        let destination = storage.allocate(byteCount: count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: count)
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: FloatPanels.rows * columns)
        defer { tile.deallocate() }
        for first in stride(from: 0, to: rows, by: FloatPanels.rows) {
            dequantize(rows: first..<first + FloatPanels.rows, into: tile)
            FloatPanels.pack(tile, rows: FloatPanels.rows, columns: columns, into: destination + first * columns)
        }
        var copy = self
        copy.panels = UnsafePointer(destination)
        return copy
    }

    /// This matrix in the planar layout, its bytes appended to `storage` (a planar matrix is returned as is).
    ///
    /// Only Q4_1 and Q8_0 matrices in the block layout with at most ``planarMaximumColumns`` columns can be
    /// rearranged; others are returned unchanged.
    public func planar(into storage: PlanarStorage) -> WeightMatrix {
        guard layout == .blocks, type == .q4_1 || type == .q8_0, columns <= Self.planarMaximumColumns else { return self }
        let destination = storage.allocate(byteCount: byteCount)
        let blocks = columns / 32
        let q4 = type == .q4_1
        let blockBytes = q4 ? 20 : 34, payload = blocks * (q4 ? 16 : 32)
        let planar = WeightMatrix(base: destination, type: type, rows: rows, columns: columns, layout: .planar)
        for r in 0..<rows {
            let source = row(r), target = destination + r * rowBytes
            for b in 0..<blocks {
                let block = source + blockBytes * b
                (target + payload + 2 * b).copyMemory(from: block, byteCount: 2)
                if q4 {
                    (target + payload + 2 * blocks + 2 * b).copyMemory(from: block + 2, byteCount: 2)
                    (target + 16 * b).copyMemory(from: block + 4, byteCount: 16)
                } else {
                    (target + planar.planarOffset(block: b, half: 0)).copyMemory(from: block + 2, byteCount: 16)
                    (target + planar.planarOffset(block: b, half: 1)).copyMemory(from: block + 18, byteCount: 16)
                }
            }
        }
        return planar
    }
}

/// Memory for matrices rearranged into the planar layout: one anonymous region, asked for in transparent huge
/// pages where the system offers them (fewer TLB misses while decode streams the weights), freed with the storage.
public final class PlanarStorage: @unchecked Sendable {
    private let region: UnsafeMutableRawPointer
    /// The bytes the region holds.
    public let capacity: Int
    /// The bytes handed out so far.
    public private(set) var used = 0

    /// Reserves `capacity` bytes (rounded up to whole 2 MiB pages).
    public init(capacity: Int) {
        let hugePage = 2 << 20
        let size = max(1, (capacity + hugePage - 1) / hugePage) * hugePage
        var pointer: UnsafeMutableRawPointer?
        // Not inside `precondition`: -Ounchecked builds do not evaluate its condition.
        let status = posix_memalign(&pointer, hugePage, size)
        guard status == 0, let pointer else { fatalError("out of memory for \(size) bytes of weights") }
        #if os(Linux)
        _ = madvise(pointer, size, MADV_HUGEPAGE)
        #endif
        region = pointer
        self.capacity = size
    }

    /// The bytes `matrices` take in the planar layout, each rounded to the storage's alignment.
    public static func byteCount(of matrices: [WeightMatrix]) -> Int {
        matrices.reduce(0) { $0 + aligned($1.byteCount) }
    }

    private static func aligned(_ byteCount: Int) -> Int { (byteCount + 63) / 64 * 64 }

    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let rounded = Self.aligned(byteCount)
        precondition(used + rounded <= capacity, "planar storage of \(capacity) bytes is full")
        defer { used += rounded }
        return region + used
    }

    deinit { free(region) }
}

/// The inputs of a batched product, as flat pointer lists the workers read without allocating: each input's floats,
/// its prepared ``MatVecInput`` and that input's quantization.
final class BatchedInputs {
    let count: Int
    let inputs: [MatVecInput]
    let xs: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let quants: UnsafeMutablePointer<UnsafePointer<Int8>>
    let scales: UnsafeMutablePointer<UnsafePointer<Float>>
    let quantSums: UnsafeMutablePointer<UnsafePointer<Float>>

    init(xs floats: [UnsafeMutablePointer<Float>], inputs: [MatVecInput]) {
        count = floats.count
        self.inputs = inputs
        xs = .allocate(capacity: count)
        quants = .allocate(capacity: count)
        scales = .allocate(capacity: count)
        quantSums = .allocate(capacity: count)
        for j in 0..<count {
            xs[j] = floats[j]
            quants[j] = UnsafePointer(inputs[j].quants)
            scales[j] = UnsafePointer(inputs[j].scales)
            quantSums[j] = UnsafePointer(inputs[j].quantSums)
        }
    }

    deinit {
        xs.deallocate()
        quants.deallocate()
        scales.deallocate()
        quantSums.deallocate()
    }
}
