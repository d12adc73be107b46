"""A repair's prompt shows the library code the failure reached, verbatim (governance.brains.
reached_code): a search text copied from it matches the file, however much of the file the
brain's window leaves room for; the failing tests are named as the specification."""

from __future__ import annotations

import json

from governance.brains.prompts import generation_prompt, plan_prompt
from governance.brains.reached_code import code_of
from governance.candidate_edits import live_base, stated
from governance.schemas import OperationContext, PlanResult, SignalEnvelope
from tests.helpers import commit_files

FILLER = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(200))  # 800 lines
LIB = (FILLER + "class Version:\n    def __init__(self, major):\n        self.major = major\n\n"
       "    @property\n    def next(self):\n        return self.major + 1\n\n"
       "    def replace(self, **parts):\n        \"\"\"A new version, `parts` replaced.\"\"\"\n"
       "        major = parts.get(\"major\", self.major)\n"
       "        return Version(major)  # the subclass is lost\n")
TEST = ("from semver.version import Version\n\n\ndef test_replace_keeps_the_subclass():\n"
        "    class V(Version):\n        pass\n    assert type(V(1).replace(major=2)) is V\n")


def _ctx(*causes: str) -> OperationContext:
    return OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=("tests/test_v.py", "semver/version.py"),
        goal="Make the failing test tests/test_v.py::test_replace_keeps_the_subclass pass",
        dedup_key="k", session_id="s", focus_lines=(7,),
        evidence={"tests": ["tests/test_v.py::test_replace_keeps_the_subclass"],
                  "causes": [*causes, "test:tests/test_v.py::test_replace_keeps_the_subclass"]}))


def test_a_definition_is_found_by_its_qualified_name_with_its_decorators():
    code = code_of(LIB, "Version.next")
    assert code is not None and code.text == ("    @property\n    def next(self):\n"
                                              "        return self.major + 1\n")
    assert (code.first, code.last, code.cut) == (805, 807, False)
    assert code_of(LIB, "f3").text == "def f3(x):\n    return x + 3\n"  # type: ignore[union-attr]
    nested = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    assert code_of(nested, "outer.inner").text == "    def inner():\n        return 1\n"  # type: ignore[union-attr]
    assert code_of(LIB, "Version.missing") is None and code_of(LIB, "f3.x") is None
    assert code_of("def broken(:\n", "broken") is None


def test_a_long_definition_shows_its_head_and_says_so():
    code = code_of(LIB, "Version.replace", max_lines=2)
    assert code is not None and code.cut and code.text.count("\n") == 2
    assert code_of(LIB, "Version.replace", max_chars=40).text == \
        "    def replace(self, **parts):\n"  # type: ignore[union-attr]


def test_the_reached_function_is_shown_verbatim_and_an_edit_copied_from_it_lands(tmp_path):
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST})
    ctx = _ctx("fn:semver/version.py::Version.replace")
    prompt = generation_prompt(ctx, root, budget=6_000)
    # the files are named, not shown: the reached code is (a 1.5B model shown both garbled)
    assert "semver/version.py" not in prompt.split("## Goal")[0]  # no file shown or named
    reached = prompt.split("## Where the failure reached the library\n")[1].split("\n## ")[0]
    body = LIB[LIB.index("    def replace"):]
    assert "- semver/version.py, function Version.replace (lines 809-812, as the file has " \
           "them now):\n```python\n" + body + "```" in reached
    # the model copies its search text from there: it matches, and the file is changed
    line = "        return Version(major)  # the subclass is lost\n"
    assert line in reached
    reply = json.dumps({"schema": "candidate.1", "file_path": "semver/version.py",
                        "edits": [{"search": line,
                                   "replace": "        return type(self)(major)\n"}]})
    done = stated(reply, live_base(root))
    assert done.full_content == LIB.replace(line, "        return type(self)(major)\n")
    # the failing test is the specification, not a target offered for edits
    output = prompt.split("## Output\n")[1]
    assert "to the code the failure reached: semver/version.py." in output
    assert "tests/test_v.py: edits" not in output
    assert "tests/test_v.py: the failing tests, the specification" in output
    # PLAN shows the same section, byte for byte (the op's part of the cached prefix)
    plan = plan_prompt(ctx, root, budget=6_000)
    assert reached.rstrip() in plan


def test_code_is_shown_only_for_what_the_file_defines_and_the_total_is_capped(tmp_path):
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST,
                                         ".env": "def secret():\n    return 1\n"})
    many = [f"fn:semver/version.py::f{i}" for i in range(100, 104)]
    prompt = generation_prompt(_ctx("fn:semver/version.py::Gone.method",
                                    "fn:.env::secret", *many), root)
    reached = prompt.split("## Where the failure reached the library\n")[1].split("\n## ")[0]
    assert "- semver/version.py, function Gone.method\n" in reached  # named, no code
    assert "- .env, function secret\n" in reached and "return 1" not in reached  # protected
    assert reached.count("```python") == 3  # five functions named at most: three of them f*
    assert "def f100(x):\n    return x + 100\n```" in reached
    # without a root (a PLAN that names its files only) the functions are named, not shown
    assert "```" not in plan_prompt(_ctx("fn:semver/version.py::f100"))


def test_in_a_small_window_plan_and_generate_show_the_same_files(tmp_path):
    # a 4,096-token window leaves 9,216 characters; GENERATE's plan section pushed its own
    # sections past the reserve, and its files, cut shorter than PLAN's, broke the cache
    doc = "".join(f"        :param part{i}: the part{i} of the version, or None\n"
                  for i in range(24))  # a 1,200-character docstring, as semver's have
    lib = LIB.replace('"""A new version, `parts` replaced."""\n',
                      f'"""A new version, `parts` replaced.\n\n{doc}        """\n')
    root = commit_files(tmp_path / "r", {"semver/version.py": lib, "tests/test_v.py": TEST})
    ctx = _ctx("fn:semver/version.py::Version.replace")
    plan = plan_prompt(ctx, root, budget=9_216)
    ctx.plan = PlanResult(approach="return an instance of the caller's class " * 8,
                          ordered_changes=[{"file_path": "semver/version.py",
                                            "change": "type(self) instead of Version " * 6}])
    generate = generation_prompt(ctx, root, budget=9_216)
    assert "## Target files" not in plan  # the reached code is shown, not the files
    assert plan.split("## Goal")[0] == generate.split("## Goal")[0]
    # an op whose failure names no function shows its files, cut alike in both steps
    bare = _ctx()
    plan = plan_prompt(bare, root, budget=9_216)
    bare.plan = ctx.plan
    generate = generation_prompt(bare, root, budget=9_216)
    assert "(lines 1-" in plan and plan.split("## Goal")[0] == generate.split("## Goal")[0]


def test_a_repairs_output_neither_offers_nor_mentions_no_change(tmp_path):
    """GENERATE refuses no_op for failing tests (generate._post_generation_gates), and the
    Output does not say so: told "a reply of no change (no_op) is refused", Qwen2.5-Coder-
    1.5B answered no_op greedily and in 5 of 8 samples, against 1 of 8 untold (stop 62)."""
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST})
    repair = generation_prompt(_ctx("fn:semver/version.py::Version.replace"), root, 6_000)
    assert "no_op" not in repair.split("## Output\n")[1]
