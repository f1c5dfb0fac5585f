#include "CFloatPanels.h"
#include <immintrin.h>

void cairn_panels_pack(const float *source, long rows, long columns, float *destination) {
    for (long p = 0; p < rows / CAIRN_PANEL_ROWS; p++) {
        float *panel = destination + p * columns * CAIRN_PANEL_ROWS;
        for (long i = 0; i < CAIRN_PANEL_ROWS; i++) {
            const float *row = source + (p * CAIRN_PANEL_ROWS + i) * columns;
            for (long k = 0; k < columns; k++) panel[k * CAIRN_PANEL_ROWS + i] = row[k];
        }
    }
}

static inline void finish(float *out, __m512 a, int accumulate) {
    if (accumulate) a = _mm512_add_ps(_mm512_loadu_ps(out), a);
    _mm512_storeu_ps(out, a);
}

/// Six tokens against one panel: twelve accumulators, each weight vector loaded once for the six.
static void six(const float *x, long columns, const float *panel, float *out, long ldc, int accumulate) {
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
static void one(const float *x, long columns, const float *panel, float *out, int accumulate) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (long k = 0; k < columns; k++) {
        __m512 b = _mm512_set1_ps(x[k]);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(panel + k * CAIRN_PANEL_ROWS), b, a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(panel + k * CAIRN_PANEL_ROWS + 16), b, a1);
    }
    finish(out, a0, accumulate);
    finish(out + 16, a1, accumulate);
}

void cairn_panels_multiply(const float *x, long tokens, long columns, const float *panels, long firstPanel, long endPanel,
                           float *output, long ldc, int accumulate) {
    for (long p = firstPanel; p < endPanel; p++) {
        const float *panel = panels + p * columns * CAIRN_PANEL_ROWS;
        float *out = output + p * CAIRN_PANEL_ROWS;
        long t = 0;
        for (; t + 6 <= tokens; t += 6) six(x + t * columns, columns, panel, out + t * ldc, ldc, accumulate);
        for (; t < tokens; t++) one(x + t * columns, columns, panel, out + t * ldc, accumulate);
    }
}
