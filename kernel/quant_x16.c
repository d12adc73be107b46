/* The repacked Q4_K and Q6_K GEMM with AVX-512 (OQ_SIMD 3): two groups of 8 interleaved
 * rows (quant_x8.c's BlockQ4KX8, BlockQ6KX8, the layout unchanged) in one 512-bit register,
 * group g's 8 rows in its low half and group g + 1's in its high half.
 * Part of kernel/quant.c's one translation unit: quant.c includes it after quant_x8.c, so
 * it is not compiled alone.
 *
 * Why: on the Zen 5 EPYC the one-row AVX-512 kernels (quant_dots_avx512.c) prefilled at
 * 0.84x llama.cpp, whose CPU backend repacks Q4_K, and the 256-bit repacked GEMM forced onto
 * that CPU (OUROBOROS_NATIVE=avxvnni) read 0.93x. Each lane does what quant_x8.c's 256-bit
 * lane does, in the same order (maddubs, the int16 adds, vpdpwssd with the scales, the
 * float FMAs), so a 512-bit build gives the 256-bit repacked build's bits, and a chunk
 * still gives one-row steps' bits. A matrix whose groups are odd in number ends with one
 * group through quant_x8.c's kernel. */

#if OQ_SIMD == 3
#define X16 1
#define X16_TILE 4  /* activation rows a pass: 4 accumulators, 4 sums, 8 weight registers */

/* Group g's 32 bytes at `a` and group g + 1's at `b` in one register's halves. */
static inline __m512i x16_join(const void *a, const void *b)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a)),
                              _mm256_loadu_si256((const __m256i *)b), 1);
}

/* Two groups' 8 bytes (a row each) as 16 lanes of int32 (s, s) pairs. */
static inline __m512i x16_scales(const uint8_t *a, const uint8_t *b)
{
    const __m128i both = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)a),
                                            _mm_loadl_epi64((const __m128i *)b));
    const __m512i sc = _mm512_cvtepu8_epi32(both);
    return _mm512_or_si512(sc, _mm512_slli_epi32(sc, 16));
}

/* Group g's 16 bytes at `a` and group g + 1's at `b` in one 256-bit register's halves. */
static inline __m256i x16_join128(const void *a, const void *b)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)a)),
                                   _mm_loadu_si128((const __m128i *)b), 1);
}

/* 16 weight rows (groups w and w2, one block each in turn) with N activation rows: out[k]
 * lane r is row r's product with activation row k (rows 8.. from w2). */
static inline __attribute__((always_inline)) void gemm_q4kx16(const BlockQ4KX8 *w,
                                                              const BlockQ4KX8 *w2,
                                                              const BlockQ8K *const *y,
                                                              int nb, int N, __m512 *out)
{
    const __m512i m4 = _mm512_set1_epi8(0xf);
    __m512 acc[X16_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm512_setzero_ps();
    for (int i = 0; i < nb; i++, w++, w2++) {
        __m512i isum[X16_TILE];
        for (int k = 0; k < N; k++)
            isum[k] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            X8_PREFETCH(w, j, 3);
            X8_PREFETCH(w2, j, 3);
            const __m512i sc = x16_scales(w->sc[j], w2->sc[j]);
            __m512i q[8];
            for (int m = 0; m < 4; m++) {
                const __m512i raw = x16_join(w->qs[j][m], w2->qs[j][m]);
                q[m] = _mm512_and_si512(raw, m4);
                q[4 + m] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), m4);
            }
            for (int k = 0; k < N; k++) {
                const int8_t *a = y[k][i].qs + 32 * j;
                __m512i p[8];
                for (int m = 0; m < 8; m++) {
                    int32_t a4;
                    memcpy(&a4, a + 4 * m, 4);
                    p[m] = _mm512_maddubs_epi16(q[m], _mm512_set1_epi32(a4));
                }
                const __m512i s = _mm512_add_epi16(
                    _mm512_add_epi16(_mm512_add_epi16(p[0], p[1]), _mm512_add_epi16(p[2], p[3])),
                    _mm512_add_epi16(_mm512_add_epi16(p[4], p[5]), _mm512_add_epi16(p[6], p[7])));
                isum[k] = _mm512_dpwssd_epi32(isum[k], s, sc);
            }
        }
        const __m512 d = _mm512_cvtph_ps(x16_join128(w->d, w2->d));
        const __m512 dm = _mm512_cvtph_ps(x16_join128(w->dmin, w2->dmin));
        __m512i mn[4];
        for (int q = 0; q < 4; q++)
            mn[q] = _mm512_cvtepu8_epi16(x16_join128(w->mins[q], w2->mins[q]));
        for (int k = 0; k < N; k++) {
            __m512i ms = _mm512_setzero_si512();
            for (int q = 0; q < 4; q++) {
                int32_t pair;
                memcpy(&pair, y[k][i].bsums32 + 2 * q, 4);
                ms = _mm512_dpwssd_epi32(ms, mn[q], _mm512_set1_epi32(pair));
            }
            const __m512 da = _mm512_set1_ps(y[k][i].d);
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[k]), _mm512_mul_ps(d, da), acc[k]);
            acc[k] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(ms), _mm512_mul_ps(dm, da), acc[k]);
        }
    }
    for (int k = 0; k < N; k++)
        out[k] = acc[k];
}

