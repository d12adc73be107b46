"""The small real repositories the convergence bench seeds its bugs into.

Each family is one Python package with one module and one test module, every behaviour
the bugs break covered by its own existing test. `BUGS` lists, per family, the bugs a
careless draft can introduce: (the test that catches it, the correct text as it appears
in the module exactly once, the broken text that replaces it). The test modules' texts live
in bench.seeded_repo_tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.seeded_repo_tests import TEST_CART, TEST_CLOCK, TEST_INTERVALS, TEST_STATS, TEST_TEXT


@dataclass(frozen=True)
class Family:
    """One repository: its files, and the module a task's op targets."""

    name: str
    target: str
    files: dict[str, str]


STATS = '''"""Small statistics helpers."""


def mean(xs):
    if not xs:
        raise ValueError("mean of an empty sequence")
    return sum(xs) / len(xs)


def clamp(x, lo, hi):
    return max(lo, min(x, hi))


def minmax(xs):
    return min(xs), max(xs)


def normalize(xs):
    lo, hi = minmax(xs)
    if hi == lo:
        return [0.0 for _ in xs]
    return [(x - lo) / (hi - lo) for x in xs]


def cumulative(xs):
    out, total = [], 0
    for x in xs:
        total += x
        out.append(total)
    return out


def percentile(xs, p):
    ordered = sorted(xs)
    k = round(p / 100 * (len(ordered) - 1))
    return ordered[k]


def mode(xs):
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    return max(counts, key=lambda v: (counts[v], -v))


def spread(xs):
    lo, hi = minmax(xs)
    return hi - lo
'''

TEXT = '''"""Text helpers."""

import re


def slugify(text):
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)


def title_case(text):
    small = {"a", "an", "of", "the", "and"}
    words = text.split()
    out = [w.capitalize() if i == 0 or w not in small else w for i, w in enumerate(words)]
    return " ".join(out)


def truncate(text, width):
    if len(text) <= width:
        return text
    return text[: width - 3] + "..."


def count_words(text):
    return len(text.split())


def is_palindrome(text):
    letters = [c for c in text.lower() if c.isalnum()]
    return letters == letters[::-1]


def reverse_words(text):
    return " ".join(reversed(text.split()))


def initials(name):
    return "".join(part[0].upper() for part in name.split() if part)


def pad_left(text, width, fill=" "):
    return fill * max(0, width - len(text)) + text
'''

CART = '''"""A shopping cart priced in integer cents."""


def line_total(price, qty):
    if qty < 0:
        raise ValueError("negative quantity")
    return price * qty


def subtotal(lines):
    return sum(line_total(p, q) for p, q in lines)


def discount(amount, percent):
    if not 0 <= percent <= 100:
        raise ValueError("percent out of range")
    return amount - amount * percent // 100


def tax(amount, rate_bp):
    return (amount * rate_bp + 5000) // 10000


def format_cents(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}${cents // 100}.{cents % 100:02d}"


def item_count(lines):
    return sum(q for _, q in lines)


def free_shipping(amount, threshold=5000):
    return amount >= threshold
'''

INTERVALS = '''"""Half-open integer intervals as (start, end) tuples."""


def length(iv):
    start, end = iv
    return max(0, end - start)


def contains(iv, x):
    start, end = iv
    return start <= x < end


def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def intersect(a, b):
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None


def merge(ivs):
    out = []
    for start, end in sorted(ivs):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def span(ivs):
    return (min(s for s, _ in ivs), max(e for _, e in ivs))


def shift(iv, by):
    return (iv[0] + by, iv[1] + by)
'''

CLOCK = '''"""Clock-time helpers: durations in seconds, times of day in minutes."""


def parse_hms(text):
    parts = [int(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, s = parts
    return h * 3600 + m * 60 + s


def format_hms(seconds):
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def add_minutes(minute_of_day, delta):
    return (minute_of_day + delta) % 1440


def to_12h(minute_of_day):
    h, m = divmod(minute_of_day, 60)
    suffix = "am" if h < 12 else "pm"
    return f"{(h - 1) % 12 + 1}:{m:02d}{suffix}"


def is_weekend(day):
    return day % 7 in (5, 6)


def round_quarter(minute_of_day):
    return (minute_of_day + 7) // 15 * 15


def overlap_minutes(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))
'''


# An optional fast path whose dependency is not installed where the bench runs: nothing
# imports it at base; a draft that does meets an environment failure, not a code bug.
ACCEL = '''"""Optional fast paths backed by the intervaltree package (pip install intervaltree)."""

from intervaltree import IntervalTree


def tree_of(ivs):
    return IntervalTree.from_tuples(ivs)
'''


def _family(name: str, package: str, module: str, source: str, tests: str,
            **extra: str) -> Family:
    target = f"{package}/{module}.py"
    files = {f"{package}/__init__.py": "", target: source, f"tests/test_{module}.py": tests,
             "tests/__init__.py": "", "README.md": f"# {package}\n"}
    return Family(name, target, {**files, **{f"{package}/{k}.py": v for k, v in extra.items()}})


