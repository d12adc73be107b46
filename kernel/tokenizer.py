"""The chat tokenizer: tokenizer.json via the `tokenizers` library, with the model's chat format.

The embedded SmolLM2 family's tokenizer.json carries no template: its ChatML is written
here, and its special tokens must sit at ids 0-2 (checked). A GGUF model brings its own
(kernel/gguf_tokenizer.py): the ids of its special tokens as the file lists them, its stop
tokens, and the chat template the file carries, rendered as transformers renders one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from kernel.errors import ModelLoadError

SPECIALS = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2}
CHATML = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def _template(source: str) -> Any:
    """A chat template compiled as transformers compiles one (a sandboxed jinja2 with
    trim_blocks, lstrip_blocks, loop controls, `tojson` and `raise_exception`)."""
    import json

    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    def tojson(x: Any, ensure_ascii: bool = False, indent: int | None = None,
               separators: Any = None, sort_keys: bool = False) -> str:
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    try:
        return env.from_string(source)
    except TemplateError as exc:
        raise ModelLoadError(f"the model's chat template does not compile: {exc}") from exc


class ChatTokenizer:
    def __init__(self, tokenizer: Tokenizer, specials: Mapping[str, int] | None = None,
                 template: str | None = None, stop_ids: Sequence[int] | None = None):
        """`specials`: the ids the model's file gives <|endoftext|>, <|im_start|> and
        <|im_end|> (default: SmolLM2's 0, 1, 2); each must be what the tokenizer maps the
        token to. `template`: the model's jinja chat template (default: ChatML written here).
        `stop_ids`: the tokens that end a reply (default <|im_end|>, <|endoftext|>)."""
        specials = dict(SPECIALS if specials is None else specials)
        for token in CHATML:
            want, got = specials.get(token), tokenizer.token_to_id(token)
            if want is None or got != want:
                raise ModelLoadError(f"tokenizer maps {token} to {got}, expected {want}")
        self.tok = tokenizer
        self.eos_id, self.im_start_id, self.im_end_id = (specials[t] for t in CHATML)
        self.stop_ids = tuple(stop_ids) if stop_ids else (self.im_end_id, self.eos_id)
        self.template_source = template
        self._template = _template(template) if template else None

    @classmethod
    def from_file(cls, path: Path, **kwargs: Any) -> ChatTokenizer:
        if not path.is_file():
            raise ModelLoadError(f"no tokenizer at {path}")
        try:
            return cls(Tokenizer.from_file(str(path)), **kwargs)
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

    def render(self, messages: Sequence[dict[str, str]], add_generation_prompt: bool = True,
               ) -> str:
        """The prompt text the model's own template makes of `messages`."""
        if self._template is None:
            raise ValueError("this tokenizer has no chat template of its own")
        return self._template.render(messages=list(messages), tools=None,
                                     add_generation_prompt=add_generation_prompt,
                                     bos_token="", eos_token=self.tok.id_to_token(self.eos_id))

    def chat(self, messages: Sequence[dict[str, str]], add_generation_prompt: bool = True,
             ) -> list[int]:
        """The model's template when it has one, else ChatML:
        <|im_start|>role\\ncontent<|im_end|>\\n ... <|im_start|>assistant\\n
        A last message of the assistant is the reply's opening, continued: the turns before
        it and the assistant's header, then its text with no end of turn (a prefill)."""
        if messages and messages[-1].get("role") == "assistant" and add_generation_prompt:
            opening = messages[-1].get("content", "")
            if self._template is not None:
                return self.encode(self.render(messages[:-1], True) + opening)
            return [*self.chat(messages[:-1], True), *self.encode(opening)]
        if self._template is not None:
            return self.encode(self.render(messages, add_generation_prompt))
        ids: list[int] = []
        for m in messages:
            ids += [self.im_start_id, *self.encode(f"{m['role']}\n{m['content']}"),
                    self.im_end_id, *self.encode("\n")]
        if add_generation_prompt:
            ids += [self.im_start_id, *self.encode("assistant\n")]
        return ids
