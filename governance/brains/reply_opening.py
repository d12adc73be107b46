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
reached in one file, or of several, the one the failing tests' own files are named after
(`tests/test_grouping.py` for `sqlparse/engine/grouping.py`: sqlparse's case-sensitive
`'AS'`, whose reached code lay in five files, drew no usable block in three replies, stop
75; so opened, every reply was a block of grouping.py, stop 77). For the table, the opening
is an AFTER block (governance.edit_blocks) of the row the missing one would follow, as the
file has it, and the divider: begun only with the path, the model copied the rows around
the place into SEARCH and REPLACE alike, or rewrote their values, and added no row; begun
with a SEARCH of that row, it wrote the new row as its REPLACE, dropping the row (stop 74;
with the row again after the divider, each of twelve samples ended the block there,
changing nothing). An insertion keeps the row whatever the model writes. Where that row's
text is not once in the file, the opening is a SEARCH marker alone. After the divider the
opening begins the new row too, its key written as the row before writes its own
(`    'DIV': `): begun at the divider alone, the model copied that row after it (seven of
eight samples for sqlparse's DIV, stop 76), and the value is what is left to write. A
phrase the failing test is named after and a list of patterns matches word by word
(governance.brains.phrase_rows: sqlparse's `'PRIMARY KEY'`) opens an AFTER block of that
list's last phrase row, the new row begun as that row begins its own (`    (r'`), before
a missing word the test's name does not spell (IF EXISTS's test writes `CREATE TASK`, and
all twelve replies added a `'TASK'` row, stop 78); one it spells is the table's row, and
the phrase is then not said (quoted_words.library_quotes). The one
line comparing a value with a word the test writes in another case, in a function that
compares that value through `.upper()` elsewhere (governance.brains.case_compared:
sqlparse's `tmp_token.value == 'AS'`), opens a SEARCH block of that line and the divider:
the replacement is what is left to write. The reply is read whole, the opening included,
by the same parser and rules as any other.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from governance.brains.block_files import block_files
from governance.brains.files_shown import Reader, read_for_prompt
from governance.brains.phrase_rows import row_begun
from governance.brains.prompts import (
    failing_test_files,
    library_reached,
    quotes_of,
    reached_files,
    shows_code,
)
from governance.brains.provider import CANDIDATE_SHAPE, ReplyShape
from governance.brains.quoted_words import Quotes
from governance.edit_blocks import AFTER, DIVIDER, SEARCH, ReplyForm
from governance.schemas import OperationContext
from governance.schemas import Source as SignalSource

# A table row keyed by a quoted text: its indent, its quote, its key, and what follows the
# key up to the value (`    'DISPATCH': `)
_KEYED_ROW = re.compile(r"""^(\s*)(['"])([^'"\\]*)\2(\s*:\s*)\S""")


def reply_opening(ctx: OperationContext, root: Path, read: Reader | None = None) -> str:
    """`<path>\\n<<<<<<< AFTER\\n<row>\\n=======\\n` for a repair told blocks whose prompt
    places a missing word's row after `row` of one file's table; `<path>\\n<<<<<<< SEARCH\\n`
    where that row is not once in the file, or the prompt shows the reached code of one
    file; '' otherwise."""
    if ReplyForm(ctx.reply_form) is not ReplyForm.BLOCKS \
            or ctx.envelope.source != SignalSource.TEST_FAILURE \
            or not shows_code(library_reached(ctx, root, read)):
        return ""
    quotes = quotes_of(ctx, root, read)
    if quotes is not None and (phrase := quotes.phrase) is not None:
        row = _row_followed(replace(quotes, follows=(phrase.path, phrase.follows)), root, read)
        return f"{phrase.path}\n{AFTER}\n{row}\n{DIVIDER}\n{row_begun(row)}" if row else ""
    if quotes is not None and len(quotes.place_files) == 1:
        row = _row_followed(quotes, root, read)
        return f"{quotes.place_files[0]}\n" + (
            f"{AFTER}\n{row}\n{DIVIDER}\n{_key_begun(row, quotes.placed[0])}" if row
            else f"{SEARCH}\n")
    if quotes is not None and len(quotes.compared) == 1:
        path, n, _ = quotes.compared[0]
        if line := _row_followed(replace(quotes, follows=(path, n)), root, read):
            return f"{path}\n{SEARCH}\n{line}\n{DIVIDER}\n"
    files = reached_files(ctx, root, read)
    named = files[0] if len(files) == 1 else _tested(files, failing_test_files(ctx))
    return f"{named}\n{SEARCH}\n" if named else ""


def _tested(files: list[str], tests: list[str]) -> str:
    """The one reached file the failing tests' files are named after (`test_grouping.py`
    or `grouping_test.py` for `grouping.py`), or ''."""
    stems = {Path(t).stem.removeprefix("test_").removesuffix("_test") for t in tests}
    named = [f for f in files if Path(f).stem in stems]
    return named[0] if len(named) == 1 else ""


def _row_followed(quotes: Quotes, root: Path, read: Reader | None) -> str:
    """The row a missing word's row would follow, as its file has it; '' where the file
    cannot be read or holds that line other than once."""
    if quotes.follows is None:
        return ""
    path, n = quotes.follows
    text = (read or read_for_prompt)(root, path)[0]
    lines = text.splitlines() if text is not None else []
    if not 0 < n <= len(lines) or lines.count(lines[n - 1]) != 1:
        return ""
    return lines[n - 1]


def _key_begun(row: str, word: str) -> str:
    """The new row's beginning, `word` keyed as `row` keys its own; '' where `row` is no
    row keyed by a quoted text, or the word cannot be written between its quotes as it
    is."""
    found = _KEYED_ROW.match(row)
    if found is None or found[2] in word or "\\" in word or "\n" in word:
        return ""
    indent, quote, _, sep = found.groups()
    return f"{indent}{quote}{word}{quote}{sep}"


def candidate_shape(ctx: OperationContext, root: Path, read: Reader | None = None
                    ) -> ReplyShape:
    """The candidate's reply shape: with its opening where there is one, and the files a
    blocks reply may change (governance.brains.block_files)."""
    opening = reply_opening(ctx, root, read)
    files = block_files(ctx, root, read, opened=opening.partition("\n")[0])
    if not (opening or files):
        return CANDIDATE_SHAPE
    return replace(CANDIDATE_SHAPE, opening=opening, block_files=files)
