/* bf16 conversions, activations quantized to bytes (quantize_x), and the int8
 * products (rows4, row1, gemv).
 * Part of kernel/native.c's one translation unit: native.c includes it (after native.c's
 * types, macros and SIMD level), so it is not compiled alone. */

static inline float bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to nearest even, as torch's .to(torch.bfloat16) does (no NaNs reach here). */
static inline uint16_t f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* x [n] -> q [n] in [-QX, QX], one scale per XB values, written once per int32 lane of a
 * vector of products (s [n / 4]): x[i] ~= q[i] * s[i / 4]. n is a multiple of QK. Returns
 * 128 * sum(q * s), what the offset weights add to every row's dot. The vector version
 * rounds as lrintf does (to nearest even), so both builds quantize alike. */
#if OB_SIMD
_Static_assert(XB == 4, "the vector quantize_x takes one 128-bit lane per scale");
static float quantize_x(const float *x, int n, int8_t *q, float *s)
{
    const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int b = 0; b < n / 8; b++) {  /* two scales per vector, one per 128-bit lane */
        __m256 v = _mm256_loadu_ps(x + b * 8), m = _mm256_andnot_ps(sign, v);
        m = _mm256_max_ps(m, _mm256_permute_ps(m, 0x4e));
        m = _mm256_max_ps(m, _mm256_permute_ps(m, 0xb1));  /* each lane's max, in all 4 */
        __m256 d = _mm256_div_ps(m, _mm256_set1_ps(QX));
        __m256 id = _mm256_and_ps(_mm256_cmp_ps(d, zero, _CMP_GT_OQ),
                                  _mm256_div_ps(_mm256_set1_ps(1.0f), d));
        __m256i qi = _mm256_cvtps_epi32(_mm256_mul_ps(v, id));
        __m128i lo = _mm256_castsi256_si128(qi), hi = _mm256_extracti128_si256(qi, 1);
        __m128i words = _mm_packs_epi32(lo, hi);
        _mm_storel_epi64((__m128i *)(q + b * 8), _mm_packs_epi16(words, words));
        __m128i t = _mm_hadd_epi32(lo, hi);
        t = _mm_hadd_epi32(t, t);  /* the two lanes' sums of q */
        float d0 = _mm256_cvtss_f32(d), d1 = _mm_cvtss_f32(_mm256_extractf128_ps(d, 1));
        s[b * 2] = d0, s[b * 2 + 1] = d1;
        offset += 128.0f * (float)_mm_cvtsi128_si32(t) * d0;  /* in the scalar loop's order */
        offset += 128.0f * (float)_mm_extract_epi32(t, 1) * d1;
    }
    return offset;
}
#else
static float quantize_x(const float *x, int n, int8_t *q, float *s)
{
    float offset = 0.0f;
    for (int b = 0; b < n / XB; b++) {
        const float *xb = x + b * XB;
        float amax = 0.0f;
        for (int i = 0; i < XB; i++)
            amax = fmaxf(amax, fabsf(xb[i]));
        float d = amax / QX, id = d > 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int i = 0; i < XB; i++)
            sum += q[b * XB + i] = (int8_t)lrintf(xb[i] * id);
        for (int j = 0; j < XB / 4; j++)
            s[b * XB / 4 + j] = d;
        offset += 128.0f * (float)sum * d;
    }
    return offset;
}
#endif

#if OB_SIMD
static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 products u x of offset weights u = w + 128 (see the top), summed in fours to 8 int32,
 * as floats. */
static inline __m256 dotu(__m256i u, __m256i x)
{
#if OB_VNNI == 2
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u, x));
#elif OB_VNNI == 1
    return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, x));
#else
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, x),
                                                _mm256_set1_epi16(1)));
#endif
}

/* 32 products (w + 128) x summed in fours to 8 int32, as floats. */
static inline __m256 dot32(__m256i w, __m256i x)
{
    return dotu(_mm256_xor_si256(w, _mm256_set1_epi8((char)0x80)), x);
}

/* Four rows at a time: each x block is loaded once for all four. Every other block (one
 * 64-byte line per row) asks for the line PREFETCH bytes further on: a thread's rows are
 * one contiguous stream, and Zen 1's hardware prefetcher alone left one core at 7 GB/s
 * where its products run at 10.8 (measured on the embedded model's matrices: a token's
 * layer products took 14.1 ms on one thread without, 10.0 with; 8.3 and 6.6 on two). */
static void rows4(const int8_t *w, int cols, const int8_t *xq, const float *xs, float *out)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int b = 0; b < cols / QK; b++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(xq + b * QK));
        __m256 d = _mm256_loadu_ps(xs + b * LANES);
        const int8_t *p = w + b * QK;
        if (!(b & 1))
            for (int r = 0; r < 4; r++)
                _mm_prefetch((const char *)(p + r * cols + PREFETCH), _MM_HINT_T0);
        a0 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)p), x), d, a0);
        a1 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)(p + cols)), x), d, a1);
        a2 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)(p + 2 * cols)), x), d,
                             a2);
        a3 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)(p + 3 * cols)), x), d,
                             a3);
    }
    out[0] = hsum(a0), out[1] = hsum(a1), out[2] = hsum(a2), out[3] = hsum(a3);
}

/* rows4 for two x at once, each product as rows4 computes it (the same bits): the offset
 * weights are loaded and xored once for both. */
