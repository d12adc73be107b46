"""The convergence bench's task set: seeded-bug tasks on small real repositories.

A task is an op on one module of a family repository (bench.seeded_repos): a goal asking
for a new function, and the first draft a weak model writes for it, which implements the
goal but breaks k existing behaviours (each caught by an existing test). Every break is a
Fault: the texts the module holds at each step of the fixer's repair, starting from the
draft's broken text. A plain bug takes one step to its correct text; the hard cases are:

- syntax: the first fix introduces a SyntaxError, repaired on the next turn;
- oscillating: the fixer flips between two wrong fixes and never reaches the right one;
- environment: the draft imports a third-party module that is not installed;
- slow: one function reaches its correct text in many small steps, each still failing
  the same test (the failing set never shrinks while the fixer is making progress).

A task's repository is real: its files written in a directory, committed with git, its
tests passing at base.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.seeded_repos import BUGS, FAMILIES

SYNTAX = "SyntaxError"  # a trigger: the feedback names a syntax error, not a test


@dataclass(frozen=True)
class Fault:
    """One broken behaviour of a draft, caught by `test`.

    `states[i]` is the module's text at step i in place of `original` (states[0] is the
    draft's). One step is taken per turn whose feedback names `triggers[i]` ('' means the
    test's node id). A fault is fixed once it reaches `original`; a looping fault goes from
    its last state back to states[1] and is never fixed."""

    test: str
    original: str
    states: tuple[str, ...]
    triggers: tuple[str, ...] = ()
    loop: bool = False

    def trigger(self, step: int) -> str:
        return self.triggers[step] if step < len(self.triggers) else ""

    def done(self, step: int) -> bool:
        return not self.loop and self.states[step] == self.original

    @property
    def catches(self) -> int:
        """How many existing tests this fault breaks at one step or another."""
        return len({self.test, *self.triggers} - {"", SYNTAX})

    def next_step(self, step: int) -> int:
        if self.loop and step == len(self.states) - 1:
            return 1
        return min(step + 1, len(self.states) - 1)


@dataclass(frozen=True)
class Task:
    id: str
    family: str
    goal: str
    addition: str  # the code the goal asks for, appended to the module by every draft
    faults: tuple[Fault, ...]
    kind: str = "plain"  # plain | syntax | oscillating | environment | slow
    uses: str = ""  # environment: an import line the draft adds (a dependency not installed)

    @property
    def target(self) -> str:
        return FAMILIES[self.family].target

    @property
    def bugs(self) -> int:
        return sum(f.catches for f in self.faults) + (1 if self.uses else 0)

    def base(self) -> str:
        return FAMILIES[self.family].files[self.target]

    def render(self, steps: tuple[int, ...] | list[int]) -> str:
        """The module as the fixer writes it with each fault at its step."""
        text = self.base()
        spots = sorted(((text.index(f.original), f, f.states[s])
                        for f, s in zip(self.faults, steps, strict=True)),
                       key=lambda spot: spot[0], reverse=True)
        for at, fault, now in spots:  # from the end, so earlier offsets stay valid
            text = text[:at] + now + text[at + len(fault.original):]
        if self.uses:
            head, sep, rest = text.partition('"""\n\n')  # after the module docstring
            text = f"{head}{sep}{self.uses}\n\n{rest}"
        return text.rstrip("\n") + "\n\n\n" + self.addition.strip("\n") + "\n"

    def draft(self) -> str:
        return self.render([0] * len(self.faults))

    def materialize(self, repo: Path) -> Path:
        """The task's repository at `repo`: its family's files, committed with git."""
        for rel, text in FAMILIES[self.family].files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
        for args in (["init", "-q", "-b", "main"], ["config", "user.name", "Human"],
                     ["config", "user.email", "human@example.com"], ["add", "-A"],
                     ["commit", "-q", "-m", "initial"]):
            subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
        return repo


def bug(family: str, test: str) -> Fault:
    """A plain bug from the family's catalogue: one fix restores it."""
    right, wrong = BUGS[family][test]
    return Fault(test, right, (wrong, right))


def syntax_detour(family: str, test: str, detour: str) -> Fault:
    """A bug whose first fix is `detour`, which does not parse; the next turn repairs it."""
    right, wrong = BUGS[family][test]
    return Fault(test, right, (wrong, detour, right), ("", SYNTAX))


