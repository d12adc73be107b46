/* Q4_K and Q6_K repacked, 8 weight rows interleaved, and their GEMM (every SIMD build;
 * AVX-512 builds run two groups at once: quant_x16.c).
 * Part of kernel/quant.c's one translation unit: quant.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

/* -- Q4_K repacked: 8 weight rows interleaved ----------------------------------------------
 * Above, a vector holds one weight row's partial sums, so every (weight row, activation row,
 * block) pays a madd per 32 values to apply the 6-bit scales, then its own int-to-float
 * conversion, scale and minimums. Here (the idea of ggml's repacked Q4_K GEMM, ggml-cpu
 * repack.cpp, MIT licence; the layout and kernel are this file's own) a vector holds 8
 * weight rows' sums, 4 bytes of each: the maddubs of a 32-value sub-block add up in int16
 * (8 pairs of 2 * 15 * 127 fit), one madd applies the 8 rows' scales, and a block's d, dmin
 * and minimums apply once for 8 rows. Per 256 multiply-adds that is 8 maddubs, 8 adds and
 * 1 madd where the kernels above take 8 maddubs, 8 madds and 8 adds. Each lane is one
 * (weight row, activation row) sum in one fixed order whatever the tile, so a chunk still
 * gives one-row steps' bits; decode steps read this layout too, so the file's pages of
 * these matrices can be let go (kernel/gguf_model.py). */
typedef struct {
    uint16_t d[8], dmin[8];  /* fp16, row r in lane r */
    uint8_t sc[8][8];        /* [sub-block j][row]: the 6-bit scales */
    uint8_t mins[4][8][2];   /* [sub-block pair][row][0, 1]: int16 pairs for madd */
    uint8_t qs[8][4][32];    /* [j][m][4 * row + b]: low nibble value 32j + 4m + b, high
                              * nibble 32j + 16 + 4m + b, of the block */
} BlockQ4KX8;

#if OQ_SIMD
#define OQ_X8 1
#define X8_TILE 4  /* activation rows a pass (quant_products.c's group_products) */
#if OQ_SIMD == 3  /* AVX-512 builds take two groups at once (quant_x16.c); a last odd one here */
#define DPWSSD256(acc, a, b) _mm256_dpwssd_epi32(acc, a, b)
#endif
/* Row r of a group from its Q4_K block: 32 bytes of nibbles p hold values 64p.. (low) and
 * 64p + 32.. (high), that is sub-blocks 2p and 2p + 1; each takes values v and 16 + v of
 * its 32 into one byte, 4 bytes (v = 4m..4m + 3) at a time. */
static void repack_q4k_row(const uint8_t *blk, int r, BlockQ4KX8 *out)
{
    const uint32_t lo4 = 0x0f0f0f0f;
    memcpy(&out->d[r], blk, 2);
    memcpy(&out->dmin[r], blk + 2, 2);
    for (int j = 0; j < 8; j++)
        scale_min_k4(j, blk + 4, &out->sc[j][r], &out->mins[j / 2][r][j % 2]);
    for (int p = 0; p < 4; p++)
        for (int m = 0; m < 4; m++) {
            uint32_t a, b;
            memcpy(&a, blk + 16 + 32 * p + 4 * m, 4);       /* values 4m.. */
            memcpy(&b, blk + 16 + 32 * p + 16 + 4 * m, 4);  /* values 16 + 4m.. */
            const uint32_t even = (a & lo4) | (b & lo4) << 4, odd = (a >> 4 & lo4) | (b & ~lo4);
            memcpy(out->qs[2 * p][m] + 4 * r, &even, 4);
            memcpy(out->qs[2 * p + 1][m] + 4 * r, &odd, 4);
        }
}

/* A decode step (one activation row) waits on the weights' loads: the group's blocks are
 * one stream, and the hardware prefetcher alone left 37% of a Q6_K step's samples on its
 * first load (Zen 3). Each sub-block asks for `lines` cache lines of the block X8_AHEAD
 * ahead (2-3 KiB), the whole block over its 8 sub-blocks; past the group's end the hint is
 * harmless. (A loop of prefetches alone was removed by GCC 12 as dead code.) */
