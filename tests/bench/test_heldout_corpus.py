"""The held-out part of the real-library refactor corpus (bench/heldout/): it loads, and each
careless refactor's stated input really tells the base from the careless tree.

No daemon and no judging here (bench/refactors_real.py --part heldout does that, outside
CI): the libraries are fetched from PyPI by their pinned sha256 (cached), every refactor is
checked for form, and every probe is run on both trees, one subprocess a tree.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.heldout import libraries
from bench.heldout.corpus import all_refactors
from governance.proof.names import symbol_changes
from tests.governance.refactors_real.corpus import LIBRARIES as DEVELOPMENT
from tests.governance.refactors_real.judge import probe_mismatches

# Names no held-out library may carry: the development corpus's, the ones kept for an
# outside check, the real-history libraries' and the other benches'.
SEEN = {*DEVELOPMENT, "inflection", "boltons", "more-itertools", "parse", "tabulate", "mpmath",
        "cachetools", "pyflakes", "semver", "sqlparse", "toolz", "jmespath", "humanize"}
PERMISSIVE = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "PSF-2.0"}
MIN_EACH = 5  # controls and careless refactors per library


@pytest.fixture(scope="module")
def refactors() -> list:
    try:
        for name in libraries.names():
            libraries.sdist_path(libraries.library(name))
    except libraries.FetchError as exc:
        if "sha256" in str(exc):
            raise
        pytest.skip(f"PyPI unreachable: {exc}")
    return all_refactors()


def test_the_manifest_is_frozen_and_held_out() -> None:
    """Three or more permissive libraries, pinned by sha256, none the rules were grown on."""
    manifest = json.loads(libraries.MANIFEST.read_text())
    assert "before any" in manifest["frozen"]
    entries = manifest["libraries"]
    assert len(entries) >= 3
    for e in entries:
        assert e["name"] not in SEEN, e["name"]
        assert e["licence"] in PERMISSIVE and len(e["sha256"]) == 64, e


def test_the_held_out_corpus_is_well_formed(refactors: list) -> None:
    """Enough of each kind per library; every candidate parses and changes only the function
    its op is about (added private helpers and tables aside); every careless one has a probe."""
    kinds = Counter((r.library.name, r.kind) for r in refactors)
    for name in libraries.names():
        assert kinds[name, "control"] >= MIN_EACH and kinds[name, "careless"] >= MIN_EACH, kinds
    for r in refactors:
        ast.parse(r.text, filename=r.name)
        assert r.text != r.base_text, r.name
        changed = {c.name for c in symbol_changes(r.base_text, r.text)
                   if c.name not in ("<imports>", "<module>")
                   and not (c.kind == "added" and not c.public)}
        assert changed == {r.function}, (r.name, changed)
        assert r.preserving or r.probe is not None, r.name


def test_each_careless_input_tells_base_from_careless(refactors: list, tmp_path: Path) -> None:
    """Each careless refactor's probe answers as recorded on the base and on the careless
    tree, and the two answers differ."""
    careless = [r for r in refactors if not r.preserving]

    def one(n: int) -> list[str]:
        return probe_mismatches(careless[n], tmp_path / str(n))

    with ThreadPoolExecutor(4) as pool:
        problems = [p for ps in pool.map(one, range(len(careless))) for p in ps]
    assert not problems, "\n".join(problems)
