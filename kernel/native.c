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

/* The rest by concept, each file once, in the order each builds on the ones before (a
 * build's cache key covers every file included: native.py sources()). */
#include "native_products.c"   /* bf16; activations to bytes; the int8 products */
#include "native_attention.c"  /* norms, attention over the bf16 cache, SwiGLU, RoPE */
#include "native_step.c"       /* the step over layers; the calls native.py makes */
