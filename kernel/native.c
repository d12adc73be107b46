/* The one-token step of kernel/fast_plain.py's lean Llama forward, in C (kernel/native.py
 * builds and loads it).
 *
 * Why C: on a CPU without native bfloat16 (AVX2 machines) torch's int8 matmul converts every
 * weight to emulated bf16, and a step is ~200 torch ops whose dispatch alone costs more than
 * the arithmetic of a 135M model. Here a whole token is one call: the weights stay int8 with
 * one float scale per output row, and each activation vector is quantized to bytes with one
 * scale per 8 values, so a matrix-vector product is integer multiply-adds (as llama.cpp's
 * Q8_0 dot) that keep up with memory rather than conversions.
 *
 * The products use _mm256_maddubs_epi16, which multiplies unsigned by signed bytes. The
 * weights (at most 127 in magnitude) enter offset by 128, as w ^ 0x80 = w + 128 in [1, 255],
 * and one correction per vector, 128 * sum(x), is subtracted from every row. That costs one
 * xor where taking |w| and moving its sign onto x cost two sign ops per 32 weights (measured
 * 35% faster on Zen 1, whose vector multiplies all queue on one pipe). The pair sums must fit
 * int16: 2 * 255 * 64 < 32768, so x is quantized to [-64, 64] (7 bits and a sign); a scale
 * per 8 values rather than per 32 wins back the precision (greedy agreement with float32 on
 * the embedded model, 8 prompts x 64: 97.5% with 8-bit x per 32, 94.5% with 7-bit per 32,
 * 96.1% with 7-bit per 8; the torch bf16 path 95.5%). The scale costs nothing extra: the
 * vector kernel loads one per int32 lane instead of broadcasting one per 32.
 *
 * The AVX2+FMA kernels are compiled only where the compiler targets them (-march=native on
 * such a CPU); the portable scalar loops below them always build. OpenMP splits the output
 * rows of each product (and the attention heads) over `threads`; without -fopenmp the
 * pragmas are ignored and it runs on one thread.
 *
 * Layouts (row-major, what fast_plain.py holds): weights int8 [rows, cols] with float32
 * scales [rows]; the KV cache bfloat16 [layers, kv heads, capacity, head_dim]; RoPE as
 * (cos, sin) float pairs for the position, applied to interleaved pairs of q and k.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define OB_SIMD 1
#else
#define OB_SIMD 0
#endif

#define QK 32           /* bytes per vector of products */
#define XB 8            /* values per activation scale: a multiple of 4, dividing QK */
#define QX 64           /* activation levels each side of 0 (the int16 bound above) */
#define LANES 8         /* int32 sums per vector, each over 4 consecutive products */
#define OB_ABI 2        /* bumped whenever a signature below changes */

enum { D_LAYERS, D_HIDDEN, D_HEADS, D_KV_HEADS, D_HEAD_DIM, D_INTER, D_VOCAB, D_COUNT };
enum { P_QKV_W, P_QKV_S, P_O_W, P_O_S, P_GU_W, P_GU_S, P_DOWN_W, P_DOWN_S, P_NORM_ATTN,
       P_NORM_MLP, P_PER_LAYER };
enum { G_EMBED_W, G_EMBED_S, G_HEAD_W, G_HEAD_S, G_NORM, G_COUNT };

int ob_abi(void) { return OB_ABI; }
int ob_simd(void) { return OB_SIMD; }

int ob_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

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
 * 128 * sum(q * s), what the offset weights add to every row's dot. */
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

#if OB_SIMD
static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 products (w + 128) x summed in pairs to 8 int32, as floats (see the top). */
static inline __m256 dot32(__m256i w, __m256i x)
{
    __m256i p = _mm256_maddubs_epi16(_mm256_xor_si256(w, _mm256_set1_epi8((char)0x80)), x);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

/* Four rows at a time: each x block is loaded once for all four. */
static void rows4(const int8_t *w, int cols, const int8_t *xq, const float *xs, float *out)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int b = 0; b < cols / QK; b++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(xq + b * QK));
        __m256 d = _mm256_loadu_ps(xs + b * LANES);
        const int8_t *p = w + b * QK;
        a0 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)p), x), d, a0);
        a1 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)(p + cols)), x), d, a1);
        a2 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)(p + 2 * cols)), x), d,
                             a2);
        a3 = _mm256_fmadd_ps(dot32(_mm256_loadu_si256((const __m256i *)(p + 3 * cols)), x), d,
                             a3);
    }
    out[0] = hsum(a0), out[1] = hsum(a1), out[2] = hsum(a2), out[3] = hsum(a3);
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
#endif

