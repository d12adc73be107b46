/* Products with GGUF-quantized weights (Q4_K, Q6_K, Q8_0) kept as the file's blocks, and the
 * token step of a Qwen2/Llama-shaped model over them (kernel/gguf_model.py builds and loads
 * this file as kernel/native.py builds native.c).
 *
 * Why: a 1.5B model's Q4_K_M file is 1.1 GB; dequantized to float32 it is 6 GB and every
 * decode step reads all of it. Here the weights are used where the file's mmap put them, and
 * each product is computed the way llama.cpp's CPU backend computes it: the activations are
 * quantized to 8 bits per block (Q8_K, 256 values with one float scale and 16 partial sums,
 * for the K-quants; Q8_0, 32 values with an fp16 scale, for Q8_0 weights) and each weight
 * block's integer products are summed before its scales apply. The AVX2 kernels follow
 * ggml's x86 ones (maddubs over the unpacked nibbles, scales by madd); the scalar loops are
 * the portable reference, the same integer sums with the float sums in another order.
 *
 * Block layouts (ggml's, as gguf.quants reads them):
 *   Q4_K, 144 bytes per 256: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128 of
 *         nibbles (each 64 values: 32 bytes, low nibbles the first 32, high the next 32).
 *   Q6_K, 210 bytes per 256: 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 int8
 *         scales (one per 16 values), fp16 d.
 *   Q8_0, 34 bytes per 32: fp16 d, 32 int8.
 *
 * The model step (oq_tokens) runs a whole token, or a short chunk of them, in one call, as
 * native.c's ob_tokens does: RMSNorm, q/k/v with their biases, RoPE in the rotate-half
 * (NEOX) form Qwen2 uses, the fp16 KV cache [layers, kv heads, capacity, head_dim] that
 * llama.cpp keeps too, causal GQA attention, SwiGLU, the output norm and the logits.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The products' kernels (quant_native.py KERNELS): 3 AVX-512 with VNNI, 2 AVX2 with
 * AVX-VNNI (or AVX-512 VNNI's 256-bit form), 1 AVX2, 0 the portable loops. */
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512DQ__) && defined(__AVX512VNNI__)
#define OQ_SIMD 3
#elif defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__))
#define OQ_SIMD 2
#else
#define OQ_SIMD 1
#endif
#else
#define OQ_SIMD 0
#endif

#define OQ_ABI 1
#define QK_K 256
#define QK8 32

enum { T_F32 = 0, T_F16 = 1, T_Q8_0 = 8, T_Q4_K = 12, T_Q6_K = 14 };
/* Not ggml types: Q4_K and Q6_K rows repacked by oq_repack, 8 rows interleaved (BlockQ4KX8,
 * BlockQ6KX8). */
#define T_Q4_K_X8 112
#define T_Q6_K_X8 114
enum { D_LAYERS, D_HIDDEN, D_HEADS, D_KV_HEADS, D_HEAD_DIM, D_INTER, D_VOCAB, D_COUNT };
/* Per layer, (pointer, ggml type) pairs in this order; a bias may be NULL. */
enum { L_ATTN_NORM, L_Q_B, L_K_B, L_V_B, L_FFN_NORM, L_Q, L_K, L_V, L_O, L_GATE, L_UP, L_DOWN,
       L_COUNT };
enum { G_EMBED, G_OUTPUT, G_NORM, G_COUNT };

/* Q8_K as ggml's, and d times each 32 values' sum (Q4_K's minimums take them as floats). */
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
    float dsums[QK_K / 32];
    int16_t bsums32[QK_K / 32];  /* each 32 values' sum: the repacked Q4_K's minimums */
} BlockQ8K;
typedef struct { float d; int8_t qs[QK8]; } BlockQ80;  /* d holds an fp16 value, as ggml's */

int oq_abi(void) { return OQ_ABI; }
int oq_simd(void) { return OQ_SIMD; }

