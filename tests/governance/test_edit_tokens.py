"""What a one-line fix costs the model in output tokens: as edits, under 200 on a 700-line
file; as the whole file, the file's size. Counted with the embedded model's tokenizer
(bench/edit_tokens.py counts the same replies with Qwen2.5-Coder's)."""

from __future__ import annotations

import calendar
import inspect
import json
from pathlib import Path

import pytest

from governance.candidate_edits import stated

CALENDAR = Path(inspect.getsourcefile(calendar) or "")
BROKEN = "    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
FIXED_LINE = "    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) and year > 0\n"


def replies(text: str) -> tuple[str, str]:
    """The edit reply and the whole-file reply a model writes for one changed line of
    `text` (calendar.isleap's return), both as candidate.1 JSON."""
    head = '    """Return True for leap years, False for non-leap years."""\n'
    edit = json.dumps({"schema": "candidate.1", "file_path": "calendar.py", "edits": [
        {"search": head + BROKEN, "replace": head + FIXED_LINE}],
        "rationale": "isleap: no year before 1 is a leap year"}, indent=1)
    whole = json.dumps({"schema": "candidate.1", "file_path": "calendar.py",
                        "full_content": text.replace(BROKEN, FIXED_LINE),
                        "rationale": "isleap: no year before 1 is a leap year"})
    return edit, whole


def test_a_one_line_fix_of_a_700_line_file_costs_under_200_tokens_as_edits():
    tokenizers = pytest.importorskip("tokenizers")
    from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path

    text = CALENDAR.read_text()
    if BROKEN not in text or len(text.splitlines()) < 700:
        pytest.skip(f"{CALENDAR} is not the 700-line file this measures")
    edit, whole = replies(text)
    tok = tokenizers.Tokenizer.from_file(str(dequantized_dir(
        embedded_model_path(), default_cache_root()) / "tokenizer.json"))
    edit_tokens, whole_tokens = (len(tok.encode(t).ids) for t in (edit, whole))
    assert stated(edit, lambda _: text).full_content == text.replace(BROKEN, FIXED_LINE)
    assert edit_tokens < 200, edit_tokens
    assert whole_tokens > 20 * edit_tokens, (edit_tokens, whole_tokens)
