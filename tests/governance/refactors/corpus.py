"""The refactor corpus's shape: modules with loose test suites, and for each module the
careless refactors (each changes behaviour that the tests cannot see) and the controls (each
preserves behaviour), as text edits of the module.

Every refactor touches one module of one package; the op it stands for is the opportunity
miner's ("simplify FUNCTION without changing behaviour"), so a careless one must never land
on the human's branch and a control must land.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

Edit = tuple[str, str]  # (text as it appears exactly once in the module, replacement)
Case = tuple[str, str, tuple[Edit, ...]]  # (function, what kind of refactor, edits)


def edits(*pairs: Edit) -> tuple[Edit, ...]:
    return pairs


@dataclass(frozen=True)
class Module:
    """One small package: `path` holds `source`, `tests/test_<name>.py` holds `tests`."""

    name: str
    path: str
    source: str
    tests: str
    careless: dict[str, Case]
    controls: dict[str, Case]

    @property
    def files(self) -> dict[str, str]:
        package = self.path.split("/")[0]
        return {f"{package}/__init__.py": "", self.path: self.source,
                f"tests/test_{self.name}.py": self.tests}


@dataclass(frozen=True)
class Refactor:
    """One candidate: the module's text after the refactor, and what it is."""

    name: str  # "<module>.<case>"
    module: Module
    function: str  # what the op is about: the function the refactor simplifies
    kind: str  # the careless pattern, or the preserving technique
    preserving: bool
    text: str

    @property
    def files(self) -> dict[str, str]:
        return {**self.module.files, self.module.path: self.text}


def apply(source: str, changes: tuple[Edit, ...], where: str) -> str:
    for old, new in changes:
        if source.count(old) != 1:
            raise ValueError(f"{where}: {old!r} occurs {source.count(old)} times")
        source = source.replace(old, new)
    return source


def refactors_of(module: Module) -> list[Refactor]:
    out = []
    for preserving, cases in ((False, module.careless), (True, module.controls)):
        for name, (function, kind, changes) in cases.items():
            where = f"{module.name}.{name}"
            out.append(Refactor(where, module, function, kind, preserving,
                                apply(module.source, changes, where)))
    return out


def modules() -> list[Module]:
    from tests.governance.refactors import account, colls, dates, pricing, settings, text

    return [m.MODULE for m in (pricing, dates, text, settings, colls, account)]


def all_refactors() -> list[Refactor]:
    out = [r for m in modules() for r in refactors_of(m)]
    names = [r.name for r in out]
    assert len(names) == len(set(names)), "refactor names must be unique"
    return out


# CI's scaled run: every module, careless and preserving alike, the hardest finds first.
# (14 until the suite neared 15 minutes: a stdlib call of dates and of colls, and one of
# settings' evaluation orders, went to the full run)
CI_SAMPLE = ("pricing.bulk_boundary", "pricing.rounding_half_even", "pricing.discount_table",
             "dates.pm_hour_unchecked", "dates.weekday_today",
             "text.slug_default_longer", "text.title_loop_helper",
             "settings.job_retry_early", "colls.top_n_heapq_negative",
             "account.transfer_deposit_first", "account.withdraw_available")


def sample(names: tuple[str, ...] = CI_SAMPLE) -> list[Refactor]:
    by_name = {r.name: r for r in all_refactors()}
    return [by_name[n] for n in names]


def counts(refactors: list[Refactor]) -> dict[str, Counter]:
    """Per module and per kind, careless and preserving apart (the report's table)."""
    return {"careless": Counter(r.kind for r in refactors if not r.preserving),
            "preserving": Counter(r.kind for r in refactors if r.preserving),
            "modules": Counter(r.module.name for r in refactors)}
