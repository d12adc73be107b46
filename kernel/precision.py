"""Which weights the in-process kernel computes with. Torch-free: daemon/config/settings.py
reads it.

- auto: plain Llama-family models (the embedded SmolLM2 included) run the lean int8 forward
  of kernel/fast_plain.py; Ouro models and everything else keep float32 (the int8 Ouro path
  is checked only on random checkpoints so far, so it is opt-in).
- int8: the lean/int8 path wherever it applies (plain Llama-family and Ouro, on the CPU).
- float32: the float32 reference path everywhere (transformers, our Ouro module).
A 4-bit base, an unmerged LoRA adapter or an unsupported architecture keeps its own path.
On a CUDA device (`device`) every covered model runs in bfloat16 whatever `precision` says.
"""

from __future__ import annotations

PRECISIONS = ("auto", "int8", "float32")
DEFAULT_PRECISION = "auto"


def _one_of(what: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")
    return value


def check(precision: str) -> str:
    return _one_of("precision", precision, PRECISIONS)


# Where the in-process kernel computes (`provider.device`). auto: a CUDA device when torch
# sees one (bf16 weights, CUDA graphs: kernel/gpu_stepper.py), else the CPU paths above.
DEVICES = ("auto", "cpu", "cuda")
DEFAULT_DEVICE = "auto"


def check_device(device: str) -> str:
    return _one_of("device", device, DEVICES)