int oq_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* -- half precision ------------------------------------------------------------------ */
static inline float h2f(uint16_t h)
{
#if OQ_SIMD
    return _cvtsh_ss(h);
#else
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else {  /* subnormal: normalize */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            u = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000 | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}

/* Round to nearest even, as F16C's conversion does. */
static inline uint16_t f2h(float f)
{
#if OQ_SIMD
    return _cvtss_sh(f, 0);
#else
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000;
    int exp = (int)((u >> 23) & 0xff) - 127 + 15;
    uint32_t man = u & 0x7fffff;
    if (((u >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {  /* subnormal or zero */
        if (exp < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        int shift = 14 - exp;
        uint32_t half = man >> shift, rest = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)exp << 10) | (man >> 13), rest = man & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
        half++;  /* a carry into the exponent is right, up to infinity */
    return (uint16_t)(sign | half);
#endif
}

/* -- activations to 8 bits ------------------------------------------------------------ */
/* 16 values scaled, rounded to nearest even and capped at 127 into qs; returns their sum.
 * The vector forms round as lrintf does (the default rounding mode), so every build gives
 * the same blocks. */
static inline int q8k_group(const float *x, float iscale, int8_t *qs)
{
#if OQ_SIMD == 3
    const __m512i v = _mm512_min_epi32(
        _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_set1_ps(iscale), _mm512_loadu_ps(x))),
        _mm512_set1_epi32(127));
    _mm_storeu_si128((__m128i *)qs, _mm512_cvtepi32_epi8(v));
    return _mm512_reduce_add_epi32(v);
#elif OQ_SIMD
    const __m256 s = _mm256_set1_ps(iscale);
    const __m256i top = _mm256_set1_epi32(127);
    const __m256i a = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(s, _mm256_loadu_ps(x))),
                                       top);
    const __m256i b = _mm256_min_epi32(
        _mm256_cvtps_epi32(_mm256_mul_ps(s, _mm256_loadu_ps(x + 8))), top);
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xd8);
    _mm_storeu_si128((__m128i *)qs, _mm_packs_epi16(_mm256_castsi256_si128(w),
                                                    _mm256_extracti128_si256(w, 1)));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(_mm256_add_epi32(a, b)),
                              _mm256_extracti128_si256(_mm256_add_epi32(a, b), 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
#else
    int sum = 0;
    for (int i = 0; i < 16; i++) {
        const int v = (int)lrintf(iscale * x[i]);
        sum += qs[i] = (int8_t)(v > 127 ? 127 : v);
    }
    return sum;
#endif
}

/* The largest magnitude of n (a multiple of 16) values. */
static inline float abs_max(const float *x, int n)
{
#if OQ_SIMD == 3
    __m512 m = _mm512_setzero_ps();
    for (int j = 0; j < n; j += 16)
        m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + j)));
    return _mm512_reduce_max_ps(m);
#elif OQ_SIMD
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < n; j += 8)
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
#else
    float amax = 0.0f;
    for (int j = 0; j < n; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    return amax;
#endif
}

/* ggml's quantize_row_q8_K: the scale from the value of largest magnitude (its sign kept;
 * the first such), rounding to nearest even, and each 16 values' sum for the K-quants'
 * minimums. */
static void quantize_q8k(const float *x, int n, BlockQ8K *y)
{
    for (int b = 0; b < n / QK_K; b++, x += QK_K) {
        const float amax = abs_max(x, QK_K);
        if (!(amax > 0.0f)) {
            memset(&y[b], 0, sizeof(BlockQ8K));
            continue;
        }
        int at = 0;
        while (fabsf(x[at]) != amax)
            at++;
        const float iscale = -127.0f / x[at];
        for (int j = 0; j < QK_K / 16; j++)
            y[b].bsums[j] = (int16_t)q8k_group(x + 16 * j, iscale, y[b].qs + 16 * j);
        y[b].d = 1.0f / iscale;
        for (int j = 0; j < QK_K / 32; j++) {
            y[b].bsums32[j] = (int16_t)(y[b].bsums[2 * j] + y[b].bsums[2 * j + 1]);
            y[b].dsums[j] = y[b].d * (float)y[b].bsums32[j];
        }
    }
}

/* ggml's quantize_row_q8_0 (its AVX2 form): d = amax / 127 kept as fp16, x * 127 / amax
 * rounded to nearest even. */
