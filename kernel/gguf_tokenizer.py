"""A GGUF model's tokenizer: the file's vocabulary, merges, special tokens and chat template.

transformers converts a GGUF's tokenizer metadata into a `tokenizers` tokenizer (its
GGUF loading, `AutoTokenizer.from_pretrained(..., gguf_file=...)`): the same conversion
its users get, which gives llama.cpp's ids (checked against llama_cpp's tokenize in
tests/kernel/test_gguf_qwen.py). It walks 300,000 strings and builds 151,387 merges, 15 s
of CPU for Qwen2's vocabulary, so its tokenizer.json is kept under the model cache
(~/.cache/ouroboros/models/<file>-<fingerprint>/), written once and renamed into place; a
later load reads that file in well under a second.

The special tokens' ids are read from the file (its token list and eos id), never assumed;
the chat template is the file's `tokenizer.chat_template`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from kernel.errors import ModelLoadError
from kernel.gguf_file import GgufFile
from kernel.plain import _fingerprint, default_cache_root, no_library_bars
from kernel.tokenizer import CHATML, ChatTokenizer


def tokenizer_dir(gguf: Path, cache_root: Path | None = None) -> Path:
    root = cache_root or default_cache_root()
    return root / f"{gguf.stem}-{_fingerprint(gguf)}"


def _convert(gguf: Path, target: Path) -> None:
    """Write the file's tokenizer as tokenizer.json into `target` (atomically)."""
    from transformers import AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    no_library_bars()
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as exc:
        raise ModelLoadError(f"cannot read the tokenizer of {gguf}: {exc}") from exc
    target.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target, prefix=".tokenizer-", suffix=".json")
    os.close(fd)
    try:
        tok.backend_tokenizer.save(tmp)
        os.replace(tmp, target / "tokenizer.json")
    finally:
        Path(tmp).unlink(missing_ok=True)


def _specials(gf: GgufFile, tokens: list[str] | None) -> dict[str, int]:
    """The ChatML tokens' ids as the file's own token list places them."""
    if tokens is None:
        return {}
    where = {t: i for t, i in ((tok, i) for i, tok in enumerate(tokens)) if t in CHATML}
    missing = [t for t in CHATML if t not in where]
    if missing:
        raise ModelLoadError(f"{gf.path.name}: its vocabulary has no {', '.join(missing)} "
                             "(the kernel's chat format needs them)")
    return where


def gguf_tokenizer(gf: GgufFile, cache_root: Path | None = None) -> ChatTokenizer:
    """The ChatTokenizer of the GGUF file `gf` (its tokenizer.json built once, then cached)."""
    target = tokenizer_dir(gf.path, cache_root)
    path = target / "tokenizer.json"
    if not path.is_file():
        _convert(gf.path, target)
    tokens = gf.metadata.get("tokenizer.ggml.tokens")
    if not isinstance(tokens, list):  # read without its vocabulary: ask for it now
        tokens = GgufFile(gf.path, keep=("tokenizer.ggml.tokens",)).metadata[
            "tokenizer.ggml.tokens"]
    specials = _specials(gf, tokens)
    eos = gf.metadata.get("tokenizer.ggml.eos_token_id")
    stops = tuple(dict.fromkeys(
        [specials["<|im_end|>"], *([int(eos)] if eos is not None else []),
         specials["<|endoftext|>"]]))
    template = gf.metadata.get("tokenizer.chat_template")
    try:
        return ChatTokenizer.from_file(path, specials=specials,
                                       template=template if isinstance(template, str) else None,
                                       stop_ids=stops)
    except ModelLoadError:
        shutil.rmtree(target, ignore_errors=True)  # a stale or broken cache: built anew next
        raise
