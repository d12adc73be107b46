"""LoRA adapters through PEFT over a frozen base: inference only, merged or unmerged.

Works on any nn.Module (our Ouro model has no transformers base class), reading the
standard PEFT adapter layout: adapter_config.json + adapter_model.safetensors.

Over a 4-bit base the adapter always stays unmerged: merging would round base + delta back
to 4 bits, losing most of what the adapter adds (the usual QLoRA inference practice).
"""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file
from torch import nn

from kernel.errors import ModelLoadError
from kernel.quantize import count_4bit

_PREFIX = "base_model.model."  # how PeftModel-trained adapters name their keys


def apply_lora(model: nn.Module, adapter_dir: Path | str, *, merge: bool) -> nn.Module:
    from peft import LoraConfig, inject_adapter_in_model, set_peft_model_state_dict
    from peft.tuners.lora import LoraLayer

    adapter_dir = Path(adapter_dir).expanduser()
    weights_file = adapter_dir / "adapter_model.safetensors"
    if not (adapter_dir / "adapter_config.json").is_file() or not weights_file.is_file():
        raise ModelLoadError(f"{adapter_dir}: not a PEFT adapter (need adapter_config.json "
                             "and adapter_model.safetensors)")
    try:
        config = LoraConfig.from_pretrained(str(adapter_dir))
    except Exception as exc:
        raise ModelLoadError(f"{adapter_dir}: unreadable adapter config ({exc})") from exc
    config.inference_mode = True
    inject_adapter_in_model(config, model)
    weights = {k.removeprefix(_PREFIX): v for k, v in load_file(str(weights_file)).items()}
    result = set_peft_model_state_dict(model, weights)
    if getattr(result, "unexpected_keys", None):
        raise ModelLoadError(f"{adapter_dir}: adapter keys match no module: "
                             f"{sorted(result.unexpected_keys)[:10]}")
    layers = [m for m in model.modules() if isinstance(m, LoraLayer)]
    if not layers:
        raise ModelLoadError(f"{adapter_dir}: the adapter's target modules are not in the model")
    if merge and count_4bit(model) == 0:
        for layer in layers:
            layer.merge()
    return model.eval().requires_grad_(False)