/* As gemm_q4kx16, for BlockQ6KX8 (quant_x8.c's gemm_q6kx8 lane for lane). */
static inline __attribute__((always_inline)) void gemm_q6kx16(const BlockQ6KX8 *w,
                                                              const BlockQ6KX8 *w2,
                                                              const BlockQ8K *const *y,
                                                              int nb, int N, __m512 *out)
{
    const __m512i m4 = _mm512_set1_epi8(0xf), m30 = _mm512_set1_epi8(0x30);
    const __m512i even = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13));
    const __m512i odd = _mm512_add_epi8(even, _mm512_set1_epi8(2));
    __m512 acc[X16_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm512_setzero_ps();
    for (int i = 0; i < nb; i++, w++, w2++) {
        __m512i isum[X16_TILE];
        for (int k = 0; k < N; k++)
            isum[k] = _mm512_setzero_si512();
        for (int p = 0; p < 8; p++) {
            X8_PREFETCH(w, p, 4);
            X8_PREFETCH(w2, p, 4);
            const __m512i pair = _mm512_cvtepi8_epi16(x16_join128(w->sc[p], w2->sc[p]));
            for (int k = 0; k < N; k++) {
                int32_t bs;
                memcpy(&bs, y[k][i].bsums + 2 * p, 4);
                isum[k] = _mm512_sub_epi32(isum[k], _mm512_slli_epi32(
                    _mm512_madd_epi16(pair, _mm512_set1_epi32(bs)), 5));
            }
            for (int h = 0; h < 2; h++) {
                const int s = 2 * p + h;
                const __m512i sc = _mm512_shuffle_epi8(pair, h ? odd : even);
                const __m512i l0 = x16_join(w->ql[s][0], w2->ql[s][0]);
                const __m512i l1 = x16_join(w->ql[s][1], w2->ql[s][1]);
                const __m512i hb = x16_join(w->qh[s], w2->qh[s]);
                const __m512i q0 = _mm512_or_si512(_mm512_and_si512(l0, m4),
                                                   _mm512_and_si512(_mm512_slli_epi16(hb, 4), m30));
                const __m512i q1 = _mm512_or_si512(_mm512_and_si512(l1, m4),
                                                   _mm512_and_si512(_mm512_slli_epi16(hb, 2), m30));
                const __m512i q2 = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(hb, m30));
                const __m512i q3 = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16(l1, 4), m4),
                    _mm512_and_si512(_mm512_srli_epi16(hb, 2), m30));
                for (int k = 0; k < N; k++) {
                    const int8_t *a = y[k][i].qs + 16 * s;
                    int32_t a0, a1, a2, a3;
                    memcpy(&a0, a, 4), memcpy(&a1, a + 4, 4);
                    memcpy(&a2, a + 8, 4), memcpy(&a3, a + 12, 4);
                    const __m512i x = _mm512_add_epi16(
                        _mm512_maddubs_epi16(q0, _mm512_set1_epi32(a0)),
                        _mm512_maddubs_epi16(q1, _mm512_set1_epi32(a1)));
                    const __m512i z = _mm512_add_epi16(
                        _mm512_maddubs_epi16(q2, _mm512_set1_epi32(a2)),
                        _mm512_maddubs_epi16(q3, _mm512_set1_epi32(a3)));
                    isum[k] = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(isum[k], x, sc), z, sc);
                }
            }
        }
        const __m512 d = _mm512_cvtph_ps(x16_join128(w->d, w2->d));
        for (int k = 0; k < N; k++)
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[k]),
                                     _mm512_mul_ps(d, _mm512_set1_ps(y[k][i].d)), acc[k]);
    }
    for (int k = 0; k < N; k++)
        out[k] = acc[k];
}

/* The two kernels with N a constant, each tile size its own unrolled loop; `q6` picks. */
static void gemms_x16(int q6, const void *w, const void *w2, const BlockQ8K *const *y, int nb,
                      int n, __m512 *out)
{
#define X16_CASE(N)                                                                          \
    case N:                                                                                  \
        if (q6)                                                                              \
            gemm_q6kx16((const BlockQ6KX8 *)w, (const BlockQ6KX8 *)w2, y, nb, N, out);       \
        else                                                                                 \
            gemm_q4kx16((const BlockQ4KX8 *)w, (const BlockQ4KX8 *)w2, y, nb, N, out);       \
        break;
    switch (n) {
    X16_CASE(1)
    X16_CASE(2)
    X16_CASE(3)
    default:
    X16_CASE(4)
    }
#undef X16_CASE
}
#endif
