/* The products: jobs of weight rows against quantized activation rows, split
 * over the threads; oq_matmul and oq_dequant.
 * Part of kernel/quant.c's one translation unit: quant.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

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
/* Repacked rows [row, row + 8) of job against activation rows [t0, t1), X8_TILE at a time. */
static void group_products(const Job *job, int row, const Acts *x, int t0, int t1)
{
    const int nb = x->cols / QK_K;
    const __m256 bias = job->bias ? _mm256_loadu_ps(job->bias + row) : _mm256_setzero_ps();
    for (int t = t0; t < t1; t += X8_TILE) {
        const int n = t1 - t < X8_TILE ? t1 - t : X8_TILE;
        const BlockQ8K *ys[X8_TILE];
        __m256 v[X8_TILE];
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

#ifdef X16
/* Repacked rows [row, row + 16) (two groups) against activation rows [t0, t1). */
static void group16_products(const Job *job, int row, const Acts *x, int t0, int t1)
{
    const int nb = x->cols / QK_K, q6 = job->type == T_Q6_K_X8;
    const size_t size = q6 ? sizeof(BlockQ6KX8) : sizeof(BlockQ4KX8);
    const uint8_t *w = job->w + (size_t)(row / 8) * nb * size;
    const __m512 bias = job->bias ? _mm512_loadu_ps(job->bias + row) : _mm512_setzero_ps();
    for (int t = t0; t < t1; t += X16_TILE) {
        const int n = t1 - t < X16_TILE ? t1 - t : X16_TILE;
        const BlockQ8K *ys[X16_TILE];
        __m512 v[X16_TILE];
        for (int k = 0; k < n; k++)
            ys[k] = x->q8k + (size_t)(t + k) * nb;
        gemms_x16(q6, w, w + (size_t)nb * size, ys, nb, n, v);
        for (int k = 0; k < n; k++) {
            float *y = job->y + (size_t)(t + k) * job->ystride + row;
            const __m512 r = _mm512_add_ps(v[k], bias);
            _mm512_storeu_ps(y, job->accumulate ? _mm512_add_ps(_mm512_loadu_ps(y), r) : r);
        }
    }
}
#endif

#ifdef OQ_X8
/* A repacked job's row `row`: its group's products where it begins one, else nothing (done
 * with its group's first row). Where this build has the 512-bit kernel, a chunk takes two
 * groups at once (a last odd group alone); a decode step's one activation row stays with
 * the 256-bit kernel, which read its two streams of weights faster (the same bits). */
static void group_rows(const Job *job, int row, const Acts *x, int t0, int t1)
{
#ifdef X16
    if (t1 - t0 > 1) {
        if (row % 16 == 0)
            (row + 16 <= job->rows ? group16_products : group_products)(job, row, x, t0, t1);
        return;
    }
#endif
    if (row % 8 == 0)
        group_products(job, row, x, t0, t1);
}
#endif

/* Row `r` of the jobs (counted across them) against activation rows [t0, t1): OQ_TILE at a
 * time through the K-quants' dots (the weight row's blocks unpacked once for them), one at
 * a time through Q8_0's dot. A repacked job's rows go 8 or 16 at a time, by their first. */
static void row_products(const Job *jobs, int r, const Acts *x, int t0, int t1)
{
    int j = 0, row = r;
    while (row >= jobs[j].rows)
        row -= jobs[j++].rows;
    const Job *job = &jobs[j];
#ifdef OQ_X8
    if (job->type == T_Q4_K_X8 || job->type == T_Q6_K_X8) {
        group_rows(job, row, x, t0, t1);
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
