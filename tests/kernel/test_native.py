"""The native one-token step (kernel/native.c via kernel/native.py) on a tiny random Llama:
its logits against the torch int8 forward's, the portable scalar build against the AVX2
one, thread counts, the fallbacks with their stated reasons, a build into a fresh cache,
and prefix reuse over natively decoded positions."""

from __future__ import annotations

import pytest
import torch

from kernel import fast_plain, native
from kernel.fast_plain import NATIVE_ROWS, FastLlama, FastPlain
from kernel.native import Cpu, Native, Threads

PROMPT = [5, 17, 201, 33, 9, 140, 77, 2, 250, 61, 12]
STEPS = 8


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=512)
    model = LlamaForCausalLM(cfg).eval().requires_grad_(False)
    with torch.no_grad():  # logits that spread, so a wrong step shows
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.2)
    return model


@pytest.fixture(scope="module")
def hf():
    return tiny_llama()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Every build lands in a cache this module owns (one per session: built once)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg"))


def native_model(hf) -> FastLlama:
    lean = FastLlama.from_hf(hf)
    if lean.native is None:
        pytest.skip(f"no native step on this machine: {lean.kernels}")
    return lean


def decode(model: FastLlama, steps: int = STEPS, threads: int = 1) -> list[torch.Tensor]:
    """Prefill PROMPT, then feed back the greedy token: the logits of every position."""
    model.decode_threads = threads
    stepper = FastPlain(model, chunk=4)
    logits = [stepper.prefill(PROMPT)]
    for _ in range(steps):
        logits.append(stepper.advance(int(logits[-1].argmax()), 0.0)[0])
    return logits


def teacher_forced(model: FastLlama, tokens: list[int]) -> list[torch.Tensor]:
    stepper = FastPlain(model, chunk=4)
    logits = [stepper.prefill(PROMPT)]
    logits += [stepper.advance(t, 0.0)[0] for t in tokens]
    return logits


@pytest.mark.slow  # compiles and runs the native step
def test_native_step_matches_the_torch_int8_forward(hf):
    lean = native_model(hf)
    got = decode(lean)
    tokens = [int(x.argmax()) for x in got[:-1]]
    lean.native = None  # the same weights on the torch path
    want = teacher_forced(lean, tokens)
    reference = teacher_forced(FastLlama.from_hf(hf, "float32"), tokens)
    for mine, theirs, exact in zip(got, want, reference, strict=True):
        spread = float(exact.max() - exact.min())
        # Measured on these random weights: the native path (prompt and steps, its
        # activations quantized to 7 bits) sits 1.7-5.3% of the logit range from float32,
        # the torch int8 path 1.4-3.6%, and the two within 5.0% of each other. A wrong step
        # (a misplaced rotation, a stale cache row) is off by the whole range.
        assert float((mine - theirs).abs().max()) < 0.07 * spread
        assert float((mine - exact).abs().max()) < 0.08 * spread


@pytest.mark.slow  # compiles and runs the native step
def test_short_chunks_run_natively_and_any_chunking_gives_the_same_bits(hf, monkeypatch):
    """A prefill chunk of up to NATIVE_ROWS tokens is one native call whose rows are computed
    independently: token by token, in chunks of 4 or all at once, the logits and the cache
    are bit for bit the same; a longer chunk, or one attending to more than NATIVE_SPAN
    positions over its rows, takes the float32 GEMM path."""
    lean = native_model(hf)
    runs = [FastPlain(lean, chunk=n) for n in (1, 4, len(PROMPT))]
    logits = [stepper.prefill(PROMPT) for stepper in runs]
    assert all(torch.equal(logits[0], other) for other in logits[1:])
    assert all(torch.equal(runs[0].cache.k[:, :, : len(PROMPT)], s.cache.k[:, :, : len(PROMPT)])
               for s in runs[1:])
    long = PROMPT * 4  # 44 tokens in one chunk: past NATIVE_ROWS
    assert len(long) > NATIVE_ROWS
    calls = []
    step = lean._step
    lean._step = lambda *args: calls.append(len(args[0])) or step(*args)
    FastPlain(lean, chunk=len(long)).prefill(long)
    FastPlain(lean, chunk=NATIVE_ROWS).prefill(long)
    assert calls == [NATIVE_ROWS, len(long) - NATIVE_ROWS]  # only the second stepper's chunks
    calls.clear()
    monkeypatch.setattr(fast_plain, "NATIVE_SPAN", 200)  # rows x positions: 11 x 11, 11 x 22
    FastPlain(lean, chunk=len(PROMPT)).prefill(long)
    assert calls == [len(PROMPT)]  # the later chunks see more positions: the GEMM path