static void quantize_q80(const float *x, int n, BlockQ80 *y)
{
    for (int b = 0; b < n / QK8; b++, x += QK8) {
        float amax = 0.0f;
        for (int j = 0; j < QK8; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        y[b].d = h2f(f2h(amax / 127.0f));
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        for (int j = 0; j < QK8; j++)
            y[b].qs[j] = (int8_t)lrintf(x[j] * id);
    }
}

/* -- dequantizing (the embedding's rows, and the tests' view of the kernels) ---------- */
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m)
{
    if (j < 4) {
        *d = q[j] & 63, *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

static void dequant_q4k(const uint8_t *blk, float *y)
{
    const float d = h2f(*(const uint16_t *)blk), dmin = h2f(*(const uint16_t *)(blk + 2));
    const uint8_t *scales = blk + 4, *q = blk + 16;
    for (int j = 0; j < QK_K / 64; j++, q += 32) {
        uint8_t sc, m;
        scale_min_k4(2 * j, scales, &sc, &m);
        const float d1 = d * sc, m1 = dmin * m;
        scale_min_k4(2 * j + 1, scales, &sc, &m);
        const float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++)
            *y++ = d1 * (q[l] & 0xf) - m1;
        for (int l = 0; l < 32; l++)
            *y++ = d2 * (q[l] >> 4) - m2;
    }
}

static void dequant_q6k(const uint8_t *blk, float *y)
{
    const uint8_t *ql = blk, *qh = blk + 128;
    const int8_t *sc = (const int8_t *)(blk + 192);
    const float d = h2f(*(const uint16_t *)(blk + 208));
    for (int n = 0; n < QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8)
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * sc[is] * q1, y[l + 32] = d * sc[is + 2] * q2;
            y[l + 64] = d * sc[is + 4] * q3, y[l + 96] = d * sc[is + 6] * q4;
        }
}

static size_t row_bytes(int type, int cols)
{
    switch (type) {
    case T_F32: return (size_t)cols * 4;
    case T_F16: return (size_t)cols * 2;
    case T_Q8_0: return (size_t)cols / QK8 * 34;
    case T_Q4_K: return (size_t)cols / QK_K * 144;
    case T_Q6_K: return (size_t)cols / QK_K * 210;
    default: return 0;
    }
}

static void dequant_row(int type, const uint8_t *w, int cols, float *y)
{
    switch (type) {
    case T_F32: memcpy(y, w, (size_t)cols * 4); break;
    case T_F16:
        for (int i = 0; i < cols; i++)
            y[i] = h2f(((const uint16_t *)w)[i]);
        break;
    case T_Q8_0:
        for (int b = 0; b < cols / QK8; b++, w += 34) {
            float d = h2f(*(const uint16_t *)w);
            for (int j = 0; j < QK8; j++)
                y[b * QK8 + j] = d * ((const int8_t *)(w + 2))[j];
        }
        break;
    case T_Q4_K:
        for (int b = 0; b < cols / QK_K; b++)
            dequant_q4k(w + (size_t)b * 144, y + b * QK_K);
        break;
    case T_Q6_K:
        for (int b = 0; b < cols / QK_K; b++)
            dequant_q6k(w + (size_t)b * 210, y + b * QK_K);
        break;
    }
}

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

#elif OQ_SIMD
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
#define OQ_TILE 4
static float dot_q4k(const uint8_t *w, const BlockQ8K *y, int nb)
{
    float sum = 0.0f;
    for (int i = 0; i < nb; i++, w += 144) {
        const float d = y[i].d * h2f(*(const uint16_t *)w);
        const float dmin = y[i].d * h2f(*(const uint16_t *)(w + 2));
        const uint8_t *q = w + 16;
        int sumi = 0, summ = 0;
        for (int j = 0; j < QK_K / 64; j++, q += 32) {
            uint8_t sc_lo, m_lo, sc_hi, m_hi;
            scale_min_k4(2 * j, w + 4, &sc_lo, &m_lo);
            scale_min_k4(2 * j + 1, w + 4, &sc_hi, &m_hi);
            int lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += (q[l] & 0xf) * y[i].qs[64 * j + l];
                hi += (q[l] >> 4) * y[i].qs[64 * j + 32 + l];
            }
            sumi += sc_lo * lo + sc_hi * hi;
            summ += m_lo * (y[i].bsums[4 * j] + y[i].bsums[4 * j + 1]) +
                    m_hi * (y[i].bsums[4 * j + 2] + y[i].bsums[4 * j + 3]);
        }
        sum += d * (float)sumi - dmin * (float)summ;
    }
    return sum;
}

