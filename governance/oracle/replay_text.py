"""A text's neighbours by the rules a test designer applies to text (governance.oracle.
replay_values' `near` takes them for a str, and for bytes through latin-1): the code's
punctuation swapped in, a fraction at its precision edges, white space that `strip()` and
`strip(' ')` tell apart, its line breaks written the other ways, a number in it moved or
written in another script's digits, a `name=value` pair taken out, the text as its UTF-8
bytes.

Copied into a run's private plugin directory as `_ouroboros_text` (governance.oracle.run_dir)
beside the runner, and imported there before the tree under test is on sys.path: it imports
only the standard library and runs on Python 3.9 and later.
"""

import itertools
import re

DIGITS = re.compile(r"\d+")
_ASCII_DIGIT = re.compile(r"[0-9]")
_SUPERSCRIPT = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_FRACTION = re.compile(r"\d[.,](\d+)")  # a number written with decimals: its fraction
_WORD = re.compile(r"[^\W_]+")  # a run of letters or digits
_PATTERN = re.compile(r"[\\^$|()\[\]{}*+?]")  # a regular expression's text, not a word
# a line break to str.splitlines() and not to split('\n') or a written set of breaks
LINE_SEPARATOR = "\u2028"
OTHER_BLANKS = ("\x0c", "\xa0")  # white space to str.isspace() and split(), not to ' \t\n\r'
# A `name=value` pair written in a text (an attribute, a query or option setting), with the
# white space before it: taken out, the text says one thing less (an element whose only
# attributes are namespace declarations).
_PAIR = re.compile(r"""\s*(?<![\w.:-])[\w.:-]+\s*=\s*("[^"]*"|'[^']*'|[^\s"'&;,<>]+)""")
_PAIRS = 6
# What float() and Decimal() read as a number that is none: a number written out is tried
# as these too (a parser that handles digits alone meets them from any caller).
SPECIAL_NUMBERS = ("NaN", "inf", "-Infinity")


def utf8(v):
    """A text as its UTF-8 bytes: what a text-or-bytes API takes either way (uritemplate's
    `isinstance(value, (str, bytes))` narrowed to str landed: no caller's bytes were
    tried, and the bytes branch beside it was never reached)."""
    try:
        return [v.encode("utf-8")]
    except UnicodeEncodeError:  # a lone surrogate
        return []


def punctuated(v, marks):
    """`v` with one of the code's punctuation marks written for another it holds (a decimal
    comma for a point, ')' for '('), then with each one it lacks appended."""
    held = [m for m in marks if m in v][:4]
    swapped = [v.replace(m, other, 1) for m in held for other in marks if other != m]
    return swapped + [v + m for m in marks if m not in v]


def doubled(v, marks):
    """`v` with each of the code's first two marks written twice before it, then after it:
    where stripping every one (`lstrip('_')`) and removing one (`removeprefix('_')`) part
    ways (camel-converter's `to_snake` landed so, wave 14: its tests' names start with a
    letter)."""
    return [m * 2 + v for m in marks[:2]] + [v + m * 2 for m in marks[:2]]


def fractions(v):
    """A text of several numbers with every one of them given the same fraction: .9999
    (the fractions then add up past a whole where each alone does not: truncating each
    part and truncating the sum part ways, as pytimeparse's '0.0111h0.011m' showed) and .1
    (which binary floats hold inexactly: a float sum and an exact one differ in the last
    digit)."""
    found = list(DIGITS.finditer(v))[:8]
    if len(found) < 2:
        return []
    out = []
    for tail in ("9999", "1"):
        text, end = [], 0
        for m in found:
            if v[m.start() - 1:m.start()] in (".", ","):  # a number's own fraction
                text.append(v[end:m.start()] + tail)
            elif v[m.end():m.end() + 1] in (".", ","):
                text.append(v[end:m.end()])  # its fraction follows: that is written then
            else:
                text.append(v[end:m.end()] + "." + tail)
            end = m.end()
        out.append("".join(text) + v[end:])
    return out


def unpaired(v):
    """`v` with one of its first `name=value` pairs taken out, each in turn."""
    return [v[:m.start()] + v[m.end():] for m in pairs_in(v)]


def pairs_in(text):
    """The first `name=value` pairs written in a text (none in anything else)."""
    return list(itertools.islice(_PAIR.finditer(text), _PAIRS)) if isinstance(text, str) \
        else []


def precise(v):
    """Precision edges of the first number written with decimals: a 7 at the 7th decimal
    (past a microsecond) and at the 10th, and nines to the 10th (a rounding carry), where
    rounding and truncating part ways."""
    m = _FRACTION.search(v)
    if m is None:
        return []
    digits = m.group(1)
    return [v[:m.start(1)] + new + v[m.end(1):]
            for new in (digits.ljust(6, "0") + "7", digits.ljust(9, "0") + "7",
                        digits.ljust(10, "9"))]


def line_ends(v):
    """A text's line breaks written each other way (all `\n`, all `\r\n`, all `\r`, all
    the line separator `splitlines()` alone takes): files come from other systems, and
    code that counts `'\n'` where its base split lines reads them otherwise (parso's prefix
    lines, wave 28: `'\r\r'` is two lines; configparser's values split by `splitlines()`
    where their `\r\n`, `\r` and `\n` were replaced, wave 31);
    none for a text without one (its neighbours append a `\n` and a lone `\r`:
    replay_values' _near_str)."""
    if "\n" not in v and "\r" not in v:
        return []
    plain = v.replace("\r\n", "\n").replace("\r", "\n")
    return [e for e in dict.fromkeys((plain, plain.replace("\n", "\r\n"),
                                      plain.replace("\n", "\r"),
                                      plain.replace("\n", LINE_SEPARATOR))) if e != v]


