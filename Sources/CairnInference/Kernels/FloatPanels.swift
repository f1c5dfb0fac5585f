#if canImport(CFloatPanels)
import CFloatPanels
#endif

/// Float32 products `Y = X · Wᵀ` over weights decoded once and kept in panels of 32 rows, column by column
/// (`CFloatPanels`): no decoding and no packing per product, so short batched passes (a verifier's re-scoring of a
/// prompt and an answer) run at about the speed long ones get from OpenBLAS. Each output is one fused multiply-add
/// chain over the columns in order, so the results differ from OpenBLAS's sgemm in the last bits.
public enum FloatPanels {
    /// Rows per panel.
    public static let rows = 32

    /// Whether this processor and build have the kernels (AVX-512F and FMA, or AVX2 and FMA, on x86-64).
    public static var available: Bool { instructions != nil }

    /// Which kernels run here: AVX-512F ones where the processor has it, else AVX2 ones (the same results).
    public enum Instructions: Sendable { case avx512, avx2 }

    public static let instructions: Instructions? = {
        #if canImport(CFloatPanels)
        let flags = MatVecKernels.processorFlags()
        guard flags.contains("fma") else { return nil }
        if flags.contains("avx512f") { return .avx512 }
        return flags.contains("avx2") ? .avx2 : nil
        #else
        return nil
        #endif
    }()

    /// Floats that `rows × columns` weights take in panels (`rows` a multiple of ``rows``).
    public static func count(rows: Int, columns: Int) -> Int { rows * columns }

    /// Writes `rows × columns` row-major floats into panels at `destination`. Only where ``available``.
    public static func pack(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(available && rows % Self.rows == 0, "panels need AVX-512F or AVX2 and whole panels of rows")
        #if canImport(CFloatPanels)
        cairn_panels_pack(source, rows, columns, destination)
        #endif
    }

    /// `output[t * ldc + r] (+)= Σ_k x[t][k] · W[r][k]` for the rows of panels `panels` and `tokens` rows of `x`
    /// (`columns` floats each). Only where ``available``.
    @inline(__always)
    public static func multiply(
        x: UnsafePointer<Float>, tokens: Int, columns: Int, weights: UnsafePointer<Float>, panels: Range<Int>,
        output: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, using kernels: Instructions? = nil
    ) {
        #if canImport(CFloatPanels)
        if (kernels ?? instructions) == .avx512 {
            cairn_panels_multiply(x, tokens, columns, weights, panels.lowerBound, panels.upperBound, output, ldc, accumulate ? 1 : 0)
        } else {
            cairn_panels_multiply_avx2(x, tokens, columns, weights, panels.lowerBound, panels.upperBound, output, ldc, accumulate ? 1 : 0)
        }
        #else
        preconditionFailure("panels need AVX-512F or AVX2")
        #endif
    }
}
