"""kernel/quant.c's products over GGUF blocks against a numpy reference.

The reference dequantizes the weights with the gguf package (gguf.quants.dequantize) and
the activations the way llama.cpp quantizes them (Q8_K for the K-quants, Q8_0 for Q8_0),
then multiplies in float64: the C products are exact integer sums under the same scales,
so they agree to float32 rounding. Q8_0 weights come from gguf.quants.quantize; the package
cannot quantize Q4_K or Q6_K, so those are random blocks (every byte pattern is a valid
block) with scales set to sane fp16 values. Every build this CPU can make runs: AVX-512
VNNI, AVX-VNNI and plain AVX2 where it has them (OUROBOROS_NATIVE=auto, avxvnni, avx2 hold
the newer features back), and the portable scalar loops.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf import quants as gq

from kernel import quant_native
from kernel.native import Cpu

Q = GGMLQuantizationType


def _random_blocks(qtype: Q, rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    block, size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(rows, cols // block, size), dtype=np.uint8)
    if qtype == Q.Q8_0:
        w = rng.standard_normal((rows, cols)).astype(np.float32)
        return gq.quantize(w, qtype)
    scales = (rng.uniform(0.002, 0.02, size=(rows, cols // block, 2))
              .astype(np.float16).view(np.uint8).reshape(rows, cols // block, 4))
    if qtype == Q.Q4_K:
        raw[:, :, 0:4] = scales  # d, dmin
    else:  # Q6_K: d last
        raw[:, :, 208:210] = scales[:, :, 0:2]
    return raw.reshape(rows, -1)


def _q8k(x: np.ndarray) -> np.ndarray:
    """llama.cpp's Q8_K rounding of rows x [T, n], dequantized."""
    b = x.reshape(x.shape[0], -1, 256).astype(np.float32)
    at = np.abs(b).argmax(-1)
    top = np.take_along_axis(b, at[..., None], -1)
    with np.errstate(divide="ignore"):
        iscale = np.where(top != 0, np.float32(-127.0) / top, 0).astype(np.float32)
    q = np.minimum(np.rint(iscale * b), 127)
    d = np.where(top != 0, np.float32(1.0) / np.where(iscale == 0, 1, iscale), 0)
    return (q * d).reshape(x.shape)


def _q80(x: np.ndarray) -> np.ndarray:
    b = x.reshape(x.shape[0], -1, 32).astype(np.float32)
    amax = np.abs(b).max(-1, keepdims=True)
    d = (amax / np.float32(127)).astype(np.float16).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(amax != 0, np.float32(127) / amax, 0).astype(np.float32)
    return (np.rint(b * inv) * d).reshape(x.shape)


def _build(mode: str, tmp_path_factory: pytest.TempPathFactory,
           monkeypatch: pytest.MonkeyPatch) -> quant_native.QuantLib:
    if mode == "auto" and not Cpu.read().simd:
        pytest.skip("no AVX2+FMA here: the vector build is the scalar one")
    monkeypatch.setenv("OUROBOROS_NATIVE", mode)
    lib = quant_native.load(root=tmp_path_factory.getbasetemp() / "quant-native")
    if isinstance(lib, str):
        pytest.skip(f"no native build: {lib}")
    return lib


def _level(mode: str, flags: frozenset[str]) -> int:
    """The kernels (quant.c's oq_simd) a build in `mode` must have on a CPU with `flags`."""
    if mode == "scalar":
        return 0
    avx512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"} <= flags
    if mode == "auto" and avx512:
        return 3
    vnni = "avx_vnni" in flags or (mode == "auto" and {"avx512_vnni", "avx512vl"} <= flags)
    return 2 if mode != "avx2" and vnni else 1


