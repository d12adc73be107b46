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

/* The rest by concept, each file once, in the order each builds on the ones before (a
 * build's cache key covers every file included: kernel/native.py sources()). */
#include "quant_blocks.c"    /* fp16; activations to Q8_K, Q8_0; dequantizing */
#include "quant_dots.c"      /* one weight row's dot products, a file per ISA */
#include "quant_x8.c"        /* Q4_K, Q6_K repacked 8 rows interleaved; their GEMM */
#include "quant_x16.c"       /* that GEMM two groups at once with AVX-512 */
#include "quant_products.c"  /* the products over the threads; oq_matmul, oq_dequant */
#include "quant_step.c"      /* the model step, oq_tokens */
