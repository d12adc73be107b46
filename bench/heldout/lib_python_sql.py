"""python-sql 1.8.1 (BSD-3-Clause), held out (wave 30): SQL queries written in Python (sql/:
__init__, Flavor, AliasManager, the queries Select, Insert, Update, Delete, Merge and their
unions, Table, Join, From, Values, the expressions Literal, Column, As, Cast, Collate, Window
and the orders; operators, the SQL operators, Like with its escape; functions, the SQL
functions, Trim among them; aggregate; conditionals). alias(i) writes an integer in base 26
with the letters a to z, as the aliases 'a', 'b', ... 'ba' of a query's tables; Flavor
checks its limit style, its max_limit (None or an integral number) and its parameter style,
and copies its function mapping (dict(function_mapping or {})); a query's limit and offset
are None or integral: the limit style writes LIMIT %s whenever a limit is not None, and
OFFSET %s whenever the offset is truthy, with the same tests for their parameters. Literal
writes a parameter, or under a flavor without booleans (1 = 1) and (1 != 1) for True and
False alone (identity tests), with no parameter then. Table writes its database, schema
and name quoted and joined by dots, the empty ones left out (filter(None, ...)). Join's type
is upper-cased, checked and stored; Trim's position likewise. format2numeric rewrites the
format parameters as :0, :1, ... .

Its suite (sql/tests: 286 tests, 10 subtests, unittest; its whole suite adds the doctests
of sql.alias, sql.format2numeric and README.rst) builds every query, expression, operator,
function and aggregate under each limit style, parameter style and flavor option, and checks
the text and the parameters. A line tracer over it found every line of the package run but
format2numeric's, which its doctest alone runs. Its tests never give a limit of 0, a
max_limit that is not None and is falsy, a schema or database that is an empty string, a
join type in lower case, a function mapping they read again after building a flavor, nor a
literal 1 or 0 under a flavor without booleans."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "python-sql"
INIT = "sql/__init__.py"
FUNCTIONS = "sql/functions.py"

CONTROLS = {
    "boolean_by_isinstance": case(
        INIT, "Literal.params", "identity tests to isinstance",
        "a boolean literal under a flavor without booleans recognised by isinstance(value, "
        "bool) instead of value is True or value is False: bool cannot be subclassed, and "
        "True and False are its only instances",
        ('''            if self._value is True or self._value is False:
''', '''            if isinstance(self._value, bool):
''')),
    "alias_digit_by_divmod": case(
        INIT, "alias", "modulo and floor division to divmod",
        "each letter's index and the rest of the number taken by i, r = divmod(i, length) "
        "instead of r = i % length, then i //= length after the letter is prepended: "
        "divmod answers exactly that pair, and the letter reads r alone",
        ('''        r = i % length
        s = letters[r] + s
        i //= length
''', '''        i, r = divmod(i, length)
        s = letters[r] + s
''')),
    "numeric_marker_by_fstring": case(
        INIT, "format2numeric", "percent format to f-string",
        "each numeric marker written f':{i}' instead of ':%i' % i: i is enumerate's int, "
        "which both write in decimal (a line no test of sql/tests runs: format2numeric's "
        "doctest alone does)",
        ('''    return (query % tuple(':%i' % i for i, _ in enumerate(params)), params)
''', '''    return (query % tuple(f':{i}' for i, _ in enumerate(params)), params)
''')),
    "position_upper_cased_once": case(
        FUNCTIONS, "Trim.__init__", "repeated call hoisted",
        "the position upper-cased once into a local, then checked and stored, instead of "
        "calling position.upper() in the check and again in the assignment: upper() has no "
        "side effect and answers the same both times, and the error still reports the "
        "position as given",
        ('''        if position.upper() not in {'LEADING', 'TRAILING', 'BOTH'}:
            raise ValueError("invalid position: %r" % position)
        self.position = position.upper()
''', '''        upper = position.upper()
        if upper not in {'LEADING', 'TRAILING', 'BOTH'}:
            raise ValueError("invalid position: %r" % position)
        self.position = upper
''')),
}

CARELESS = {
    "limit_zero_dropped": case(
        INIT, "SelectQuery._limit_offset_str", "is not None to truthiness",
        "the LIMIT clause of the limit style written when the limit is truthy, as the "
        "OFFSET clause beside it is, instead of when it is not None: the same for every "
        "positive limit, but a limit of 0, which asked for no rows, now writes no LIMIT "
        "(and its parameter, which _limit_offset_params still passes, has no marker)",
        ('''            limit = ''
            if self.limit is not None:
                limit = ' LIMIT %s' % param
''', '''            limit = ''
            if self.limit:
                limit = ' LIMIT %s' % param
'''),
        probe=Probe("from sql import Table", "str(Table('t').select(limit=0))",
                    "'SELECT * FROM \"t\" AS \"a\" LIMIT %s'", "'SELECT * FROM \"t\" AS \"a\"'")),
    "empty_schema_kept": case(
        INIT, "Table.__str__", "filter(None) to is not None",
        "the parts of a table's name kept by a comprehension testing part is not None "
        "instead of filter(None, ...), the parts being None when not given: the same for "
        "every name given, but filter(None) also dropped an empty schema or database, which "
        "is now written as an empty quoted name before a dot",
        ('''        return '.'.join(map(_escape_identifier, filter(None,
                    (self._database, self._schema, self._name))))
''', '''        return '.'.join(
            _escape_identifier(part)
            for part in (self._database, self._schema, self._name)
            if part is not None)
'''),
        probe=Probe("from sql import Table", "str(Table('t', schema=''))", "'\"t\"'",
                    "'\"\".\"t\"'")),
    "join_type_stored_as_given": case(
        INIT, "Join.type_", "normalised value no longer stored",
        "the join type upper-cased in the membership test alone, value.upper() not in "
        "{...}, instead of upper-casing value first and testing it: the same check, but the "
        "type is now stored as given, so a type written in lower case is written so in the "
        "SQL",
        ('''        value = value.upper()
        if value not in {
''', '''        if value.upper() not in {
'''),
        probe=Probe("from sql import Join, Table",
                    "Join(Table('a'), Table('b'), type_='left').type_", "'LEFT'", "'left'")),
    "function_mapping_shared": case(
        INIT, "Flavor.__init__", "copy dropped",
        "the function mapping stored as function_mapping or {} instead of dict(...) of it, "
        "the copy taken for redundant: the same mapping, but the flavor now holds the "
        "caller's dict itself, so a change the caller makes to it afterwards changes the "
        "flavor's functions, and one made through the flavor the caller's dict",
        ('''        self.function_mapping = dict(function_mapping or {})
''', '''        self.function_mapping = function_mapping or {}
'''),
        probe=Probe("from sql import Flavor",
                    "(lambda m: (Flavor(function_mapping=m).function_mapping.update(a=1), m)"
                    "[1])({'b': 2})", "{'b': 2}", "{'b': 2, 'a': 1}")),
    "true_by_equality": case(
        INIT, "Literal.__str__", "identity to equality",
        "the boolean literals of a flavor without booleans recognised by value == True and "
        "value == False instead of value is True and value is False: the same for True and "
        "False, but 1 and 0 (and 1.0, 0.0) equal them, and are now written (1 = 1) and "
        "(1 != 1) while params, which still tests identity, passes them as parameters",
        ('''            if self._value is True:
                return '(1 = 1)'
            elif self._value is False:
                return '(1 != 1)'
''', '''            if self._value == True:
                return '(1 = 1)'
            elif self._value == False:
                return '(1 != 1)'
'''),
        probe=Probe("from sql import Flavor, Literal",
                    "(Flavor.set(Flavor(no_boolean=True)), str(Literal(1)))[1]", "'%s'",
                    "'(1 = 1)'")),
}
