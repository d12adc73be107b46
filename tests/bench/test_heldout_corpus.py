"""The held-out and seen parts of the real-library refactor corpus (bench/heldout/): each
wave's manifest is frozen and names libraries no rule was grown on when it was frozen, the
refactors load, and each careless refactor's stated input really tells the base from the
careless tree. Wave 2 is the held-out part; wave 1 is seen (the proof's rules were changed
after its failures were read).

No daemon and no judging here (bench/refactors_real.py --part heldout|seen does that,
outside CI): the libraries are fetched from PyPI by their pinned sha256 (cached), every
refactor is checked for form, and every probe is run on both trees, one subprocess a tree.
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
# Wave 2 also excludes wave 1 (seen since its failures were read) and the libraries its
# rule names (manifest-wave2.json).
SEEN_BY_WAVE_2 = {*SEEN, *libraries.names("seen"), "wcwidth", "tomli"}
PERMISSIVE = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "PSF-2.0"}
MIN_EACH = 4  # controls and careless refactors per library


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


@pytest.mark.parametrize(("part", "excluded"), [("seen", SEEN), ("heldout", SEEN_BY_WAVE_2)])
def test_each_wave_is_frozen_and_was_held_out(part: str, excluded: set) -> None:
    """Three or more permissive libraries a wave, pinned by sha256, none the rules had been
    grown on when it was frozen; wave 1 kept as it was committed."""
    manifest = json.loads(libraries.WAVES[part].read_text())
    assert "before any" in manifest["frozen"]
    entries = manifest["libraries"]
    assert len(entries) >= 3
    for e in entries:
        assert e["name"] not in excluded, e["name"]
        assert e["licence"] in PERMISSIVE and len(e["sha256"]) == 64, e
    assert libraries.names(part) == tuple(e["name"] for e in entries)


def test_the_held_out_part_is_the_newer_wave() -> None:
    """--part heldout is wave 2, frozen after wave 1 was read, and no library is in both."""
    wave1, wave2 = (json.loads(libraries.WAVES[p].read_text()) for p in ("seen", "heldout"))
    assert wave2["wave"] == 2 and "wave" not in wave1
    assert wave2["frozen"][:17] > wave1["frozen"][:17]
    assert not set(libraries.names("seen")) & set(libraries.names("heldout"))
    assert libraries.names() == (*libraries.names("heldout"), *libraries.names("seen"))


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


def test_the_bench_prints_wave_2_as_held_out_and_wave_1_as_seen() -> None:
    """bench/refactors_real.py's --part heldout judges wave 2 under the held-out heading,
    --part seen wave 1 under the seen one, and every combined run puts held-out first."""
    from bench.heldout.report import heading
    from bench.refactors_real import PARTS

    assert PARTS["heldout"] == ["heldout"] and PARTS["seen"] == ["seen"]
    assert all(parts[0] == "heldout" for key, parts in PARTS.items() if len(parts) > 1)
    held, seen = heading("heldout"), heading("seen")
    assert held.startswith("== HELD-OUT (wave 2: ") and seen.startswith("== SEEN (wave 1: ")
    assert all(n in held for n in libraries.names("heldout"))
    assert all(n in seen and n not in held for n in libraries.names("seen"))
