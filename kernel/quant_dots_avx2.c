/* The K-quants' dot products with AVX2, and AVX-VNNI's vpdpwssd where there is
 * one: OQ_SIMD 1 and 2.
 * Part of kernel/quant.c's one translation unit: quant_dots.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

/* AVX2 (ggml's x86 kernels: maddubs over the unpacked nibbles, scales by madd), 32 values a
 * register; with AVX-VNNI (OQ_SIMD 2) vpdpwssd does the scales' madd and the add in one. */
#define OQ_TILE 4
#if OQ_SIMD == 2 && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define DPWSSD256(acc, a, b) _mm256_dpwssd_epi32(acc, a, b)
#elif OQ_SIMD == 2
#define DPWSSD256(acc, a, b) _mm256_dpwssd_avx_epi32(acc, a, b)
#else
#define DPWSSD256(acc, a, b) _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
#endif

/* As the AVX-512 dotn_q4k, 32 values a register. */
static inline __attribute__((always_inline)) void dotn_q4k(const uint8_t *w,
                                                           const BlockQ8K *const *y, int nb,
                                                           int N, float *out)
{
    const __m256i m4 = _mm256_set1_epi8(0xf);
    __m256 acc[OQ_TILE], accm[OQ_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm256_setzero_ps(), accm[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w += 144) {
        const float wd = h2f(*(const uint16_t *)w);
        uint32_t u[4];
        q4k_scales(w + 4, u);
        const __m256 mins = q4k_mins(u, h2f(*(const uint16_t *)(w + 2)));
        const __m128i sc128 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)u[1], (int)u[0]));
        const __m256i scales = _mm256_set_m128i(sc128, sc128);
        const uint8_t *q4 = w + 16;
        __m256i sumi[OQ_TILE];
        for (int k = 0; k < N; k++)
            sumi[k] = _mm256_setzero_si256();
        for (int j = 0; j < QK_K / 64; j++) {
            const __m256i scale_l = _mm256_shuffle_epi8(
                scales, _mm256_set1_epi16((short)(((4 * j + 1) << 8) | (4 * j))));
            const __m256i scale_h = _mm256_shuffle_epi8(
                scales, _mm256_set1_epi16((short)(((4 * j + 3) << 8) | (4 * j + 2))));
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q4 + 32 * j));
            const __m256i lo = _mm256_and_si256(bits, m4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            for (int k = 0; k < N; k++) {
                const int8_t *q8 = y[k][i].qs + 64 * j;
                const __m256i q8l = _mm256_loadu_si256((const __m256i *)q8);
                const __m256i q8h = _mm256_loadu_si256((const __m256i *)(q8 + 32));
                sumi[k] = DPWSSD256(sumi[k], _mm256_maddubs_epi16(lo, q8l), scale_l);
                sumi[k] = DPWSSD256(sumi[k], _mm256_maddubs_epi16(hi, q8h), scale_h);
            }
        }
        for (int k = 0; k < N; k++) {
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(y[k][i].d * wd),
                                     _mm256_cvtepi32_ps(sumi[k]), acc[k]);
            accm[k] = _mm256_fmadd_ps(mins, _mm256_loadu_ps(y[k][i].dsums), accm[k]);
        }
    }
    for (int k = 0; k < N; k++)
        out[k] = hsum8(acc[k]) - hsum8(accm[k]);
}

/* As the AVX-512 dotn_q6k; ggml's second maddubs per 32 values is saved the same way. */
static inline __attribute__((always_inline)) void dotn_q6k(const uint8_t *w,
                                                           const BlockQ8K *const *y, int nb,
                                                           int N, float *out)
{
    const __m256i m4 = _mm256_set1_epi8(0xf), m2 = _mm256_set1_epi8(3);
    __m256 acc[OQ_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w += 210) {
        const float wd = h2f(*(const uint16_t *)(w + 208));
        const uint8_t *q4 = w, *qh = w + 128;
        const __m128i scales = _mm_loadu_si128((const __m128i *)(w + 192));
        const __m256i sc16 = _mm256_cvtepi8_epi16(scales);
        __m256i sumi[OQ_TILE];
        for (int k = 0; k < N; k++) {
            const __m256i bs = _mm256_loadu_si256((const __m256i *)y[k][i].bsums);
            sumi[k] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                       _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        }
        for (int j = 0, is = 0; j < QK_K / 128; j++, is += 4) {
            __m256i sc[4];
            for (int r = 0; r < 4; r++) {
                const char a = (char)(2 * (is + r)), b = (char)(2 * (is + r) + 1);
                sc[r] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(
                    scales, _mm_set_epi8(b, b, b, b, b, b, b, b, a, a, a, a, a, a, a, a)));
            }
            const __m256i bits1 = _mm256_loadu_si256((const __m256i *)(q4 + 64 * j));
            const __m256i bits2 = _mm256_loadu_si256((const __m256i *)(q4 + 64 * j + 32));
            const __m256i bitsh = _mm256_loadu_si256((const __m256i *)(qh + 32 * j));
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(bits1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(bitsh, m2), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(bits2, m4), _mm256_slli_epi16(
                _mm256_and_si256(_mm256_srli_epi16(bitsh, 2), m2), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits1, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(
                                       _mm256_srli_epi16(bitsh, 4), m2), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits2, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(
                                       _mm256_srli_epi16(bitsh, 6), m2), 4));
            for (int k = 0; k < N; k++) {
                const int8_t *q8 = y[k][i].qs + 128 * j;
                for (int r = 0; r < 4; r++) {
                    const __m256i x = _mm256_loadu_si256((const __m256i *)(q8 + 32 * r));
                    sumi[k] = DPWSSD256(sumi[k], _mm256_maddubs_epi16(q[r], x), sc[r]);
                }
            }
        }
        for (int k = 0; k < N; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(y[k][i].d * wd),
                                     _mm256_cvtepi32_ps(sumi[k]), acc[k]);
    }
    for (int k = 0; k < N; k++)
        out[k] = hsum8(acc[k]);
}