@pytest.mark.slow  # compiles and runs the native step
@pytest.mark.parametrize("bad", [256, 10**9, -1])  # the tiny model has 256 rows
def test_a_token_id_past_the_embedding_is_refused_before_native_code_reads_it(hf, bad):
    """C looks tokens up unchecked: an id from a hostile client or a mismatched tokenizer
    must raise as torch's lookup does, in a prompt chunk and in a decode step alike, and the
    stepper must still answer correctly afterwards."""
    lean = native_model(hf)
    cold = FastPlain(lean, chunk=4).prefill(PROMPT)
    stepper = FastPlain(lean, chunk=4)
    with pytest.raises(IndexError):
        stepper.prefill([5, bad, 7])
    assert torch.equal(stepper.prefill(PROMPT), cold)
    with pytest.raises(IndexError):
        stepper.advance(bad, 0.0)
    assert torch.equal(stepper.prefill(PROMPT), cold)


@pytest.mark.slow  # compiles and runs the native step
def test_threads_split_rows_without_changing_a_bit(hf):
    lean = native_model(hf)
    one, two = decode(lean, threads=1), decode(lean, threads=2)
    assert all(torch.equal(a, b) for a, b in zip(one, two, strict=True))


def held_back(hf, monkeypatch, mode: str) -> FastLlama:
    monkeypatch.setenv("OUROBOROS_NATIVE", mode)
    lean = FastLlama.from_hf(hf)
    assert lean.native is not None, lean.kernels
    return lean


@pytest.mark.slow  # compiles and runs the native step
def test_the_simd_build_matches_the_portable_scalar_one(hf, monkeypatch):
    """The same arithmetic summed in another order. A product over the same input agrees to
    float rounding. A whole decode sees inputs a rounding apart (FMA, exp), and now and then
    one of them quantizes a level apart: measured on 40 random prompts, a few parted by 0.05
    at most, 0.7% of the logit range; a wrong kernel is off by the whole range."""
    simd = native_model(hf)
    scalar = held_back(hf, monkeypatch, "scalar")
    assert scalar.kernels == "native C, scalar"
    torch.manual_seed(1)
    q = torch.randint(-127, 128, (68, 576), dtype=torch.int8)  # 4-row groups and a rest
    scale = torch.rand(68)
    for _ in range(20):
        x = torch.randn(576) * 3
        want = scalar.native.gemv(q, scale, x)  # measured: 5e-7 of the largest apart
        assert float((simd.native.gemv(q, scale, x) - want).abs().max()) < 1e-5 * float(
            want.abs().max())
    for a, b in zip(decode(simd), decode(scalar), strict=True):
        assert float((a - b).abs().max()) < 0.02 * float(b.max() - b.min())


