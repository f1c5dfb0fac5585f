import COpenBLAS
import Foundation

/// OpenBLAS as the engine uses it: single-threaded calls (the engine runs them in parallel on a ``ComputePool``),
/// with kernels that use the processor's widest vectors.
///
/// OpenBLAS picks its kernels ("core") when it loads, from the processor or from `OPENBLAS_CORETYPE`. On a
/// processor with AVX-512 (F, CD, BW, DQ and VL) a core without AVX-512 kernels (Haswell, Zen: what Debian's
/// 0.3.21 runs on processors it does not know, or what an environment pins) leaves half of sgemm's speed unused;
/// the setup has OpenBLAS choose again as SkylakeX, once, before the engine's first call. `CAIRN_BLAS_CORETYPE`
/// names the core instead (`keep` leaves OpenBLAS's choice).
public enum BLASSetup {
    /// The kernels OpenBLAS runs, and the ones it ran before the setup changed them.
    public struct Core: Sendable, CustomStringConvertible {
        public let name: String
        public let replaced: String?

        public var description: String { replaced.map { "\(name) (OpenBLAS had \($0))" } ?? name }
    }

    /// OpenBLAS 0.3.21's cores with AVX-512 kernels.
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]

    /// Sets OpenBLAS up once; every entry point of the engine that calls BLAS goes through it.
    public static let core: Core = {
        openblas_set_num_threads(1)
        let chosen = corename()
        let wish = ProcessInfo.processInfo.environment["CAIRN_BLAS_CORETYPE"]
        if wish == "keep" { return Core(name: chosen, replaced: nil) }
        let target = wish ?? (!avx512Cores.contains(chosen.lowercased()) && hasAVX512() ? "SkylakeX" : nil)
        guard let target, target.lowercased() != chosen.lowercased() else { return Core(name: chosen, replaced: nil) }
        let pinned = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        setenv("OPENBLAS_CORETYPE", target, 1)
        gotoblas_dynamic_quit()
        gotoblas_dynamic_init()
        if let pinned { setenv("OPENBLAS_CORETYPE", pinned, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        openblas_set_num_threads(1)
        return Core(name: corename(), replaced: chosen)
    }()

    /// Makes sure the setup has run.
    static func ensure() { _ = core }

    static func corename() -> String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Whether the processor has the AVX-512 subsets OpenBLAS's SkylakeX kernels use (from `/proc/cpuinfo`).
    static func hasAVX512() -> Bool {
        let flags = MatVecKernels.processorFlags()
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }
}
