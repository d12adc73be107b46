/* The decode step of kernel/fast_plain.py's lean Llama forward, and its short prefill
 * chunks, in C (kernel/native.py builds and loads it).
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
 * per 4 values rather than per 32 wins back the precision (greedy agreement with float32 on
 * the embedded model, 8 prompts x 64, Zen 1: 97.5% with 8-bit x per 32, 94.5% with 7-bit per
 * 32, 96.1% with 7-bit per 8. Over 32 prompts on Zen 5: 94.9% per 8, 96.5% per 4, the torch
 * bf16 path 97.1%). The scale costs nothing extra: the vector kernel loads one per int32
 * lane, each the sum of 4 products.
 *
 * The AVX2+FMA kernels are compiled only where the compiler targets them (-march=native on
 * such a CPU); the portable scalar loops below them always build. OpenMP splits the output
 * rows of each product (and the attention heads) over `threads`; without -fopenmp the
 * pragmas are ignored and it runs on one thread.
 *
 * Best-of-N samples (kernel/samples.py) step together in one call (ob_batch): one row per
 * sample, each weight row read from memory once for all of them. A row's products,
 * attention and logits are computed exactly as a one-sequence step computes them, so each
 * sample's logits are the bits its own decode would give. The products are bound by the
 * vector pipes there, not by memory: on the 2-core Zen 3 EPYC, with the weights in L2, a
 * row-block of 32 products takes ~0.7 ns (maddubs, madd, a conversion and an FMA per lane
 * scale), ~45 GB/s of weights a row per core, where one row alone streams them from memory.
 *
 * Layouts (row-major, what fast_plain.py holds): weights int8 [rows, cols] with float32
 * scales [rows]; the KV cache bfloat16 [layers, kv heads, capacity, head_dim]; RoPE as
 * (cos, sin) float pairs per position, applied to interleaved pairs of q and k.
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
/* With VNNI, one vpdpbusd does what maddubs + madd do in two, with the same int32 sums (no
 * pair sum saturates: see above), so every build gives the same bits. It stays 256 bits wide
 * on AVX-512: a 512-bit rows4 ran 16-token chunks 1.25x faster on Zen 5 but decode steps 10%
 * slower (279 against 310 tokens/s on one thread), and a wider sum would change the bits
 * between a decode step and a chunk. Nor does x take 8 bits where VNNI lifts the int16 bound:
 * with a scale per 4 values, greedy agreement with float32 (32 prompts x 64 tokens, Zen 5)
 * was 96.2% with 8-bit x against 96.5% with 7-bit, within the metric's noise. */
#if OB_SIMD && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define OB_VNNI 2       /* AVX-512 VNNI, its 256-bit form */
#elif OB_SIMD && defined(__AVXVNNI__)
#define OB_VNNI 1       /* AVX-VNNI (the VEX form, on CPUs without AVX-512) */
#else
#define OB_VNNI 0
#endif

#define QK 32           /* bytes per vector of products */
#define XB 4            /* values per activation scale: one per int32 lane of products */
#define QX 64           /* activation levels each side of 0 (the int16 bound above) */
#define LANES 8         /* int32 sums per vector, each over 4 consecutive products */
#define PREFETCH 8192   /* bytes ahead of the weight rows being read (rows4) */
#define OB_ABI 4        /* bumped whenever a signature below changes */

enum { D_LAYERS, D_HIDDEN, D_HEADS, D_KV_HEADS, D_HEAD_DIM, D_INTER, D_VOCAB, D_COUNT };
enum { P_QKV_W, P_QKV_S, P_O_W, P_O_S, P_GU_W, P_GU_S, P_DOWN_W, P_DOWN_S, P_NORM_ATTN,
       P_NORM_MLP, P_PER_LAYER };
enum { G_EMBED_W, G_EMBED_S, G_HEAD_W, G_HEAD_S, G_NORM, G_COUNT };

int ob_abi(void) { return OB_ABI; }
/* The products' kernels: 0 scalar, 1 AVX2, 2 AVX-VNNI, 3 AVX-512 VNNI (native.py KERNELS). */
int ob_simd(void) { return OB_SIMD ? 1 + OB_VNNI : 0; }

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

/* Scratch of one call over `count` rows, each array [count, its width]; every field is
 * shared by the threads of the parallel region. */