def oscillating(family: str, one: str, other: str) -> Fault:
    """Two adjacent bugs (tests `one` and `other`) the fixer can never hold fixed together:
    fixing `other` breaks `one` again and the other way round (A -> B -> A)."""
    (r1, w1), (r2, w2) = BUGS[family][one], BUGS[family][other]
    base = FAMILIES[family].files[FAMILIES[family].target]
    start, end = base.index(r1), base.index(r2) + len(r2)
    if start >= end:
        raise ValueError(f"{one} must come before {other} in {family}")
    span = base[start:end]
    middle = span[len(r1):len(span) - len(r2)]
    return Fault(one, span, (w1 + middle + w2, r1 + middle + w2, w1 + middle + r2),
                 (one, other, one), loop=True)


NEW_CODE = {
    "median": '''def median(xs):
    ordered = sorted(xs)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2''',
    "variance": '''def variance(xs):
    m = mean(xs)
    return sum((x - m) ** 2 for x in xs) / len(xs)''',
    "moving_average": '''def moving_average(xs, n):
    return [sum(xs[i : i + n]) / n for i in range(len(xs) - n + 1)]''',
    "histogram": '''def histogram(xs):
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    return sorted(counts.items())''',
    "snake_case": '''def snake_case(text):
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))''',
    "count_vowels": '''def count_vowels(text):
    return sum(1 for c in text.lower() if c in "aeiou")''',
    "acronym": '''def acronym(text):
    return "".join(w[0].upper() for w in re.findall(r"[A-Za-z]+", text))''',
    "camel_case": '''def camel_case(text):
    words = re.findall(r"[a-z0-9]+", text.lower())
    return words[0] + "".join(w.capitalize() for w in words[1:]) if words else ""''',
    "split_bill": '''def split_bill(amount, people):
    share, extra = divmod(amount, people)
    return [share + 1 if i < extra else share for i in range(people)]''',
    "most_expensive": '''def most_expensive(lines):
    return max(lines, key=lambda line: line_total(*line))''',
    "average_price": '''def average_price(lines):
    return subtotal(lines) // max(1, item_count(lines))''',
    "gaps": '''def gaps(ivs):
    merged = merge(ivs)
    return [(a[1], b[0]) for a, b in zip(merged, merged[1:])]''',
    "clip": '''def clip(iv, bounds):
    return intersect(iv, bounds)''',
    "split_at": '''def split_at(iv, x):
    if not contains(iv, x) or x == iv[0]:
        return [iv]
    return [(iv[0], x), (x, iv[1])]''',
    "minutes_until": '''def minutes_until(now, then):
    return (then - now) % 1440''',
    "duration_words": '''def duration_words(seconds):
    h, rest = divmod(seconds, 3600)
    m = rest // 60
    return f"{h} h {m} min" if h else f"{m} min"''',
    "week_number": '''def week_number(day):
    return day // 7 + 1''',
    "parse_12h": '''def parse_12h(text):
    clock, suffix = text[:-2], text[-2:]
    h, m = (int(p) for p in clock.split(":"))
    return (h % 12 + (12 if suffix == "pm" else 0)) * 60 + m''',
}

GOALS = {
    "median": "Add median(xs) to statkit/stats.py: the middle value, or the mean of the two "
              "middle values for an even count.",
    "variance": "Add variance(xs) to statkit/stats.py: the population variance.",
    "moving_average": "Add moving_average(xs, n) to statkit/stats.py: the mean of each window "
                      "of n consecutive values.",
    "histogram": "Add histogram(xs) to statkit/stats.py: (value, count) pairs sorted by value.",
    "snake_case": "Add snake_case(text) to textkit/strings.py: lower-case words joined by "
                  "underscores.",
    "count_vowels": "Add count_vowels(text) to textkit/strings.py.",
    "acronym": "Add acronym(text) to textkit/strings.py: the upper-cased first letter of each "
               "word.",
    "camel_case": "Add camel_case(text) to textkit/strings.py: lower camelCase of the words.",
    "split_bill": "Add split_bill(amount, people) to shop/cart.py: cents split as evenly as "
                  "possible, the first shares taking the remainder.",
    "most_expensive": "Add most_expensive(lines) to shop/cart.py: the line with the largest "
                      "line total.",
    "average_price": "Add average_price(lines) to shop/cart.py: subtotal per item, in whole "
                     "cents.",
    "gaps": "Add gaps(ivs) to spans/intervals.py: the uncovered intervals between the merged "
            "intervals.",
    "clip": "Add clip(iv, bounds) to spans/intervals.py: the part of iv inside bounds, or None.",
    "split_at": "Add split_at(iv, x) to spans/intervals.py: two intervals split at x when x "
                "is strictly inside.",
    "minutes_until": "Add minutes_until(now, then) to timekit/clock.py: minutes from now until "
                     "then, across midnight.",
    "duration_words": "Add duration_words(seconds) to timekit/clock.py: like '2 h 5 min'.",
    "week_number": "Add week_number(day) to timekit/clock.py: weeks counted from 1.",
    "parse_12h": "Add parse_12h(text) to timekit/clock.py: '9:05am' to minutes of the day.",
}


