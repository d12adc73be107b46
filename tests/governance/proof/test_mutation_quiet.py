"""governance.proof.mutation's logging rule through imports: a `warn` or `info` imported by
name from `warnings` or `logging` only warns (its message no test reads is no code to
check), unless the module binds that name some other way too."""

from __future__ import annotations

import pytest

from governance.proof.mutation import plan

_BASE = "def old(x):\n    return x\n"


@pytest.mark.parametrize("text", [
    # cachetools-43596b233710, -d3598664ca92: imported in the function that warns
    "def old(x):\n    from warnings import warn\n\n    warn('old', DeprecationWarning)\n"
    "    return x\n",
    "from warnings import warn as deprecated\n\n\ndef old(x):\n    deprecated('old')\n"
    "    return x\n",
    "import warnings as w\n\n\ndef old(x):\n    w.warn('old')\n    return x\n",
    "from logging import info\n\n\ndef old(x):\n    info('old %s', x)\n    return x\n",
])
def test_a_warning_through_an_imported_name_is_logging(text):
    assert plan(_BASE, text, "m.py") == []


@pytest.mark.parametrize("text", [
    # the name is bound another way too: a parameter, the module's own def, another import
    "from warnings import warn\n\n\ndef old(x, warn=print):\n    warn('old')\n    return x\n",
    "def warn(m):\n    raise ValueError(m)\n\n\ndef old(x):\n    warn('old')\n    return x\n",
    "from mylib import warn\n\n\ndef old(x):\n    warn('old')\n    return x\n",
    "from warnings import warn\nfrom mylib import *\n\n\ndef old(x):\n    warn('old')\n"
    "    return x\n",
    "def old(x):\n    warn('old')\n    return x\n",  # a name no import binds
    # a function of `warnings` that changes what happens next
    "from warnings import simplefilter\n\n\ndef old(x):\n    simplefilter('error')\n"
    "    return x\n",
])
def test_a_call_whose_name_is_not_only_an_import_of_warnings_is_mutated(text):
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "('" in t)
    assert [m.what for m in plan(_BASE, text, "m.py") if m.line == line] == [
        "a string constant changed"]
