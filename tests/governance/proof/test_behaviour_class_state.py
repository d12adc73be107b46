"""The differential check on a classmethod that reads a table its class holds, which the
tests fill through another classmethod (as editables' RedirectingFinder keeps the names it
redirects): replayed on the class as the replay imports it, the table was empty, every
call answered alike on both trees, and a changed default landed (wave 33). The class
travels with the tables it held at the call now. In the real jail, with real pytest runs."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from governance.oracle.class_state import ClassState, class_state, installed
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

FINDER = '''"""Names mapped to paths, on the class."""


class Finder:
    _paths = {}

    @classmethod
    def map(cls, name, path):
        cls._paths[name] = path

    @classmethod
    def find(cls, name, path=None, strict=False):
        if path is not None and not strict:
            return None
        return cls._paths.get(name)
'''
TESTS = '''from finder.core import Finder


def test_find():
    Finder.map("pkg", "/src/pkg")
    assert Finder.find("pkg", None) == "/src/pkg"  # a path always passed, as importlib does
    assert Finder.find("other", None) is None
    assert Finder.find("pkg", ["/src"]) is None
'''
FILES = {"finder/__init__.py": "", "tests/__init__.py": "", "tests/test_finder.py": TESTS}


def test_a_class_with_tables_travels_with_them_and_is_given_them_again() -> None:
    class Registry:
        names: ClassVar[dict] = {"a": 1}
        limit = 3

    carried = class_state(Registry)
    assert type(carried) is ClassState and carried.state == {"names": {"a": 1}}
    Registry.names = {}
    args = installed([carried, "a"])
    assert args == [Registry, "a"] and Registry.names == {"a": 1}
    assert class_state(int) is int and installed(["x"]) == ["x"]


def test_a_class_whose_tables_are_too_big_travels_alone() -> None:
    class Big:
        table: ClassVar[dict] = dict.fromkeys(range(5000))

    assert class_state(Big) is Big


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_changed_default_is_told_on_the_table_the_tests_filled(tmp_path: Path):
    careless = FINDER.replace("path=None, strict", "path=(), strict")  # () is not None
    done = await judged(tmp_path, "finder/core.py", FINDER, careless, FILES)
    assert done.ran.passed, done.ran.describe()
    check = done.check("Finder.find")
    assert any(c.base == "'/src/pkg'" and c.candidate == "None"
               for c in check.counterexamples), done.report.payload()


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_correct_refactor_of_it_is_shown_unchanged(tmp_path: Path):
    correct = FINDER.replace('''        if path is not None and not strict:
            return None
        return cls._paths.get(name)''', '''        if strict or path is None:
            return cls._paths.get(name)
        return None''')
    done = await judged(tmp_path, "finder/core.py", FINDER, correct, FILES)
    assert done.ran.passed, done.ran.describe()
    check = done.check("Finder.find")
    assert check.compared > check.captured >= 2, done.report.payload()
    assert done.report.reasons() == [], done.report.payload()


def test_a_table_the_class_refuses_is_left_as_it_is() -> None:
    class Guarded(type):
        def __setattr__(cls, name: str, value: object) -> None:
            if name == "frozen":
                raise AttributeError(name)
            super().__setattr__(name, value)

    class Held(metaclass=Guarded):
        frozen: ClassVar[list] = [1]
        names: ClassVar[dict] = {"a": 1}

    carried = class_state(Held)
    Held.names = {}
    assert installed([carried]) == [Held]
    assert Held.names == {"a": 1} and Held.frozen == [1]