#define X8_AHEAD 2
#define X8_PREFETCH(block, part, lines)                                                      \
    do {                                                                                     \
        const char *at_ = (const char *)((block) + X8_AHEAD) + 64 * (lines) * (part);         \
        _mm_prefetch(at_, _MM_HINT_T0);                                                      \
        _mm_prefetch(at_ + 64, _MM_HINT_T0);                                                 \
        _mm_prefetch(at_ + 128, _MM_HINT_T0);                                                \
        if ((lines) > 3)                                                                     \
            _mm_prefetch(at_ + 192, _MM_HINT_T0);                                            \
    } while (0)

/* 8 weight rows' (one BlockQ4KX8 a block) sums with N activation rows: out[k] lane r is
 * row r's product with activation row k. */
static inline __attribute__((always_inline)) void gemm_q4kx8(const BlockQ4KX8 *w,
                                                             const BlockQ8K *const *y, int nb,
                                                             int N, __m256 *out)
{
    const __m256i m4 = _mm256_set1_epi8(0xf);
    __m256 acc[X8_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w++) {
        __m256i isum[X8_TILE];
        for (int k = 0; k < N; k++)
            isum[k] = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            X8_PREFETCH(w, j, 3);  /* 1184 bytes a block */
            __m256i sc = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)w->sc[j]));
            sc = _mm256_or_si256(sc, _mm256_slli_epi32(sc, 16));  /* (s, s) per row */
            __m256i q[8];  /* values 4m.. (q[m]) and 16 + 4m.. (q[4 + m]) of 8 rows */
            for (int m = 0; m < 4; m++) {
                const __m256i raw = _mm256_loadu_si256((const __m256i *)w->qs[j][m]);
                q[m] = _mm256_and_si256(raw, m4);
                q[4 + m] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
            }
            for (int k = 0; k < N; k++) {
                const int8_t *a = y[k][i].qs + 32 * j;
                __m256i p[8];
                for (int m = 0; m < 8; m++) {
                    int32_t a4;
                    memcpy(&a4, a + 4 * m, 4);
                    p[m] = _mm256_maddubs_epi16(q[m], _mm256_set1_epi32(a4));
                }
                const __m256i s = _mm256_add_epi16(
                    _mm256_add_epi16(_mm256_add_epi16(p[0], p[1]), _mm256_add_epi16(p[2], p[3])),
                    _mm256_add_epi16(_mm256_add_epi16(p[4], p[5]), _mm256_add_epi16(p[6], p[7])));
                isum[k] = DPWSSD256(isum[k], s, sc);
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        const __m256 dm = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->dmin));
        __m256i mn[4];
        for (int q = 0; q < 4; q++)
            mn[q] = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)w->mins[q]));
        for (int k = 0; k < N; k++) {
            __m256i ms = _mm256_setzero_si256();
            for (int q = 0; q < 4; q++) {
                int32_t pair;
                memcpy(&pair, y[k][i].bsums32 + 2 * q, 4);
                ms = DPWSSD256(ms, mn[q], _mm256_set1_epi32(pair));
            }
            const __m256 da = _mm256_set1_ps(y[k][i].d);
            acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[k]), _mm256_mul_ps(d, da), acc[k]);
            acc[k] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(ms), _mm256_mul_ps(dm, da), acc[k]);
        }
    }
    for (int k = 0; k < N; k++)
        out[k] = acc[k];
}

static void gemms_q4kx8(const BlockQ4KX8 *w, const BlockQ8K *const *y, int nb, int n,
                        __m256 *out)
{
    switch (n) {
    case 1: gemm_q4kx8(w, y, nb, 1, out); break;
    case 2: gemm_q4kx8(w, y, nb, 2, out); break;
    case 3: gemm_q4kx8(w, y, nb, 3, out); break;
    default: gemm_q4kx8(w, y, nb, 4, out); break;
    }
}
#endif

