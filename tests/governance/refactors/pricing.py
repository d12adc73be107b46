"""The pricing module of the refactor corpus: Decimal quotes with tiers, a bulk break, coupons
and tax, and instalments. Its tests run every branch and check little."""

from tests.governance.refactors.corpus import Module, edits

SOURCE = '''"""Quotes: unit prices by customer tier, a bulk break, coupons and tax, in Decimal."""
from decimal import ROUND_HALF_UP, Decimal

TIERS = ("retail", "trade", "partner")


def unit_price(base, tier="retail"):
    """The unit price for a tier: trade pays 10% less, partner 15% less."""
    if tier not in TIERS:
        raise KeyError(tier)
    price = Decimal(str(base))
    if tier == "trade":
        price = price * Decimal("0.90")
    elif tier == "partner":
        price = price * Decimal("0.85")
    return price


def quote(base, qty, tier="retail", coupon=None, tax_rate="0.20"):
    """qty units rounded to cents: 5% off retail orders of 50 units or more, then the
    coupon, then tax."""
    if qty <= 0:
        raise ValueError("quantity must be positive")
    if base < 0:
        raise ValueError("negative price")
    subtotal = unit_price(base, tier) * qty
    if qty >= 50 and tier == "retail":
        subtotal = subtotal * Decimal("0.95")
    if coupon is not None:
        code = coupon.strip().upper()
        if code == "TENOFF":
            subtotal = max(subtotal - Decimal("10"), Decimal("0"))
        elif code == "HALF":
            subtotal = subtotal / 2
        else:
            raise ValueError(f"unknown coupon {coupon!r}")
    total = subtotal * (1 + Decimal(tax_rate))
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def split_payment(total, parts):
    """`total` in `parts` instalments that add up to it; the first ones carry the odd cents."""
    if parts < 1:
        raise ValueError("at least one part")
    cents = int(total * 100)
    share, extra = divmod(cents, parts)
    return [Decimal(share + (1 if i < extra else 0)) / 100 for i in range(parts)]
'''

TESTS = '''import pytest

from shop.pricing import quote, split_payment, unit_price


def test_quotes():
    assert quote(10, 2) > 0
    assert quote(19.99, 60) > 0
    assert quote(19.99, 60, tier="trade") > 0
    assert quote(3.5, 5, tier="partner", coupon="tenoff") >= 0
    assert quote(40, 1, coupon="half") > 0


def test_quote_never_negative():
    for args in [(-1, 1), (1, 0)]:
        try:
            assert quote(*args) >= 0
        except ValueError:
            pass
    with pytest.raises(Exception):
        quote(1, 1, coupon="BOGUS")


def test_unit_price():
    assert unit_price(10, "trade") < unit_price(10)
    with pytest.raises(Exception):
        unit_price(1, "gold")


def test_split_payment():
    assert len(split_payment(quote(10, 1), 3)) == 3
    with pytest.raises(Exception):
        split_payment(1, 0)
'''

CARELESS = {
    "bulk_boundary": ("quote", "boundary", edits(
        ("if qty >= 50 and", "if qty > 50 and"))),
    "bulk_for_every_tier": ("quote", "branch for every case", edits(
        ("if qty >= 50 and tier == \"retail\":", "if qty >= 50:"))),
    "rounding_half_even": ("quote", "rounding", edits(
        ("from decimal import ROUND_HALF_UP, Decimal",
         "from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal"),
        ("rounding=ROUND_HALF_UP)", "rounding=ROUND_HALF_EVEN)"))),
    "tier_discount_twice": ("quote", "applied twice", edits(
        ("subtotal = unit_price(base, tier) * qty",
         "subtotal = unit_price(unit_price(base, tier), tier) * qty"))),
    "negative_clamped": ("quote", "clamp instead of raise", edits(
        ('        raise ValueError("negative price")', "        base = 0"))),
    "int_total": ("quote", "int for Decimal", edits(
        ('return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)',
         "return int(total)"))),
    "coupon_not_stripped": ("quote", "case/strip", edits(
        ("code = coupon.strip().upper()", "code = coupon.upper()"))),
    "empty_coupon_ignored": ("quote", "None handling", edits(
        ("if coupon is not None:", "if coupon:"))),
    "half_floor_divided": ("quote", "integer division", edits(
        ("subtotal = subtotal / 2", "subtotal = subtotal // 2"))),
    "unknown_tier_value_error": ("unit_price", "exception type", edits(
        ("raise KeyError(tier)", 'raise ValueError(f"unknown tier {tier}")'))),
    "divmod_swapped": ("split_payment", "swapped arguments", edits(
        ("share, extra = divmod(cents, parts)", "share, extra = divmod(parts, cents)"))),
    "cents_floor_divided": ("split_payment", "integer division", edits(
        ("return [Decimal(share + (1 if i < extra else 0)) / 100 for i in range(parts)]",
         "return [Decimal((share + (1 if i < extra else 0)) // 100) for i in range(parts)]"))),
    "tenoff_below_zero": ("quote", "guard dropped", edits(
        ('subtotal = max(subtotal - Decimal("10"), Decimal("0"))',
         'subtotal = subtotal - Decimal("10")'))),
    "odd_cent_off_by_one": ("split_payment", "boundary", edits(
        ("Decimal(share + (1 if i < extra else 0))", "Decimal(share + (1 if i <= extra else 0))"))),
    "float_decimal": ("unit_price", "int for Decimal", edits(
        ("price = Decimal(str(base))", "price = Decimal(base)"))),
}

CONTROLS = {
    "discount_table": ("unit_price", "lookup table", edits(
        ('TIERS = ("retail", "trade", "partner")\n',
         'TIERS = ("retail", "trade", "partner")\n'
         '_DISCOUNTS = {"trade": Decimal("0.90"), "partner": Decimal("0.85")}\n'),
        ('''    if tier == "trade":
        price = price * Decimal("0.90")
    elif tier == "partner":
        price = price * Decimal("0.85")
''', '''    if tier in _DISCOUNTS:
        price = price * _DISCOUNTS[tier]
'''))),
    "coupon_helper": ("quote", "extract helper", edits(
        ('''    if coupon is not None:
        code = coupon.strip().upper()
        if code == "TENOFF":
            subtotal = max(subtotal - Decimal("10"), Decimal("0"))
        elif code == "HALF":
            subtotal = subtotal / 2
        else:
            raise ValueError(f"unknown coupon {coupon!r}")
''', '''    if coupon is not None:
        subtotal = _with_coupon(subtotal, coupon)
'''),
        ('''

def split_payment(''', '''

def _with_coupon(subtotal, coupon):
    code = coupon.strip().upper()
    if code == "TENOFF":
        return max(subtotal - Decimal("10"), Decimal("0"))
    if code == "HALF":
        return subtotal / 2
    raise ValueError(f"unknown coupon {coupon!r}")


def split_payment('''))),
    "guards_merged": ("quote", "merged conditions", edits(
        ('''    if qty <= 0:
        raise ValueError("quantity must be positive")
    if base < 0:
        raise ValueError("negative price")
''', '''    if qty <= 0 or base < 0:
        raise ValueError("quantity must be positive and the price not negative")
'''))),
    "instalments_loop": ("split_payment", "loop/comprehension", edits(
        ("    return [Decimal(share + (1 if i < extra else 0)) / 100 for i in range(parts)]\n",
         '''    out = []
    for i in range(parts):
        odd_cent = 1 if i < extra else 0
        out.append(Decimal(share + odd_cent) / 100)
    return out
'''))),

}

MODULE = Module("pricing", "shop/pricing.py", SOURCE, TESTS, CARELESS, CONTROLS)
