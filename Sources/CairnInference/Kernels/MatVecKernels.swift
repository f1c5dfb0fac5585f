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

/// Which dot-product kernels the matrix-vector products of decode use; a model picks them when it loads (the
/// integer kernels read matrices rearranged into ``WeightMatrix/Layout/planar``).
public enum MatVecKernels: Sendable, CustomStringConvertible {
    /// Weights are widened to Float in registers and multiplied by the Float input.
    case floatingPoint
    /// The input is quantized to int8 per block of 32 and multiplied by the quantized weights with integer
    /// instructions (`vpdpbusd` of AVX-VNNI or of AVX-512 VNNI, or AVX2's `vpmaddubsw` where neither is), as
    /// llama.cpp does; Q4_1 and Q8_0 matrices only,
    /// other encodings use the floating-point kernels.
    case integer

    /// The fastest kernels this processor runs: integer where AVX2 is available, unless the environment
    /// sets `CAIRN_KERNELS=float`.
    public static let preferred: MatVecKernels = {
        if let text = getenv("CAIRN_KERNELS"), String(cString: text) == "float" { return .floatingPoint }
        return integerAvailable ? .integer : .floatingPoint
    }()

    /// Every kind of kernel this processor runs.
    public static var available: [MatVecKernels] { integerAvailable ? [.floatingPoint, .integer] : [.floatingPoint] }

    /// Whether this build has the integer kernels and this processor can run them.
    public static var integerAvailable: Bool { integerInstructions != nil }

    /// The instructions the integer kernels use on this processor.
    enum IntegerInstructions {
        /// AVX-VNNI (`vpdpbusd`, VEX-encoded), as on Intel's Alder Lake and later.
        case avx
        /// The 256-bit form of AVX-512 VNNI (EVEX-encoded), as on Intel's Ice Lake and AMD's Zen 4.
        case avx512
        /// AVX2 without VNNI (`vpmaddubsw` and `vpmaddwd` in place of `vpdpbusd`), as on AMD's Zen 2 and Zen 3.
        case avx2
    }

    /// The integer kernels' instructions on this processor, or nil when it lacks AVX2, FMA or F16C (or the build has
    /// no kernels).
    static let integerInstructions: IntegerInstructions? = {
        #if canImport(CairnVNNI)
        let flags = processorFlags()
        guard ["avx2", "fma", "f16c"].allSatisfy(flags.contains) else { return nil }
        if flags.contains("avx_vnni") { return .avx }
        if ["avx512f", "avx512bw", "avx512vl", "avx512_vnni"].allSatisfy(flags.contains) { return .avx512 }
        return .avx2
        #else
        return nil
        #endif
    }()

    public var description: String {
        switch self {
        case .floatingPoint: "floating-point"
        case .integer:
            switch MatVecKernels.integerInstructions {
            case .avx512: "integer (AVX-512 VNNI)"
            case .avx2: "integer (AVX2)"
            default: "integer (AVX-VNNI)"
            }
        }
    }

    /// The feature flags of the first processor in `/proc/cpuinfo` (empty where there is no such file).
    static func processorFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("flags") || text.hasPrefix("Features"),
                  let colon = text.firstIndex(of: ":") else { continue }
            return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
        }
        return []
    }
}

/// One matrix-vector input prepared once and shared by every row (and every matrix of a fused product): the
/// per-block sums of the Float values for the floating-point Q4_1 kernel, and the int8 quantization (one scale
/// per block of 32, as ggml's Q8 activations) for the integer kernels.
public final class MatVecInput {
    /// The most columns an input may have.
    public let capacity: Int
    let sums: UnsafeMutablePointer<Float>  // [capacity / 32] Σ x per block
    let quants: UnsafeMutablePointer<Int8>  // [capacity] round(x / scale)
    let scales: UnsafeMutablePointer<Float>  // [capacity / 32] max|x| / 127 per block
    let quantSums: UnsafeMutablePointer<Float>  // [capacity / 32] scale · Σ quants per block

    /// Allocates scratch for inputs of up to `capacity` columns.
    public init(capacity: Int) {
        self.capacity = capacity
        let blocks = capacity / 32 + 1
        sums = .allocate(capacity: blocks)
        quants = .allocate(capacity: blocks * 32)
        scales = .allocate(capacity: blocks)
        quantSums = .allocate(capacity: blocks)
        sums.initialize(repeating: 0, count: blocks)
        quants.initialize(repeating: 0, count: blocks * 32)
        scales.initialize(repeating: 0, count: blocks)
        quantSums.initialize(repeating: 0, count: blocks)
    }

    deinit {
        sums.deallocate()
        quants.deallocate()
        scales.deallocate()
        quantSums.deallocate()
    }

    /// Computes from `x` (`count` floats, a multiple of 32) its block sums (read by Q4_1 matrices in the block
    /// layout) if `sums`, and its quantization (read by planar matrices) if `quantize`.
    public func prepare(_ x: UnsafePointer<Float>, count: Int, sums: Bool, quantize: Bool) {
        precondition(count <= capacity && count % 32 == 0, "input of \(count) values does not fit")
        if sums { DotKernels.blockSums(x, count: count, into: self.sums) }
        if quantize { self.quantize(x, count: count) }
    }

    /// What `matrix` reads of a prepared input.
    @inline(__always)
    static func needs(_ matrix: WeightMatrix?) -> (sums: Bool, quantize: Bool) {
        guard let matrix else { return (false, false) }
        return (matrix.layout == .blocks && matrix.type == .q4_1, matrix.layout == .planar)
    }

    /// Quantizes `x` to int8 per block of 32 for the integer kernels (``CairnVNNI/IntegerDot/quantize(_:count:quants:scales:quantSums:)``).
    func quantize(_ x: UnsafePointer<Float>, count: Int) {
        #if canImport(CairnVNNI)
        switch MatVecKernels.integerInstructions {
        case .avx512: CairnVNNI512.IntegerDot.quantize(x, count: count, quants: quants, scales: scales, quantSums: quantSums)
        case .avx: CairnVNNI.IntegerDot.quantize(x, count: count, quants: quants, scales: scales, quantSums: quantSums)
        case .avx2: CairnAVX2.IntegerDot.quantize(x, count: count, quants: quants, scales: scales, quantSums: quantSums)
        case nil: preconditionFailure("the integer kernels do not run on this processor")
        }
        #else
        preconditionFailure("this build has no integer kernels")
        #endif
    }

    /// The quantized value of column `i` (whatever the interleaving).
    func quant(at i: Int, count: Int) -> Int8 {
        quants[WeightMatrix.interleavedOffset(block: i / 32, half: i % 32 / 16, blocks: count / 32) + i % 16]
    }
}
