"""The text module of the refactor corpus: whitespace, slugs, titles, truncation and search
keys, with Unicode normalisation."""

from tests.governance.refactors.corpus import Module, edits

SOURCE = '''"""Text normalisation for titles, slugs and search keys."""
import re
import unicodedata

_SMALL = {"a", "an", "and", "the", "of", "in", "on", "to"}


def squash(text):
    """Runs of whitespace to one space, the ends trimmed."""
    return " ".join(text.split())


def slugify(text, sep="-", max_len=40):
    """Lower-case ASCII words joined by `sep`, cut at a word boundary to `max_len`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for word in words:
        candidate = f"{out}{sep}{word}" if out else word
        if len(candidate) > max_len:
            break
        out = candidate
    return out


def title_case(text):
    """Each word capitalised, except small words that are neither first nor last."""
    words = squash(text).split(" ")
    out = []
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in _SMALL:
            out.append(word.lower())
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def truncate(text, width, ellipsis="..."):
    """`text` cut to at most `width` characters, ending in `ellipsis` when cut."""
    if width < len(ellipsis):
        raise ValueError("width shorter than the ellipsis")
    if len(text) <= width:
        return text
    return text[: width - len(ellipsis)].rstrip() + ellipsis


def search_key(text, stopwords=None):
    """Words to match on: case-folded, accents dropped, stopwords left out, first-seen
    order, no repeats."""
    stop = set(stopwords or ())
    seen = []
    for word in re.findall(r"\\w+", unicodedata.normalize("NFKD", text)):
        word = "".join(c for c in word if not unicodedata.combining(c)).casefold()
        if word not in stop and word not in seen:
            seen.append(word)
    return seen
'''

TESTS = '''from textkit.normalise import search_key, slugify, squash, title_case, truncate


def test_squash():
    assert squash("  a  b ") == "a b"


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"
    assert len(slugify("a long title " * 10)) < 100
    assert slugify("Caf\\u00e9 au lait", sep="_")


def test_title_case():
    assert title_case("the lord of the rings").startswith("The")


def test_truncate():
    assert truncate("short", 10) == "short"
    assert len(truncate("a sentence that goes on and on", 12)) <= 12
    for width in range(5):  # the tiny widths do not crash the caller
        try:
            truncate("hello", width)
        except ValueError:
            pass


def test_search_key():
    assert "cafe" in search_key("Caf\\u00e9, CAFE and tea", stopwords=["and"])
    assert search_key("") == []
'''

CARELESS = {
    "slug_default_longer": ("slugify", "default changed", edits(
        ('def slugify(text, sep="-", max_len=40):', 'def slugify(text, sep="-", max_len=60):'))),
    "slug_boundary": ("slugify", "boundary", edits(
        ("if len(candidate) > max_len:", "if len(candidate) >= max_len:"))),
    "slug_nfc": ("slugify", "normalisation", edits(
        ('ascii_text = unicodedata.normalize("NFKD", text)',
         'ascii_text = unicodedata.normalize("NFC", text)'))),
    "title_last_small": ("title_case", "off by one", edits(
        ("if 0 < i < len(words) - 1 and", "if 0 < i and"))),
    "squash_pairs": ("squash", "whitespace", edits(
        ('return " ".join(text.split())', 'return text.replace("  ", " ").strip()'))),
    "truncate_no_rstrip": ("truncate", "case/strip", edits(
        ("return text[: width - len(ellipsis)].rstrip() + ellipsis",
         "return text[: width - len(ellipsis)] + ellipsis"))),
    "truncate_clamps_width": ("truncate", "clamp instead of raise", edits(
        ('        raise ValueError("width shorter than the ellipsis")',
         "        width = len(ellipsis)"))),
    "truncate_guards_swapped": ("truncate", "evaluation order", edits(
        ('''    if width < len(ellipsis):
        raise ValueError("width shorter than the ellipsis")
    if len(text) <= width:
        return text
''', '''    if len(text) <= width:
        return text
    if width < len(ellipsis):
        raise ValueError("width shorter than the ellipsis")
'''))),
    "truncate_unicode_ellipsis": ("truncate", "default changed", edits(
        ('def truncate(text, width, ellipsis="..."):',
         'def truncate(text, width, ellipsis="\\u2026"):'))),
    "search_key_set": ("search_key", "order dependence", edits(
        ('''    seen = []
    for word in re.findall(r"\\w+", unicodedata.normalize("NFKD", text)):
        word = "".join(c for c in word if not unicodedata.combining(c)).casefold()
        if word not in stop and word not in seen:
            seen.append(word)
    return seen
''', '''    words = set()
    for word in re.findall(r"\\w+", unicodedata.normalize("NFKD", text)):
        words.add("".join(c for c in word if not unicodedata.combining(c)).casefold())
    return list(words - stop)
'''))),
    "slug_concatenated": ("slugify", "string formatting", edits(
        ('candidate = f"{out}{sep}{word}" if out else word',
         "candidate = out + sep + word if out else word"))),
    "search_key_lower": ("search_key", "case/strip", edits(
        ("if not unicodedata.combining(c)).casefold()",
         "if not unicodedata.combining(c)).lower()"))),
    "title_capitalize": ("title_case", "case/strip", edits(
        ("out.append(word[:1].upper() + word[1:])", "out.append(word.capitalize())"))),
    "slug_letters_only": ("slugify", "pattern narrowed", edits(
        ('words = re.findall(r"[a-z0-9]+", ascii_text.lower())',
         'words = re.findall(r"[a-z]+", ascii_text.lower())'))),
    "squash_regex": ("squash", "exception type", edits(
        ('return " ".join(text.split())', 'return re.sub(r"\\s+", " ", text).strip()'))),
}

CONTROLS = {
    "title_loop_helper": ("title_case", "extract helper", edits(
        ('''    words = squash(text).split(" ")
    out = []
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in _SMALL:
            out.append(word.lower())
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)
''', '''    words = squash(text).split(" ")
    last = len(words) - 1
    return " ".join(_titled(word, 0 < i < last) for i, word in enumerate(words))


def _titled(word, inside):
    if inside and word.lower() in _SMALL:
        return word.lower()
    return word[:1].upper() + word[1:]
'''))),
    "slug_renamed": ("slugify", "renamed locals", edits(
        ('''    out = ""
    for word in words:
        candidate = f"{out}{sep}{word}" if out else word
        if len(candidate) > max_len:
            break
        out = candidate
    return out
''', '''    slug = ""
    for word in words:
        longer = f"{slug}{sep}{word}" if slug else word
        if len(longer) > max_len:
            return slug
        slug = longer
    return slug
'''))),
    "search_key_fromkeys": ("search_key", "loop/comprehension", edits(
        ('''    seen = []
    for word in re.findall(r"\\w+", unicodedata.normalize("NFKD", text)):
        word = "".join(c for c in word if not unicodedata.combining(c)).casefold()
        if word not in stop and word not in seen:
            seen.append(word)
    return seen
''', '''    words = ("".join(c for c in word if not unicodedata.combining(c)).casefold()
             for word in re.findall(r"\\w+", unicodedata.normalize("NFKD", text)))
    return list(dict.fromkeys(w for w in words if w not in stop))
'''))),
    "truncate_merged": ("truncate", "merged conditions", edits(
        ('''    if len(text) <= width:
        return text
    return text[: width - len(ellipsis)].rstrip() + ellipsis
''', '''    cut = len(text) > width
    return text[: width - len(ellipsis)].rstrip() + ellipsis if cut else text
'''))),
}

MODULE = Module("text", "textkit/normalise.py", SOURCE, TESTS, CARELESS, CONTROLS)
