"""The text detector judges a reply's prose, not the file text a candidate copies: a JSON
candidate's `full_content`, and a SEARCH/REPLACE block's lines, whose REPLACE repeats its
SEARCH but for the change (Qwen2.5-Coder-1.5B's 29-line block through llama.cpp's server
read 0.77 and was discarded as a collapse, issue 50). A loop in the prose, or a block cut
off while it loops, still reads as one."""

from __future__ import annotations

import json

from kernel.canary import text_proximity

FUNCTION = "\n".join(
    ["def findall(format, string, pos=0, endpos=None, extra_types=None, evaluate_result=True,",
     "        case_sensitive=False):",
     "    '''Search \"string\" for all occurrences of \"format\".",
     "",
     "    You will be returned an iterator that holds Result instances",
     "    for each format match found.",
     "",
     "    Optionally start the search at \"pos\" character index and limit the search",
     "    to a maximum index of endpos - equivalent to search(string[:endpos]).",
     "",
     "    If the format is invalid a ValueError will be raised.",
     "    See the module documentation for the use of \"extra_types\".",
     "    '''",
     "    p = Parser(format, extra_types=extra_types, case_sensitive=case_sensitive)",
     "    return p.findall(string, pos, endpos, evaluate_result=evaluate_result)"])
FIXED = FUNCTION.replace("p.findall(string, pos", "p.findall(string, pos or 0")
PROSE = "parse.py: findall passed its start on unchanged; the failing test asks for zero."


def _block(search: str, replace: str) -> str:
    return f"parse.py\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_a_block_that_copies_a_function_but_for_one_line_is_calm() -> None:
    reply = f"```\n{_block(FUNCTION, FIXED)}```\n{PROSE}"
    assert text_proximity(reply).sustained < 0.3


def test_a_json_candidate_of_a_repetitive_file_is_calm() -> None:
    table = "".join(f"ROW_{i % 3} = {i % 3}\n" for i in range(300))
    reply = json.dumps({"candidates": [{"file_path": "t.py", "full_content": table,
                                        "rationale": PROSE}]})
    assert text_proximity(reply).sustained < 0.3


def test_a_block_cut_off_while_it_loops_still_reads_as_a_collapse() -> None:
    looping = "\n".join(["    return None"] * 120)
    reply = f"parse.py\n<<<<<<< SEARCH\n{FUNCTION}\n=======\n{looping}"  # no closer
    assert text_proximity(reply).collapsed


def test_prose_that_loops_after_a_whole_block_still_reads_as_a_collapse() -> None:
    reply = _block(FUNCTION, FIXED) + PROSE + " the change is right." * 40
    assert text_proximity(reply).collapsed
