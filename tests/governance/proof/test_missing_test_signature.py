"""Which lines a test deciding an unentered function must run (governance.phases.
missing_test_runs.lines_to_run): a function whose changed line is its signature is decided
by a test that enters it, since the `def` runs on import and so in no test (found on
cachetools-da5819a86379, whose `cachedmethod` gained `condition=`: its right test was
refused as `does not enter the function`)."""

from governance.proof.missing_test_rules import Cause, CauseKind
from governance.proof.missing_test_runs import lines_to_run
from governance.proof.rules import FileText

OLD = ("def cached(cache, lock=None):\n"                      # 1
       "    def decorator(f):\n"                              # 2
       "        return wrap(f, cache, lock)\n"                # 3
       "    return decorator\n")                              # 4
# the signature changes; the body's one changed line belongs to the nested `decorator`
NEW = ("def cached(cache, lock=None, condition=None):\n"      # 1
       "    def decorator(f):\n"                              # 2
       "        return wrap(f, cache, lock, condition)\n"     # 3
       "    return decorator\n")                              # 4


def test_a_changed_signature_asks_for_a_test_that_enters_the_function():
    cause = Cause(CauseKind.UNENTERED, "c.py", 1, "cached")
    lines = lines_to_run(FileText("c.py", OLD, NEW), cause)
    # the def itself, and the function's own body (not the nested function's line 3)
    assert set(lines) == {1, 2, 4}


def test_a_changed_body_line_is_still_the_line_to_run():
    cause = Cause(CauseKind.UNENTERED, "c.py", 3, "cached.decorator")
    assert lines_to_run(FileText("c.py", OLD, NEW), cause) == [3]


def test_an_unchanged_signature_adds_no_body_line():
    new = OLD.replace("return decorator", "return decorator if cache else None")
    cause = Cause(CauseKind.UNENTERED, "c.py", 4, "cached")
    assert lines_to_run(FileText("c.py", OLD, new), cause) == [4]


def test_a_line_no_test_runs_is_only_its_statement():
    cause = Cause(CauseKind.UNRUN, "c.py", 3, "cached.decorator")
    assert lines_to_run(FileText("c.py", OLD, NEW), cause) == [3]
