#include "CFloatPanels.h"
#include <immintrin.h>

// Each kernel is compiled for its own instructions (the target carries no -m flags), so the AVX2 ones hold no
// AVX-512 instruction and run on processors without it.
#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

void cairn_panels_pack(const float *source, long rows, long columns, float *destination) {
    for (long p = 0; p < rows / CAIRN_PANEL_ROWS; p++) {
        float *panel = destination + p * columns * CAIRN_PANEL_ROWS;
        for (long i = 0; i < CAIRN_PANEL_ROWS; i++) {
            const float *row = source + (p * CAIRN_PANEL_ROWS + i) * columns;
            for (long k = 0; k < columns; k++) panel[k * CAIRN_PANEL_ROWS + i] = row[k];
        }
    }
}

AVX512 static inline void finish(float *out, __m512 a, int accumulate) {
    if (accumulate) a = _mm512_add_ps(_mm512_loadu_ps(out), a);
    _mm512_storeu_ps(out, a);
}

/// Six tokens against one panel: twelve accumulators, each weight vector loaded once for the six.
AVX512 static void six(const float *x, long columns, const float *panel, float *out, long ldc, int accumulate) {
    __m512 a00 = _mm512_setzero_ps(), a01 = _mm512_setzero_ps(), a10 = _mm512_setzero_ps(), a11 = _mm512_setzero_ps();
    __m512 a20 = _mm512_setzero_ps(), a21 = _mm512_setzero_ps(), a30 = _mm512_setzero_ps(), a31 = _mm512_setzero_ps();
    __m512 a40 = _mm512_setzero_ps(), a41 = _mm512_setzero_ps(), a50 = _mm512_setzero_ps(), a51 = _mm512_setzero_ps();
    const float *x0 = x, *x1 = x + columns, *x2 = x + 2 * columns, *x3 = x + 3 * columns, *x4 = x + 4 * columns,
                *x5 = x + 5 * columns;
    for (long k = 0; k < columns; k++) {
        __m512 w0 = _mm512_loadu_ps(panel + k * CAIRN_PANEL_ROWS), w1 = _mm512_loadu_ps(panel + k * CAIRN_PANEL_ROWS + 16);
        __m512 b = _mm512_set1_ps(x0[k]);
        a00 = _mm512_fmadd_ps(w0, b, a00); a01 = _mm512_fmadd_ps(w1, b, a01);
        b = _mm512_set1_ps(x1[k]);
        a10 = _mm512_fmadd_ps(w0, b, a10); a11 = _mm512_fmadd_ps(w1, b, a11);
        b = _mm512_set1_ps(x2[k]);
        a20 = _mm512_fmadd_ps(w0, b, a20); a21 = _mm512_fmadd_ps(w1, b, a21);
        b = _mm512_set1_ps(x3[k]);
        a30 = _mm512_fmadd_ps(w0, b, a30); a31 = _mm512_fmadd_ps(w1, b, a31);
        b = _mm512_set1_ps(x4[k]);
        a40 = _mm512_fmadd_ps(w0, b, a40); a41 = _mm512_fmadd_ps(w1, b, a41);
        b = _mm512_set1_ps(x5[k]);
        a50 = _mm512_fmadd_ps(w0, b, a50); a51 = _mm512_fmadd_ps(w1, b, a51);
    }
    finish(out, a00, accumulate); finish(out + 16, a01, accumulate);
    finish(out + ldc, a10, accumulate); finish(out + ldc + 16, a11, accumulate);
    finish(out + 2 * ldc, a20, accumulate); finish(out + 2 * ldc + 16, a21, accumulate);
    finish(out + 3 * ldc, a30, accumulate); finish(out + 3 * ldc + 16, a31, accumulate);
    finish(out + 4 * ldc, a40, accumulate); finish(out + 4 * ldc + 16, a41, accumulate);
    finish(out + 5 * ldc, a50, accumulate); finish(out + 5 * ldc + 16, a51, accumulate);
}

/// One token against one panel (the tokens left over after blocks of six): the same sums in the same order.
AVX512 static void one(const float *x, long columns, const float *panel, float *out, int accumulate) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (long k = 0; k < columns; k++) {
        __m512 b = _mm512_set1_ps(x[k]);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(panel + k * CAIRN_PANEL_ROWS), b, a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(panel + k * CAIRN_PANEL_ROWS + 16), b, a1);
    }
    finish(out, a0, accumulate);
    finish(out + 16, a1, accumulate);
}

AVX512 void cairn_panels_multiply(const float *x, long tokens, long columns, const float *panels, long firstPanel, long endPanel,
                                  float *output, long ldc, int accumulate) {
    for (long p = firstPanel; p < endPanel; p++) {
        const float *panel = panels + p * columns * CAIRN_PANEL_ROWS;
        float *out = output + p * CAIRN_PANEL_ROWS;
        long t = 0;
        for (; t + 6 <= tokens; t += 6) six(x + t * columns, columns, panel, out + t * ldc, ldc, accumulate);
        for (; t < tokens; t++) one(x + t * columns, columns, panel, out + t * ldc, accumulate);
    }
}

