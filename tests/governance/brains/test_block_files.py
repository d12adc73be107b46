"""The files a blocks reply may change (governance.brains.block_files), as the candidate's
shape carries them to a brain that decodes under a grammar of the blocks: the file the
reply is opened on, the reached ones, the op's targets and related files; never a repair's
failing test file (its specification: Qwen2.5-Coder-1.5B aimed its blocks at it, issue 50),
nor a file the prompt may not show; none for a brain told JSON, nor for an op but a repair
(one that may add a file)."""

from __future__ import annotations

import os

from governance.brains.block_files import block_files
from governance.edit_blocks import ReplyForm
from governance.schemas import Source
from tests.governance.brains.test_reached_code import LIB, TEST, _ctx
from tests.helpers import commit_files


def test_the_reached_and_target_files_not_the_failing_tests(tmp_path):
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST,
                                         "semver/util.py": "A = 1\n", ".env": "KEY=1\n"})
    os.symlink(root / "semver/util.py", root / "semver/link.py")
    ctx = _ctx("fn:semver/version.py::Version.replace")
    ctx.reply_form = ReplyForm.BLOCKS.value
    ctx.context_files = ("semver/link.py", ".env", "semver/util.py", "semver/missing.py")
    files = block_files(ctx, root)
    assert [path for path, _ in files] == ["semver/version.py", "semver/util.py"]
    assert files[0][1] == tuple(LIB.splitlines())
    # The file a reply is opened on comes first, whatever else is named.
    opened = block_files(ctx, root, opened="semver/util.py")
    assert [path for path, _ in opened] == ["semver/util.py", "semver/version.py"]
    ctx.reply_form = ReplyForm.JSON.value
    assert block_files(ctx, root) == ()
    ctx.reply_form = ReplyForm.BLOCKS.value  # an op that may add a file: no grammar of them
    ctx.envelope = ctx.envelope.model_copy(update={"source": Source.TODO})
    assert block_files(ctx, root) == ()


def test_a_repair_turn_copies_the_change_so_far_never_a_protected_file(tmp_path):
    """L2's blocks are applied to the change so far: their SEARCH copies its lines, not
    the live file's; a protected file stays out, whatever the change holds of it."""
    from governance.brains.block_files import changed_reader
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST,
                                         ".env": "KEY=1\n"})
    changed = {"semver/version.py": "def f0(x):\n    return x - 0\n", ".env": "KEY=2\n"}
    read = changed_reader(lambda rel: changed.get(rel) or (root / rel).read_text())
    ctx = _ctx("fn:semver/version.py::Version.replace")
    ctx.reply_form = ReplyForm.BLOCKS.value
    ctx.context_files = (".env",)
    assert block_files(ctx, root, read) == (
        ("semver/version.py", ("def f0(x):", "    return x - 0")),)
