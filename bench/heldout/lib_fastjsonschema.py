"""fastjsonschema 2.22.3 (BSD-3-Clause), held out (wave 8): JSON Schema compiled to Python
source. The generator class is chosen by substrings of '$schema' ('draft-04', 'draft-06',
'draft-07', 'draft/2019' or 'draft-2019', else 2019-09); a resolver walks the schema (refusing
one nested 500 levels deep or more), rewrites each '$ref' against its scope, and resolves a
fragment as a JSON pointer ('~1' unescaped to '/' before '~0' to '~'); each keyword writes
lines of code (an enum or const value matched by kind: a number never by a bool, a bool
only by a bool; from draft 06 a float with no fractional part is an integer, tested with
is_integer()); defaults are written with repr_default (non-finite floats as float(...)),
validation functions are named from their scope, and a JsonSchemaValueException's path is
its name split at dots and brackets. Its suite (tests/; the tree leaves out the benchmarks
and the 26-second FHIR example, the whole suite runs them) never matches an enum value that
is an object nor writes a tuple default: one control rewrites each. Every careless refactor
changes lines the suite runs, the tree's suite included."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "fastjsonschema"
INIT = "fastjsonschema/__init__.py"
DRAFT04 = "fastjsonschema/draft04.py"
DRAFT06 = "fastjsonschema/draft06.py"
GENERATOR = "fastjsonschema/generator.py"
RESOLVER = "fastjsonschema/ref_resolver.py"
EXCEPTIONS = "fastjsonschema/exceptions.py"
SETUP = "import fastjsonschema"

_DICT_CHECKS = '''            key_checks = ' and '.join(
                '{key!r} in {var} and {match}'.format(
                    key=key,
                    var=var,
                    match=self._enum_value_matches('{var}[{key!r}]'.format(var=var, key=key), item),
                )
                for key, item in value.items()
            )
'''

_SCOPE_NAME = ("        name = 'validate_' + unquote(self.resolution_scope).replace('~1', '_')"
               ".replace('~0', '_').replace('\"', '')\n")

_DRAFTS = '''        if 'draft-04' in schema_version:
            return CodeGeneratorDraft04
        if 'draft-06' in schema_version:
            return CodeGeneratorDraft06
        if 'draft-07' in schema_version:
            return CodeGeneratorDraft07
        if 'draft/2019' in schema_version or 'draft-2019' in schema_version:
            return CodeGeneratorDraft2019
'''

CONTROLS = {
    "repr_default_tuple_loop": case(
        GENERATOR, "repr_default", "generator expression written as a loop (lines no test "
        "runs)",
        "a tuple's items rendered by a loop appending each item's text and ', ' to a list "
        "joined once, instead of a generator expression joined: the same text, '(1, 2, )' "
        "and '()'; JSON schemas hold lists, and no test writes a tuple default",
        ("        return '(' + ''.join(repr_default(item) + ', ' for item in value) + ')'\n",
         '''        parts = []
        for item in value:
            parts.append(repr_default(item) + ', ')
        return '(' + ''.join(parts) + ')'
''')),
    "enum_object_checks_loop": case(
        DRAFT04, "CodeGeneratorDraft04._enum_value_matches", "generator expression written "
        "as a loop (lines no test runs)",
        "an object enum value's key checks built by a loop appending each key's check to a "
        "list, the nested match computed first, instead of a generator expression joined "
        "with ' and ': the same checks in the same key order; no test's enum or const holds "
        "a non-empty object",
        (_DICT_CHECKS, '''            checks = []
            for key, item in value.items():
                match = self._enum_value_matches('{var}[{key!r}]'.format(var=var, key=key), item)
                checks.append('{key!r} in {var} and {match}'.format(key=key, var=var, match=match))
            key_checks = ' and '.join(checks)
''')),
    "scope_name_replacements_loop": case(
        RESOLVER, "RefResolver.get_scope_name", "chained calls written as a loop over a "
        "table",
        "the scope's '~1', '~0' and '\"' replaced by a loop over a table of (old, new) pairs, "
        "in the same order, before 'validate_' is put in front instead of after: the prefix "
        "holds none of the three, so the name is the same",
        (_SCOPE_NAME, '''        name = unquote(self.resolution_scope)
        for old, new in (('~1', '_'), ('~0', '_'), ('"', '')):
            name = name.replace(old, new)
        name = 'validate_' + name
''')),
    "path_filter_none": case(
        EXCEPTIONS, "JsonSchemaValueException.path", "comprehension written as filter()",
        "the name's parts kept by filter(None, ...) instead of a comprehension dropping the "
        "ones equal to '': re.split returns only strings, and the empty string is the only "
        "false one",
        ("        return [item for item in SPLIT_RE.split(self.name or '') if item != '']\n",
         "        return list(filter(None, SPLIT_RE.split(self.name or '')))\n")),
}

CARELESS = {
    "enum_number_matches_bool": case(
        DRAFT04, "CodeGeneratorDraft04._enum_value_matches", "type exclusion dropped",
        "a number's match written without 'not isinstance(var, bool)', as if the bool branch "
        "above covered booleans: it covers a bool in the enum, not in the data, so an enum "
        "or const of 1 now accepts True (and 0 False)",
        ("                'isinstance({var}, (int, float)) and not isinstance({var}, bool) and "
         "{var} == {val}'\n",
         "                'isinstance({var}, (int, float)) and {var} == {val}'\n"),
        probe=Probe(SETUP, "fastjsonschema.validate({'enum': [1]}, True)",
                    "raises JsonSchemaValueException", "True")),
    "pointer_unescape_order_swapped": case(
        RESOLVER, "resolve_path", "order of replacements swapped",
        "a pointer part unescaped '~0' first and '~1' second instead of the order RFC 6901 "
        "sets: the same for parts with one kind of escape (every ref the suite has), but "
        "'~01' (a literal '~1') now becomes '/' and the ref is unresolvable",
        ("        part = part.replace('~1', '/').replace('~0', '~')\n",
         "        part = part.replace('~0', '~').replace('~1', '/')\n"),
        probe=Probe(SETUP, "fastjsonschema.validate({'definitions': {'a~1b': {'type': "
                    "'integer'}}, '$ref': '#/definitions/a~01b'}, 5)",
                    "5", "raises JsonSchemaDefinitionException")),
    "walk_depth_limit_off_by_one": case(
        RESOLVER, "RefResolver.walk", "boundary moved",
        "the nesting limit tested with '>' instead of '>=': a schema whose deepest object is "
        "exactly MAX_SCHEMA_WALK_DEPTH (500) levels down is now walked instead of refused "
        "(the suite's deep schema is 1,200 levels)",
        ("        if depth >= MAX_SCHEMA_WALK_DEPTH:\n",
         "        if depth > MAX_SCHEMA_WALK_DEPTH:\n"),
        probe=Probe(SETUP + "\nschema = {'type': 'string'}\nfor _ in range(250):\n"
                    "    schema = {'properties': {'a': schema}}",
                    "fastjsonschema.RefResolver.from_schema(schema).base_uri",
                    "raises JsonSchemaDefinitionException", "''")),
    "integral_float_by_int_conversion": case(
        DRAFT06, "CodeGeneratorDraft06.generate_type", "method replaced by a conversion",
        "a float's being integral tested as var == int(var) in the generated code instead of "
        "var.is_integer(): the same for finite floats, but int() of an infinity raises "
        "OverflowError (and of NaN ValueError), so validating inf against 'integer' now "
        "raises that instead of the library's JsonSchemaValueException",
        ("            extra += ' and not (isinstance({variable}, float) and "
         "{variable}.is_integer())'.format(\n",
         "            extra += ' and not (isinstance({variable}, float) and "
         "{variable} == int({variable}))'.format(\n"),
        probe=Probe(SETUP, "fastjsonschema.validate({'type': 'integer'}, float('inf'))",
                    "raises JsonSchemaValueException", "raises OverflowError")),
    "draft_by_exact_uri": case(
        INIT, "_get_code_generator_class", "substring tests written as an exact lookup",
        "the draft looked up by the '$schema' URI itself (its '#' stripped) in a table of "
        "the three canonical http URIs instead of by substrings: the same for the URIs the "
        "suite writes, but an https one (or any other spelling) now falls to draft 2019-09, "
        "where 1.0 is an integer",
        (_DRAFTS, '''        return {
            'http://json-schema.org/draft-04/schema': CodeGeneratorDraft04,
            'http://json-schema.org/draft-06/schema': CodeGeneratorDraft06,
            'http://json-schema.org/draft-07/schema': CodeGeneratorDraft07,
        }.get(schema_version.rstrip('#'), CodeGeneratorDraft2019)
'''),
        probe=Probe(SETUP, "fastjsonschema.validate({'$schema': "
                    "'https://json-schema.org/draft-04/schema#', 'type': 'integer'}, 1.0)",
                    "raises JsonSchemaValueException", "1.0")),
}
