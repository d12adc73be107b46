"""latexcodec 3.0.1 (MIT), held out (wave 16): a LaTeX lexer (latexcodec/lexer.py) and the
codecs latex, ulatex and their +<encoding> forms over it (latexcodec/codec.py, registered by
the package's __init__.py; the translation table is table.txt). The lexer's incremental
decoder keeps its state in getstate's integer (the state in the two low bits, inline maths
in bit 2), and wraps its input decoder's UnicodeDecodeError in a ValueError, as the codecs
API asks; its encoder takes str alone (isinstance: a str subclass is a str) and splits it
before each non-combining character. The translating decoder buffers tokens until a match
can no longer grow, flushing one as soon as the buffer holds the table's longest match
(max_length); the translating encoder answers an untranslatable character with nothing but
an empty token under errors='ignore', which still ends the space-eating state a control word
began. Its suite (test/: 440 tests) decodes and encodes the README's and INSTALL.rst's
examples and the table's characters, whole, incrementally one character at a time, through
streams and through ulatex, and lexes, saves and restores the lexer's state. A line tracer
over it found every executable line of the package run, so every case changes lines the
suite runs: the incremental decoder is only ever read joined, its state only restored from a
saved one with inline maths off, its input errors only caught as ValueError, an ignored
character never followed by a space after a control word, and no str subclass encoded.
Its files end their lines with CRLF; the edits are written here with LF (crlf)."""

from tests.governance.refactors_real.corpus import Probe, case, crlf

LIBRARY = "latexcodec"
CODEC = "latexcodec/codec.py"
LEXER = "latexcodec/lexer.py"
SETUP = "import codecs, latexcodec"

CONTROLS = {
    "ascii_test_isascii": case(
        CODEC, "LatexIncrementalEncoder._get_latex_chars_tokens_from_char",
        "comparison to a builtin predicate",
        "the ASCII test written c.isascii() instead of ord(c) < 128: c is one character "
        "(the encoder iterates a str), for which the two agree on every code point",
        crlf('''        if ord(c) < 128:
''', '''        if c.isascii():
''')),
    "control_branches_merged": case(
        LEXER, "LatexIncrementalLexer.get_tokens", "identical branches merged",
        "the control_word and control_symbol branches, which both enter the space-skipping "
        "state and yield the token, merged into one test of the name against both",
        crlf('''            elif token.name == "control_word":
                # go to space skip mode
                self.state = "S"
                yield token
            elif token.name == "control_symbol":
                # go to space skip mode
                self.state = "S"
                yield token
''', '''            elif token.name in ("control_word", "control_symbol"):
                # go to space skip mode
                self.state = "S"
                yield token
''')),
    "match_lookup_get": case(
        CODEC, "LatexIncrementalDecoder.get_unicode_tokens", "try/except KeyError to dict.get",
        "the buffer's tail looked up with unicode_map.get and skipped when None, instead of "
        "indexing under try/except KeyError/else: the map's values are the table's str "
        "translations, never None, so the same tails match and the same text is yielded",
        crlf('''                try:
                    unicode_text = self.table.unicode_map[last_tokens]
                except KeyError:
                    # no match: continue
                    continue
                else:
                    # match!! flush buffer, and translate last bit
                    # exclude last i tokens
                    for token2 in self.token_buffer[:-i]:
                        yield self.decode_token(token2)
                    yield unicode_text
                    self.token_buffer = []
                    break
''', '''                unicode_text = self.table.unicode_map.get(last_tokens)
                if unicode_text is None:
                    # no match: continue
                    continue
                # match!! flush buffer, and translate last bit
                # exclude last i tokens
                for token2 in self.token_buffer[:-i]:
                    yield self.decode_token(token2)
                yield unicode_text
                self.token_buffer = []
                break
''')),
    "unicode_tokens_yield_from": case(
        LEXER, "LatexIncrementalEncoder.get_unicode_tokens", "loop to yield from",
        "the two loops that re-yield flush_unicode_tokens' tokens written as yield from: "
        "the same tokens, in the same order, each buffer flush run at the same point",
        crlf('''            if not unicodedata.combining(c):
                for token in self.flush_unicode_tokens():
                    yield token
            self.buffer += c
        if final:
            for token in self.flush_unicode_tokens():
                yield token
''', '''            if not unicodedata.combining(c):
                yield from self.flush_unicode_tokens()
            self.buffer += c
        if final:
            yield from self.flush_unicode_tokens()
''')),
}

