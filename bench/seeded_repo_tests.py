"""The existing test module each seeded repository ships (bench.seeded_repos).

Every behaviour a seeded bug breaks has its own test here, named as the bug table
(bench.seeded_repos.BUGS) names it: a broken draft is caught by an existing test, never by
one the bench adds.
"""

TEST_STATS = '''import pytest

from statkit.stats import clamp, cumulative, mean, mode, normalize, percentile, spread


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_mean_empty():
    with pytest.raises(ValueError):
        mean([])


def test_clamp():
    assert clamp(5, 0, 3) == 3
    assert clamp(-1, 0, 3) == 0
    assert clamp(2, 0, 3) == 2


def test_normalize():
    assert normalize([2, 4, 6]) == [0.0, 0.5, 1.0]


def test_normalize_flat():
    assert normalize([3, 3]) == [0.0, 0.0]


def test_cumulative():
    assert cumulative([1, 2, 3]) == [1, 3, 6]


def test_percentile():
    assert percentile([5, 1, 3, 2, 4], 50) == 3


def test_mode():
    assert mode([3, 1, 3, 1, 2]) == 1


def test_spread():
    assert spread([4, 9, 1]) == 8
'''

TEST_TEXT = '''from textkit.strings import (
    count_words,
    initials,
    is_palindrome,
    pad_left,
    reverse_words,
    slugify,
    title_case,
    truncate,
)


def test_slugify():
    assert slugify("Hello, World 2") == "hello-world-2"


def test_title_case():
    assert title_case("the lord of the rings") == "The Lord of the Rings"


def test_truncate():
    assert truncate("abcdefghij", 6) == "abc..."


def test_truncate_short():
    assert truncate("abcde", 5) == "abcde"


def test_count_words():
    assert count_words("  hello   world  ") == 2


def test_is_palindrome():
    assert is_palindrome("Racecar")


def test_reverse_words():
    assert reverse_words("one two three") == "three two one"


def test_initials():
    assert initials("ada lovelace") == "AL"


def test_pad_left():
    assert pad_left("7", 3, "0") == "007"
'''

TEST_CART = '''import pytest

from shop.cart import (
    discount,
    format_cents,
    free_shipping,
    item_count,
    line_total,
    subtotal,
    tax,
)


def test_subtotal():
    assert subtotal([(250, 2), (199, 1)]) == 699


def test_line_total_negative():
    with pytest.raises(ValueError):
        line_total(100, -1)


def test_discount():
    assert discount(1000, 15) == 850


def test_discount_full():
    assert discount(100, 100) == 0


def test_tax():
    assert tax(1999, 825) == 165


def test_format_cents():
    assert format_cents(1205) == "$12.05"


def test_format_negative():
    assert format_cents(-250) == "-$2.50"


def test_item_count():
    assert item_count([(250, 2), (199, 3)]) == 5


def test_free_shipping():
    assert free_shipping(5000)
    assert not free_shipping(4999)
'''

TEST_INTERVALS = '''from spans.intervals import (
    contains,
    intersect,
    length,
    merge,
    overlaps,
    shift,
    span,
)


def test_length_empty():
    assert length((5, 3)) == 0


def test_contains_end():
    assert contains((0, 5), 4)
    assert not contains((0, 5), 5)


def test_overlaps_touching():
    assert overlaps((0, 5), (4, 9))
    assert not overlaps((0, 5), (5, 9))


def test_intersect_touching():
    assert intersect((0, 5), (5, 9)) is None


def test_merge_nested():
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]


def test_merge_adjacent():
    assert merge([(3, 5), (1, 3)]) == [(1, 5)]


def test_span():
    assert span([(5, 8), (1, 3)]) == (1, 8)


def test_shift():
    assert shift((1, 4), 2) == (3, 6)
'''

TEST_CLOCK = '''from timekit.clock import (
    add_minutes,
    format_hms,
    is_weekend,
    overlap_minutes,
    parse_hms,
    round_quarter,
    to_12h,
)


def test_parse_hms_short():
    assert parse_hms("2:30") == 150


def test_format_hms():
    assert format_hms(3725) == "1:02:05"


def test_add_minutes_wrap():
    assert add_minutes(1430, 20) == 10


def test_to_12h_noon():
    assert to_12h(735) == "12:15pm"


def test_to_12h_morning():
    assert to_12h(545) == "9:05am"


def test_is_weekend():
    assert is_weekend(5) and is_weekend(6)
    assert not is_weekend(0)


def test_round_quarter():
    assert round_quarter(68) == 75


def test_overlap_minutes():
    assert overlap_minutes((0, 10), (20, 30)) == 0
'''
