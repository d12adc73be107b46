/* The K-quants' dot products with AVX-512 (BW, VL, VNNI): OQ_SIMD 3.
 * Part of kernel/quant.c's one translation unit: quant_dots.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

/* AVX-512 (BW, VL, VNNI): 64 values a register. maddubs takes the unsigned weights against
 * the signed activations (pairs into int16, which cannot saturate: 2 * 63 * 127 < 32767),
 * and VNNI's vpdpwssd multiplies those by each 32 (Q4_K) or 16 (Q6_K) values' scale and
 * adds them into int32 lanes: two instructions where AVX2 takes four per 32 values. */
#define OQ_TILE 8
static inline float hsum16(__m512 v)
{
    return hsum8(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
}

/* Weight row w dotted with N activation rows y[0..N) (N = 1 for a decode step, up to
 * OQ_TILE inside a prefill chunk): each block's nibbles are unpacked and its scales spread
 * once for all N. Every row's sums are the same integers and floats in the same order
 * whatever N is, so a chunk gives the bits of one-token steps. A Q4_K block's 32 bytes of
 * nibbles j hold values 64j.. (low) and 64j + 32.. (high): broadcast to both halves of a
 * register and shifted by 0 or 4, they line up with 64 consecutive activations. */
static inline __attribute__((always_inline)) void dotn_q4k(const uint8_t *w,
                                                           const BlockQ8K *const *y, int nb,
                                                           int N, float *out)
{
    const __m512i m4 = _mm512_set1_epi8(0xf), shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
    __m512 acc[OQ_TILE];
    __m256 accm[OQ_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm512_setzero_ps(), accm[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w += 144) {
        const __m512 wd = _mm512_set1_ps(h2f(*(const uint16_t *)w));
        uint32_t u[4];
        q4k_scales(w + 4, u);
        const __m256 mins = q4k_mins(u, h2f(*(const uint16_t *)(w + 2)));
        const __m512i sc = _mm512_castsi256_si512(
            _mm256_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)u[1], (int)u[0])));
        __m512i q[4], s[4];
        for (int j = 0; j < 4; j++) {
            const __m512i bits = _mm512_broadcast_i64x4(
                _mm256_loadu_si256((const __m256i *)(w + 16 + 32 * j)));
            q[j] = _mm512_and_si512(_mm512_srlv_epi64(bits, shift), m4);
            /* int16 lanes 0-15 take scale 2j, 16-31 scale 2j + 1 */
            s[j] = _mm512_permutexvar_epi16(
                _mm512_set_epi64(0x0001000100010001LL * (2 * j + 1),
                                 0x0001000100010001LL * (2 * j + 1),
                                 0x0001000100010001LL * (2 * j + 1),
                                 0x0001000100010001LL * (2 * j + 1),
                                 0x0001000100010001LL * (2 * j), 0x0001000100010001LL * (2 * j),
                                 0x0001000100010001LL * (2 * j), 0x0001000100010001LL * (2 * j)),
                sc);
        }
        for (int k = 0; k < N; k++) {
            __m512i sumi = _mm512_setzero_si512();
            for (int j = 0; j < 4; j++)
                sumi = _mm512_dpwssd_epi32(sumi, _mm512_maddubs_epi16(
                    q[j], _mm512_loadu_si512(y[k][i].qs + 64 * j)), s[j]);
            acc[k] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sumi), wd),
                                     _mm512_set1_ps(y[k][i].d), acc[k]);
            accm[k] = _mm256_fmadd_ps(mins, _mm256_loadu_ps(y[k][i].dsums), accm[k]);
        }
    }
    for (int k = 0; k < N; k++)
        out[k] = hsum16(acc[k]) - hsum8(accm[k]);
}

/* Q6_K's values are q - 32 with q in [0, 64): the products take q as unsigned bytes, and
 * 32 * (each 16 values' activation sum, Q8_K's bsums) times its scale comes off at the
 * start of a block. A register holds 64 consecutive values: 64 bytes of low nibbles j (the
 * high nibbles are the next 64), their 2-bit tops from 32 bytes of qh rotated into bits 4-5
 * (values 32m.. of the 128 take qh's bits 2m, 2m + 1). */
static inline __attribute__((always_inline)) void dotn_q6k(const uint8_t *w,
                                                           const BlockQ8K *const *y, int nb,
                                                           int N, float *out)
{
    const __m512i m4 = _mm512_set1_epi8(0xf), m30 = _mm512_set1_epi8(0x30);
    const __m512i rot_lo = _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);
    const __m512i rot_hi = _mm512_set_epi64(62, 62, 62, 62, 0, 0, 0, 0);
    __m512 acc[OQ_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm512_setzero_ps();
    for (int i = 0; i < nb; i++, w += 210) {
        const __m512 wd = _mm512_set1_ps(h2f(*(const uint16_t *)(w + 208)));
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 192)));
        const __m256i off = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(sc16, 5));
        const __m512i sc = _mm512_castsi256_si512(sc16);
        __m512i q[4], s[4];
        for (int j = 0; j < 2; j++) {
            const __m512i bits = _mm512_loadu_si512(w + 64 * j);
            const __m512i hb = _mm512_broadcast_i64x4(
                _mm256_loadu_si256((const __m256i *)(w + 128 + 32 * j)));
            q[2 * j] = _mm512_or_si512(_mm512_and_si512(bits, m4),
                                       _mm512_and_si512(_mm512_rolv_epi64(hb, rot_lo), m30));
            q[2 * j + 1] = _mm512_or_si512(
                _mm512_and_si512(_mm512_srli_epi16(bits, 4), m4),
                _mm512_and_si512(_mm512_rolv_epi64(hb, rot_hi), m30));
        }
        for (int h = 0; h < 4; h++) {  /* int16 lanes 8m.. take scale 4h + m */
            const long long a = 0x0001000100010001LL * (4 * h), o = 0x0001000100010001LL;
            s[h] = _mm512_permutexvar_epi16(
                _mm512_set_epi64(a + 3 * o, a + 3 * o, a + 2 * o, a + 2 * o, a + o, a + o, a,
                                 a), sc);
        }
        for (int k = 0; k < N; k++) {
            __m512i sumi = _mm512_zextsi256_si512(
                _mm256_madd_epi16(off, _mm256_loadu_si256((const __m256i *)y[k][i].bsums)));
            for (int h = 0; h < 4; h++)
                sumi = _mm512_dpwssd_epi32(sumi, _mm512_maddubs_epi16(
                    q[h], _mm512_loadu_si512(y[k][i].qs + 64 * h)), s[h]);
            acc[k] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sumi), wd),
                                     _mm512_set1_ps(y[k][i].d), acc[k]);
        }
    }
    for (int k = 0; k < N; k++)
        out[k] = hsum16(acc[k]);
}