@pytest.fixture(params=["auto", "avxvnni", "avx2", "scalar"])
def lib(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> quant_native.QuantLib:
    mode, flags = request.param, Cpu.read().flags
    if mode in ("avxvnni", "avx2") and _level("auto", flags) <= _level(mode, flags):
        pytest.skip(f"this CPU has nothing for {mode} to hold back")
    built = _build(mode, tmp_path_factory, monkeypatch)
    assert built.level == _level(mode, flags), built.describe()
    return built


@pytest.mark.parametrize("qtype", [Q.Q4_K, Q.Q6_K, Q.Q8_0])
def test_dequantized_rows_are_the_gguf_packages(lib: quant_native.QuantLib, qtype: Q) -> None:
    rng = np.random.default_rng(int(qtype))
    w = _random_blocks(qtype, 8, 512, rng)
    ours = lib.dequant(w, int(qtype), 512).numpy()
    ref = gq.dequantize(w, qtype)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("qtype", [Q.Q4_K, Q.Q6_K, Q.Q8_0])
@pytest.mark.parametrize("count", [1, 6, 13])  # 13: a tile of 8 rows and one of 5
def test_products_match_the_reference(lib: quant_native.QuantLib, qtype: Q,
                                      count: int) -> None:
    rng = np.random.default_rng(7 + int(qtype) + count)
    rows, cols = 37, 768  # rows not a multiple of anything the threads split by
    w = _random_blocks(qtype, rows, cols, rng)
    x = rng.standard_normal((count, cols)).astype(np.float32)
    x[:, :256] *= 5  # blocks of different ranges
    y = lib.matmul(w, int(qtype), cols, torch.from_numpy(x), threads=2).numpy()
    dx = _q80(x) if qtype == Q.Q8_0 else _q8k(x)
    ref = dx.astype(np.float64) @ gq.dequantize(w, qtype).astype(np.float64).T
    scale = np.abs(dx) @ np.abs(gq.dequantize(w, qtype)).T  # the sums' magnitude
    assert np.all(np.abs(y - ref) <= 1e-5 * scale + 1e-6), np.abs(y - ref).max()
    # and close to the unquantized product: the 8-bit activations cost ~1% of it
    exact = x.astype(np.float64) @ gq.dequantize(w, qtype).astype(np.float64).T
    assert np.abs(y - exact).max() <= 0.02 * scale.max()


@pytest.mark.parametrize("qtype", [Q.Q4_K, Q.Q6_K, Q.Q8_0])
def test_a_chunk_gives_the_bits_of_one_row_at_a_time(lib: quant_native.QuantLib,
                                                    qtype: Q) -> None:
    """Rows go through a weight row by tiles of 4 or 8 and the rest: each row's sum is
    computed the same way whatever its tile, so a prefill chunk gives a decode step's bits."""
    rng = np.random.default_rng(11 + int(qtype))
    w = _random_blocks(qtype, 21, 512, rng)
    x = torch.from_numpy(rng.standard_normal((19, 512)).astype(np.float32))
    chunk = lib.matmul(w, int(qtype), 512, x, threads=2)
    for t in range(x.shape[0]):
        assert torch.equal(chunk[t], lib.matmul(w, int(qtype), 512, x[t:t + 1])[0]), t


def _picking_q4k() -> np.ndarray:
    """256 Q4_K rows of 256 columns, row r picking column r: d 1, dmin 0, every scale 1,
    one nibble 1. Its product is each activation's Q8_K value q * d to the bit."""
    blocks = np.zeros((256, 144), np.uint8)
    blocks[:, 0:2] = np.frombuffer(np.float16(1.0).tobytes(), np.uint8)
    blocks[:, 4:8] = 1  # scales 0-3 (their mins, bytes 8-11's high nibbles and 0-3's top
    blocks[:, 12:16] = 1  # bits, 0); scales 4-7 in bytes 12-15's low nibbles
    for r in range(256):
        byte = 16 + 32 * (r // 64) + r % 32
        blocks[r, byte] = 1 if r % 64 < 32 else 0x10
    return blocks


def test_activations_round_as_llama_cpps_q8k_to_the_bit(lib: quant_native.QuantLib) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 256)).astype(np.float32)
    x[1] *= 1e-3
    x[2, 17] = -40.0  # a negative maximum sets the scale's sign
    x[3] = np.arange(256, dtype=np.float32) / 2 - 64  # halves: ties round to even
    x[4, :] = 0.0  # an all-zero block
    x[5, 3], x[5, 9] = 7.0, -7.0  # a tie for the maximum: the first wins
    y = lib.matmul(_picking_q4k(), int(Q.Q4_K), 256, torch.from_numpy(x)).numpy()
    assert np.array_equal(y, _q8k(x).astype(np.float32))