/* Q6_K the same way. Its 6-bit values q (the value is q - 32) pair up to 2 * 63 * 127 in a
 * maddubs, so only two add up in int16: a 16-value sub-block (one int8 scale) takes two
 * madds for 8 rows where the one-row kernel takes one per 32 values and row. The offset of
 * 32 comes off through each 16 activations' sum (Q8_K's bsums), once a block for 8 rows. */
typedef struct {
    uint16_t d[8];
    int8_t sc[8][8][2];     /* [sub-block pair][row][0, 1]: the 16-value scales */
    uint8_t ql[16][2][32];  /* [s][u][4 * row + b]: low nibble the low 4 bits of value
                             * 16s + 4u + b of the block, high nibble of 16s + 8 + 4u + b */
    uint8_t qh[16][32];     /* [s][4 * row + b]: bits 2k, 2k + 1 the top 2 of 16s + 4k + b */
} BlockQ6KX8;

#ifdef OQ_X8
/* Value n of a Q6_K block (ql, qh as the file has them), 0..63. */
static inline int q6k_value(const uint8_t *ql, const uint8_t *qh, int n)
{
    const int h = n / 128, l = n % 32, quarter = n % 128 / 32;
    const uint8_t low = ql[64 * h + 32 * (quarter & 1) + l];
    return (quarter < 2 ? low & 0xf : low >> 4) | ((qh[32 * h + l] >> (2 * quarter)) & 3) << 4;
}

static void repack_q6k_row(const uint8_t *blk, int r, BlockQ6KX8 *out)
{
    memcpy(&out->d[r], blk + 208, 2);
    for (int s = 0; s < 16; s++) {
        out->sc[s / 2][r][s % 2] = (int8_t)blk[192 + s];
        uint8_t hbits[4] = {0, 0, 0, 0};
        for (int v = 0; v < 16; v++) {
            const int q = q6k_value(blk, blk + 128, 16 * s + v);
            if (v < 8)
                out->ql[s][v / 4][4 * r + v % 4] = (uint8_t)(q & 0xf);
            else
                out->ql[s][(v - 8) / 4][4 * r + v % 4] |= (uint8_t)((q & 0xf) << 4);
            hbits[v % 4] |= (uint8_t)((q >> 4) << (2 * (v / 4)));
        }
        memcpy(out->qh[s] + 4 * r, hbits, 4);
    }
}