def blanked(v):
    """White space where the code strips or splits: the first space a tab, a line break,
    then a blank `str.isspace()` takes and a written set of blanks (' \t\n\r') does not
    (a form feed, a no-break space: boolean.py's tokenizer widened to isspace, wave 12);
    each of the first two words and the last written as white space that `strip()`
    removes and `strip(' ')` does not (a space, a tab, a line break, a space), then with a
    space either side (a code span's padding), then before it only (padding on one side)."""
    out = [v.replace(" ", b, 1) for b in ("\t", "\n", *OTHER_BLANKS)] if " " in v else []
    found = list(_WORD.finditer(v))
    words = found[:2] + found[2:][-1:]
    return out + [v[:m.start()] + new + v[m.end():] for m in words
                  for new in (" \t\n ", f" {m.group()} ", f" {m.group()}")]


def unlisted(v, blanks):
    """Where the code lists the blanks it takes (`tok in (' ', '\t', '\r', '\n')`), `v`
    with its first listed blank written as each blank it leaves out that `str.isspace()`
    and `split()` take (or with it appended): such a list and `isspace()` part ways only
    there (boolean.py's tokenizer, wave 12). Early among a text's neighbours: a function
    called with many texts reaches its later ones only after the budget."""
    if not blanks:
        return []
    missing = [b for b in OTHER_BLANKS if b not in blanks]
    at = next((b for b in blanks if b in v), None)
    return [v.replace(at, b, 1) if at else v + b for b in missing]


def recased(words):
    """The function's words, in capitals and in title case, those that begin with a letter
    first and a pattern's text (a regular expression's metacharacters) never: a code that
    matches 'javascript:' case-blind (a pattern with re.I, a lower() before the comparison)
    and one that compares as written part ways only on such a word (marko's harmful-link
    check made `startswith`, wave 12)."""
    usable = [w for w in words if len(w) > 1 and any(c.isalpha() for c in w)
              and not _PATTERN.search(w)]
    usable.sort(key=lambda w: not w[0].isalpha())  # stable: the code's order otherwise
    return [x for w in usable for x in (w.upper(), w.title()) if x != w]


def other_digits(v):
    """A number written as text with its first ASCII digit written as the same digit of
    another script (Arabic-Indic, fullwidth) and as a superscript: int() and str.isdigit()
    take the first two, isdigit() the third, and a `[0-9]` pattern none of them. (Only for
    a number: in other text they pushed a date's '1/2/0000' out of a caller's inputs.)"""
    m = _ASCII_DIGIT.search(v)
    if m is None:
        return []
    d = int(m.group())
    return [v[:m.start()] + ch + v[m.end():] for ch in (chr(0x660 + d), chr(0xFF10 + d),
                                                        _SUPERSCRIPT[d])]


def digit_variants(v, ints):
    """`v` with one of its first three numbers or its last two moved: by one, to zero, near
    a constant (a text's end holds a zone's offset, a port, a version's last part: the
    minutes of '...T07:32:00-07:00' are its seventh number). Each number's first move
    before any number's second: a value's neighbours are cut at a count, and the moves
    toward the code's constants (thirty a number) pushed the last numbers past it. The
    number written with a leading zero comes fourth: a parser that reads it back by
    `int()` takes it, one that checks its digits' form does not (multipart's segment
    Content-Length checked by `isdigit()`, '04' let through, landed: wave 13)."""
    found = list(DIGITS.finditer(v))
    moves = []
    for m in found[:3] + found[3:][-2:]:
        n, width = int(m.group()), len(m.group())
        near = [str(new).zfill(width) for new in [n - 1, n + 1, 0] if new >= 0]
        toward = [str(c + d).zfill(width) for c in ints[:10] if 0 <= c < 10 ** 6
                  for d in (-1, 0, 1) if c + d >= 0]
        moves.append([v[:m.start()] + digits + v[m.end():]
                      for digits in [*near, "0" + m.group(), *toward]])
    return [x for row in itertools.zip_longest(*moves) for x in row if x is not None]


def case_aliases(v):
    """`v` with one letter or letter pair written as a character that one case mapping
    takes to it and another does not (the long s 'ſ' for 's': its `upper()` and
    `casefold()` are those of 's', its `lower()` is not; 'ß' for 'ss', the Kelvin sign for
    'k', the dotless 'ı' for 'i', the ligature 'ﬁ' for 'fi'), one variant a letter, at
    most four: where a change swaps one case mapping for another (`lower()` for
    `casefold()`, wave 17's arpeggio), the two part ways only on such characters, and no
    caller's text holds one. Texts whose `lower()` changes their length are left alone:
    their indices would not line up."""
    low = v.lower()
    if len(low) != len(v):
        return []
    out = []
    for key, alias in _case_aliases():
        at = low.find(key)
        if at >= 0:
            out.append(v[:at] + alias + v[at + len(key):])
            if len(out) == 4:
                break
    return out


_ALIASES = []


def _case_aliases():
    """(letters, a character some case mappings take to them and others do not), single
    letters first, computed once from the Basic Multilingual Plane (all such characters lie in it)
    by the running Python's own Unicode tables."""
    if not _ALIASES:
        found = {}
        for cp in range(0x80, 0x10000):
            y = chr(cp)
            for key in {y.casefold(), y.lower(), y.upper().lower()}:
                same = (y.lower() == key.lower(), y.upper() == key.upper(),
                        y.casefold() == key.casefold())
                if key.isascii() and key.isalpha() and any(same) and not all(same):
                    found.setdefault(key, y)
        _ALIASES.extend(sorted(found.items(), key=lambda kv: (len(kv[0]), kv[0])))
    return _ALIASES
