"""json5 0.17.3 (Apache-2.0), held out (wave 2): JSON5 text to Python values and back:
numbers in decimal, hex and exponent form, Infinity and NaN, parse hooks, string quoting
and escapes, indentation. Its suite runs nearly every statement of json5/lib.py, so every
refactor below changes lines the suite runs; the command-line tests stay out of the tree
(layouts.LEFT_OUT) and run in the whole suite (--suite)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "json5"
LIB = "json5/lib.py"
SETUP = "import json5"

_SPACERS = '''        if self.indent is not None:
            end_str = ''
            if self.trailing_commas:
                end_str = ','
            if isinstance(self.indent, int):
                if self.indent > 0:
                    indent_str = '\\n' + ' ' * self.indent * level
                    end_str += '\\n' + ' ' * self.indent * (level - 1)
                else:
                    indent_str = '\\n'
                    end_str += '\\n'
            else:
                indent_str = '\\n' + self.indent * level
                end_str += '\\n' + self.indent * (level - 1)
        else:
            indent_str = ''
            end_str = ''
        return indent_str, end_str
'''

_SPACERS_GUARD = '''        if self.indent is None:
            return '', ''
        end_str = ''
        if self.trailing_commas:
            end_str = ','
        if isinstance(self.indent, int):
            if self.indent > 0:
                indent_str = '\\n' + ' ' * self.indent * level
                end_str += '\\n' + ' ' * self.indent * (level - 1)
            else:
                indent_str = '\\n'
                end_str += '\\n'
        else:
            indent_str = '\\n' + self.indent * level
            end_str += '\\n' + self.indent * (level - 1)
        return indent_str, end_str
'''

_PAIRS = '''        pairs = []
        for key, val_expr in v:
            val = _walk_ast(
                val_expr, dictify, parse_float, parse_int, parse_constant
            )
            pairs.append((key, val))
'''

_PAIRS_COMPREHENSION = '''        pairs = [
            (key, _walk_ast(val_expr, dictify, parse_float, parse_int, parse_constant))
            for key, val_expr in v
        ]
'''

CONTROLS = {
    "constant_parser_plain_float": case(
        LIB, "_convert", "redundant call removed",
        "the Infinity and NaN spellings handed to float() as they are: float() reads "
        "them itself, signed or not",
        ("return float(s.replace('Infinity', 'inf').replace('NaN', 'nan'))",
         "return float(s)")),
    "parse_decode_inlined": case(
        LIB, "parse", "variable inlined",
        "the default encoding written into the decode call",
        ("        encoding = encoding or 'utf-8'\n        s = s.decode(encoding)",
         "        s = s.decode(encoding or 'utf-8')")),
    "spacers_guard": case(
        LIB, "JSON5Encoder._spacers", "guard clause",
        "the no-indent case returns first and the rest loses a level",
        (_SPACERS, _SPACERS_GUARD)),
    "object_pairs_comprehension": case(
        LIB, "_walk_ast", "comprehension",
        "an object's pairs built by a list comprehension instead of append in a loop",
        (_PAIRS, _PAIRS_COMPREHENSION)),
}

CARELESS = {
    "ascii_bound_inclusive": case(
        LIB, "JSON5Encoder._encode_quoted_str", "boundary moved",
        "o < 128 written o <= 128: U+0080 is written raw although ensure_ascii holds",
        ("                elif o < 128 or (", "                elif o <= 128 or ("),
        probe=Probe(SETUP, "json5.dumps('\\x80')", "'\"\\\\u0080\"'", "'\"\\x80\"'")),
    "separators_unescaped": case(
        LIB, "JSON5Encoder._encode_quoted_str", "normalisation changed",
        "the condition shortened to o < 128 or not self.ensure_ascii: with ensure_ascii "
        "off, U+2028 and U+2029 (line and paragraph separators) are written raw",
        ("""                elif o < 128 or (
                    not self.ensure_ascii and ch not in ('\\u2028', '\\u2029')
                ):""", "                elif o < 128 or not self.ensure_ascii:"),
        probe=Probe(SETUP, "json5.dumps('\\u2028', ensure_ascii=False)",
                    "'\"\\\\u2028\"'", "'\"\\u2028\"'")),
    "hex_bypasses_parse_int": case(
        LIB, "_walk_ast", "changed default",
        "a hex literal converted with int(v, 16) directly: the caller's parse_int hook "
        "is not asked",
        ("            return parse_int(v, base=16)", "            return int(v, 16)"),
        probe=Probe(SETUP, "json5.loads('0x10', parse_int=lambda s, base=10: (s, base))",
                    "('0x10', 16)", "16")),
    "pairs_hook_skips_duplicates": case(
        LIB, "_convert", "documented exception swallowed",
        "object_pairs_hook asked first, before the duplicate-key check: with both, "
        "duplicates pass instead of raising the ValueError loads() documents",
        ("""    def _dictify(pairs):
        if not allow_duplicate_keys:""", """    def _dictify(pairs):
        if object_pairs_hook:
            return object_pairs_hook(pairs)
        if not allow_duplicate_keys:"""),
        ("""                keys.add(key)

        if object_pairs_hook:
            return object_pairs_hook(pairs)
        if object_hook:""", """                keys.add(key)

        if object_hook:"""),
        probe=Probe(SETUP, "json5.loads('{a: 1, a: 2}', allow_duplicate_keys=False, "
                           "object_pairs_hook=list)",
                    "raises ValueError", "[('a', 1), ('a', 2)]")),
    "float_repr_rounded": case(
        LIB, "JSON5Encoder._encode_float", "float rounding",
        "float.__repr__(obj) written repr(round(obj, 17)), taking 17 decimal places for "
        "the 17 significant digits a double holds: tiny values become 0.0",
        ("            s = float.__repr__(obj)", "            s = repr(round(obj, 17))"),
        probe=Probe(SETUP, "json5.dumps(1e-20)", "'1e-20'", "'0.0'")),
}