/* As gemm_q4kx8, for BlockQ6KX8. */
static inline __attribute__((always_inline)) void gemm_q6kx8(const BlockQ6KX8 *w,
                                                             const BlockQ8K *const *y, int nb,
                                                             int N, __m256 *out)
{
    const __m256i m4 = _mm256_set1_epi8(0xf), m30 = _mm256_set1_epi8(0x30);
    /* a row's pair of int16 scales (s0, s1) spread to (s0, s0) or (s1, s1) */
    const __m256i even = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13,
                                          0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
    const __m256i odd = _mm256_add_epi8(even, _mm256_set1_epi8(2));
    __m256 acc[X8_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w++) {
        __m256i isum[X8_TILE];
        for (int k = 0; k < N; k++)
            isum[k] = _mm256_setzero_si256();
        for (int p = 0; p < 8; p++) {
            X8_PREFETCH(w, p, 4);  /* 1680 bytes a block */
            const __m256i pair = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w->sc[p]));
            for (int k = 0; k < N; k++) {  /* the offset: 32 * scale * each 16's sum */
                int32_t bs;
                memcpy(&bs, y[k][i].bsums + 2 * p, 4);
                isum[k] = _mm256_sub_epi32(isum[k], _mm256_slli_epi32(
                    _mm256_madd_epi16(pair, _mm256_set1_epi32(bs)), 5));
            }
            for (int h = 0; h < 2; h++) {
                const int s = 2 * p + h;
                const __m256i sc = _mm256_shuffle_epi8(pair, h ? odd : even);
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)w->ql[s][0]);
                const __m256i l1 = _mm256_loadu_si256((const __m256i *)w->ql[s][1]);
                const __m256i hb = _mm256_loadu_si256((const __m256i *)w->qh[s]);
                const __m256i q0 = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                                   _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30));
                const __m256i q1 = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                                   _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30));
                const __m256i q2 = _mm256_or_si256(
                    _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30));
                const __m256i q3 = _mm256_or_si256(
                    _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                    _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
                for (int k = 0; k < N; k++) {
                    const int8_t *a = y[k][i].qs + 16 * s;
                    int32_t a0, a1, a2, a3;
                    memcpy(&a0, a, 4), memcpy(&a1, a + 4, 4);
                    memcpy(&a2, a + 8, 4), memcpy(&a3, a + 12, 4);
                    const __m256i x = _mm256_add_epi16(
                        _mm256_maddubs_epi16(q0, _mm256_set1_epi32(a0)),
                        _mm256_maddubs_epi16(q1, _mm256_set1_epi32(a1)));
                    const __m256i z = _mm256_add_epi16(
                        _mm256_maddubs_epi16(q2, _mm256_set1_epi32(a2)),
                        _mm256_maddubs_epi16(q3, _mm256_set1_epi32(a3)));
                    isum[k] = DPWSSD256(DPWSSD256(isum[k], x, sc), z, sc);
                }
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        for (int k = 0; k < N; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[k]),
                                     _mm256_mul_ps(d, _mm256_set1_ps(y[k][i].d)), acc[k]);
    }
    for (int k = 0; k < N; k++)
        out[k] = acc[k];
}

static void gemms_q6kx8(const BlockQ6KX8 *w, const BlockQ8K *const *y, int nb, int n,
                        __m256 *out)
{
    switch (n) {
    case 1: gemm_q6kx8(w, y, nb, 1, out); break;
    case 2: gemm_q6kx8(w, y, nb, 2, out); break;
    case 3: gemm_q6kx8(w, y, nb, 3, out); break;
    default: gemm_q6kx8(w, y, nb, 4, out); break;
    }
}
#endif

/* Q4_K or Q6_K rows w [rows, cols] repacked into dst (rows / 8 * cols / 256 BlockQ4KX8 or
 * BlockQ6KX8, each group of 8 rows its blocks in order). Returns the type the products then
 * take (T_Q4_K_X8, T_Q6_K_X8), or -1 where this build has no kernel for it or the shape
 * does not fit (nothing written). */
int oq_repack(const uint8_t *w, int type, int rows, int cols, uint8_t *dst)
{
#ifdef OQ_X8
    if ((type != T_Q4_K && type != T_Q6_K) || rows % 8 || cols % QK_K)
        return -1;
    const int nb = cols / QK_K;
    const size_t in = type == T_Q4_K ? 144 : 210;
    for (int g = 0; g < rows / 8; g++)
        for (int i = 0; i < nb; i++)
            for (int r = 0; r < 8; r++) {
                const uint8_t *blk = w + ((size_t)(8 * g + r) * nb + i) * in;
                if (type == T_Q4_K)
                    repack_q4k_row(blk, r, (BlockQ4KX8 *)dst + (size_t)g * nb + i);
                else
                    repack_q6k_row(blk, r, (BlockQ6KX8 *)dst + (size_t)g * nb + i);
            }
    return type == T_Q4_K ? T_Q4_K_X8 : T_Q6_K_X8;
#else
    (void)w, (void)type, (void)rows, (void)cols, (void)dst;
    return -1;
#endif
}

/* The bytes oq_repack writes for a matrix of `type`. */
size_t oq_repacked_bytes(int type, int rows, int cols)
{
    return (size_t)rows / 8 * (cols / QK_K) *
           (type == T_Q4_K ? sizeof(BlockQ4KX8) : sizeof(BlockQ6KX8));
}