typedef struct {
    int count, wide, ctx;  /* rows; the widest activation; the positions a row may see */
    float *h, *x, *qkv, *gu, *scores, *xs, *offset;
    int8_t *xq;
} Work;

/* Where a call's rows keep their keys and values. One sequence (batch 0): the rows are its
 * consecutive tokens at positions pos.., all in k/v [layers, kv heads, capacity, head_dim].
 * A batch (best-of-N samples): the rows are sequences, all at position pos, that share
 * positions [0, shared) in k/v (the prompt, prefilled once and only read here) and keep
 * the rest in tails of their own: tk[t], tv[t] [layers, kv heads, tail, head_dim] hold row
 * t's positions shared.. . A sample so reads the same keys as a decode of its own would. */
typedef struct {
    uint16_t *k, *v;
    int capacity, shared, batch, tail;
    uint16_t *const *tk, *const *tv;
} Kv;

static Rows quantized(const Work *w, int first, int count)
{
    return (Rows){w->xq + (size_t)first * w->wide, w->xs + (size_t)first * (w->wide / 4),
                  w->offset + first, count, w->wide};
}

/* Rows w->x[t] [n] quantized into w->xq, split over the threads. */
static void quantize_rows(Work *w, int n)
{
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++)
        w->offset[t] = quantize_x(w->x + (size_t)t * w->wide, n, w->xq + (size_t)t * w->wide,
                                  w->xs + (size_t)t * (w->wide / 4));
}

/* w->x[t] = rms_norm(w->h[t]) for every row, then quantized. */
static void norm_rows(Work *w, const float *weight, int hidden, float eps)
{
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++)
        rms_norm(w->h + (size_t)t * hidden, weight, hidden, eps, w->x + (size_t)t * w->wide);
    quantize_rows(w, hidden);
}

/* Row t's keys (values: `values`) of kv head g in one layer, as a Span. */
static Span span_of(const Kv *kv, int values, int layer, int nkv, int g, int t, int d)
{
    size_t head = (size_t)layer * nkv + g;
    const uint16_t *base = values ? kv->v : kv->k;
    Span s = {base + head * kv->capacity * d, NULL, kv->capacity};
    if (kv->batch) {
        s.b = (values ? kv->tv[t] : kv->tk[t]) + head * kv->tail * d;
        s.split = kv->shared;
    }
    return s;
}

/* Rows at their positions (pos + t for one sequence, pos for each sample of a batch): rotate
 * q and k, write k and v into the cache, then each row's query heads attend causally over
 * its positions up to its own, into w->x. */
static void attention(const int64_t *dims, int layer, int pos, const float *cs, const Kv *kv,
                      Work *w)
{
    int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    int width = (nh + 2 * nkv) * d, step = kv->batch ? 0 : 1;
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++) {
        float *qkv = w->qkv + (size_t)t * width;
        int at = pos + step * t;
        for (int h = 0; h < nh + nkv; h++)  /* q heads then k heads: all rotated */
            rope(qkv + h * d, cs + (size_t)step * t * d, d);
        for (int g = 0; g < nkv; g++) {
            uint16_t *kr = (uint16_t *)row_at(span_of(kv, 0, layer, nkv, g, t, d), at, d);
            uint16_t *vr = (uint16_t *)row_at(span_of(kv, 1, layer, nkv, g, t, d), at, d);
            for (int i = 0; i < d; i++) {
                kr[i] = f32_to_bf16(qkv[(nh + g) * d + i]);
                vr[i] = f32_to_bf16(qkv[(nh + nkv + g) * d + i]);
            }
        }
    }
#pragma omp for schedule(static)
    for (int j = 0; j < w->count * nh; j++) {
        int t = j / nh, h = j % nh, g = h / (nh / nkv);
        attend_head(w->qkv + (size_t)t * width + h * d, span_of(kv, 0, layer, nkv, g, t, d),
                    span_of(kv, 1, layer, nkv, g, t, d), pos + step * t + 1, d,
                    w->scores + (size_t)j * w->ctx, w->x + (size_t)t * w->wide + h * d);
    }
}