static float dot_q6k(const uint8_t *w, const BlockQ8K *y, int nb)
{
    float sum = 0.0f;
    for (int i = 0; i < nb; i++, w += 210) {
        const uint8_t *ql = w, *qh = w + 128;
        const int8_t *sc = (const int8_t *)(w + 192), *q8 = y[i].qs;
        int sumi = 0;
        for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8, q8 += 128) {
            int part[8] = {0};
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                part[is] += (((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32) * q8[l];
                part[is + 2] += (((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32) *
                                q8[l + 32];
                part[is + 4] += (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * q8[l + 64];
                part[is + 6] += (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) *
                                q8[l + 96];
            }
            for (int k = 0; k < 8; k++)
                sumi += sc[k] * part[k];
        }
        sum += y[i].d * h2f(*(const uint16_t *)(w + 208)) * (float)sumi;
    }
    return sum;
}

static float dot_q80(const uint8_t *w, const BlockQ80 *y, int nb)
{
    float sum = 0.0f;
    for (int i = 0; i < nb; i++, w += 34) {
        int sumi = 0;
        for (int j = 0; j < QK8; j++)
            sumi += ((const int8_t *)(w + 2))[j] * y[i].qs[j];
        sum += h2f(*(const uint16_t *)w) * y[i].d * (float)sumi;
    }
    return sum;
}

static void dots_q4k(const uint8_t *w, const BlockQ8K *const *y, int nb, int n, float *out)
{
    for (int k = 0; k < n; k++)
        out[k] = dot_q4k(w, y[k], nb);
}

static void dots_q6k(const uint8_t *w, const BlockQ8K *const *y, int nb, int n, float *out)
{
    for (int k = 0; k < n; k++)
        out[k] = dot_q6k(w, y[k], nb);
}
#endif

/* -- Q4_K repacked: 8 weight rows interleaved (AVX2 builds) ----------------------------
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

#if OQ_SIMD == 1 || OQ_SIMD == 2
#define OQ_X8 1
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
    __m256 acc[OQ_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w++) {
        __m256i isum[OQ_TILE];
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
    __m256 acc[OQ_TILE];
    for (int k = 0; k < N; k++)
        acc[k] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w++) {
        __m256i isum[OQ_TILE];
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

/* -- products ------------------------------------------------------------------------- */
/* `count` activation rows of `cols` values, quantized both ways (each weight type takes its
 * own); row t's blocks start at q8k + t * (cols / 256) and q80 + t * (cols / 32). */
typedef struct {
    BlockQ8K *q8k;
    BlockQ80 *q80;
    int count, cols;
} Acts;

/* One matrix of a product: y[t][r] (+)= w[r] . x[t] (+ bias[r]), y's rows ystride apart. */
typedef struct {
    const uint8_t *w;
    int type, rows;
    const float *bias;
    float *y;
    int ystride, accumulate;
} Job;

#ifdef OQ_X8
/* Repacked rows [row, row + 8) of job against activation rows [t0, t1), OQ_TILE at a time. */
static void group_products(const Job *job, int row, const Acts *x, int t0, int t1)
{
    const int nb = x->cols / QK_K;
    const __m256 bias = job->bias ? _mm256_loadu_ps(job->bias + row) : _mm256_setzero_ps();
    for (int t = t0; t < t1; t += OQ_TILE) {
        const int n = t1 - t < OQ_TILE ? t1 - t : OQ_TILE;
        const BlockQ8K *ys[OQ_TILE];
        __m256 v[OQ_TILE];
        for (int k = 0; k < n; k++)
            ys[k] = x->q8k + (size_t)(t + k) * nb;
        if (job->type == T_Q4_K_X8)
            gemms_q4kx8((const BlockQ4KX8 *)job->w + (size_t)(row / 8) * nb, ys, nb, n, v);
        else
            gemms_q6kx8((const BlockQ6KX8 *)job->w + (size_t)(row / 8) * nb, ys, nb, n, v);
        for (int k = 0; k < n; k++) {
            float *y = job->y + (size_t)(t + k) * job->ystride + row;
            const __m256 r = _mm256_add_ps(v[k], bias);
            _mm256_storeu_ps(y, job->accumulate ? _mm256_add_ps(_mm256_loadu_ps(y), r) : r);
        }
    }
}
#endif

/* Row `r` of the jobs (counted across them) against activation rows [t0, t1): OQ_TILE at a
 * time through the K-quants' dots (the weight row's blocks unpacked once for them), one at
 * a time through Q8_0's dot. A repacked job's rows go 8 at a time, by their first. */
static void row_products(const Job *jobs, int r, const Acts *x, int t0, int t1)
{
    int j = 0, row = r;
    while (row >= jobs[j].rows)
        row -= jobs[j++].rows;
    const Job *job = &jobs[j];
#ifdef OQ_X8
    if (job->type == T_Q4_K_X8 || job->type == T_Q6_K_X8) {
        if (row % 8 == 0)
            group_products(job, row, x, t0, t1);
        return;
    }
#endif
    const uint8_t *w = job->w + row_bytes(job->type, x->cols) * row;
    const float bias = job->bias ? job->bias[row] : 0.0f;
    const int kquant = job->type == T_Q4_K || job->type == T_Q6_K;
    const int nb = x->cols / (kquant ? QK_K : QK8);
    for (int t = t0; t < t1; t += OQ_TILE) {
        const int n = t1 - t < OQ_TILE ? t1 - t : OQ_TILE;
        float v[OQ_TILE];
        if (kquant) {
            const BlockQ8K *ys[OQ_TILE];
            for (int k = 0; k < n; k++)
                ys[k] = x->q8k + (size_t)(t + k) * nb;
            (job->type == T_Q4_K ? dots_q4k : dots_q6k)(w, ys, nb, n, v);
        } else {
            for (int k = 0; k < n; k++)
                v[k] = dot_q80(w, x->q80 + (size_t)(t + k) * nb, nb);
        }
        for (int k = 0; k < n; k++) {
            float *y = job->y + (size_t)(t + k) * job->ystride + row;
            *y = job->accumulate ? *y + (v[k] + bias) : v[k] + bias;
        }
    }
}

/* Every row of every job over all of x's rows, blocks of ROW_BLOCK rows split over the
 * threads of the enclosing parallel region (an orphaned `omp for`; outside one, one
 * thread). Inside a block the activation rows go by OQ_TILE (TOKEN_BLOCK in all) over the
 * block's weight rows: the block's weights (16 rows of ffn_down are 115 KiB) stay in L2
 * while a few activation rows sit in L1, where one weight row against a whole 64-token
 * chunk streamed ffn_down's 650 KiB of activations from L3 for every row. A decode step is
 * one activation row: each weight row is read once. Every (row, token) product is the same
 * computation whatever the blocking, so the bits do not depend on it. */
#define ROW_BLOCK 16
#define TOKEN_BLOCK 8
static void products(const Job *jobs, int njobs, const Acts *x)
{
    int total = 0;
    for (int j = 0; j < njobs; j++)
        total += jobs[j].rows;
    const int blocks = (total + ROW_BLOCK - 1) / ROW_BLOCK;
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; b++) {
        const int r1 = (b + 1) * ROW_BLOCK < total ? (b + 1) * ROW_BLOCK : total;
        for (int t = 0; t < x->count; t += TOKEN_BLOCK) {
            const int t1 = t + TOKEN_BLOCK < x->count ? t + TOKEN_BLOCK : x->count;
            for (int r = b * ROW_BLOCK; r < r1; r++)
                row_products(jobs, r, x, t, t1);
        }
    }
}

/* The activation forms a matrix of `type` takes: Q8_K (1) for the K-quants, Q8_0 (2). */
static inline int form_of(int type) { return type == T_Q8_0 ? 2 : 1; }

/* Rows src[t] (`cols` values, `stride` apart) quantized into x in the forms `need` asks
 * for (form_of bits: only those the next products read), split over the threads. */
static void quantize_acts(const float *src, int stride, Acts *x, int count, int cols, int need)
{
    x->count = count, x->cols = cols;
#pragma omp for schedule(static)
    for (int t = 0; t < count; t++) {
        if (need & 1)
            quantize_q8k(src + (size_t)t * stride, cols, x->q8k + (size_t)t * (cols / QK_K));
        if (need & 2)
            quantize_q80(src + (size_t)t * stride, cols, x->q80 + (size_t)t * (cols / QK8));
    }
}

static int acts_alloc(Acts *x, int count, int cols)
{
    x->q8k = malloc(sizeof(BlockQ8K) * (size_t)count * (cols / QK_K + 1));
    x->q80 = malloc(sizeof(BlockQ80) * (size_t)count * (cols / QK8 + 1));
    if (!x->q8k || !x->q80) {
        free(x->q8k), free(x->q80);
        return -1;
    }
    return 0;
}

/* y [count, rows] = x [count, cols] @ w.T for one quantized matrix: the tests' and the
 * bench's view of the products alone. cols is a multiple of 256 (32 for Q8_0). */
int oq_matmul(const uint8_t *w, int type, int rows, int cols, const float *x, int count,
              float *y, int threads)
{
    Acts a;
    if (acts_alloc(&a, count, cols))
        return -1;
    Job job = {w, type, rows, NULL, y, rows, 0};
#pragma omp parallel num_threads(threads)
    {
        quantize_acts(x, cols, &a, count, cols, form_of(type));
        products(&job, 1, &a);
    }
    free(a.q8k), free(a.q80);
    return 0;
}

/* out [rows, cols] = the dequantized rows of w. */
void oq_dequant(const uint8_t *w, int type, int rows, int cols, float *out)
{
    for (int r = 0; r < rows; r++)
        dequant_row(type, w + row_bytes(type, cols) * r, cols, out + (size_t)r * cols);
}


/* -- the model step ------------------------------------------------------------------- */
/* ggml's rms_norm: the mean square summed in double, then the weight. */
static void rms_norm(const float *x, const float *weight, int n, float eps, float *out)
{
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    const float r = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * r * weight[i];
}

/* Rotate-half RoPE (llama.cpp's NEOX mode, Qwen2's): pairs (x[i], x[i + d/2]). */
static void rope_neox(float *x, const float *cs, int d)
{
    const int half = d / 2;
    for (int i = 0; i < half; i++) {
        const float a = x[i], b = x[i + half], c = cs[2 * i], s = cs[2 * i + 1];
        x[i] = a * c - b * s;
        x[i + half] = a * s + b * c;
    }
}

static float silu(float g) { return g / (1.0f + expf(-g)); }

/* Float vectors for the attention: 16 lanes with AVX-512, 8 with AVX2, 1 in the portable
 * build; VLOADH widens fp16 (the cache's values). head_dim is a multiple of 16. */
#if OQ_SIMD == 3
typedef __m512 VF;
#define VW 16
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VLOADH(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VSTORE(p, x) _mm512_storeu_ps(p, x)
#define VHSUM(x) hsum16(x)
#elif OQ_SIMD
typedef __m256 VF;
#define VW 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VLOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VSTORE(p, x) _mm256_storeu_ps(p, x)
#define VHSUM(x) hsum8(x)
#else
typedef float VF;
#define VW 1
#define VZERO() 0.0f
#define VLOAD(p) (*(p))
#define VLOADH(p) h2f(*(p))
#define VSET1(x) (x)
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VSTORE(p, x) (*(p) = (x))
#define VHSUM(x) (x)
#endif

/* Query heads q[0..NQ) (head_dim d apart) of one kv head over positions [0, n) of its keys
 * k and values v ([n, d] fp16): out[r] = softmax(q[r].K / sqrt(d)) V, with scores [NQ, n]
 * scratch. The heads that share a kv head (GQA: 6 of Qwen2.5-1.5B's 12) take each key and
 * value row in one pass: it is widened from fp16 once for all of them, where a pass a head
 * widened it six times. q is rounded to fp16 first, as llama.cpp's CPU attention takes it
 * into its fp16 products. Each head's sums are the same in any group, so a prefill chunk
 * gives a decode step's bits. */
#define GROUP 8
static inline __attribute__((always_inline)) void attend_group(const float *q, const int NQ,
                                                               const uint16_t *k,
                                                               const uint16_t *v, int n, int d,
                                                               float *scores, float *out)
{
    float qh[GROUP * 512];
    for (int i = 0; i < NQ * d; i++)
        qh[i] = h2f(f2h(q[i]));
    const float scale = 1.0f / sqrtf((float)d);
    for (int t = 0; t < n; t++) {
        VF acc[GROUP];
        for (int r = 0; r < NQ; r++)
            acc[r] = VZERO();
        for (int i = 0; i < d; i += VW) {
            const VF kx = VLOADH(k + (size_t)t * d + i);
            for (int r = 0; r < NQ; r++)
                acc[r] = VFMA(VLOAD(qh + r * d + i), kx, acc[r]);
        }
        for (int r = 0; r < NQ; r++)
            scores[(size_t)r * n + t] = VHSUM(acc[r]) * scale;
    }
    for (int r = 0; r < NQ; r++) {
        float *s = scores + (size_t)r * n, top = -INFINITY, total = 0.0f;
        for (int t = 0; t < n; t++)
            top = fmaxf(top, s[t]);
        for (int t = 0; t < n; t++)
            total += s[t] = expf(s[t] - top);
        for (int t = 0; t < n; t++)
            s[t] /= total;
    }
    for (int i = 0; i < d; i += VW) {
        VF acc[GROUP];
        for (int r = 0; r < NQ; r++)
            acc[r] = VZERO();
        for (int t = 0; t < n; t++) {
            const VF vx = VLOADH(v + (size_t)t * d + i);
            for (int r = 0; r < NQ; r++)
                acc[r] = VFMA(VSET1(scores[(size_t)r * n + t]), vx, acc[r]);
        }
        for (int r = 0; r < NQ; r++)
            VSTORE(out + r * d + i, acc[r]);
    }
}

static void attend_heads(const float *q, int nq, const uint16_t *k, const uint16_t *v, int n,
                         int d, float *scores, float *out)
{
    switch (nq) {
    case 1: attend_group(q, 1, k, v, n, d, scores, out); break;
    case 2: attend_group(q, 2, k, v, n, d, scores, out); break;
    case 3: attend_group(q, 3, k, v, n, d, scores, out); break;
    case 4: attend_group(q, 4, k, v, n, d, scores, out); break;
    case 5: attend_group(q, 5, k, v, n, d, scores, out); break;
    case 6: attend_group(q, 6, k, v, n, d, scores, out); break;
    case 7: attend_group(q, 7, k, v, n, d, scores, out); break;
    default: attend_group(q, 8, k, v, n, d, scores, out); break;
    }
}

/* A call's scratch, shared by the threads of its parallel region. */
typedef struct {
    int count, wide, ctx;
    float *h, *x, *qkv, *gu, *scores;
    Acts a;
} Work;

static void *work_alloc(const int64_t *dims, int count, int ctx, Work *w)
{
    const int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER];
    const int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    int wide = inter > hidden ? inter : hidden;
    wide = wide > nh * d ? wide : nh * d;
    const size_t per_row = (size_t)hidden + wide + (size_t)(nh + 2 * nkv) * d + 2 * inter +
                           (size_t)nh * ctx;
    float *mem = malloc(per_row * count * sizeof(float));
    if (!mem || acts_alloc(&w->a, count, wide)) {
        free(mem);
        return NULL;
    }
    w->count = count, w->wide = wide, w->ctx = ctx, w->h = mem;
    w->x = w->h + (size_t)count * hidden;
    w->qkv = w->x + (size_t)count * wide;
    w->gu = w->qkv + (size_t)count * (nh + 2 * nkv) * d;
    w->scores = w->gu + (size_t)count * 2 * inter;
    return mem;
}

static void work_free(void *mem, Work *w)
{
    free(mem), free(w->a.q8k), free(w->a.q80);
}

#define PTR(p, i) ((const void *)(intptr_t)(p)[2 * (i)])
#define TYPE(p, i) ((int)(p)[2 * (i) + 1])

static Job job_of(const int64_t *p, int i, int bias, int rows, float *y, int ystride, int acc)
{
    return (Job){PTR(p, i), TYPE(p, i), rows, bias >= 0 ? PTR(p, bias) : NULL, y, ystride,
                 acc};
}

/* Rows w->h[t] normed by `weight` into w->x, then quantized in the forms `need`. */
static void norm_rows(Work *w, const float *weight, int hidden, float eps, int need)
{
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++)
        rms_norm(w->h + (size_t)t * hidden, weight, hidden, eps, w->x + (size_t)t * w->wide);
    quantize_acts(w->x, w->wide, &w->a, w->count, hidden, need);
}

/* The rows' q and k rotated, k and v written to the fp16 cache at positions pos + t, then
 * each row's heads attend causally over positions [0, pos + t] into w->x, the heads of a
 * kv head together. */
static void attention(const int64_t *dims, int layer, int pos, const float *cs, uint16_t *kc,
                      uint16_t *vc, int capacity, Work *w)
{
    const int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    const int width = (nh + 2 * nkv) * d;
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++) {
        float *qkv = w->qkv + (size_t)t * width;
        for (int h = 0; h < nh + nkv; h++)
            rope_neox(qkv + h * d, cs + (size_t)t * d, d);
        for (int g = 0; g < nkv; g++) {
            const size_t at = (((size_t)layer * nkv + g) * capacity + pos + t) * d;
            for (int i = 0; i < d; i++) {
                kc[at + i] = f2h(qkv[(nh + g) * d + i]);
                vc[at + i] = f2h(qkv[(nh + nkv + g) * d + i]);
            }
        }
    }
    const int rep = nh / nkv, parts = (rep + GROUP - 1) / GROUP;
#pragma omp for schedule(static)
    for (int j = 0; j < w->count * nkv * parts; j++) {
        const int t = j / (nkv * parts), g = j / parts % nkv, part = j % parts;
        const int h = g * rep + part * GROUP;
        const size_t head = ((size_t)layer * nkv + g) * capacity * d;
        attend_heads(w->qkv + (size_t)t * width + h * d,
                     rep - part * GROUP < GROUP ? rep - part * GROUP : GROUP, kc + head,
                     vc + head, pos + t + 1, d, w->scores + ((size_t)t * nh + h) * w->ctx,
                     w->x + (size_t)t * w->wide + h * d);
    }
}