FAMILIES: dict[str, Family] = {f.name: f for f in (
    _family("stats", "statkit", "stats", STATS, TEST_STATS),
    _family("text", "textkit", "strings", TEXT, TEST_TEXT),
    _family("cart", "shop", "cart", CART, TEST_CART),
    _family("intervals", "spans", "intervals", INTERVALS, TEST_INTERVALS, accel=ACCEL),
    _family("clock", "timekit", "clock", CLOCK, TEST_CLOCK),
)}

# family -> test name -> (correct text, broken text)
BUGS: dict[str, dict[str, tuple[str, str]]] = {
    "stats": {
        "test_mean": ("return sum(xs) / len(xs)", "return sum(xs) // len(xs)"),
        "test_mean_empty": ('    if not xs:\n        raise ValueError("mean of an empty '
                            'sequence")\n', ""),
        "test_clamp": ("return max(lo, min(x, hi))", "return min(lo, max(x, hi))"),
        "test_normalize": ("return [(x - lo) / (hi - lo) for x in xs]",
                           "return [(x - lo) / hi for x in xs]"),
        "test_normalize_flat": ("return [0.0 for _ in xs]", "return [1.0 for _ in xs]"),
        "test_cumulative": ("out.append(total)", "out.append(x)"),
        "test_percentile": ("k = round(p / 100 * (len(ordered) - 1))",
                            "k = round(p / 100 * len(ordered)) - 1"),
        "test_mode": ("key=lambda v: (counts[v], -v)", "key=lambda v: (counts[v], v)"),
        "test_spread": ("return hi - lo\n", "return hi - lo + 1\n"),
    },
    "text": {
        "test_slugify": ('return "-".join(words)', 'return "_".join(words)'),
        "test_title_case": ("if i == 0 or w not in small", "if w not in small"),
        "test_truncate": ('text[: width - 3] + "..."', 'text[:width] + "..."'),
        "test_truncate_short": ("if len(text) <= width:", "if len(text) < width:"),
        "test_count_words": ("len(text.split())", 'len(text.split(" "))'),
        "test_is_palindrome": ("for c in text.lower() if", "for c in text if"),
        "test_reverse_words": ('" ".join(reversed(text.split()))',
                               '" ".join(sorted(text.split(), reverse=True))'),
        "test_initials": ("part[0].upper() for", "part[0] for"),
        "test_pad_left": ("fill * max(0, width - len(text)) + text",
                          "text + fill * max(0, width - len(text))"),
    },
    "cart": {
        "test_line_total_negative": ('    if qty < 0:\n        raise ValueError("negative '
                                     'quantity")\n', ""),
        "test_discount": ("return amount - amount * percent // 100",
                          "return amount - percent"),
        "test_discount_full": ("if not 0 <= percent <= 100:", "if not 0 <= percent < 100:"),
        "test_tax": ("(amount * rate_bp + 5000) // 10000", "amount * rate_bp // 10000"),
        "test_format_cents": ("{cents % 100:02d}", "{cents % 100}"),
        "test_format_negative": ('sign = "-" if cents < 0 else ""', 'sign = ""'),
        "test_item_count": ("sum(q for _, q in lines)", "len(lines)"),
        "test_free_shipping": ("amount >= threshold", "amount > threshold"),
    },
    "intervals": {
        "test_length_empty": ("return max(0, end - start)", "return end - start"),
        "test_contains_end": ("return start <= x < end", "return start <= x <= end"),
        "test_overlaps_touching": ("a[0] < b[1] and b[0] < a[1]",
                                   "a[0] <= b[1] and b[0] <= a[1]"),
        "test_intersect_touching": ("if start < end else None", "if start <= end else None"),
        "test_merge_nested": ("max(out[-1][1], end)", "end"),
        "test_merge_adjacent": ("if out and start <= out[-1][1]:",
                                "if out and start < out[-1][1]:"),
        "test_span": ("(min(s for s, _ in ivs), max(e for _, e in ivs))",
                      "(ivs[0][0], ivs[-1][1])"),
        "test_shift": ("iv[1] + by)", "iv[1])"),
    },
    "clock": {
        "test_parse_hms_short": ("parts.insert(0, 0)", "parts.append(0)"),
        "test_format_hms": ("{s:02d}", "{s}"),
        "test_add_minutes_wrap": ("% 1440", "% 1439"),
        "test_to_12h_noon": ('"am" if h < 12 else "pm"', '"am" if h <= 12 else "pm"'),
        "test_to_12h_morning": ("{m:02d}{suffix}", "{m}{suffix}"),
        "test_is_weekend": ("day % 7 in (5, 6)", "day % 7 in (6, 0)"),
        "test_round_quarter": ("(minute_of_day + 7) // 15 * 15", "minute_of_day // 15 * 15"),
        "test_overlap_minutes": ("return max(0, min(a[1], b[1]) - max(a[0], b[0]))",
                                 "return min(a[1], b[1]) - max(a[0], b[0])"),
    },
}
