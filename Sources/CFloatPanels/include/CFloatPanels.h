#ifndef CFLOATPANELS_H
#define CFLOATPANELS_H

/// Float32 products Y = X · Wᵀ over weights kept in panels: panel p holds rows 32p..<32p+32 of W column by column
/// (for each column, the 32 rows' values one after another), so a product streams each panel once per block of
/// tokens without packing it again. Built with AVX-512F and FMA: call only on processors that have them.

/// The rows a panel holds.
#define CAIRN_PANEL_ROWS 32

/// Writes `rows × columns` row-major floats (`rows` a multiple of CAIRN_PANEL_ROWS) into `rows / 32` panels.
void cairn_panels_pack(const float *source, long rows, long columns, float *destination);

/// For panels `firstPanel..<endPanel` of `panels` (each `columns` long) and tokens `0..<tokens` of `x` (row-major,
/// `columns` floats apart): `output[t * ldc + r] = Σ_k x[t][k] · W[r][k]` for the panels' rows r, added to what
/// `output` holds when `accumulate` is nonzero. Each sum runs over k in order with fused multiply-adds.
void cairn_panels_multiply(const float *x, long tokens, long columns, const float *panels, long firstPanel, long endPanel,
                           float *output, long ldc, int accumulate);

/// `cairn_panels_multiply` with AVX2 and FMA: the same sums in the same order, so the same results.
void cairn_panels_multiply_avx2(const float *x, long tokens, long columns, const float *panels, long firstPanel,
                                long endPanel, float *output, long ldc, int accumulate);

#endif
