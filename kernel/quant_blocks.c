/* Half precision, activations quantized to 8 bits (Q8_K, Q8_0), and the GGUF
 * blocks dequantized.
 * Part of kernel/quant.c's one translation unit: quant.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

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
