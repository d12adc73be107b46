"""The mutants' starting state never puts back a module's own namespace. Before each
mutant's answer the replay runner puts the tree's module-level dicts, lists and sets back
as they were (governance.oracle.replay_mutants.tree_state, restore); asteval (held out in
wave 9) binds `builtins = __builtins__`, builtins' own dict, and putting that back took the
mutant switch out of it: no mutant of asteval was ever switched on, and every changed line
of it waited as one no input told apart."""

from __future__ import annotations

import builtins
import importlib
import sys

from governance.oracle.replay_mutants import SWITCH, restore, tree_state


def test_restoring_the_trees_state_keeps_the_mutant_switch(tmp_path, monkeypatch):
    (tmp_path / "evalish.py").write_text("import builtins\nNAMES = vars(builtins)\n"
                                         "TABLE = {'a': 1}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("evalish")
    try:
        state = tree_state(str(tmp_path.resolve()))
        module.TABLE["b"] = 2  # the tree's own table: put back
        setattr(builtins, SWITCH, 7)
        restore(state)
        assert getattr(builtins, SWITCH, 0) == 7
        assert module.TABLE == {"a": 1}
    finally:
        if hasattr(builtins, SWITCH):
            delattr(builtins, SWITCH)
        sys.modules.pop("evalish", None)
