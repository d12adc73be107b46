"""whatthepatch 1.0.7 (MIT), held out (wave 12): patches parsed and applied. parse_patch
(whatthepatch/patch.py) splits a text at the first kind of header it finds (Index:, diff,
RCS file:, git's index, ***, ---) and yields, for each piece with a header or changes, a
diff of its header (paths and versions: git's a/ and b/ prefixes stripped, svn's revisions
as ints, cvs' versions from their timestamps) and its changes, Change(old, new, line,
hunk), read by the parser of the first hunk kind it finds (unified, context, default,
ed, RCS ed, git binary); apply_diff (apply.py) checks every context line against the
source's (HunkApplyException, whose message names the hunk) and applies the removals and
insertions, or hands the diff to the patch program. Its tree keeps src/, its tests
importing src.whatthepatch. Its suite (54 tests: 48 case files of every format, and a
million-line diff parsed against a clock) was traced line by line: it never runs
apply_patch, parse_diffcmd_header's body (the diff-command header is never the first
kind found), the context parser's removal-only and insertion-only hunks, or which() with
a directory in the name. One control (parse_diffcmd_header's length tests) changes only
lines no test runs; every careless refactor changes lines the suite runs. Beware:
test_huge_patch asserts that parse_patch reads a million-line diff in under 20 s of wall
time; untraced it took 10 to 20.5 s at load 4 to 5 on 2 shared cores (it failed once at load
7 in the corpus check, on a candidate whose change cannot slow it, and passed on the rerun),
and under a line tracer of the package 70 s, so a traced run of the suite may fail it on
the base. Drafts that failed the suite check and were replaced: parse_unified_diff's
'or r == 0' dropped, parse_git_header's prefixes removed with lstrip, parse_patch yielding
only pieces with changes (a test fails on each)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "whatthepatch"
PATCH = "src/whatthepatch/patch.py"
APPLY = "src/whatthepatch/apply.py"
SNIPPETS = "src/whatthepatch/snippets.py"
EXCEPTIONS = "src/whatthepatch/exceptions.py"
SETUP = "import src.whatthepatch as whatthepatch"  # as its tests import it


def _crlf(text: str) -> str:
    """snippets.py's and exceptions.py's lines end in CRLF (the other modules' in LF)."""
    return text.replace("\n", "\r\n")


GIT = ("'diff --git a/abc b/abc\\nindex 1234567..89abcde 100644\\n--- a/abc\\n+++ b/abc\\n"
       "@@ -1 +1 @@\\n-x\\n+y\\n'")

CONTROLS = {
    "diffcmd_header_truth_tests": case(
        PATCH, "parse_diffcmd_header", "length tests as truth tests (lines no test runs)",
        "'len(headers) == 0' and 'len(lines) > 0' written as 'not headers' and 'lines': "
        "both are lists; no test runs the function's body (the diff-command header is "
        "never the first kind of header a test's diff shows)",
        ('''    headers = findall_regex(lines, diffcmd_header)
    if len(headers) == 0:
        return None

    while len(lines) > 0:
        d = diffcmd_header.match(lines[0])
''', '''    headers = findall_regex(lines, diffcmd_header)
    if not headers:
        return None

    while lines:
        d = diffcmd_header.match(lines[0])
''')),
    "unified_header_or_none": case(
        PATCH, "parse_unified_header", "if-assign to 'or'",
        "each version's 'if len(v) == 0: v = None' written 'group or None': the group "
        "(.*) is always a str, and the empty one is the only false one",
        ('''            n = unified_header_new_line.match(lines[0])
            del lines[0]
            if n:
                over = o.group(2)
                if len(over) == 0:
                    over = None

                nver = n.group(2)
                if len(nver) == 0:
                    nver = None
''', '''            n = unified_header_new_line.match(lines[0])
            del lines[0]
            if n:
                over = o.group(2) or None
                nver = n.group(2) or None
''')),
    "findall_regex_comprehension": case(
        SNIPPETS, "findall_regex", "loop to a comprehension",
        "the indices of the items the regex matches collected by a comprehension over "
        "enumerate instead of a range loop that appends them (and resets a match it "
        "never reads again; the module's lines end in CRLF, as the edit's do)",
        (_crlf('''    found = list()
    for i in range(0, len(items)):
        k = regex.match(items[i])
        if k:
            found.append(i)
            k = None

    return found
'''), _crlf('''    return [i for i, item in enumerate(items) if regex.match(item)]
'''))),
    "reverse_inline_helper": case(
        APPLY, "_reverse", "helper inlined",
        "the one-line inner function inlined into the comprehension: each change with its "
        "old and new numbers swapped, in the same order",
        ('''    def _reverse_change(c):
        return c._replace(old=c.new, new=c.old)

    return [_reverse_change(c) for c in changes]
''', '''    return [c._replace(old=c.new, new=c.old) for c in changes]
''')),
}

CARELESS = {
    "hunk_zero_falsy": case(
        EXCEPTIONS, "HunkException.__init__", "'is not None' widened to a truth test",
        "the hunk named in the message when 'if hunk:' instead of 'if hunk is not None:': "
        "the suite's bad hunks are numbered 1 and 2, but a HunkException of hunk 0 loses "
        "its ', in hunk #0'",
        (_crlf('''        if hunk is not None:
'''), _crlf('''        if hunk:
''')),
        probe=Probe("from src.whatthepatch import exceptions",
                    "str(exceptions.HunkException('bad', hunk=0))", "'bad, in hunk #0'",
                    "'bad'")),
    "which_quotes_kept": case(
        SNIPPETS, "which", "normalisation dropped",
        "the strip of double quotes from each PATH entry dropped, quotes in PATH being a "
        "Windows habit: the suite looks the patch program up on a plain PATH, but a PATH "
        "whose directory is quoted no longer finds the program in it",
        (_crlf('''            path = path.strip('"')
'''), ""),
        probe=Probe("import os, sys\n"
                    "os.environ['PATH'] = '\"' + os.path.dirname(sys.executable) + '\"'\n"
                    "from src.whatthepatch.snippets import which",
                    "which(os.path.basename(sys.executable)) == sys.executable", "True",
                    "False")),
    "apply_context_rstrip": case(
        APPLY, "apply_diff", "comparison loosened",
        "each context line compared with its trailing whitespace stripped on both sides, "
        "to forgive editors that trim it: the suite's bad hunks differ in their words, but "
        "a context line 'x' no longer refuses a source line 'x ' (whose trailing space "
        "the removal then deletes unseen)",
        ('''            if lines[old - 1] != line:
''', '''            if lines[old - 1].rstrip() != line.rstrip():
'''),
        probe=Probe(SETUP, f"whatthepatch.apply_diff(next(whatthepatch.parse_patch({GIT})), "
                    "['x '])", "raises HunkApplyException", "['y']")),
    "patch_lines_rstrip": case(
        PATCH, "parse_patch", "line-end normalisation narrowed",
        "each line given in a list cut at its end with rstrip('\\n') instead of "
        "splitlines()[0], which also drops a carriage return: a text's lines are split "
        "already, and the suite's lists have no CRLF, but a diff given as lines ending in "
        "CRLF keeps a \\r on each, and git's index line no longer matches",
        ('''    lines = [x if len(x) == 0 else x.splitlines()[0] for x in lines]
''', '''    lines = [x.rstrip("\\n") for x in lines]
'''),
        probe=Probe(SETUP, "next(whatthepatch.parse_patch([line + '\\r\\n' for line in "
                    f"{GIT}.splitlines()])).header.old_path", "'abc'", "'a/abc'")),
    "apply_blank_context_unchecked": case(
        APPLY, "apply_diff", "'is not None' widened to a truth test",
        "the context check guarded by 'if old and line:' instead of 'old is not None and "
        "line is not None': the suite's context lines have text, but a blank context line "
        "is no longer checked, so a hunk whose blank line stands where the source has "
        "'z' applies instead of being refused",
        ('''        if old is not None and line is not None:
            if old > n_lines:
''', '''        if old and line:
            if old > n_lines:
'''),
        probe=Probe(SETUP, "whatthepatch.apply_diff(next(whatthepatch.parse_patch("
                    "'--- a\\n+++ b\\n@@ -1,2 +1,2 @@\\n \\n-x\\n+y\\n')), ['z', 'x'])",
                    "raises HunkApplyException", "['z', 'y']")),
}