static void layer_step(const int64_t *dims, const int64_t *p, float eps, int layer, int pos,
                       const float *cs, uint16_t *kc, uint16_t *vc, int capacity, Work *w)
{
    const int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER];
    const int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    const int width = (nh + 2 * nkv) * d;
    norm_rows(w, PTR(p, L_ATTN_NORM), hidden, eps,
              form_of(TYPE(p, L_Q)) | form_of(TYPE(p, L_K)) | form_of(TYPE(p, L_V)));
    Job qkv[3] = {job_of(p, L_Q, PTR(p, L_Q_B) ? L_Q_B : -1, nh * d, w->qkv, width, 0),
                  job_of(p, L_K, PTR(p, L_K_B) ? L_K_B : -1, nkv * d, w->qkv + nh * d, width,
                         0),
                  job_of(p, L_V, PTR(p, L_V_B) ? L_V_B : -1, nkv * d,
                         w->qkv + (nh + nkv) * d, width, 0)};
    products(qkv, 3, &w->a);
    attention(dims, layer, pos, cs, kc, vc, capacity, w);
    quantize_acts(w->x, w->wide, &w->a, w->count, nh * d, form_of(TYPE(p, L_O)));
    Job o = job_of(p, L_O, -1, hidden, w->h, hidden, 1);
    products(&o, 1, &w->a);
    norm_rows(w, PTR(p, L_FFN_NORM), hidden, eps,
              form_of(TYPE(p, L_GATE)) | form_of(TYPE(p, L_UP)));
    Job gu[2] = {job_of(p, L_GATE, -1, inter, w->gu, 2 * inter, 0),
                 job_of(p, L_UP, -1, inter, w->gu + inter, 2 * inter, 0)};
    products(gu, 2, &w->a);
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++) {
        const float *g = w->gu + (size_t)t * 2 * inter;
        float *out = w->x + (size_t)t * w->wide;
        for (int i = 0; i < inter; i++)
            out[i] = silu(g[i]) * g[inter + i];
    }
    quantize_acts(w->x, w->wide, &w->a, w->count, inter, form_of(TYPE(p, L_DOWN)));
    Job down = job_of(p, L_DOWN, -1, hidden, w->h, hidden, 1);
    products(&down, 1, &w->a);
}