def _task(n: int, family: str, new: str, *faults: Fault | str, **extra: str) -> Task:
    made = tuple(f if isinstance(f, Fault) else bug(family, f) for f in faults)
    tag = f"{GOALS[new]} (task {n:02d})"  # unique, so the fixer can tell tasks apart
    return Task(f"t{n:02d}", family, tag, NEW_CODE[new], made, **extra)


SLUG = 'words = re.findall(r"[a-z0-9]+", text.lower())\n    return "-".join(words)'
SLUG_STEPS = (  # each closer to the right slug, each still failing test_slugify
    "return text", "return text.lower()", 'return "-".join(text.lower().split())',
    'return "_".join(w.strip(",") for w in text.lower().split(" "))',
    'words = text.lower().replace(",", "").split()\n    return "_".join(words)',
    'words = re.findall(r"[a-z]+", text.lower())\n    return "-".join(words)', SLUG)

TASKS: tuple[Task, ...] = (
    _task(1, "stats", "median", "test_cumulative"),
    _task(2, "text", "snake_case", "test_pad_left"),
    _task(3, "cart", "split_bill", "test_tax"),
    _task(4, "intervals", "gaps", "test_merge_nested", "test_shift"),
    _task(5, "clock", "minutes_until", "test_format_hms", "test_round_quarter"),
    _task(6, "stats", "variance", "test_mean", "test_mode"),
    _task(7, "text", "count_vowels", "test_slugify", "test_truncate", "test_initials"),
    _task(8, "cart", "most_expensive", "test_discount", "test_format_cents", "test_item_count"),
    _task(9, "intervals", "clip", "test_length_empty", "test_contains_end", "test_span"),
    _task(10, "clock", "duration_words", "test_parse_hms_short", "test_add_minutes_wrap",
          "test_to_12h_noon", "test_overlap_minutes"),
    _task(11, "stats", "moving_average", "test_clamp", "test_normalize", "test_percentile",
          "test_spread"),
    _task(12, "text", "acronym", "test_title_case", "test_truncate_short", "test_count_words",
          "test_reverse_words"),
    _task(13, "cart", "average_price", "test_line_total_negative", "test_discount_full",
          "test_tax", "test_format_negative", "test_free_shipping"),
    _task(14, "intervals", "split_at", "test_overlaps_touching", "test_intersect_touching",
          "test_merge_adjacent", "test_span", "test_shift"),
    _task(15, "clock", "week_number", "test_format_hms", "test_to_12h_morning",
          "test_is_weekend", "test_round_quarter", "test_overlap_minutes"),
    _task(16, "stats", "histogram", "test_mean", "test_mean_empty", "test_normalize_flat",
          "test_cumulative", "test_mode", "test_spread"),
    _task(17, "text", "camel_case", "test_slugify", "test_title_case", "test_truncate",
          "test_is_palindrome", "test_initials", "test_pad_left"),
    _task(18, "clock", "parse_12h", "test_parse_hms_short", "test_format_hms",
          "test_add_minutes_wrap", "test_to_12h_noon", "test_is_weekend", "test_round_quarter"),
    # The hard cases.
    _task(19, "cart", "split_bill", syntax_detour(
        "cart", "test_tax", "(amount * rate_bp + 5000) // 10000)"), "test_item_count",
        kind="syntax"),
    _task(20, "cart", "most_expensive", "test_item_count",
          oscillating("cart", "test_discount", "test_tax"), kind="oscillating"),
    _task(21, "intervals", "gaps", "test_length_empty", kind="environment",
          uses="from spans.accel import tree_of  # noqa: F401"),
    _task(22, "text", "snake_case", Fault("test_slugify", SLUG, SLUG_STEPS), kind="slow"),
)
