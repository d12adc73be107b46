/* The model step, oq_tokens: norms, RoPE, attention over the fp16 KV cache,
 * SwiGLU and the logits.
 * Part of kernel/quant.c's one translation unit: quant.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

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
