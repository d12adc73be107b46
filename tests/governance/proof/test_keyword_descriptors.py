"""A method taking any keyword is also called with one naming a property of its receiver's
class (governance.oracle.replay_inputs._descriptor_keywords): asciitree's
`KeyArgsConstructor` storing its keywords with `__dict__.update` instead of `setattr` landed
(wave 24), since no call passed a read-only property's name, where the base raises and the
careless code stores it silently. Refused now with a counterexample in the real jail; a
correct rewrite of the loop lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

STYLE = '''class Options:
    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)


class Style(Options):
    width = 2
    fill = "-"

    @property
    def space(self):
        return " " * self.width

    def line(self, label):
        return self.fill * self.width + self.space + label
'''
TESTS = '''from styles.style import Style


def test_line():
    assert Style().line("a") == "--  a"
    assert Style(width=1).line("b") == "- b"
    assert Style(fill="=", width=3).line("c") == "===   c"
'''
LOOP = "        for key, value in kwargs.items():\n            setattr(self, key, value)\n"
CHANGES = {
    "careless": (LOOP, "        self.__dict__.update(kwargs)\n"),
    "control": (LOOP, "        for key in kwargs:\n            setattr(self, key, kwargs[key])\n"),
}


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("change", sorted(CHANGES))
async def test_a_keyword_naming_a_property_tells_setattr_from_the_dict(tmp_path: Path,
                                                                        change: str):
    done = await judged(tmp_path, "styles/style.py", STYLE, STYLE.replace(*CHANGES[change]),
                        {"styles/__init__.py": "", "tests/test_style.py": TESTS})
    assert done.problems == [] and done.ran.passed  # the suite cannot see it
    if change == "careless":
        [found] = done.check("Options.__init__").counterexamples[:1]
        assert "space=" in found.input and "AttributeError" in found.base, found
    else:
        assert done.report.reasons() == [], done.report.reasons()


def test_a_receiver_whose_class_lists_no_names_gives_no_keyword_and_no_crash() -> None:
    """A hostile class whose metaclass's `__dir__` raises: the stage gives nothing, the
    other inputs are still made."""
    from governance.oracle.replay_inputs import _descriptor_keywords

    class Meta(type):
        def __dir__(cls):
            raise RuntimeError("no")

    class Odd(metaclass=Meta):
        def __init__(self, **kwargs):
            pass

    class _Plan:
        args, kwargs = [Odd()], {"a": 1}

    assert list(_descriptor_keywords([_Plan()], Odd.__init__)) == []
