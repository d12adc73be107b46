"""The SmolLM2-family tokenizer (tokenizer.json via the `tokenizers` library) with ChatML."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

from kernel.errors import ModelLoadError

SPECIALS = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2}


class ChatTokenizer:
    def __init__(self, tokenizer: Tokenizer):
        for token, want in SPECIALS.items():
            got = tokenizer.token_to_id(token)
            if got != want:
                raise ModelLoadError(f"tokenizer maps {token} to {got}, expected {want}")
        self.tok = tokenizer
        self.eos_id, self.im_start_id, self.im_end_id = 0, 1, 2

    @classmethod
    def from_file(cls, path: Path) -> ChatTokenizer:
        if not path.is_file():
            raise ModelLoadError(f"no tokenizer at {path}")
        try:
            return cls(Tokenizer.from_file(str(path)))
        except Exception as exc:
            if isinstance(exc, ModelLoadError):
                raise
            raise ModelLoadError(f"{path}: unreadable tokenizer ({exc})") from exc

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Sequence[int], skip_special: bool = True) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=skip_special)

    def chat(self, messages: Sequence[dict[str, str]], add_generation_prompt: bool = True,
             ) -> list[int]:
        """ChatML: <|im_start|>role\\ncontent<|im_end|>\\n ... <|im_start|>assistant\\n"""
        ids: list[int] = []
        for m in messages:
            ids += [self.im_start_id, *self.encode(f"{m['role']}\n{m['content']}"),
                    self.im_end_id, *self.encode("\n")]
        if add_generation_prompt:
            ids += [self.im_start_id, *self.encode("assistant\n")]
        return ids
