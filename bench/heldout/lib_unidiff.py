"""unidiff 1.0.1 (MIT), held out (wave 18): unified diffs parsed into Python objects
(unidiff/patch.py; its regular expressions in constants.py): PatchSet, a list of PatchedFile
built from a file, an iterable of lines, a str or bytes (decoded with the encoding given, UTF-8
by default, and its errors handler), reading git headers (renames, new and deleted files,
modes, index lines), ---/+++ headers with their timestamps, hunk headers (a missing length
taken as 1), hunk bodies (each line's type by its first character, its source and target line
numbers counted, a hunk longer or shorter than its header refused), binary markers and "No
newline" markers; a metadata_only fast path that keeps counts alone; PatchedFile's path without
its a/, b/ or mnemonic prefix, its kind (added, removed, modified, renamed, symlink, submodule)
and str() rebuilding the diff; Hunk.is_valid checking its lines against its header. Its suite
(tests/: 69 tests) parses the 26 sample diffs (git, hg, bzr, svn, quilt, debdiff, CRLF and
binary ones), round-trips them through str(), and checks counts, line numbers, paths, prefixes,
modes, the metadata-only counts and Hunk's validity on hand-built hunks. A line tracer over it
found every line of patch.py run but the reprs, Line.__eq__'s NotImplemented, the non-matching
line type's branch and nine error raises (a bad metadata-only line; markers, headers and hunks
out of place); __main__.py, the command line, is never run. Its tests never pass an errors
handler for bytes, never give a str subclass, never build a file with an empty timestamp, never
compare a Line with anything but a Line, and never ask a hunk with more lines than its header
whether it is valid."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "unidiff"
PATCH = "unidiff/patch.py"
SETUP = "from unidiff import PatchSet, PatchedFile, Hunk\nfrom unidiff.patch import Line"

CONTROLS = {
    "patch_info_str_map": case(
        PATCH, "PatchInfo.__str__", "generator of str() to map(str)",
        "the info lines joined from map(str, self) instead of a generator calling str() on "
        "each: the same str() of the same lines in the same order, joined by the same "
        "join, the same first error if one line cannot be made a string",
        ('''        return ''.join(str(line) for line in self)
''', '''        return ''.join(map(str, self))
''')),
    "added_count_by_len": case(
        PATCH, "Hunk.added", "sum of ones to len of a list",
        "the added lines counted as the length of a list of them instead of a sum of ones: "
        "the same lines asked is_added in the same order, the same count, an int",
        ('''        return sum(1 for line in self if line.is_added)
''', '''        return len([line for line in self if line.is_added])
''')),
    "body_line_match_or": case(
        PATCH, "PatchedFile._parse_hunk", "fallback if to or",
        "the empty-line pattern tried through or after the body-line pattern instead of in "
        "an if on the first one's failure: a match object is always true and a failure is "
        "None, so the second pattern runs exactly when the first fails, and the same match "
        "or None is kept",
        ('''                valid_line = RE_HUNK_BODY_LINE.match(line)
                if not valid_line:
                    valid_line = RE_HUNK_EMPTY_BODY_LINE.match(line)
''', '''                valid_line = (RE_HUNK_BODY_LINE.match(line)
                              or RE_HUNK_EMPTY_BODY_LINE.match(line))
''')),
    "hunk_end_at_least": case(
        PATCH, "PatchedFile._parse_hunk", "== to >= after the longer-than check",
        "the hunk taken as complete when both line counters have reached their expected "
        "ends (>=) instead of equal them: the check just above has already refused a counter "
        "past its end, so both are at most their ends there, and >= holds exactly when == "
        "does",
        ('''            if (source_line_no == expected_source_end and
                    target_line_no == expected_target_end):
                break
''', '''            if (source_line_no >= expected_source_end and
                    target_line_no >= expected_target_end):
                break
''')),
}

CARELESS = {
    "bytes_errors_dropped": case(
        PATCH, "PatchSet._convert_string", "argument dropped (decode's errors handler)",
        "bytes decoded without the errors handler the caller gave instead of with it: the "
        "suite's bytes are all valid UTF-8, so strict decoding reads them the same, but "
        "from_string(..., errors='replace') of a diff with a \\xff byte now raises "
        "UnicodeDecodeError where it parsed, one line added",
        ('''            data = data.decode(encoding or DEFAULT_ENCODING, errors)
''', '''            data = data.decode(encoding or DEFAULT_ENCODING)
'''),
        probe=Probe(SETUP, "PatchSet.from_string(b'--- a/f\\xff\\n+++ b/f\\xff\\n"
                    "@@ -1 +1 @@\\n-x\\n+y\\n', errors='replace').added", "1",
                    "raises UnicodeDecodeError")),
    "text_input_exact_type": case(
        PATCH, "PatchSet.__init__", "type narrowed (isinstance to type() in)",
        "str and bytes recognised by type(f) in (str, bytes) instead of isinstance: the "
        "suite's strings are all exact str or bytes, but a str subclass is now iterated as "
        "an iterable of lines, one character a line, and its diff is lost: no file, 0 "
        "lines added where it had 1",
        ('''        if isinstance(f, (str, bytes)):
''', '''        if type(f) in (str, bytes):
'''),
        probe=Probe(SETUP + "\nclass S(str): pass",
                    "PatchSet(S('--- a/f\\n+++ b/f\\n@@ -1 +1 @@\\n-x\\n+y\\n')).added",
                    "1", "0")),
    "timestamp_is_not_none": case(
        PATCH, "PatchedFile.__str__", "truthiness to is not None",
        "a header's timestamp written after a tab whenever it is not None instead of when "
        "it is truthy: a parsed timestamp is never empty (its pattern takes one character or "
        "more), so the suite's round trips read the same, but a file built with an empty "
        "timestamp now writes '--- a/f\\t' where it wrote '--- a/f'",
        ('''                '\\t' + self.source_timestamp if self.source_timestamp else '')
''', '''                '\\t' + self.source_timestamp if self.source_timestamp is not None else '')
'''),
        ('''                '\\t' + self.target_timestamp if self.target_timestamp else '')
''', '''                '\\t' + self.target_timestamp if self.target_timestamp is not None else '')
'''),
        probe=Probe(SETUP + "\nf = PatchedFile(source='a/f', target='b/f', "
                    "source_timestamp='', target_timestamp='')\nh = Hunk(1, 1, 1, 1)\n"
                    "h.append(Line('x\\n', ' '))\nf.append(h)",
                    "str(f).splitlines()[0]", "'--- a/f'", "'--- a/f\\t'")),
    "eq_not_implemented_to_false": case(
        PATCH, "Line.__eq__", "NotImplemented to False (a line no test runs)",
        "a comparison with anything but a Line answered False instead of NotImplemented: "
        "no test compares a Line with another type, and Python then asks the other side, "
        "so Line('x', '+') == mock.ANY, True before, is now False",
        ('''        if not isinstance(other, Line):
            return NotImplemented
''', '''        if not isinstance(other, Line):
            return False
'''),
        probe=Probe(SETUP + "\nfrom unittest import mock", "Line('x', '+') == mock.ANY",
                    "True", "False")),
    "valid_at_least_header": case(
        PATCH, "Hunk.is_valid", "boundary widened (== to >=)",
        "a hunk taken as valid when it has at least the lines its header counts instead of "
        "exactly that many: the suite's hunks have as many or fewer, but an empty header's "
        "hunk with a context line appended is now valid where it was not",
        ('''        return (len(self.source) == self.source_length and
                len(self.target) == self.target_length)
''', '''        return (len(self.source) >= self.source_length and
                len(self.target) >= self.target_length)
'''),
        probe=Probe(SETUP + "\nh = Hunk()\nh.append(Line('x\\n', ' '))", "h.is_valid()",
                    "False", "True")),
}
