"""governance.proof.callees: a changed function's inputs are generated near the literals of
what it calls in the repository's other modules too (bracex's command line dropped
`limit=0` from its call of `iexpand`, whose default, a module constant of 1,000, no input
came near)."""

from __future__ import annotations

from pathlib import Path

from governance.proof.callees import with_callees
from governance.proof.differential_check import targets_of
from governance.schemas import FileChange

CORE = '''LIMIT = 1000


def expand(text, limit=LIMIT, sep="|"):
    return text.split(sep)[:limit] if limit else text.split(sep)


def unused(x):
    return x + 777
'''
CLI = '''import argparse

import pkg.core
from .core import expand as split_all
from . import core


def run(text):
    return pkg.core.expand(text, limit=0)


def run_from(text):
    return split_all(text)


def run_module(text):
    return core.expand(text)
'''


def _read(files: dict[str, str]):
    return lambda rel: files.get(rel)


def _targets(cli: str):
    from governance.proof.behaviour import touched_functions

    before = cli.replace("limit=0", "limit=1").replace(
        "split_all(text)", "split_all(text, sep=',')").replace(
        "core.expand(text)\n", "core.expand(text, sep=';')\n")
    found, _ = touched_functions(before, cli, "pkg/cli.py")
    return {t.qualname: t for t in found}


def test_a_callees_literals_and_the_tables_its_signature_reads_follow_each_import_form():
    files = {"pkg/__init__.py": "", "pkg/core.py": CORE}
    targets = _targets(CLI)
    got = {t.qualname: t.constants
           for t in with_callees(list(targets.values()), CLI, "pkg/cli.py", _read(files))}
    for name in ("run", "run_from", "run_module"):  # import pkg.core; from .core; from .
        assert 1000 in got[name] and "|" in got[name], (name, got[name])
        assert 777 not in got[name]  # only what it calls
        assert got[name][:len(targets[name].constants)] == targets[name].constants  # after


def test_a_module_outside_the_repository_or_unparsable_adds_nothing():
    targets = list(_targets(CLI).values())
    files = {"pkg/core.py": "def expand(:\n"}  # argparse is not the repository's either
    assert with_callees(targets, CLI, "pkg/cli.py", _read(files)) == targets
    assert with_callees(targets, "def broken(:\n", "pkg/cli.py", _read({})) == targets


def test_the_check_takes_them_from_the_base_copy(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "core.py").write_text(CORE)
    before = CLI.replace("limit=0", "limit=1")
    (tmp_path / "pkg" / "cli.py").write_text(before)
    change = FileChange(file_path="pkg/cli.py", full_content=CLI)
    targets, problems = targets_of(tmp_path, [change])
    [run] = [t for t in targets if t.qualname == "run"]
    assert 1000 in run.constants and not problems


def test_a_callee_module_that_is_a_link_is_not_read(tmp_path: Path):
    """The base copy is read through no link: a repository whose module is a symlink to a
    file elsewhere gives nothing of that file to the check."""
    outside = tmp_path / "outside.py"
    outside.write_text(CORE.replace("1000", "424242"))
    base = tmp_path / "base"
    (base / "pkg").mkdir(parents=True)
    (base / "pkg" / "__init__.py").write_text("")
    (base / "pkg" / "core.py").symlink_to(outside)
    (base / "pkg" / "cli.py").write_text(CLI.replace("limit=0", "limit=1"))
    targets, _ = targets_of(base, [FileChange(file_path="pkg/cli.py", full_content=CLI)])
    assert targets and not any(424242 in t.constants for t in targets)


DOCUMENT = '''class Document:
    def _allowed(self, doc, separators=None):
        if separators is None:
            separators = [".", "-", "/", " "]
        return all(c.isdigit() or c in separators for c in doc)

    def unused(self):
        return "#"
'''
LICENCE = '''from pkg.document import Document


class Licence(Document):
    def validate(self, doc):
        return self._allowed(doc) and len(doc) > 3
'''


def test_a_method_inherited_from_a_class_in_another_module_gives_its_literals():
    """validate-docbr's `CNH.validate` dropped `[' ']` from its call of the inherited
    `self._validate_input`, whose default separators live in the base class's module:
    no input wrote a dot, and the careless change landed (wave 28)."""
    before = LICENCE.replace("self._allowed(doc)", "self._allowed(doc, [' '])")
    from governance.proof.behaviour import touched_functions

    found, _ = touched_functions(before, LICENCE, "pkg/licence.py")
    files = {"pkg/__init__.py": "", "pkg/document.py": DOCUMENT}
    [validate] = with_callees(found, LICENCE, "pkg/licence.py", _read(files))
    assert {".", "-", "/"} <= set(validate.constants) and "#" not in validate.constants
    assert with_callees(found, LICENCE, "pkg/licence.py", _read({})) == found
