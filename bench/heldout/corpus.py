"""The held-out and seen parts of the real-library refactor corpus: the refactors of the
libraries the frozen manifests name (bench/heldout/libraries.py: wave 35, the held-out part;
waves 1 to 34, seen since the proof's rules were changed after their failures were read),
written as the development part's are (tests.governance.refactors_real.corpus: text edits
of one library file; a careless one carries a probe, a public call and its answer on both
trees), and judged by the same engine (tests.governance.refactors_real.judge).

    .venv/bin/python -m bench.heldout.corpus [--part heldout|seen] [--suite] [--only PREFIX...]

checks every case by hand's rules without the daemon: the edits apply, each careless probe
answers as recorded on both trees (one subprocess a tree), and with `--suite` the library's
whole suite (untraced, every test file of the sdist, the ones the trees leave out included)
passes on every candidate.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.heldout.layouts import LAYOUT, SUITE, SUITE_OPTIONS
from bench.heldout.libraries import PARTS, library, names, sdist_path
from tests.governance.refactors_real.corpus import Refactor, apply


def refactors_of(module: ModuleType) -> list[Refactor]:
    """A held-out library module's refactors (its LIBRARY, CONTROLS and CARELESS)."""
    lib = library(module.LIBRARY)
    out = []
    for kind, cases in (("control", module.CONTROLS), ("careless", module.CARELESS)):
        for key, c in cases.items():
            where = f"{lib.name}.{key}"
            text = apply(lib.files[c.file], c.edits, where)
            out.append(Refactor(where, lib, c.file, c.function, kind,  # type: ignore[arg-type]
                                c.category, c.description, text, c.probe))
    return out


def modules(part: str | None = None) -> list[ModuleType]:
    """One module per frozen library (bench/heldout/lib_<name>.py, a name's hyphens and dots
    written as underscores: lib_python_mimeparse.py, lib_boolean_py.py), of one part or of
    every part (held-out first)."""
    mods = [importlib.import_module(
        f"bench.heldout.lib_{name.replace('-', '_').replace('.', '_')}") for name in names(part)]
    assert [m.LIBRARY for m in mods] == list(names(part)), "one module per library"
    return mods


def all_refactors(part: str | None = None) -> list[Refactor]:
    """The refactors of one part ("heldout", "seen"), or of both."""
    out = [r for m in modules(part) for r in refactors_of(m)]
    names_ = [r.name for r in out]
    assert len(names_) == len(set(names_)), "refactor names must be unique"
    return out


def whole_suite(r: Refactor, work: Path) -> str:
    """The library's whole sdist suite on the candidate, untraced: '' when it passes."""
    import tarfile

    with tarfile.open(sdist_path(r.library)) as sdist:  # type: ignore[arg-type]
        sdist.extractall(work, filter="data")
    top = next(work.iterdir())
    root = next(p for p in LAYOUT[r.library.name] if r.file.startswith(p.rsplit("/", 1)[-1]))
    prefix = root.rsplit("/", 1)[0] + "/" if "/" in root else ""
    (top / (prefix + r.file)).write_text(r.text, encoding="utf-8")
    src = top / prefix if prefix else top
    where = [str(top / p) for p in SUITE.get(r.library.name, ("tests",))]
    options = SUITE_OPTIONS.get(r.library.name, ())
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                           *options, *where], cwd=top, capture_output=True, text=True,
                          timeout=600, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin",
                                            "PYTHONHASHSEED": "0"})
    return "" if done.returncode == 0 else done.stdout.strip().splitlines()[-1]


def main() -> None:
    from tests.governance.refactors_real.judge import probe_mismatches

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=PARTS, help="one part (default: both)")
    parser.add_argument("--suite", action="store_true")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    bad = 0
    for r in all_refactors(args.part):
        if args.only and not any(r.name.startswith(p) for p in args.only):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            problems = probe_mismatches(r, Path(tmp))
        if args.suite:
            with tempfile.TemporaryDirectory() as tmp:
                failed = whole_suite(r, Path(tmp))
            if failed:
                problems.append(f"the whole suite fails: {failed}")
        bad += bool(problems)
        print(f"{'BAD' if problems else 'ok '} {r.kind:<8} {r.name}: {'; '.join(problems)}")
    print(f"{bad} case(s) wrong")


if __name__ == "__main__":
    main()