static void layer_step(const int64_t *dims, const void *const *p, float eps, int layer,
                       int pos, const float *cs, const Kv *kv, Work *w)
{
    int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER];
    int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    int width = (nh + 2 * nkv) * d;
    norm_rows(w, p[P_NORM_ATTN], hidden, eps);
    gemv(p[P_QKV_W], p[P_QKV_S], width, hidden, quantized(w, 0, w->count), w->qkv, width, 0);
    attention(dims, layer, pos, cs, kv, w);
    quantize_rows(w, nh * d);
    gemv(p[P_O_W], p[P_O_S], hidden, nh * d, quantized(w, 0, w->count), w->h, hidden, 1);
    norm_rows(w, p[P_NORM_MLP], hidden, eps);
    gemv(p[P_GU_W], p[P_GU_S], 2 * inter, hidden, quantized(w, 0, w->count), w->gu, 2 * inter,
         0);
#pragma omp for schedule(static)
    for (int t = 0; t < w->count; t++)
        silu_mul(w->gu + (size_t)t * 2 * inter, inter, w->x + (size_t)t * w->wide);
    quantize_rows(w, inter);
    gemv(p[P_DOWN_W], p[P_DOWN_S], hidden, inter, quantized(w, 0, w->count), w->h, hidden, 1);
}

/* Scratch for `count` rows that see at most `ctx` positions: one allocation (NULL when none
 * could be had), its arrays laid out in w. */
static float *work_alloc(const int64_t *dims, int count, int ctx, Work *w)
{
    int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER];
    int nh = (int)dims[D_HEADS], nkv = (int)dims[D_KV_HEADS], d = (int)dims[D_HEAD_DIM];
    int wide = inter > hidden ? inter : hidden;
    wide = wide > nh * d ? wide : nh * d;
    size_t per_row = (size_t)hidden + wide + (nh + 2 * nkv) * d + 2 * inter +
                     (size_t)nh * ctx + wide / 4 + 1;
    float *mem = malloc(per_row * count * sizeof(float) + (size_t)wide * count);
    if (!mem)
        return NULL;
    *w = (Work){.count = count, .wide = wide, .ctx = ctx, .h = mem};
    w->x = w->h + (size_t)count * hidden;
    w->qkv = w->x + (size_t)count * wide;
    w->gu = w->qkv + (size_t)count * (nh + 2 * nkv) * d;
    w->scores = w->gu + (size_t)count * 2 * inter;
    w->xs = w->scores + (size_t)count * nh * w->ctx;
    w->offset = w->xs + (size_t)count * (wide / 4);
    w->xq = (int8_t *)(w->offset + count);
    return mem;
}

/* Every layer over w's rows, then the logits of rows [first, count) into logits [count -
 * first, vocab]. w->h holds the rows' embeddings on entry. */
static void forward(const int64_t *dims, const void *const *layers, const void *const *globals,
                    float eps, int pos, const float *cs, const Kv *kv, Work *w, int first,
                    float *logits, int threads)
{
    int hidden = (int)dims[D_HIDDEN], vocab = (int)dims[D_VOCAB];
#pragma omp parallel num_threads(threads)
    {
        for (int l = 0; l < (int)dims[D_LAYERS]; l++)
            layer_step(dims, layers + (size_t)l * P_PER_LAYER, eps, l, pos, cs, kv, w);
#pragma omp for schedule(static)
        for (int t = first; t < w->count; t++) {
            rms_norm(w->h + (size_t)t * hidden, globals[G_NORM], hidden, eps,
                     w->x + (size_t)t * w->wide);
            w->offset[t] = quantize_x(w->x + (size_t)t * w->wide, hidden,
                                      w->xq + (size_t)t * w->wide,
                                      w->xs + (size_t)t * (w->wide / 4));
        }
        gemv(globals[G_HEAD_W], globals[G_HEAD_S], vocab, hidden,
             quantized(w, first, w->count - first), logits, vocab, 0);
    }
}

static void embed(const void *const *globals, int hidden, const int32_t *tokens, Work *w)
{
    const int8_t *ew = globals[G_EMBED_W];
    const float *es = globals[G_EMBED_S];
    for (int t = 0; t < w->count; t++)
        for (int i = 0; i < hidden; i++)
            w->h[(size_t)t * hidden + i] = ew[(size_t)tokens[t] * hidden + i] * es[tokens[t]];
}

/* Tokens tokens[0..count) at positions pos..pos+count: writes their keys/values into the
 * caches and the last one's next-token logits [vocab]. `layers` holds P_PER_LAYER pointers
 * per layer, `globals` G_COUNT; cs [count, head_dim] holds each position's (cos, sin) pairs.
 * Decoding is count 1; a short prefill chunk is one call over all its tokens. Returns 0, or
 * -1 when scratch memory could not be had (nothing was written then). */
