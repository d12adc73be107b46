"""webvtt-py 0.6.0 (MIT), held out (wave 17): WebVTT, SRT and SBV captions read, written,
retimed and segmented (webvtt/: models.py, the timestamps, cue settings, captions and their
retiming in whole milliseconds; webvtt.py, the WebVTT object; vtt.py, srt.py and sbv.py, the
formats; segmenter.py, HLS segments; utils.py, BOM detection and blocks of lines; cli.py).
Frame rates are read as written (a float through its shortest repr into a Fraction, so 29.97
over 19.98 is exactly 1.5), times are rounded halves away from zero, and a sync point's time
is found by bisection among the points' from times; a byte buffer (an io.BytesIO, or a
subclass) is decoded as UTF-8 before it is parsed; save() adds the extension unless the path
already ends with it, in any case; iter_slice keeps the captions that start at or after its
start and end at or before its end; a NOTE block's text is stripped. Its suite (tests/: 491
tests and 333 subtests, unittest run by pytest, over the caption samples tests/samples/*)
is written for full branch coverage (its setup.cfg's coverage fail_under = 100): a line
tracer over it found every line of the package run but the call under cli.py's __main__
guard, module-level code no case can be about, so every case changes lines the suite runs.
Its tests never change the frame rate where the float and its decimal reading round apart,
never read a subclass of io.BytesIO, never save to a path with an upper-case extension,
never slice up to a caption's own end, and never write a NOTE with more than one space
after the keyword."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "webvtt-py"
MODELS = "webvtt/models.py"
WEBVTT = "webvtt/webvtt.py"
VTT = "webvtt/vtt.py"
SRT = "webvtt/srt.py"
UTILS = "webvtt/utils.py"
SETUP = "import io, webvtt"

CONTROLS = {
    "sync_bisect_left": case(
        MODELS, "_sync_mapping", "bisection side changed where both sides agree",
        "a time's segment found with bisect_left instead of bisect_right: they differ only on "
        "a time equal to a sync point's from time (the points' from times are distinct, a "
        "repeated one refused), which then falls in the segment ending at that point instead "
        "of the one starting there; both lines pass through the point, and the integer "
        "arithmetic gives exactly its to time on either, clamped the same at both ends",
        ('''        index = bisect.bisect_right(from_times, milliseconds) - 1
''', '''        index = bisect.bisect_left(from_times, milliseconds) - 1
''')),
    "huge_seconds_bound_strict": case(
        MODELS, "_in_milliseconds", "boundary loosened where both branches agree",
        "the shortcut for numbers past the range taken for abs(value) > the bound instead "
        ">=: at the bound itself, 36,000,000,000,000 seconds, an int or a float, either "
        "sign, the Decimal arithmetic now run gives the same one millisecond past the "
        "largest timestamp that the shortcut answered",
        ('''    elif abs(value) >= (_MAX_MILLISECONDS + 1) // 1000:
''', '''    elif abs(value) > (_MAX_MILLISECONDS + 1) // 1000:
''')),
    "bom_detect_next": case(
        UTILS, "FileWrapper.detect_bom_encoding", "loop to next() over a generator",
        "the loop returning the first encoding whose BOM starts the file written as next() "
        "over the same items with None as its default: the same dict order (UTF-32 before "
        "UTF-16, whose BOM begins UTF-32-LE's), the same first match, the file closed by the "
        "same with block",
        ('''        with open(file_path, mode='rb') as f:
            first_bytes = f.read(4)
            for encoding, bom in CODEC_BOMS.items():
                if first_bytes.startswith(bom):
                    return encoding
        return None
''', '''        with open(file_path, mode='rb') as f:
            first_bytes = f.read(4)
        return next(
            (encoding for encoding, bom in CODEC_BOMS.items()
             if first_bytes.startswith(bom)),
            None
            )
''')),
    "close_tags_last_index_max": case(
        SRT, "_close_tags", "reversed index to max() over enumerate",
        "the last open tag with the name found as the largest index whose name matches, "
        "instead of the length less one less its index in the reversed names: the name is "
        "known to be among them, so both are the index of its last occurrence",
        ('''    index = len(names) - 1 - names[::-1].index(name)
''', '''    index = max(i for i, open_name in enumerate(names) if open_name == name)
''')),
}

CARELESS = {
    "frame_rate_float_direct": case(
        MODELS, "_frame_rate", "coercion simplified (float read exactly, not as written)",
        "a float frame rate turned into a Fraction directly instead of through its repr as "
        "a Decimal: Fraction(29.97) is the float's binary value, a little under 29.97, so "
        "the ratio 29.97 / 19.98 is no longer exactly 1.5 and a time landing on a half "
        "millisecond rounds down: 00:00:01.001 becomes 01.501, not 01.502; the suite's "
        "rates never round apart",
        ('''    if isinstance(value, float):
        return fractions.Fraction(decimal.Decimal(float.__repr__(value)))

    return fractions.Fraction(value)
''', '''    return fractions.Fraction(value)
'''),
        probe=Probe(SETUP, "(lambda v: (v.change_framerate(29.97, 19.98), v.captions[0].start)"
                    "[1])(webvtt.WebVTT(captions=[webvtt.Caption('00:00:01.001', "
                    "'00:00:02.000')]))", "'00:00:01.502'", "'00:00:01.501'")),
    "bytes_buffer_exact_type": case(
        WEBVTT, "WebVTT.from_buffer", "type check narrowed (isinstance to type is)",
        "the byte buffer recognised by type(buffer) is io.BytesIO instead of isinstance: the "
        "suite reads an io.BytesIO, still decoded, but a subclass of it is now iterated as "
        "bytes lines, and splitting them with the str pattern raises TypeError",
        ('''        if isinstance(buffer, io.BytesIO):
''', '''        if type(buffer) is io.BytesIO:
'''),
        probe=Probe(SETUP, "len(webvtt.from_buffer(type('B', (io.BytesIO,), {})("
                    "b'WEBVTT\\n\\n00:00.000 --> 00:01.000\\nhi\\n')))", "1",
                    "raises TypeError")),
    "destination_extension_case": case(
        WEBVTT, "WebVTT._get_destination_file", "case folding dropped (lost .lower())",
        "the path's extension compared as written instead of lower-cased: a path ending in "
        ".vtt is kept as before, the suite's only kind, but OUT.VTT now gets a second "
        "extension and is saved as OUT.VTT.vtt",
        ('''        if target[-4:].lower() != f'.{extension}':
''', '''        if target[-4:] != f'.{extension}':
'''),
        probe=Probe("import os, tempfile, webvtt\nd = tempfile.mkdtemp()\n"
                    "v = webvtt.WebVTT(captions=[webvtt.Caption('00:00:00.000', "
                    "'00:00:01.000', 'hi')])",
                    "(v.save(os.path.join(d, 'OUT.VTT')), sorted(os.listdir(d)))[1]",
                    "['OUT.VTT']", "['OUT.VTT.vtt']")),
    "slice_end_exclusive": case(
        WEBVTT, "WebVTT.iter_slice", "off by one (<= to <)",
        "a caption kept only if it ends before the slice's end, not at or before it: the "
        "suite slices with ends no caption ends on, but a caption ending exactly at the end "
        "given is now left out",
        ('''                    (not end_time or caption.end_time <= end_time)
''', '''                    (not end_time or caption.end_time < end_time)
'''),
        probe=Probe(SETUP, "len(list(webvtt.WebVTT(captions=[webvtt.Caption('00:00:01.000', "
                    "'00:00:02.000', 'a')]).iter_slice(end='00:00:02.000')))", "1", "0")),
    "comment_text_unstripped": case(
        VTT, "WebVTTCommentBlock.from_lines", "strip dropped (lost .strip())",
        "a NOTE block's text taken as the pattern captures it, without strip(): the pattern "
        "consumes the one space after NOTE, so a comment written with one space reads the "
        "same, as in the suite, but 'NOTE  two spaces' now keeps a leading space",
        ('''        match = cls.COMMENT_PATTERN.match('\\n'.join(lines))
        return cls(text=match.group(1).strip() if match else '')
''', '''        match = cls.COMMENT_PATTERN.match('\\n'.join(lines))
        return cls(text=match.group(1) if match else '')
'''),
        probe=Probe(SETUP, "webvtt.from_string('WEBVTT\\n\\nNOTE  two spaces\\n\\n"
                    "00:00.000 --> 00:01.000\\nhi\\n').header_comments", "['two spaces']",
                    "[' two spaces']")),
}
