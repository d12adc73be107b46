/* One weight row's dot products with a few activation rows: the helpers the
 * vector kernels share, this build's kernels (a file per ISA) and their dispatch.
 * Part of kernel/quant.c's one translation unit: quant.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

/* -- dot products of one weight row with a few quantized activation rows ---------------- */
#if OQ_SIMD
static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Q4_K's 6-bit scales and mins unpacked (ggml's kmask shuffle): u[0..1] the 8 scales,
 * u[2..3] the 8 mins, a byte each. */
static inline void q4k_scales(const uint8_t *packed, uint32_t u[4])
{
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    memcpy(u, packed, 12);
    u[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);
    const uint32_t uaux = u[1] & kmask1;
    u[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);
    u[2] = uaux;
    u[0] &= kmask1;
}

/* Q4_K's minimums: wmin times each 32 values' min, as floats, against Q8_K's d times each
 * 32 values' sum (BlockQ8K.dsums): one FMA per block and activation row. */
static inline __m256 q4k_mins(const uint32_t u[4], float wmin)
{
    const __m256i m = _mm256_cvtepu8_epi32(_mm_set_epi32(0, 0, (int)u[3], (int)u[2]));
    return _mm256_mul_ps(_mm256_set1_ps(wmin), _mm256_cvtepi32_ps(m));
}
#endif

#if OQ_SIMD == 3
#include "quant_dots_avx512.c"
#elif OQ_SIMD
#include "quant_dots_avx2.c"
#endif

#if OQ_SIMD
/* dotn with N a constant, so each tile size compiles to its own unrolled loop. */
#define DOTS(name, kernel)                                                                  \
    static void name(const uint8_t *w, const BlockQ8K *const *y, int nb, int n, float *out) \
    {                                                                                       \
        switch (n) {                                                                        \
        case 1: kernel(w, y, nb, 1, out); break;                                            \
        case 2: kernel(w, y, nb, 2, out); break;                                            \
        case 3: kernel(w, y, nb, 3, out); break;                                            \
        case 4: kernel(w, y, nb, 4, out); break;                                            \
        TILE_CASES(kernel)                                                                  \
        }                                                                                   \
    }
#if OQ_TILE == 8
#define TILE_CASES(kernel)                                                                  \
    case 5: kernel(w, y, nb, 5, out); break;                                                \
    case 6: kernel(w, y, nb, 6, out); break;                                                \
    case 7: kernel(w, y, nb, 7, out); break;                                                \
    case 8: kernel(w, y, nb, 8, out); break;
#else
#define TILE_CASES(kernel)
#endif
DOTS(dots_q4k, dotn_q4k)
DOTS(dots_q6k, dotn_q6k)

static float dot_q80(const uint8_t *w, const BlockQ80 *y, int nb)
{
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w += 34) {
        const __m256 d = _mm256_set1_ps(h2f(*(const uint16_t *)w) * y[i].d);
        const __m256i qx = _mm256_loadu_si256((const __m256i *)(w + 2));
        const __m256i qy = _mm256_loadu_si256((const __m256i *)y[i].qs);
        const __m256i ax = _mm256_sign_epi8(qx, qx), sy = _mm256_sign_epi8(qy, qx);
        const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy),
                                              _mm256_set1_epi16(1));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot), acc);
    }
    return hsum8(acc);
}
#else
#include "quant_dots_scalar.c"
#endif
