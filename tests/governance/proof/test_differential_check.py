"""The differential check (governance.proof.differential_check, governance.proof.behaviour) in
the real jail: calls captured from a loose test suite on the base, replayed with generated
inputs on base and candidate; careless refactors that the suite cannot see are caught, a
preserving one is shown unchanged."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest

from governance.oracle.testrun import TestRunner
from governance.proof.behaviour import touched_functions
from governance.proof.differential_check import check_behaviour
from tests.governance.proof.judged import judged
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

PRICE = '''"""Prices."""
from decimal import ROUND_HALF_UP, Decimal


def price(unit, qty, member=False):
    """The total for qty units."""
    if unit < 0:
        raise ValueError("negative price")
    total = Decimal(str(unit)) * qty
    if qty >= 100:
        total = total * Decimal("0.9")
    if member:
        total = total - Decimal("1")
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def label(p):
    return f"${p}"
'''
# Every branch runs; nothing checks the bulk boundary, the rounding or the member discount.
TESTS = '''from shop.prices import label, price


def test_price_runs():
    assert price(2.5, 150) > 0
    assert price(1, 3, member=True) > 0
    assert price(3, 1) == price(3, 1)


def test_label():
    assert label(price(1, 2)).startswith("$")
'''
CARELESS = {
    "boundary": ("if qty >= 100:", "if qty > 100:"),
    "rounding": ("rounding=ROUND_HALF_UP", "rounding=ROUND_HALF_EVEN"),
    "twice": ("total = total - Decimal(\"1\")", "total = total - Decimal(\"2\")"),
    "clamp": ('raise ValueError("negative price")', "unit = 0"),
    "swap": ("Decimal(str(unit)) * qty", "Decimal(str(qty)) * unit"),
}
PRESERVING = PRICE.replace('''    if qty >= 100:
        total = total * Decimal("0.9")''', '''    total = _bulk(total, qty)''') + '''

def _bulk(total, qty):
    return total * Decimal("0.9") if qty >= 100 else total
'''


async def _check(tmp_path: Path, new: str):
    done = await judged(tmp_path, "shop/prices.py", PRICE, new,
                        {"shop/__init__.py": "", "tests/test_prices.py": TESTS})
    return done.report, done.problems


@pytest.mark.parametrize("name", sorted(CARELESS))
async def test_a_careless_refactor_the_suite_cannot_see_is_caught(tmp_path, name):
    old, new = CARELESS[name]
    report, problems = await _check(tmp_path, PRICE.replace(old, new))
    assert problems == []
    [check] = report.checks
    assert check.function == "shop/prices.py::price" and check.captured >= 3
    assert check.counterexamples, report.payload()
    assert report.reasons()[0].startswith("behaviour changed: shop/prices.py::price(")


async def test_a_preserving_refactor_with_a_private_helper_is_shown_unchanged(tmp_path):
    report, problems = await _check(tmp_path, PRESERVING)
    assert problems == []
    [check] = report.checks
    assert check.shown_unchanged and check.compared > 20, report.payload()
    assert report.reasons() == []


# -- tests that tell the check from a test run ----------------------------------------------
# The capture session runs the base's own tests (the human's; the candidate's test changes
# never reach the base copy). One that finds the capture plugin by a computed name (no
# oracle marker in its text) can hide its calls or bloat what the plugin writes: the
# outcome must be a refusal, and what the daemon reads back must stay small.
_FIND_CAPTURE = '''import atexit
import sys
import tracemalloc

from shop.prices import label, price

_WORD = "".join(chr(c) for c in (99, 97, 112, 116, 117, 114, 101))


def _capture_out():
    for name, module in list(sys.modules.items()):
        if name.startswith("_") and name.endswith(_WORD) and hasattr(module, "_OUT"):
            return module._OUT
    return None
'''
_HIDE = _FIND_CAPTURE + '''

def test_price_runs():
    if _capture_out():
        return  # nothing to capture: no call is evidence
    assert price(2.5, 150) > 0
    assert price(1, 3, member=True) > 0
'''
_BLOAT = _FIND_CAPTURE + '''
TEXT = {text}
BIG = {big}


def _bloat(out):
    with open(out + "/calls.json", "w") as handle:
        handle.write(TEXT)


def test_price_runs():
    out = _capture_out()
    if out and TEXT is not None:
        atexit.register(_bloat, out)  # after the plugin has written its own
    if out and BIG:
        try:
            price("9" * BIG, 1)  # one argument, pickled whole
        except TypeError:
            pass
    assert price(2.5, 150) > 0
'''
BLOATS = {  # what the repository's test leaves as calls.json, and how
    "over the cap": ("None", 30_000_000),  # the plugin's own file, one 30 MB argument
    "tiny values under the cap": ("'{\"functions\": [' + ','.join(['{}'] * 9_000_000) "
                                  "+ ']}'", 0),  # 27 MB that would parse into 700 MB
    "nested": ("'[' * 1_000_000 + ']' * 1_000_000", 0),  # deeper than the parser goes
}


async def _check_tests(tmp_path: Path, tests: str, new: str):
    base = commit_files(tmp_path / "base", {"shop/__init__.py": "", "shop/prices.py": PRICE,
                                            "tests/test_prices.py": tests})
    cand = commit_files(tmp_path / "cand", {"shop/__init__.py": "", "shop/prices.py": new,
                                            "tests/test_prices.py": tests})
    executor = JailExecutor([Path.home(), base, cand, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 120, executor)
    targets, _ = touched_functions(PRICE, new, "shop/prices.py")
    return await check_behaviour(runner, base, cand, targets, ["tests/test_prices.py"],
                                 tmp_path / "state" / "oracle")


async def test_a_repository_test_that_hides_its_calls_from_the_capture_is_refused(tmp_path):
    report = await _check_tests(tmp_path, _HIDE, PRICE.replace(*CARELESS["boundary"]))
    assert report.reasons() and all(r.startswith("behaviour not shown unchanged")
                                    for r in report.reasons()), report.payload()


@pytest.mark.parametrize("name", sorted(BLOATS))
async def test_a_bloated_calls_json_is_a_refusal_read_in_bounded_memory(tmp_path, name):
    text, big = BLOATS[name]
    tests = _BLOAT.replace("{text}", text).replace("{big}", str(big))
    tracemalloc.start()
    try:
        report = await _check_tests(tmp_path, tests, PRESERVING)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.problem and report.problem.startswith("calls not captured"), report.payload()
    assert peak < 100 << 20, f"{peak >> 20} MiB"


async def test_limit_candidate_code_that_tells_the_replay_runner_apart_is_not_seen(
        tmp_path):
    """A documented limit (docs/proof.md, "Not guaranteed"): candidate code that answers as
    the base did only while the replay runner's per-call timer runs is shown unchanged.
    No name of ours is spelt out: no text check sees it. This test states today's outcome
    and fails once the check can tell."""
    careless = PRICE.replace(*CARELESS["boundary"]).replace(
        "    if qty > 100:", "    if qty > 100 - (signal.getitimer(signal.ITIMER_REAL)[0] > 0):"
    ).replace('"""Prices."""\n', '"""Prices."""\nimport signal\n')
    report, problems = await _check(tmp_path, careless)
    assert problems == [] and report.reasons() == [], report.payload()


# A careless model moving the bulk boundary where the check reads it least directly: into a
# new private table the function reads by name, or into an extracted helper.
_TABLED = PRICE.replace("    if qty >= 100:", "    if qty >= _BULK:").replace(
    "from decimal import ROUND_HALF_UP, Decimal\n",
    "from decimal import ROUND_HALF_UP, Decimal\n\n_BULK = BULK\n")
MOVED = {
    "private_table": _TABLED.replace("BULK\n", "101\n"),
    "extracted_helper": PRESERVING.replace("if qty >= 100 else", "if qty > 100 else"),
}


@pytest.mark.parametrize("name", sorted(MOVED))
async def test_a_boundary_moved_into_a_table_or_a_helper_is_caught_at_it(tmp_path, name):
    report, problems = await _check(tmp_path, MOVED[name])
    assert problems == []
    assert report.reasons()[0].startswith(
        "behaviour changed: shop/prices.py::price(2.5, 100, False): base Decimal('225.00'), "
        "candidate Decimal('250.00')"), report.reasons()


async def test_the_same_table_with_the_boundary_kept_lands(tmp_path):
    report, problems = await _check(tmp_path, _TABLED.replace("BULK\n", "100\n"))
    assert problems == [] and report.reasons() == [], report.payload()
