"""Who a provider asks first, and what its model is called: read by duck typing.

Both the tool loop (tools.toolcalls: the tool-call form a brain is told) and the prompts
(governance.edit_blocks: the edit form) choose by the model's family, so they read its
names here, through the reflex's wrapper (`inner`) and a route's chain (`chain`, `indices`)
to the brain asked first. A provider this cannot read names nothing and is its own first
brain: the default forms.
"""

from __future__ import annotations

import re
from typing import TypeVar

from governance.edit_blocks import FAMILIES, ReplyForm

T = TypeVar("T")

MAX_DEPTH = 4


def model_names(provider: object, depth: int = 0) -> list[str]:
    """What the brain asked first is called, its model before its name: an HTTP brain's
    `config.model`, the kernel's `engine.name`, then the provider's `name`."""
    if depth > MAX_DEPTH:
        return []
    names: list[str] = []
    try:
        if (inner := getattr(provider, "inner", None)) is not None:
            names += model_names(inner, depth + 1)
        chain, indices = getattr(provider, "chain", None), getattr(provider, "indices", None)
        if chain is not None and indices:
            first = (chain.asked(indices) or list(indices))[0]
            names += model_names(chain.providers[first], depth + 1)
        for holder, attr in (("config", "model"), ("engine", "name")):
            value = getattr(getattr(provider, holder, None), attr, None)
            if isinstance(value, str):
                names.append(value)
    except Exception:  # a provider this cannot read: the default form
        pass
    name = getattr(provider, "name", None)
    return [*names, *([name] if isinstance(name, str) else [])]


def first_brain(provider: object, depth: int = 0) -> object:
    """The brain asked first behind the reflex's wrapper (`inner`) and a route's chain."""
    try:
        if depth < MAX_DEPTH and (inner := getattr(provider, "inner", None)) is not None:
            return first_brain(inner, depth + 1)
        chain, indices = getattr(provider, "chain", None), getattr(provider, "indices", None)
        if depth < MAX_DEPTH and chain is not None and indices:
            first = (chain.asked(indices) or list(indices))[0]
            return first_brain(chain.providers[first], depth + 1)
    except Exception:  # a provider this cannot read is its own first brain
        pass
    return provider


def under_grammar(provider: object) -> bool:
    """Whether the brain asked first decodes its replies under a grammar of the daemon's
    own forms (the in-process kernel with `constrain`): whatever its model was trained on,
    the grammar writes JSON, so it is told the JSON forms."""
    brain = first_brain(provider)
    return getattr(brain, "constrain", False) is True and bool(getattr(brain, "grammars", None))


def by_family(names: list[str], families: tuple[tuple[str, T], ...], default: T) -> T:
    """What a brain known by `names` (its model, then its name) is told, from a table of
    (a pattern searched in the lower-cased name, the value): the first match, else
    `default`."""
    for name in names:
        for pattern, value in families:
            if re.search(pattern, name.lower()):
                return value
    return default


def form_for_names(names: list[str]) -> ReplyForm:
    """The edit form a brain known by `names` is told (governance.edit_blocks FAMILIES)."""
    return by_family(names, FAMILIES, ReplyForm.JSON)


def reply_form_of(provider: object) -> ReplyForm:
    """The edit form a provider's first brain is told (governance.edit_blocks): JSON where
    it decodes under a grammar of it (the kernel with `constrain`), else its family's."""
    if under_grammar(provider):
        return ReplyForm.JSON
    return form_for_names(model_names(provider))