// AVX2: sixteen registers of eight floats. Six tokens against half a panel (16 rows) keep twelve accumulators, two
// weight vectors and a broadcast in registers; each output is the same fused multiply-add chain over the columns in
// order as above, so both kernels give the same bits.

AVX2 static inline void finish8(float *out, __m256 a, int accumulate) {
    if (accumulate) a = _mm256_add_ps(_mm256_loadu_ps(out), a);
    _mm256_storeu_ps(out, a);
}

/// Six tokens against 16 rows of a panel (`panel` points at the first of them; a column is still 32 rows apart).
AVX2 static void six8(const float *x, long columns, const float *panel, float *out, long ldc, int accumulate) {
    __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();
    __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps(), a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
    __m256 a40 = _mm256_setzero_ps(), a41 = _mm256_setzero_ps(), a50 = _mm256_setzero_ps(), a51 = _mm256_setzero_ps();
    const float *x0 = x, *x1 = x + columns, *x2 = x + 2 * columns, *x3 = x + 3 * columns, *x4 = x + 4 * columns,
                *x5 = x + 5 * columns;
    for (long k = 0; k < columns; k++) {
        __m256 w0 = _mm256_loadu_ps(panel + k * CAIRN_PANEL_ROWS), w1 = _mm256_loadu_ps(panel + k * CAIRN_PANEL_ROWS + 8);
        __m256 b = _mm256_broadcast_ss(x0 + k);
        a00 = _mm256_fmadd_ps(w0, b, a00); a01 = _mm256_fmadd_ps(w1, b, a01);
        b = _mm256_broadcast_ss(x1 + k);
        a10 = _mm256_fmadd_ps(w0, b, a10); a11 = _mm256_fmadd_ps(w1, b, a11);
        b = _mm256_broadcast_ss(x2 + k);
        a20 = _mm256_fmadd_ps(w0, b, a20); a21 = _mm256_fmadd_ps(w1, b, a21);
        b = _mm256_broadcast_ss(x3 + k);
        a30 = _mm256_fmadd_ps(w0, b, a30); a31 = _mm256_fmadd_ps(w1, b, a31);
        b = _mm256_broadcast_ss(x4 + k);
        a40 = _mm256_fmadd_ps(w0, b, a40); a41 = _mm256_fmadd_ps(w1, b, a41);
        b = _mm256_broadcast_ss(x5 + k);
        a50 = _mm256_fmadd_ps(w0, b, a50); a51 = _mm256_fmadd_ps(w1, b, a51);
    }
    finish8(out, a00, accumulate); finish8(out + 8, a01, accumulate);
    finish8(out + ldc, a10, accumulate); finish8(out + ldc + 8, a11, accumulate);
    finish8(out + 2 * ldc, a20, accumulate); finish8(out + 2 * ldc + 8, a21, accumulate);
    finish8(out + 3 * ldc, a30, accumulate); finish8(out + 3 * ldc + 8, a31, accumulate);
    finish8(out + 4 * ldc, a40, accumulate); finish8(out + 4 * ldc + 8, a41, accumulate);
    finish8(out + 5 * ldc, a50, accumulate); finish8(out + 5 * ldc + 8, a51, accumulate);
}

/// One token against a whole panel.
AVX2 static void one8(const float *x, long columns, const float *panel, float *out, int accumulate) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (long k = 0; k < columns; k++) {
        __m256 b = _mm256_broadcast_ss(x + k);
        const float *w = panel + k * CAIRN_PANEL_ROWS;
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w), b, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), b, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 16), b, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 24), b, a3);
    }
    finish8(out, a0, accumulate);
    finish8(out + 8, a1, accumulate);
    finish8(out + 16, a2, accumulate);
    finish8(out + 24, a3, accumulate);
}

AVX2 void cairn_panels_multiply_avx2(const float *x, long tokens, long columns, const float *panels, long firstPanel,
                                     long endPanel, float *output, long ldc, int accumulate) {
    for (long p = firstPanel; p < endPanel; p++) {
        const float *panel = panels + p * columns * CAIRN_PANEL_ROWS;
        float *out = output + p * CAIRN_PANEL_ROWS;
        long t = 0;
        for (; t + 6 <= tokens; t += 6) {
            six8(x + t * columns, columns, panel, out + t * ldc, ldc, accumulate);
            six8(x + t * columns, columns, panel + 16, out + t * ldc + 16, ldc, accumulate);
        }
        for (; t < tokens; t++) one8(x + t * columns, columns, panel, out + t * ldc, accumulate);
    }
}