def test_zero_rows_and_one_thread_agree(lib: quant_native.QuantLib) -> None:
    rng = np.random.default_rng(3)
    w = _random_blocks(Q.Q4_K, 16, 256, rng)
    x = torch.zeros(2, 256)
    x[1] = torch.from_numpy(rng.standard_normal(256).astype(np.float32))
    one = lib.matmul(w, int(Q.Q4_K), 256, x, threads=1)
    two = lib.matmul(w, int(Q.Q4_K), 256, x, threads=2)
    assert torch.equal(one[0], torch.zeros(16))  # an all-zero block has scale 0, not NaN
    assert torch.equal(one, two)  # rows are split, never their sums


def test_a_type_without_products_is_refused(lib: quant_native.QuantLib) -> None:
    with pytest.raises(ValueError, match="no product"):
        lib.matmul(np.zeros((1, 18), np.uint8), int(Q.Q4_0), 32, torch.zeros(1, 32))


@pytest.mark.parametrize("qtype", [Q.Q4_K, Q.Q6_K])
@pytest.mark.parametrize("count", [1, 4, 7])  # a tile of 4 rows, and one of 3
def test_repacked_products_match_the_reference_and_their_own_rows(
        lib: quant_native.QuantLib, qtype: Q, count: int) -> None:
    """Q4_K and Q6_K repacked 8 rows interleaved (every vector build; 40 rows: two pairs of
    groups through AVX-512's 512-bit kernel and a last group through the 256-bit one): the
    same integer sums under
    the same scales, so the reference's float32 rounding; each row's sum in one order
    whatever the tile, so a chunk gives one-row steps' bits."""
    rng = np.random.default_rng(17 + count + int(qtype))
    rows, cols = 40, 768
    w = _random_blocks(qtype, rows, cols, rng)
    packed = lib.repack(w, int(qtype), cols)
    if packed is None:
        assert lib.level == 0  # the scalar build keeps the file's layout
        pytest.skip(f"{lib.describe()} reads {qtype.name} as the file lays it out")
    x = rng.standard_normal((count, cols)).astype(np.float32)
    x[:, :256] *= 5
    y = lib.matmul(packed[0], packed[1], cols, torch.from_numpy(x), threads=2).numpy()
    dw = gq.dequantize(w, qtype).astype(np.float64)
    ref = _q8k(x).astype(np.float64) @ dw.T
    scale = np.abs(_q8k(x)) @ np.abs(dw).T
    assert np.all(np.abs(y - ref) <= 1e-5 * scale + 1e-6), np.abs(y - ref).max()
    for t in range(count):
        one = lib.matmul(packed[0], packed[1], cols, torch.from_numpy(x[t:t + 1]))
        assert np.array_equal(y[t], one[0].numpy()), t


@pytest.mark.parametrize("qtype", [Q.Q4_K, Q.Q6_K])
def test_the_512_bit_repacked_kernel_gives_the_256_bit_ones_bits(
        qtype: Q, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """AVX-512 builds run two repacked groups in one register, each lane as the AVX2 and
    AVX-VNNI builds' lane: the same products to the bit, chunk or step."""
    if _level("auto", Cpu.read().flags) != 3:
        pytest.skip("no AVX-512 VNNI here: one repacked kernel only")
    rng = np.random.default_rng(41 + int(qtype))
    rows, cols = 40, 512
    w = _random_blocks(qtype, rows, cols, rng)
    x = torch.from_numpy(rng.standard_normal((11, cols)).astype(np.float32))
    out = {}
    for mode in ("auto", "avx2"):
        built = _build(mode, tmp_path_factory, monkeypatch)
        packed = built.repack(w, int(qtype), cols)
        assert packed is not None, built.describe()
        out[mode] = built.matmul(packed[0], packed[1], cols, x, threads=2).numpy()
    assert np.array_equal(out["auto"], out["avx2"])


def test_only_whole_groups_of_8_k_quant_rows_are_repacked(lib: quant_native.QuantLib) -> None:
    rng = np.random.default_rng(2)
    assert lib.repack(_random_blocks(Q.Q4_K, 37, 256, rng), int(Q.Q4_K), 256) is None
    assert lib.repack(_random_blocks(Q.Q6_K, 12, 256, rng), int(Q.Q6_K), 256) is None
    assert lib.repack(_random_blocks(Q.Q8_0, 16, 256, rng), int(Q.Q8_0), 256) is None
