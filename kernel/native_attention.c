/* RMSNorm, attention over the bf16 KV cache (scores, softmax, the values' mix),
 * SwiGLU's product and RoPE.
 * Part of kernel/native.c's one translation unit: native.c includes it (after native.c's
 * types, macros and SIMD level), so it is not compiled alone. */

static void rms_norm(const float *x, const float *weight, int n, float eps, float *out)
{
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float r = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * r * weight[i];
}

/* One kv head's keys (or values) over positions [0, n): those before `split` at a (a row of
 * head_dim values each), the rest at b. A sequence of its own is one segment (split past
 * its end); a sample of a batch reads the prompt it shares from a and its own tokens from b.
 * Both are read in position order, so the sums are those over one array. */
typedef struct {
    const uint16_t *a, *b;
    int split;
} Span;

static inline const uint16_t *row_at(Span s, int t, int d)
{
    return t < s.split ? s.a + (size_t)t * d : s.b + (size_t)(t - s.split) * d;
}

#if OB_SIMD
static inline __m256 load_bf16(const uint16_t *p)
{
    __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

/* e^x for x <= 0 (scores minus their maximum): Cephes' expf polynomial after x = n ln2 + r,
 * within 2 ulp; inputs below -87 give ~1e-38 rather than 0, which a softmax cannot tell. */
static inline __m256 exp256(__m256 x)
{
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}

static float dot_bf16(const float *q, const uint16_t *k, int d)
{
    __m256 a = _mm256_setzero_ps();
    for (int i = 0; i < d; i += 8)
        a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_bf16(k + i), a);
    return hsum(a);
}

/* scores[t] = q . k[t] * scale for t < n. Four positions at a time share each load of q,
 * and their four sums come out of one tree of horizontal adds. */
static void scores_bf16(const float *q, Span k, int n, int d, float scale, float *scores)
{
    int t = 0;
    for (; t + 4 <= n; t += 4) {
        const uint16_t *k0 = row_at(k, t, d), *k1 = row_at(k, t + 1, d);
        const uint16_t *k2 = row_at(k, t + 2, d), *k3 = row_at(k, t + 3, d);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < d; i += 8) {
            __m256 x = _mm256_loadu_ps(q + i);
            a0 = _mm256_fmadd_ps(x, load_bf16(k0 + i), a0);
            a1 = _mm256_fmadd_ps(x, load_bf16(k1 + i), a1);
            a2 = _mm256_fmadd_ps(x, load_bf16(k2 + i), a2);
            a3 = _mm256_fmadd_ps(x, load_bf16(k3 + i), a3);
        }
        __m256 sums = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
        __m128 four = _mm_add_ps(_mm256_castps256_ps128(sums), _mm256_extractf128_ps(sums, 1));
        _mm_storeu_ps(scores + t, _mm_mul_ps(four, _mm_set1_ps(scale)));
    }
    for (; t < n; t++)
        scores[t] = dot_bf16(q, row_at(k, t, d), d) * scale;
}

/* a[0..4) += sum over t in [from, to) of p[t] v[t][b..b+32): one segment of a span. */
static inline void mix_block(const float *p, const uint16_t *v, int from, int to, int d,
                             __m256 *a)
{
    for (int t = from; t < to; t++) {
        __m256 w = _mm256_set1_ps(p[t]);
        const uint16_t *vt = v + (size_t)(t - from) * d;
        a[0] = _mm256_fmadd_ps(w, load_bf16(vt), a[0]);
        a[1] = _mm256_fmadd_ps(w, load_bf16(vt + 8), a[1]);
        a[2] = _mm256_fmadd_ps(w, load_bf16(vt + 16), a[2]);
        a[3] = _mm256_fmadd_ps(w, load_bf16(vt + 24), a[3]);
    }
}

/* out[i] = sum over t < n of p[t] v[t][i]. Each block of up to 32 dims is summed in
 * registers over every position (a row-by-row axpy loaded and stored `out` per position),
 * the span's two segments in turn: the same sums in the same order as one array. */
