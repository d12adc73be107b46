"""The opening a candidate's reply is begun with, for a brain that continues one (the
in-process kernel: ReplyShape.opening).

Told SEARCH/REPLACE blocks, Qwen2.5-Coder-1.5B answered a repair's turn with a copy of the
prompt's last paragraph and no block (issue 50, stop 64). Begun with a block's first lines,
the file's path and the SEARCH marker as BLOCKS_CONTRACT writes them, it continues a block.
Only where the prompt names the one file to change: a path chosen among several would
choose for the model. That is the file of a word the failing test uses that the library
quotes nowhere, where one table keyed like it has its place (sqlparse's `'DIV'` between
`'DISPATCH'` and `'DO'` in keywords.py: the reached code lay in three other files, and nine
of twelve replies held no block, stop 73); otherwise a repair showing the code the failure
reached in one file. The reply is read whole, the opening included, by the same parser and
rules as any other.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from governance.brains.files_shown import Reader
from governance.brains.prompts import library_reached, quotes_of, reached_files, shows_code
from governance.brains.provider import CANDIDATE_SHAPE, ReplyShape
from governance.edit_blocks import SEARCH, ReplyForm
from governance.schemas import OperationContext
from governance.schemas import Source as SignalSource


def reply_opening(ctx: OperationContext, root: Path, read: Reader | None = None) -> str:
    """`<path>\\n<<<<<<< SEARCH\\n` for a repair told blocks whose prompt places a missing
    word's row in one file's table, or else shows the reached code of one file; ''
    otherwise."""
    if ReplyForm(ctx.reply_form) is not ReplyForm.BLOCKS \
            or ctx.envelope.source != SignalSource.TEST_FAILURE \
            or not shows_code(library_reached(ctx, root, read)):
        return ""
    quotes = quotes_of(ctx, root, read)
    files = quotes.place_files if quotes is not None and quotes.place_files \
        else reached_files(ctx, root, read)
    return f"{files[0]}\n{SEARCH}\n" if len(files) == 1 else ""


def candidate_shape(ctx: OperationContext, root: Path, read: Reader | None = None
                    ) -> ReplyShape:
    """The candidate's reply shape, with its opening where there is one."""
    opening = reply_opening(ctx, root, read)
    return replace(CANDIDATE_SHAPE, opening=opening) if opening else CANDIDATE_SHAPE
