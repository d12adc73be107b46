"""The opening a candidate's reply is begun with, for a brain that continues one (the
in-process kernel: ReplyShape.opening).

Told SEARCH/REPLACE blocks, Qwen2.5-Coder-1.5B answered a repair's turn with a copy of the
prompt's last paragraph and no block (issue 50, stop 64). Begun with a block's first lines,
the file's path and the SEARCH marker as BLOCKS_CONTRACT writes them, it continues a block.
Only where the prompt names the one file to change (a repair showing the code the failure
reached in one file): a path chosen among several would choose for the model. The reply is
read whole, the opening included, by the same parser and rules as any other.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from governance.brains.files_shown import Reader
from governance.brains.prompts import library_reached, reached_files, shows_code
from governance.brains.provider import CANDIDATE_SHAPE, ReplyShape
from governance.edit_blocks import SEARCH, ReplyForm
from governance.schemas import OperationContext
from governance.schemas import Source as SignalSource


def reply_opening(ctx: OperationContext, root: Path, read: Reader | None = None) -> str:
    """`<path>\\n<<<<<<< SEARCH\\n` for a repair told blocks whose prompt shows the reached
    code of one file; '' otherwise."""
    if ReplyForm(ctx.reply_form) is not ReplyForm.BLOCKS \
            or ctx.envelope.source != SignalSource.TEST_FAILURE \
            or not shows_code(library_reached(ctx, root, read)):
        return ""
    files = reached_files(ctx, root, read)
    return f"{files[0]}\n{SEARCH}\n" if len(files) == 1 else ""


def candidate_shape(ctx: OperationContext, root: Path, read: Reader | None = None
                    ) -> ReplyShape:
    """The candidate's reply shape, with its opening where there is one."""
    opening = reply_opening(ctx, root, read)
    return replace(CANDIDATE_SHAPE, opening=opening) if opening else CANDIDATE_SHAPE