int ob_tokens(const int64_t *dims, const void *const *layers, const void *const *globals,
              float eps, const int32_t *tokens, int count, int pos, int capacity,
              const float *cs, uint16_t *kc, uint16_t *vc, float *logits, int threads)
{
    Work w;
    float *mem = work_alloc(dims, count, pos + count, &w);
    if (!mem)
        return -1;
    Kv kv = {kc, vc, capacity, capacity, 0, 0, NULL, NULL};
    embed(globals, (int)dims[D_HIDDEN], tokens, &w);
    forward(dims, layers, globals, eps, pos, cs, &kv, &w, count - 1, logits, threads);
    free(mem);
    return 0;
}

/* One decode step of `count` samples that share the prompt in kc/vc (positions [0, shared))
 * and are each at position pos (>= shared): row t's token is tokens[t], its own keys and
 * values go to tails tk[t], tv[t] (`tail` positions each, see Kv), and its next-token
 * logits to logits [count, vocab]. cs holds position pos's (cos, sin) pairs. Each weight
 * row is read once for all samples (gemv), and every product, attention sum and logit of a
 * row is computed as a one-sequence step computes it: the same bits. Returns 0, or -1
 * when scratch memory could not be had. */
int ob_batch(const int64_t *dims, const void *const *layers, const void *const *globals,
             float eps, const int32_t *tokens, int count, int pos, int shared, int capacity,
             const float *cs, uint16_t *kc, uint16_t *vc, uint16_t *const *tk,
             uint16_t *const *tv, int tail, float *logits, int threads)
{
    Work w;
    float *mem = work_alloc(dims, count, pos + 1, &w);
    if (!mem)
        return -1;
    Kv kv = {kc, vc, capacity, shared, 1, tail, tk, tv};
    embed(globals, (int)dims[D_HIDDEN], tokens, &w);
    forward(dims, layers, globals, eps, pos, cs, &kv, &w, 0, logits, threads);
    free(mem);
    return 0;
}

/* The weight products of one step over `count` rows, and nothing else (the bench's
 * breakdown of a step: products against the rest). The activations are zeros. */
int ob_products(const int64_t *dims, const void *const *layers, const void *const *globals,
                int count, int threads)
{
    int hidden = (int)dims[D_HIDDEN], inter = (int)dims[D_INTER], vocab = (int)dims[D_VOCAB];
    int width = ((int)dims[D_HEADS] + 2 * (int)dims[D_KV_HEADS]) * (int)dims[D_HEAD_DIM];
    int wide = inter > hidden ? inter : hidden, most = vocab > 2 * inter ? vocab : 2 * inter;
    wide = wide > width ? wide : width;
    float *y = malloc(sizeof(float) * (size_t)count * (most > wide ? most : wide));
    float *xs = calloc((size_t)count * (wide / 4 + 1), sizeof(float));
    int8_t *xq = calloc((size_t)count, (size_t)wide);
    if (!y || !xs || !xq) {
        free(y), free(xs), free(xq);
        return -1;
    }
    Rows x = {xq, xs, xs + (size_t)count * (wide / 4), count, wide};
#pragma omp parallel num_threads(threads)
    {
        for (int l = 0; l < (int)dims[D_LAYERS]; l++) {
            const void *const *p = layers + (size_t)l * P_PER_LAYER;
            gemv(p[P_QKV_W], p[P_QKV_S], width, hidden, x, y, width, 0);
            gemv(p[P_O_W], p[P_O_S], hidden, (int)(dims[D_HEADS] * dims[D_HEAD_DIM]), x, y,
                 hidden, 0);
            gemv(p[P_GU_W], p[P_GU_S], 2 * inter, hidden, x, y, 2 * inter, 0);
            gemv(p[P_DOWN_W], p[P_DOWN_S], hidden, inter, x, y, hidden, 0);
        }
        gemv(globals[G_HEAD_W], globals[G_HEAD_S], vocab, hidden, x, y, vocab, 0);
    }
    free(y), free(xs), free(xq);
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
    Rows rows1 = {xq, xs, &offset, 1, cols};
#pragma omp parallel num_threads(threads)
    gemv(w, scale, rows, cols, rows1, y, 0, 0);
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