/* y[r] (+)= scale[r] * (w[r] . x), x given quantized (with its offset: quantize_x). An
 * orphaned `omp for`: inside a parallel region the rows are split over its threads, outside
 * it one thread does all. */
static void gemv(const int8_t *w, const float *scale, int rows, int cols, const int8_t *xq,
                 const float *xs, float offset, float *y, int accumulate)
{
    int groups = rows / 4;
#pragma omp for schedule(static)
    for (int g = 0; g < groups; g++) {
        float out[4];
        rows4(w + (size_t)g * 4 * cols, cols, xq, xs, out);
        for (int r = 0; r < 4; r++) {
            float v = (out[r] - offset) * scale[g * 4 + r];
            y[g * 4 + r] = accumulate ? y[g * 4 + r] + v : v;
        }
    }
    if (groups * 4 < rows)  /* every thread takes the same branch, as `single` needs */
#pragma omp single
    for (int r = groups * 4; r < rows; r++) {
        float v = (row1(w + (size_t)r * cols, cols, xq, xs) - offset) * scale[r];
        y[r] = accumulate ? y[r] + v : v;
    }
}

static void rms_norm(const float *x, const float *weight, int n, float eps, float *out)
{
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float r = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * r * weight[i];
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

static void axpy_bf16(float p, const uint16_t *v, float *out, int d)
{
    __m256 w = _mm256_set1_ps(p);
    for (int i = 0; i < d; i += 8)
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(w, load_bf16(v + i), _mm256_loadu_ps(out + i)));
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
#else
static float dot_bf16(const float *q, const uint16_t *k, int d)
{
    float acc = 0.0f;
    for (int i = 0; i < d; i++)
        acc += q[i] * bf16_to_f32(k[i]);
    return acc;
}

static void axpy_bf16(float p, const uint16_t *v, float *out, int d)
{
    for (int i = 0; i < d; i++)
        out[i] += p * bf16_to_f32(v[i]);
}

static float exp_sum(float *scores, int n, float top)
{
    float total = 0.0f;
    for (int t = 0; t < n; t++)
        total += scores[t] = expf(scores[t] - top);
    return total;
}
#endif

/* One query head over positions [0, n) of its kv head: out = softmax(q.K / sqrt(d)) V.
 * d is a multiple of 8 (fast_plain.py checks). */
static void attend_head(const float *q, const uint16_t *k, const uint16_t *v, int n, int d,
                        float *scores, float *out)
{
    float scale = 1.0f / sqrtf((float)d), top = -INFINITY;
    for (int t = 0; t < n; t++) {
        scores[t] = dot_bf16(q, k + (size_t)t * d, d) * scale;
        top = fmaxf(top, scores[t]);
    }
    float total = exp_sum(scores, n, top);
    for (int i = 0; i < d; i++)
        out[i] = 0.0f;
    for (int t = 0; t < n; t++)
        axpy_bf16(scores[t], v + (size_t)t * d, out, d);
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

/* Scratch of one step; every field is shared by the threads of the parallel region. */
typedef struct {
    float *h, *x, *qkv, *att, *gu, *scores, *xs;
    int8_t *xq;
    float offset;  /* of the vector in xq, xs */
} Work;

static void attention(const int64_t *dims, int layer, int pos, int capacity, const float *cs,
                      uint16_t *kc, uint16_t *vc, Work *w)
{
    int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    size_t plane = (size_t)capacity * d;
    uint16_t *kl = kc + (size_t)layer * nkv * plane, *vl = vc + (size_t)layer * nkv * plane;
#pragma omp single
    {
        for (int h = 0; h < nh + nkv; h++)  /* q heads then k heads: all rotated */
            rope(w->qkv + h * d, cs, d);
        for (int g = 0; g < nkv; g++)
            for (int i = 0; i < d; i++) {
                kl[g * plane + (size_t)pos * d + i] = f32_to_bf16(w->qkv[(nh + g) * d + i]);
                vl[g * plane + (size_t)pos * d + i] =
                    f32_to_bf16(w->qkv[(nh + nkv + g) * d + i]);
            }
    }
#pragma omp for schedule(static)
    for (int h = 0; h < nh; h++) {
        int g = h / (nh / nkv);
        attend_head(w->qkv + h * d, kl + g * plane, vl + g * plane, pos + 1, d,
                    w->scores + (size_t)h * (pos + 1), w->att + h * d);
    }
}

static void layer_step(const int64_t *dims, const void *const *p, float eps, int layer,
                       int pos, int capacity, const float *cs, uint16_t *kc, uint16_t *vc,
                       Work *w)
{
    int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER];
    int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
#pragma omp single
    {
        rms_norm(w->h, p[P_NORM_ATTN], hidden, eps, w->x);
        w->offset = quantize_x(w->x, hidden, w->xq, w->xs);
    }
    gemv(p[P_QKV_W], p[P_QKV_S], (nh + 2 * nkv) * d, hidden, w->xq, w->xs, w->offset, w->qkv,
         0);
    attention(dims, layer, pos, capacity, cs, kc, vc, w);
#pragma omp single
    w->offset = quantize_x(w->att, nh * d, w->xq, w->xs);
    gemv(p[P_O_W], p[P_O_S], hidden, nh * d, w->xq, w->xs, w->offset, w->h, 1);
#pragma omp single
    {
        rms_norm(w->h, p[P_NORM_MLP], hidden, eps, w->x);
        w->offset = quantize_x(w->x, hidden, w->xq, w->xs);
    }
    gemv(p[P_GU_W], p[P_GU_S], 2 * inter, hidden, w->xq, w->xs, w->offset, w->gu, 0);
#pragma omp single
    {
        for (int i = 0; i < inter; i++) {
            float g = w->gu[i];
            w->x[i] = g / (1.0f + expf(-g)) * w->gu[inter + i];
        }
        w->offset = quantize_x(w->x, inter, w->xq, w->xs);
    }
    gemv(p[P_DOWN_W], p[P_DOWN_S], hidden, inter, w->xq, w->xs, w->offset, w->h, 1);
}

/* Token `token` at position `pos`: writes its keys/values into the caches and the next
 * token's logits [vocab]. `layers` holds P_PER_LAYER pointers per layer, `globals` G_COUNT.
 * Returns 0, or -1 when scratch memory could not be had (nothing was written then). */
int ob_token(const int64_t *dims, const void *const *layers, const void *const *globals,
             float eps, int token, int pos, int capacity, const float *cs, uint16_t *kc,
             uint16_t *vc, float *logits, int threads)
{
    int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER], vocab = (int)dims[D_VOCAB];
    int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    int wide = inter > hidden ? inter : hidden;
    wide = wide > nh * d ? wide : nh * d;
    size_t floats = (size_t)hidden + wide + (nh + 2 * nkv) * d + nh * d + 2 * inter +
                    (size_t)nh * (pos + 1) + wide / 4;
    float *mem = malloc(floats * sizeof(float) + wide);
    if (!mem)
        return -1;
    Work w = {.h = mem};
    w.x = w.h + hidden, w.qkv = w.x + wide, w.att = w.qkv + (nh + 2 * nkv) * d;
    w.gu = w.att + nh * d, w.scores = w.gu + 2 * inter;
    w.xs = w.scores + (size_t)nh * (pos + 1), w.xq = (int8_t *)(w.xs + wide / 4);
    const int8_t *ew = globals[G_EMBED_W];
    const float *es = globals[G_EMBED_S];
    for (int i = 0; i < hidden; i++)
        w.h[i] = ew[(size_t)token * hidden + i] * es[token];
#pragma omp parallel num_threads(threads)
    {
        for (int l = 0; l < (int)dims[D_LAYERS]; l++)
            layer_step(dims, layers + (size_t)l * P_PER_LAYER, eps, l, pos, capacity, cs, kc,
                       vc, &w);
#pragma omp single
        {
            rms_norm(w.h, globals[G_NORM], hidden, eps, w.x);
            w.offset = quantize_x(w.x, hidden, w.xq, w.xs);
        }
        gemv(globals[G_HEAD_W], globals[G_HEAD_S], vocab, hidden, w.xq, w.xs, w.offset, logits,
             0);
    }
    free(mem);
    return 0;
}

/* y [rows] = (w * scale) x for one float vector x [cols]: the product on its own. */
int ob_gemv(const int8_t *w, const float *scale, int rows, int cols, const float *x, float *y,
            int threads)
{
    int8_t *xq = malloc(cols);
    float *xs = malloc(sizeof(float) * (cols / 4 + 1));
    if (!xq || !xs) {
        free(xq), free(xs);
        return -1;
    }
    float offset = quantize_x(x, cols, xq, xs);
#pragma omp parallel num_threads(threads)
    gemv(w, scale, rows, cols, xq, xs, offset, y, 0);
    free(xq), free(xs);
    return 0;
}

/* out [rows, cols] = w * scale[:, None] as float32: a prefill chunk's float GEMM operand,
 * written in one pass into a buffer the caller keeps (no allocation per matrix). */
void ob_dequant(const int8_t *w, const float *scale, int rows, int cols, float *out,
                int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int r = 0; r < rows; r++) {
        const int8_t *src = w + (size_t)r * cols;
        float *dst = out + (size_t)r * cols, s = scale[r];
        for (int i = 0; i < cols; i++)
            dst[i] = src[i] * s;
    }
}