static void mix_bf16(const float *p, Span v, int n, int d, float *out)
{
    int cut = n < v.split ? n : v.split, b = 0;
    for (; b + 32 <= d; b += 32) {
        __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                       _mm256_setzero_ps()};
        mix_block(p, v.a + b, 0, cut, d, a);
        if (cut < n)
            mix_block(p, v.b + b, cut, n, d, a);
        _mm256_storeu_ps(out + b, a[0]), _mm256_storeu_ps(out + b + 8, a[1]);
        _mm256_storeu_ps(out + b + 16, a[2]), _mm256_storeu_ps(out + b + 24, a[3]);
    }
    for (; b < d; b += 8) {  /* d is a multiple of 8 */
        __m256 a = _mm256_setzero_ps();
        for (int t = 0; t < n; t++)
            a = _mm256_fmadd_ps(_mm256_set1_ps(p[t]), load_bf16(row_at(v, t, d) + b), a);
        _mm256_storeu_ps(out + b, a);
    }
}

/* scores[t] = e^(scores[t] - top); returns their sum. */
static float exp_sum(float *scores, int n, float top)
{
    __m256 sum = _mm256_setzero_ps(), m = _mm256_set1_ps(top);
    int t = 0;
    for (; t + 8 <= n; t += 8) {
        __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(scores + t), m));
        _mm256_storeu_ps(scores + t, e);
        sum = _mm256_add_ps(sum, e);
    }
    float total = hsum(sum);
    for (; t < n; t++)
        total += scores[t] = expf(scores[t] - top);
    return total;
}

/* out[i] = silu(gu[i]) * gu[n + i], n a multiple of 8. The sigmoid is taken from
 * e^-|g| (never above 1, so exp256 applies): 1 / (1 + e) for g >= 0, e / (1 + e) below. */
static void silu_mul(const float *gu, int n, float *out)
{
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    for (int i = 0; i < n; i += 8) {
        __m256 g = _mm256_loadu_ps(gu + i);
        __m256 e = exp256(_mm256_or_ps(g, sign));  /* e^-|g| */
        __m256 top = _mm256_blendv_ps(one, e, g);  /* sign bit set: g < 0 */
        __m256 sig = _mm256_div_ps(top, _mm256_add_ps(one, e));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(g, sig),
                                                _mm256_loadu_ps(gu + n + i)));
    }
}
#else
static float dot_bf16(const float *q, const uint16_t *k, int d)
{
    float acc = 0.0f;
    for (int i = 0; i < d; i++)
        acc += q[i] * bf16_to_f32(k[i]);
    return acc;
}

static void scores_bf16(const float *q, Span k, int n, int d, float scale, float *scores)
{
    for (int t = 0; t < n; t++)
        scores[t] = dot_bf16(q, row_at(k, t, d), d) * scale;
}

static void mix_bf16(const float *p, Span v, int n, int d, float *out)
{
    for (int i = 0; i < d; i++)
        out[i] = 0.0f;
    for (int t = 0; t < n; t++) {
        const uint16_t *vt = row_at(v, t, d);
        for (int i = 0; i < d; i++)
            out[i] += p[t] * bf16_to_f32(vt[i]);
    }
}

static float exp_sum(float *scores, int n, float top)
{
    float total = 0.0f;
    for (int t = 0; t < n; t++)
        total += scores[t] = expf(scores[t] - top);
    return total;
}

static void silu_mul(const float *gu, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = gu[i] / (1.0f + expf(-gu[i])) * gu[n + i];
}
#endif

/* One query head over positions [0, n) of its kv head: out = softmax(q.K / sqrt(d)) V.
 * d is a multiple of 8 (fast_plain.py checks). */
static void attend_head(const float *q, Span k, Span v, int n, int d, float *scores,
                        float *out)
{
    float top = -INFINITY;
    scores_bf16(q, k, n, d, 1.0f / sqrtf((float)d), scores);
    for (int t = 0; t < n; t++)
        top = fmaxf(top, scores[t]);
    float total = exp_sum(scores, n, top);
    mix_bf16(scores, v, n, d, out);
    for (int i = 0; i < d; i++)
        out[i] /= total;
}

/* Rotate interleaved pairs (x[2i], x[2i+1]) by the position's angle i: a complex multiply. */
static void rope(float *x, const float *cs, int d)
{
    for (int i = 0; i < d / 2; i++) {
        float a = x[2 * i], b = x[2 * i + 1], c = cs[2 * i], s = cs[2 * i + 1];
        x[2 * i] = a * c - b * s;
        x[2 * i + 1] = a * s + b * c;
    }
}