CARELESS = {
    "decode_error_unwrapped": case(
        LEXER, "LatexIncrementalDecoder.decode", "exception wrapping dropped (error type)",
        "the input decoder's UnicodeDecodeError no longer re-raised as a plain ValueError "
        "(the try/except taken for noise, UnicodeDecodeError being a ValueError already): "
        "the suite catches ValueError, which still catches it, but the codecs API's "
        "ValueError is now a UnicodeDecodeError, and a caller telling the two apart sees a "
        "different error for b'\\xe9' under latex+utf8",
        crlf('''        try:
            chars = self.decoder.decode(bytes_, final=final)
        except UnicodeDecodeError as e:
            # API requires that the encode method raises a ValueError
            # in this case
            raise ValueError(e)
        return self.udecode(chars, final)
''', '''        chars = self.decoder.decode(bytes_, final=final)
        return self.udecode(chars, final)
'''),
        probe=Probe(SETUP, "b'\\xe9'.decode('latex+utf8')", "raises ValueError",
                    "raises UnicodeDecodeError")),
    "token_flush_off_by_one": case(
        CODEC, "LatexIncrementalDecoder.get_unicode_tokens", "off by one (>= to >)",
        "tokens flushed only once the buffer holds more than the longest match, not as soon "
        "as it holds as many: every decode is still right once joined with its final flush, "
        "which is all the suite reads, but the incremental decoder holds one token more than "
        "it must, so twenty plain letters give back twelve at once, not thirteen",
        crlf('''            while len(self.token_buffer) >= self.table.max_length:
''', '''            while len(self.token_buffer) > self.table.max_length:
'''),
        probe=Probe(SETUP, "codecs.getincrementaldecoder('latex')().decode(b'a' * 20)",
                    "'aaaaaaaaaaaaa'", "'aaaaaaaaaaaa'")),
    "setstate_inline_bit_compared": case(
        LEXER, "LatexIncrementalLexer.setstate", "bit test to comparison (off by one)",
        "inline maths read back as state[1] > 4 instead of testing bit 2: the states with "
        "the flag are 4 (middle of a line), 5 and 6, and the middle of a line in inline "
        "maths, the commonest, is now restored with inline maths off; the suite restores "
        "only states saved outside maths",
        crlf('''        self.inline_math = bool(state[1] & 4)
''', '''        self.inline_math = state[1] > 4
'''),
        probe=Probe("from latexcodec import lexer",
                    "(lambda d: (d.setstate((lexer.Token('unknown', ''), 4)), d.inline_math)[1])"
                    "(lexer.LatexIncrementalDecoder())", "True", "False")),
    "ignored_char_no_token": case(
        CODEC, "LatexIncrementalEncoder._get_latex_chars_tokens_from_char",
        "sentinel dropped (empty token to no token)",
        "an ignored character answered with no tokens instead of one empty token: the text "
        "is the same, but with no token the encoder's state is no longer set back to the "
        "middle of a line, so after a control word a space past the ignored character is "
        "written as a control space: 'å⌨ x' under errors='ignore' gives b'\\\\aa \\\\ x', "
        "not b'\\\\aa  x'; the suite ignores only a character alone",
        crlf('''            elif self.errors == "ignore":
                return "", (self.emptytoken,)
''', '''            elif self.errors == "ignore":
                return "", ()
'''),
        probe=Probe(SETUP, "'\\u00e5\\u2328 x'.encode('latex', 'ignore')", "b'\\\\aa  x'",
                    "b'\\\\aa \\\\ x'")),
    "encode_type_check_exact": case(
        CODEC, "LatexIncrementalEncoder.get_latex_chars",
        "type check narrowed (isinstance to type is)",
        "the input's type checked with type(unicode_) is not str instead of isinstance: the "
        "suite's bad input is an object(), still refused, but a str subclass (a markup "
        "string, an enum's value) now raises TypeError instead of being encoded",
        crlf('''        if not isinstance(unicode_, str):
''', '''        if type(unicode_) is not str:
'''),
        probe=Probe(SETUP, "type('S', (str,), {})('\\u00e9').encode('latex')", "b\"\\\\'e\"",
                    "raises TypeError")),
}
