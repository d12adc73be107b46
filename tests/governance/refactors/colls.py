"""The collections module of the refactor corpus: chunks, order-keeping dedupe, grouping,
deep merge, ranking, flattening and windows."""

from tests.governance.refactors.corpus import Module, edits

SOURCE = '''"""Collection helpers."""


def chunks(items, size):
    """Consecutive lists of `size` items; the last one may be shorter."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def dedupe(items, key=None):
    """The items in first-seen order without repeats (judged by `key`, when given)."""
    seen, out = set(), []
    for item in items:
        marker = item if key is None else key(item)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out


def group_by(items, key):
    """{key(item): [items]}, keys in first-seen order."""
    groups = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def deep_merge(base, override):
    """A new dict: `override` on top of `base`, nested dicts merged; neither argument
    changes."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def top_n(scores, n=3):
    """The n best (name, score) pairs, highest score first, ties by name."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]


def flatten(nested, depth=1):
    """Lists inside the list opened `depth` levels deep (tuples and strings stay whole)."""
    out = []
    for item in nested:
        if isinstance(item, list) and depth > 0:
            out.extend(flatten(item, depth - 1))
        else:
            out.append(item)
    return out


def window_sums(values, width):
    """The sum of each run of `width` consecutive values."""
    return [sum(values[i:i + width]) for i in range(len(values) - width + 1)]


def mean(values):
    """The arithmetic mean."""
    return sum(values) / len(values)
'''

TESTS = '''import pytest

from colls.utils import chunks, dedupe, deep_merge, flatten, group_by, mean, top_n, window_sums


def test_chunks():
    assert len(chunks(list(range(6)), 3)) == 2
    with pytest.raises(Exception):
        chunks([1], 0)


def test_dedupe():
    assert len(dedupe([3, 1, 3, 2, 1])) == 3
    assert dedupe(["a", "A", "b"], key=str.lower)


def test_group_by():
    groups = group_by(["apple", "avocado", "fig", "banana"], key=len)
    assert sum(len(v) for v in groups.values()) == 4


def test_deep_merge():
    merged = deep_merge({"a": {"x": 1}, "b": 2}, {"a": {"y": 2}, "c": 3})
    assert set(merged) == {"a", "b", "c"}


def test_top_n():
    assert top_n({"ann": 3, "bob": 5, "cy": 1, "dee": 5})[0][1] == 5
    assert top_n({"ann": 3}, n=1)


def test_flatten():
    assert 4 in flatten([1, [2, [3, [4]]]], depth=5)
    assert len(flatten([1, (2, 3), [4]])) >= 3


def test_window_sums_and_mean():
    assert window_sums([1, 2, 3, 4], 2)
    assert mean([1, 2, 3]) == 2
'''

CARELESS = {
    "chunks_drop_short": ("chunks", "off-by-one slice", edits(
        ("for i in range(0, len(items), size)]",
         "for i in range(0, len(items) - size + 1, size)]"))),
    "dedupe_set": ("dedupe", "order dependence", edits(
        ('''    seen, out = set(), []
''', '''    if key is None:
        return list(set(items))
    seen, out = set(), []
'''))),
    "dedupe_marks_item": ("dedupe", "swapped arguments", edits(
        ("            seen.add(marker)\n", "            seen.add(item)\n"))),
    "merge_mutates_base": ("deep_merge", "mutates an argument", edits(
        ("    out = dict(base)\n", "    out = base\n"))),
    "merge_shallow_update": ("deep_merge", "mutates an argument", edits(
        ("            out[key] = deep_merge(out[key], value)",
         "            out[key].update(value)"))),
    "top_n_ties_reversed": ("top_n", "order dependence", edits(
        ("ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))",
         "ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)"))),
    "top_n_default_five": ("top_n", "default changed", edits(
        ("def top_n(scores, n=3):", "def top_n(scores, n=5):"))),
    "top_n_heapq_negative": ("top_n", "stdlib call", edits(
        ('"""Collection helpers."""\n', '"""Collection helpers."""\nimport heapq\n'),
        ('''    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]
''', '''    return heapq.nsmallest(n, scores.items(), key=lambda kv: (-kv[1], kv[0]))
'''))),
    "flatten_depth_boundary": ("flatten", "boundary", edits(
        ("if isinstance(item, list) and depth > 0:", "if isinstance(item, list) and depth >= 0:"))),
    "flatten_tuples": ("flatten", "type check widened", edits(
        ("if isinstance(item, list) and depth > 0:",
         "if isinstance(item, (list, tuple)) and depth > 0:"))),
    "windows_one_short": ("window_sums", "off-by-one slice", edits(
        ("for i in range(len(values) - width + 1)]", "for i in range(len(values) - width)]"))),
    "mean_floor": ("mean", "integer division", edits(
        ("return sum(values) / len(values)", "return sum(values) // len(values)"))),
    "chunks_keep_type": ("chunks", "type kept", edits(
        ("return [list(items[i:i + size]) for i in range(0, len(items), size)]",
         "return [items[i:i + size] for i in range(0, len(items), size)]"))),
    "merge_without_base_check": ("deep_merge", "type check narrowed", edits(
        ("if isinstance(value, dict) and isinstance(out.get(key), dict):",
         "if isinstance(value, dict):"))),
}

CONTROLS = {
    "chunks_loop": ("chunks", "loop/comprehension", edits(
        ("    return [list(items[i:i + size]) for i in range(0, len(items), size)]\n",
         '''    out = []
    start = 0
    while start < len(items):
        out.append(list(items[start:start + size]))
        start += size
    return out
'''))),
    "dedupe_fromkeys": ("dedupe", "stdlib call", edits(
        ('''    seen, out = set(), []
    for item in items:
''', '''    if key is None:
        return list(dict.fromkeys(items))
    seen, out = set(), []
    for item in items:
'''))),
    "group_by_defaultdict": ("group_by", "stdlib call", edits(
        ('"""Collection helpers."""\n',
         '"""Collection helpers."""\nfrom collections import defaultdict\n'),
        ('''    groups = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups
''', '''    groups = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return dict(groups)
'''))),
    "merge_unpacked": ("deep_merge", "renamed locals", edits(
        ('''    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
''', '''    merged = dict(base)
    for name, new in override.items():
        old = merged.get(name)
        merged[name] = deep_merge(old, new) if isinstance(new, dict) and isinstance(
            old, dict) else new
    return merged
'''))),
    "flatten_guard": ("flatten", "guard clauses", edits(
        ('''    for item in nested:
        if isinstance(item, list) and depth > 0:
            out.extend(flatten(item, depth - 1))
        else:
            out.append(item)
''', '''    for item in nested:
        if not isinstance(item, list) or depth <= 0:
            out.append(item)
            continue
        out.extend(flatten(item, depth - 1))
'''))),

}

MODULE = Module("colls", "colls/utils.py", SOURCE, TESTS, CARELESS, CONTROLS)
