"""voluptuous 0.16.0 (BSD-3-Clause), held out (wave 6): data validation by schema. A schema
(a dict, list, type, value or callable) is compiled into validators; values are checked by
type, coerced (Coerce, Boolean's words for true and false, Number's precision and scale read
from a Decimal) and bounded (Range with inclusive or exclusive ends, Clamp, Length); a
callable's ValueError becomes an Invalid, and errors carry their path. Its suite
(voluptuous/tests: tests.py, renamed test_voluptuous.py in the tree, and the doctests of
tests.md, which the sdist's pytest options collect) never calls Boolean: one control rewrites
its word tests. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "voluptuous"
VALIDATORS = "voluptuous/validators.py"
BUILDER = "voluptuous/schema_builder.py"
SETUP = "from voluptuous import Schema, Range, Clamp, Length, Number"

_BOOLEAN = '''        if v in ('1', 'true', 'yes', 'on', 'enable'):
            return True
        if v in ('0', 'false', 'no', 'off', 'disable'):
            return False
'''

_YIELD = '''        if self.yield_decimal:
            return decimal_num
        else:
            return v
'''

_CLAMP = '''            if self.min is not None and v < self.min:
                v = self.min
            if self.max is not None and v > self.max:
                v = self.max
            return v
'''

_LENGTH = '''            if self.min is not None and len(v) < self.min:
                raise LengthInvalid(
                    self.msg or 'length of value must be at least %s' % self.min
                )
            if self.max is not None and len(v) > self.max:
'''

CONTROLS = {
    "boolean_word_sets": case(
        VALIDATORS, "Boolean", "tuple membership written as a set (lines no test runs)",
        "the words for true and false tested against set literals instead of tuples: the "
        "value is a lowered str there, equal to a word exactly when its hash is; no test "
        "calls Boolean",
        (_BOOLEAN, '''        if v in {'1', 'true', 'yes', 'on', 'enable'}:
            return True
        if v in {'0', 'false', 'no', 'off', 'disable'}:
            return False
''')),
    "coerce_enum_values_join": case(
        VALIDATORS, "Coerce.__call__", "slice of a list's repr written as a join",
        "an Enum's values listed in the message by joining their reprs with ', ' instead "
        "of cutting the brackets off the repr of their list, which is the same text",
        ('                msg += " or one of %s" % str([e.value for e in self.type])[1:-1]\n',
         '                msg += " or one of %s" % ", ".join(repr(e.value) for e in self.type)\n')),
    "number_yield_conditional": case(
        VALIDATORS, "Number.__call__", "conditional expression",
        "the if/else choosing the Decimal or the value as given written as one conditional "
        "expression",
        (_YIELD, "        return decimal_num if self.yield_decimal else v\n")),
    "extend_key_map_comprehension": case(
        BUILDER, "Schema.extend", "dict() over a generator written as a comprehension",
        "the map from each key's literal to the key built with a dict comprehension instead "
        "of dict() over a generator of pairs: the same pairs in the same order, a later "
        "one replacing an earlier one with the same literal",
        ("        result_key_map = dict((key_literal(key), key) for key in result)\n",
         "        result_key_map = {key_literal(key): key for key in result}\n")),
}

CARELESS = {
    "range_min_not_negated": case(
        VALIDATORS, "Range.__call__", "negated comparison simplified",
        "the inclusive minimum's 'not v >= self.min' simplified to 'v < self.min': the two "
        "differ on a value that compares false both ways, so NaN now passes a minimum "
        "(the suite's NaN test also sets a maximum, whose test still refuses it)",
        ("                if self.min is not None and not v >= self.min:\n",
         "                if self.min is not None and v < self.min:\n"),
        probe=Probe(SETUP, "Schema(Range(min=0))(float('nan'))",
                    "raises MultipleInvalid", "nan")),
    "clamp_min_max_builtins": case(
        VALIDATORS, "Clamp.__call__", "comparisons replaced by min()/max()",
        "the bounds applied with max(self.min, v) and min(self.max, v): at a bound, max and "
        "min return their first argument, so a value equal to a bound comes back as the "
        "bound (1.0 clamped to 1 to 10 is the int 1)",
        (_CLAMP, '''            if self.min is not None:
                v = max(self.min, v)
            if self.max is not None:
                v = min(self.max, v)
            return v
'''),
        probe=Probe(SETUP, "Schema(Clamp(min=1, max=10))(1.0)", "1.0", "1")),
    "length_bounds_truthy": case(
        VALIDATORS, "Length.__call__", "None test written as a truth test",
        "'self.min is not None' and 'self.max is not None' written as truth tests: a "
        "minimum of 0 changes nothing, but a maximum of 0 is no longer enforced",
        (_LENGTH, '''            if self.min and len(v) < self.min:
                raise LengthInvalid(
                    self.msg or 'length of value must be at least %s' % self.min
                )
            if self.max and len(v) > self.max:
'''),
        probe=Probe(SETUP, "Schema(Length(max=0))('a')", "raises MultipleInvalid", "'a'")),
    "number_decimal_from_str": case(
        VALIDATORS, "Number._get_precision_scale", "coercion added",
        "the number read as Decimal(str(number)), since numbers are meant to come enclosed "
        "in text: a float's Decimal is no longer its exact binary value but its shortest "
        "repr, so 0.1 has one digit of scale instead of 55",
        ("            decimal_num = Decimal(number)\n",
         "            decimal_num = Decimal(str(number))\n"),
        probe=Probe(SETUP, "Schema(Number(scale=1))(0.1)", "raises MultipleInvalid", "0.1")),
    "callable_traps_type_error": case(
        BUILDER, "_compile_scalar", "exception handler widened",
        "a callable validator's TypeError trapped beside its ValueError as 'not a valid "
        "value': a validator's own TypeError (Number on NaN, which has no precision; a bug "
        "in a caller's function) is now swallowed into an Invalid",
        ("            except ValueError:\n"
         "                raise er.ValueInvalid('not a valid value', path)\n",
         "            except (ValueError, TypeError):\n"
         "                raise er.ValueInvalid('not a valid value', path)\n"),
        probe=Probe(SETUP, "Schema(Number())('NaN')", "raises TypeError",
                    "raises MultipleInvalid")),
}
