/* The portable dot products (OQ_SIMD 0): the reference the vector kernels are
 * tested against.
 * Part of kernel/quant.c's one translation unit: quant_dots.c includes it (after quant.c's
 * types, macros and SIMD level), so it is not compiled alone. */

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