/* Tokens tokens[0..count) at positions pos..pos+count: their keys and values go into the
 * fp16 caches kc, vc [layers, kv heads, capacity, head_dim], and the last one's next-token
 * logits into logits [vocab]. `layers` holds L_COUNT (pointer, type) pairs per layer,
 * `globals` G_COUNT; cs [count, head_dim / 2, (cos, sin)]. Returns 0, or -1 when scratch
 * memory could not be had (nothing was written then). */
int oq_tokens(const int64_t *dims, const int64_t *layers, const int64_t *globals, float eps,
              const int32_t *tokens, int count, int pos, int capacity, const float *cs,
              uint16_t *kc, uint16_t *vc, float *logits, int threads)
{
    Work w;
    void *mem = work_alloc(dims, count, pos + count, &w);
    if (!mem)
        return -1;
    const int hidden = (int)dims[D_HIDDEN], vocab = (int)dims[D_VOCAB];
    const int etype = TYPE(globals, G_EMBED);
    const uint8_t *embed = PTR(globals, G_EMBED);
    for (int t = 0; t < count; t++)
        dequant_row(etype, embed + row_bytes(etype, hidden) * tokens[t], hidden,
                    w.h + (size_t)t * hidden);
#pragma omp parallel num_threads(threads)
    {
        for (int l = 0; l < (int)dims[D_LAYERS]; l++)
            layer_step(dims, layers + (size_t)l * L_COUNT * 2, eps, l, pos, cs, kc, vc,
                       capacity, &w);
#pragma omp single
        {
            rms_norm(w.h + (size_t)(count - 1) * hidden, PTR(globals, G_NORM), hidden, eps,
                     w.x);
            w.a.count = 1, w.a.cols = hidden;
            quantize_q8k(w.x, hidden, w.a.q8k);
            quantize_q80(w.x, hidden, w.a.q80);
        }
        Job head = job_of(globals, G_OUTPUT, -1, vocab, logits, vocab, 0);
        products(&head, 1, &w.a);
    }
    work_free(mem, &w);
    return 0;
}
