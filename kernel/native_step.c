/* The step: a call's scratch, the layers over a chunk or a batch, and the calls
 * native.py makes (ob_tokens, ob_batch, ob_products, ob_gemv, ob_dequant).
 * Part of kernel/native.c's one translation unit: native.c includes it (after native.c's
 * types, macros and SIMD level), so it is not compiled alone. */

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
