"""pure-eval 0.2.4 (MIT), held out (wave 31): AST nodes evaluated without side effects
(pure_eval/: core, Evaluator, is_expression_interesting and group_expressions; utils, is_any,
of_type, of_standard_types, is_standard_types, safe_name, copy_ast_without_context and
ensure_dict; my_getattr_static, getattr_static). Evaluator[node] caches and answers
Evaluator._handle: a literal, a name from its mapping, a static attribute, a subscript of
standard types (slices built from their lower, upper and step, each None or evaluated), a
container, a unary, binary or boolean operation or a comparison on standard types, or a call
of a few builtins with standard-typed arguments (int, round, len, chr and the like with any
number; set, dict, str and others with none; str, divmod, bytes, bytearray and pow with two
or more; id, type, all, any, sum, sorted, min, max and others with one), raising CannotEval
for the rest. is_any(x, *args) tests identity; of_type(x, *types) keeps x when its exact type
is one of them; is_standard_types walks containers, deep when asked, adding up their lengths
and refusing once more than 100000 have been counted before the next item.
is_expression_interesting is False for literals, for a node named as the value is, and for a
builtin under its own name (getattr(builtins, name, object()) is value). group_expressions
groups nodes equal but for their context, with the first node's value.

Its suite (tests/: 47 tests, pytest) evaluates names, literals, attributes (properties
refused), dicts with bad hashes, sets, subscripts and slices, unary, binary and boolean
operations and comparisons of every operator on ints, lists and sets (1/0 among the operands),
the allowed calls (two-argument str, bytes, divmod and pow) and refused ones, checks
is_expression_interesting, group_expressions on x[0] + x[x[0]], is_standard_types on nested
containers, a recursive list and lists of a million items, safe_name and ensure_dict, and
copies the ASTs of three loaded modules. A line tracer over it found unrun only
_handle_call's errors from calls that raise, the Index and ExtSlice branches of old Pythons
and copy_ast_without_context's deletion of ctx (Python 3.13's); is_standard_types'
RecursionError answer and its length limit run in the test that walks the recursive list,
whose RecursionError stops a tracer for the rest of that test. Its tests never call pow or
str with three arguments, walk containers
whose lengths add up past the limit only after their last item, name a variable whose value
is None, group equal nodes with different values, nor give of_type a subclass of the types."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pure-eval"
CORE = "pure_eval/core.py"
UTILS = "pure_eval/utils.py"

CONTROLS = {
    "slice_part_by_and": case(
        CORE, "Evaluator._handle_subscript", "conditional expression to and",
        "each part of a slice evaluated as p and self[p] instead of None if p is None else "
        "self[p]: p is an AST node or None, and an AST node, which defines neither __bool__ "
        "nor __len__, is always true, so and answers None for None and self[p] otherwise",
        ('''                    None if p is None else self[p]
''', '''                    p and self[p]
''')),
    "formatting_by_isinstance": case(
        CORE, "Evaluator._handle_binop", "exact type test to isinstance",
        "the %-formatting case recognised by isinstance(left, (str, bytes)) instead of "
        "type(left) in (str, bytes): left has just passed of_standard_types, whose types are "
        "exact (no subclass of str or bytes gets through), so the two tests agree",
        ('''        formatting = type(left) in (str, bytes) and op_type == ast.Mod
''', '''        formatting = isinstance(left, (str, bytes)) and op_type == ast.Mod
''')),
    "unpacking_found_by_identity": case(
        CORE, "Evaluator._handle_container", "membership to any()",
        "a ** unpacking in a dict display found by any(key is None for key in elts) instead "
        "of None in elts: the keys are AST nodes or None, and AST nodes compare by identity "
        "(no __eq__), so membership and the identity test find the same None",
        ('''            if None in elts:  # ** unpacking inside {}, not yet supported
''', '''            if any(key is None for key in elts):  # ** unpacking, not yet supported
''')),
    "identity_by_loop": case(
        UTILS, "is_any", "generator to loop",
        "the identity test written as a loop returning True at the first argument that x is, "
        "and False after the last, instead of any() over a generator: any() stops at the first "
        "true item too, and answers False for no arguments",
        ('''    return any(
        x is arg
        for arg in args
    )
''', '''    for arg in args:
        if x is arg:
            return True
    return False
''')),
}

CARELESS = {
    "length_limit_checked_after_item": case(
        UTILS, "_is_standard_types_deep", "check moved after the update",
        "the limit of 100000 checked at the end of each turn of the loop, once the item's "
        "length has been added, instead of at its start: the same wherever the count passes "
        "the limit before a further item, but a container whose count passes it only with its "
        "last item, which was accepted (the loop ended before the next check), is now refused",
        ('''        for item in items:
            if length > 100000:
                return False, length
            is_standard, item_length = _is_standard_types_deep(
                item, check_dict_values, deep
            )
            if not is_standard:
                return False, length
            length += item_length
''', '''        for item in items:
            is_standard, item_length = _is_standard_types_deep(
                item, check_dict_values, deep
            )
            if not is_standard:
                return False, length
            length += item_length
            if length > 100000:
                return False, length
'''),
        probe=Probe("from pure_eval.utils import is_standard_types",
                    "is_standard_types([[0] * 60000] * 2, check_dict_values=True, deep=True)",
                    "True", "False")),
    "two_argument_calls_exactly_two": case(
        CORE, "Evaluator._handle_call", "boundary narrowed",
        "the builtins called with several arguments (str, divmod, bytes, bytearray, pow) "
        "allowed when len(args) == 2 instead of >= 2, as divmod's two operands: the same for "
        "two arguments, but pow(base, exp, mod) and str(b, encoding, errors), which were "
        "evaluated, now raise CannotEval",
        ('''            or len(args) >= 2
            and is_any(func, str, divmod, bytes, bytearray, pow)
''', '''            or len(args) == 2
            and is_any(func, str, divmod, bytes, bytearray, pow)
'''),
        probe=Probe("import ast\nfrom pure_eval import Evaluator",
                    "Evaluator({'pow': pow})[ast.parse('pow(2, 3, 5)', mode='eval').body]",
                    "3", "raises CannotEval")),
    "builtin_sentinel_none": case(
        CORE, "is_expression_interesting", "sentinel default to None",
        "the builtin looked up by getattr(builtins, node.id, None) instead of a fresh object() "
        "as the default: the same for every builtin and every value but None, but a name that "
        "is no builtin whose value is None, which was interesting, now matches the default "
        "and is not",
        ('''            and getattr(builtins, node.id, object()) is value
''', '''            and getattr(builtins, node.id, None) is value
'''),
        probe=Probe("import ast\nfrom pure_eval.core import is_expression_interesting",
                    "is_expression_interesting(ast.Name(id='x'), None)", "True", "False")),
    "group_value_of_last_node": case(
        CORE, "group_expressions", "setdefault to get and assignment",
        "each group kept as result[dump] = (nodes + [node], value), its nodes read with "
        "result.get(dump, ([], value)), instead of appending to the pair setdefault made: the "
        "same nodes in the same order, and the same value while equal nodes have equal values "
        "(as they should, the docstring says, unless threads are involved), but the group now "
        "carries the last node's value instead of the first's",
        ('''        result.setdefault(dump, ([], value))[0].append(node)
''', '''        nodes, _ = result.get(dump, ([], value))
        result[dump] = (nodes + [node], value)
'''),
        probe=Probe("import ast\nfrom pure_eval.core import group_expressions",
                    "[v for _, v in group_expressions([(ast.Name(id='x'), 1), "
                    "(ast.Name(id='x'), 2)])]", "[1]", "[2]")),
    "type_checked_by_isinstance": case(
        UTILS, "of_type", "exact type test to isinstance",
        "the value kept when isinstance(x, types) instead of when its exact type is one of "
        "them (is_any(type(x), *types)): the same for instances of those types themselves, "
        "but an instance of a subclass (True for int, a list subclass for list, whose "
        "iteration may run code), which was refused with CannotEval, now gets through",
        ('''    if is_any(type(x), *types):
''', '''    if isinstance(x, types):
'''),
        probe=Probe("from pure_eval.utils import of_type", "of_type(True, int)",
                    "raises CannotEval", "True")),
}