@pytest.mark.slow  # compiles and runs the native step
@pytest.mark.parametrize(("mode", "level"), [("avx2", 1), ("avxvnni", 2)])
def test_each_kernel_this_cpu_can_run_gives_the_same_bits(hf, monkeypatch, mode, level):
    """vpdpbusd (either VNNI form) forms the int32 sums maddubs + madd do, so a build held
    back to fewer features decodes bit for bit as the full one; the library says which
    kernels it was compiled with."""
    full = native_model(hf)
    if full.native.level <= level:
        pytest.skip(f"this CPU's build is already {full.kernels}: nothing to hold back")
    if mode == "avxvnni" and "avx_vnni" not in full.cpu.flags:
        pytest.skip("this CPU has AVX-512 VNNI but not AVX-VNNI")
    held = held_back(hf, monkeypatch, mode)
    assert held.native.level == level
    assert held.kernels == f"native C, {native.KERNELS[level]}"
    for a, b in zip(decode(full), decode(held), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(("env", "value", "reason"), [
    ("OUROBOROS_NATIVE", "0", "disabled by OUROBOROS_NATIVE=0"),
    ("OUROBOROS_CC", "/nonexistent/cc", "no C compiler"),
    ("OUROBOROS_NATIVE", "avx9", "OUROBOROS_NATIVE='avx9' is none of 0, auto, scalar"),
])
def test_fallback_states_its_reason_and_decodes_on_torch(hf, monkeypatch, env, value, reason):
    monkeypatch.setenv(env, value)
    lean = FastLlama.from_hf(hf)
    assert lean.native is None
    assert lean.kernels.startswith("torch int8") and reason in lean.kernels
    assert len(decode(lean, steps=2)) == 3


def test_a_cpu_without_avx2_or_a_failed_build_is_a_reason_not_a_crash(tmp_path, monkeypatch):
    old = Cpu("old CPU", frozenset({"sse4_2", "avx"}))
    assert "lacks AVX2+FMA" in native.load(old, tmp_path)
    assert not old.simd and not old.bf16 and old.isa() == "no AVX2"
    broken = tmp_path / "cc"
    broken.write_text("#!/bin/sh\necho 'cc: internal error' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("OUROBOROS_CC", str(broken))
    reason = native.load(Cpu("new CPU", frozenset({"avx2", "fma"})), tmp_path)
    assert reason == "the native build failed (cc: internal error)"
    assert list(tmp_path.glob("*.so*")) == []  # no half-written library left behind


@pytest.mark.slow  # compiles and runs the native step
def test_a_fresh_cache_builds_once_then_loads(tmp_path):
    cpu = Cpu.read()
    first = native.load(cpu, tmp_path)
    if not isinstance(first, Native):
        pytest.skip(first)
    built = list(tmp_path.glob("*"))
    assert built == [first.path] and first.path.suffix == ".so"
    stamp = first.path.stat().st_mtime_ns
    again = native.load(cpu, tmp_path)
    assert isinstance(again, Native) and again.path == first.path
    assert first.path.stat().st_mtime_ns == stamp


@pytest.mark.slow  # compiles and runs the native step
def test_prefix_reuse_after_native_steps_gives_the_cold_logits(hf):
    lean = native_model(hf)
    kept = FastPlain(lean, chunk=4)
    logits, reply = kept.prefill(PROMPT), []
    for _ in range(5):  # decoded natively: written into the cache by C
        reply.append(int(logits.argmax()))
        logits, _ = kept.advance(reply[-1], 0.0)
    for prompt in ([*PROMPT, *reply, 40, 41, 42], [*PROMPT[:6], 99, 98]):  # extend, then edit
        cold = FastPlain(lean, chunk=4)
        warm_logits, cold_logits = kept.prefill(prompt), cold.prefill(prompt)
        assert kept.reused > 0 and torch.equal(warm_logits, cold_logits)
        token = int(warm_logits.argmax())
        assert torch.equal(kept.advance(token, 0.0)[0], cold.advance(token, 0.0)[0])


def test_threads_follow_the_timings():
    threads = Threads(2)
    picks = []
    for _ in range(200):  # an idle machine: 2 threads take half the time
        picks.append(threads.pick())
        threads.record(picks[-1], 0.005 if picks[-1] == 2 else 0.010)
    assert picks[0] == 2 and picks.count(1) <= 5 and threads.current == 2
    for _ in range(2000):  # load arrives: every 2-thread step waits on a preempted thread
        picks.append(threads.pick())
        threads.record(picks[-1], 0.100 if picks[-1] == 2 else 0.012)
    late = picks[-1000:]
    assert threads.current == 1 and late.count(2) <= 3  # tries back off to one per 512
    assert Threads(1).pick() == 1


@pytest.mark.slow  # compiles and runs the native step
def test_prefill_chunks_compute_in_what_the_cpu_does_natively(hf):
    lean = FastLlama.from_hf(hf)
    assert lean.chunk_dtype == (torch.bfloat16 if lean.cpu.bf16 else torch.float32)
    float_chunks = FastPlain(lean, chunk=4).prefill(PROMPT)
    lean.chunk_dtype = torch.bfloat16  # an AVX-512 BF16 / AMX machine's choice
    bf16_chunks = FastPlain(lean, chunk=4).prefill(PROMPT)
    spread = float(float_chunks.max() - float_chunks.min())
    assert float((bf16_chunks - float_chunks).abs().max()) < 0.04 * spread
