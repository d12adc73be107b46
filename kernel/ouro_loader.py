"""Loading Ouro checkpoints in the Hugging Face layout: config.json plus model.safetensors or
a sharded set described by model.safetensors.index.json. Nothing is downloaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file

from kernel.errors import ModelLoadError
from kernel.ouro_model import OuroConfig, OuroForCausalLM

# Buffers some exporters write that the model recomputes.
_IGNORED_SUFFIXES = (".rotary_emb.inv_freq",)
Progress = Callable[[int, int, str], None]


def is_ouro_dir(path: Path) -> bool:
    cfg = path / "config.json"
    if not cfg.is_file():
        return False
    try:
        return json.loads(cfg.read_text()).get("model_type") == "ouro"
    except (OSError, json.JSONDecodeError):
        return False


def weight_files(path: Path) -> list[Path]:
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (json.JSONDecodeError, KeyError, AttributeError) as exc:
            raise ModelLoadError(f"{index}: not a safetensors index ({exc})") from exc
        missing = [s for s in shards if not (path / s).is_file()]
        if missing:
            raise ModelLoadError(f"{path}: shards named in the index are missing: {missing}")
        return [path / s for s in shards]
    single = path / "model.safetensors"
    if single.is_file():
        return [single]
    raise ModelLoadError(f"{path}: no model.safetensors or model.safetensors.index.json")


def _describe_mismatch(missing: set[str], unexpected: set[str]) -> str:
    parts = []
    for label, keys in (("missing", missing), ("unexpected", unexpected)):
        if keys:
            shown = sorted(keys)[:20]
            more = f" (+{len(keys) - 20} more)" if len(keys) > 20 else ""
            parts.append(f"{len(keys)} {label} key(s): {', '.join(shown)}{more}")
    return "; ".join(parts)


def _read_config(path: Path, ut_steps: int | None) -> OuroConfig:
    if not path.is_dir():
        raise ModelLoadError(
            f"{path} is not a directory. Model hubs are not reachable from the daemon: "
            "download the checkpoint and pass its local directory.")
    try:
        cfg = OuroConfig.from_file(path / "config.json")
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: no config.json") from None
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path}/config.json: {exc}") from exc
    if ut_steps is not None:
        if ut_steps < 1:
            raise ModelLoadError(f"ut_steps must be >= 1 (got {ut_steps})")
        cfg.total_ut_steps = ut_steps
    return cfg


def _read_state(files: list[Path], dtype: torch.dtype, device: str,
                progress: Progress | None) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for n, file in enumerate(files, 1):
        if progress:
            progress(n - 1, len(files), file.name)
        try:
            tensors = load_file(str(file), device=device)
        except Exception as exc:
            raise ModelLoadError(f"{file}: unreadable safetensors file ({exc})") from exc
        state.update({k: v.to(dtype) for k, v in tensors.items()
                      if not k.endswith(_IGNORED_SUFFIXES)})
    if progress:
        progress(len(files), len(files), "done")
    return state


def _check_state(path: Path, model: OuroForCausalLM, state: dict[str, torch.Tensor]) -> None:
    """Exactly the architecture's keys, each with the shape the config implies."""
    expected = model.state_dict()
    got = {k for k, v in state.items() if v is not None}
    if got != set(expected):
        raise ModelLoadError(f"{path}: checkpoint does not match the Ouro architecture: "
                             + _describe_mismatch(set(expected) - got, got - set(expected)))
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape:
            raise ModelLoadError(f"{path}: {key} has shape {tuple(tensor.shape)}, "
                                 f"config implies {tuple(expected[key].shape)}")


def load_ouro(path: Path | str, *, dtype: torch.dtype = torch.float32,
              ut_steps: int | None = None, device: str = "cpu",
              progress: Progress | None = None) -> OuroForCausalLM:
    """Load an Ouro checkpoint directory. `ut_steps` overrides total_ut_steps for this load."""
    path = Path(path).expanduser()
    cfg = _read_config(path, ut_steps)
    files = weight_files(path)
    with torch.device("meta"):  # no memory until the real tensors are assigned
        model = OuroForCausalLM(cfg)
    state = _read_state(files, dtype, device, progress)
    if cfg.tie_word_embeddings:
        state.setdefault("lm_head.weight", state.get("model.embed_tokens.weight"))
    _check_state(path, model, state)
    model.load_state_dict(state, assign=True, strict=True)
    if cfg.tie_word_embeddings:
        model.lm_head.weight = model.model.embed_tokens.weight
    model.eval().requires_grad_(False)
    return model


def save_ouro(model: OuroForCausalLM, path: Path, *, shards: int = 1) -> None:
    """Write `model` in the HF layout (used to make test checkpoints and adapters' bases)."""
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(model.config.to_dict(), indent=2))
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    if shards == 1:
        save_file(state, str(path / "model.safetensors"), metadata={"format": "pt"})
        return
    keys = sorted(state)
    weight_map = {}
    for i in range(shards):
        name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: state[k] for k in keys[i::shards]}
        save_file(part, str(path / name), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(part, name))
    total = sum(v.numel() * v.element_size() for v in state.values())
    (path / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))