static void rows4x2(const int8_t *w, int cols, const int8_t *xq0, const float *xs0,
                    const int8_t *xq1, const float *xs1, float *out0, float *out1)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    __m256 a[4], b[4];
    for (int r = 0; r < 4; r++)
        a[r] = b[r] = _mm256_setzero_ps();
    for (int k = 0; k < cols / QK; k++) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(xq0 + k * QK));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(xq1 + k * QK));
        __m256 d0 = _mm256_loadu_ps(xs0 + k * LANES), d1 = _mm256_loadu_ps(xs1 + k * LANES);
        const int8_t *p = w + k * QK;
        if (!(k & 1))
            for (int r = 0; r < 4; r++)
                _mm_prefetch((const char *)(p + r * cols + PREFETCH), _MM_HINT_T0);
        for (int r = 0; r < 4; r++) {
            __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + r * cols)),
                                         flip);
            a[r] = _mm256_fmadd_ps(dotu(u, x0), d0, a[r]);
            b[r] = _mm256_fmadd_ps(dotu(u, x1), d1, b[r]);
        }
    }
    for (int r = 0; r < 4; r++)
        out0[r] = hsum(a[r]), out1[r] = hsum(b[r]);
}

static float row1(const int8_t *w, int cols, const int8_t *xq, const float *xs)
{
    __m256 a = _mm256_setzero_ps();
    for (int b = 0; b < cols / QK; b++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(xq + b * QK));
        __m256i v = _mm256_loadu_si256((const __m256i *)(w + b * QK));
        a = _mm256_fmadd_ps(dot32(v, x), _mm256_loadu_ps(xs + b * LANES), a);
    }
    return hsum(a);
}
#else
static float row1(const int8_t *w, int cols, const int8_t *xq, const float *xs)
{
    float acc = 0.0f;
    for (int j = 0; j < cols / 4; j++) {
        int32_t sum = 0;
        for (int i = 4 * j; i < 4 * j + 4; i++)  /* offset as the vector kernel's */
            sum += ((int32_t)w[i] + 128) * xq[i];
        acc += (float)sum * xs[j];
    }
    return acc;
}

static void rows4(const int8_t *w, int cols, const int8_t *xq, const float *xs, float *out)
{
    for (int r = 0; r < 4; r++)
        out[r] = row1(w + (size_t)r * cols, cols, xq, xs);
}

static void rows4x2(const int8_t *w, int cols, const int8_t *xq0, const float *xs0,
                    const int8_t *xq1, const float *xs1, float *out0, float *out1)
{
    rows4(w, cols, xq0, xs0, out0);
    rows4(w, cols, xq1, xs1, out1);
}
#endif

/* Rows quantized by quantize_x, `count` of them, `stride` bytes apart (their scales
 * stride / 4 floats apart), with their offsets. */
typedef struct {
    const int8_t *q;
    const float *s, *offset;
    int count, stride;
} Rows;

/* y[r] (+)= (dot[r] - offset) * scale[r] for 4 rows: the offset weights' correction. */
static inline void put4(const float *dot, float offset, const float *scale, float *y,
                        int accumulate)
{
    for (int r = 0; r < 4; r++) {
        float v = (dot[r] - offset) * scale[r];
        y[r] = accumulate ? y[r] + v : v;
    }
}

/* y[t][r] (+)= scale[r] * (w[r] . x[t]) for each quantized row x[t] (y's rows `ystride`
 * floats apart). An orphaned `omp for`: inside a parallel region the weight rows are split
 * over its threads, outside it one thread does all. Each group of 4 weight rows is read from
 * memory once and dotted with every x[t] while it sits in L1: a prefill chunk of T tokens
 * costs T products but one pass over the weights. */
static void gemv(const int8_t *w, const float *scale, int rows, int cols, Rows x, float *y,
                 int ystride, int accumulate)
{
    int groups = rows / 4;
#pragma omp for schedule(static)
    for (int g = 0; g < groups; g++) {
        const int8_t *wg = w + (size_t)g * 4 * cols;
        int t = 0;
        for (; t + 2 <= x.count; t += 2) {
            float out[8];
            rows4x2(wg, cols, x.q + (size_t)t * x.stride, x.s + (size_t)t * (x.stride / 4),
                    x.q + (size_t)(t + 1) * x.stride, x.s + (size_t)(t + 1) * (x.stride / 4),
                    out, out + 4);
            put4(out, x.offset[t], scale + g * 4, y + (size_t)t * ystride + g * 4, accumulate);
            put4(out + 4, x.offset[t + 1], scale + g * 4,
                 y + (size_t)(t + 1) * ystride + g * 4, accumulate);
        }
        for (; t < x.count; t++) {
            float out[4];
            rows4(wg, cols, x.q + (size_t)t * x.stride, x.s + (size_t)t * (x.stride / 4), out);
            put4(out, x.offset[t], scale + g * 4, y + (size_t)t * ystride + g * 4, accumulate);
        }
    }
    if (groups * 4 < rows)  /* every thread takes the same branch, as `single` needs */
#pragma omp single
    for (int r = groups * 4; r < rows; r++)
        for (int t = 0; t < x.count; t++) {
            float v = (row1(w + (size_t)r * cols, cols, x.q + (size_t)t * x.stride,
                            x.s + (size_t)t * (x.stride / 4)) - x.offset[t]) * scale[r];
            float *yt = y + (size_t)t * ystride + r;
            *yt = accumulate ? *yt + v : v;
        }
}
