"""simpleeval 1.0.8 (MIT), held out: a safe expression evaluator over Python's AST: numeric
limits on powers, shifts and lengths (boundaries), short-circuiting, a random function,
f-strings, and methods that take AST nodes. `SimpleEval._eval_str` serves Python before 3.8
only: no test runs it, and one control changes it."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "simpleeval"
SE = "simpleeval.py"
SETUP = "import random, simpleeval; random.seed(7)"

_CALL_LOOKUP = '''        else:
            try:
                func = self.functions[node.func.id]
            except KeyError:
                raise FunctionNotDefined(node.func.id, self.expr)
            except AttributeError:
                raise FeatureNotAvailable("Lambda Functions not implemented")

            if func in DISALLOW_FUNCTIONS:
                raise FeatureNotAvailable("This function is forbidden")
'''

_CALL_HELPER = '''    def _function_named(self, node):
        """The function a call by name refers to, if it is defined and allowed."""
        try:
            func = self.functions[node.func.id]
        except KeyError:
            raise FunctionNotDefined(node.func.id, self.expr)
        except AttributeError:
            raise FeatureNotAvailable("Lambda Functions not implemented")
        if func in DISALLOW_FUNCTIONS:
            raise FeatureNotAvailable("This function is forbidden")
        return func

    def _eval_call(self, node):'''

_BOOLOP = '''        to_return = False
        if isinstance(node.op, ast.And):
            for value in node.values:
                to_return = self._eval(value)
                if not to_return:
                    break
        elif isinstance(node.op, ast.Or):
            for value in node.values:
                to_return = self._eval(value)
                if to_return:
                    break
        return to_return
'''

_BOOLOP_MERGED = '''        to_return = False
        if isinstance(node.op, (ast.And, ast.Or)):
            stop_when = isinstance(node.op, ast.Or)
            for value in node.values:
                to_return = self._eval(value)
                if bool(to_return) is stop_when:
                    break
        return to_return
'''

_SLICE = '''        lower = upper = step = None
        if node.lower is not None:
            lower = self._eval(node.lower)
        if node.upper is not None:
            upper = self._eval(node.upper)
        if node.step is not None:
            step = self._eval(node.step)
        return slice(lower, upper, step)'''

_SLICE_EXPRS = '''        lower = None if node.lower is None else self._eval(node.lower)
        upper = None if node.upper is None else self._eval(node.upper)
        step = None if node.step is None else self._eval(node.step)
        return slice(lower, upper, step)'''

CONTROLS = {
    "eval_str_local": case(
        SE, "SimpleEval._eval_str", "variable extracted (lines no test runs)",
        "node.s read once into a local; only Python before 3.8 calls this method, so no test "
        "runs its lines",
        ("        if len(node.s) > MAX_STRING_LENGTH:",
         "        text = node.s\n        if len(text) > MAX_STRING_LENGTH:"),
        ("({len(node.s)}, when", "({len(text)}, when"),
        ("        return node.s\n", "        return text\n")),
    "random_int_commuted": case(
        SE, "random_int", "operands swapped",
        "random() * top written top * random() (float multiplication commutes)",
        ("    return int(random() * top)", "    return int(top * random())")),
    "safe_power_any": case(
        SE, "safe_power", "conditions merged",
        "the two bounds tested with any() over the pair, in the same order",
        ("    if abs(a) > MAX_POWER or abs(b) > MAX_POWER:",
         "    if any(abs(x) > MAX_POWER for x in (a, b)):")),
    "slice_conditional_exprs": case(
        SE, "SimpleEval._eval_slice", "conditional expressions",
        "three guarded assignments made conditional expressions",
        (_SLICE, _SLICE_EXPRS)),
    "tuple_from_list": case(
        SE, "EvalWithCompoundTypes._eval_tuple", "comprehension",
        "a generator made a list comprehension",
        ("        return tuple(self._eval(x) for x in node.elts)",
         "        return tuple([self._eval(x) for x in node.elts])")),
    "boolop_branches_merged": case(
        SE, "SimpleEval._eval_boolop", "branches merged",
        "the And and Or loops made one loop that stops where the value's truth says",
        (_BOOLOP, _BOOLOP_MERGED)),
    "call_lookup_helper": case(
        SE, "SimpleEval._eval_call", "helper extracted",
        "the lookup of a function by name moved to a private method",
        (_CALL_LOOKUP, "        else:\n            func = self._function_named(node)\n"),
        ("    def _eval_call(self, node):", _CALL_HELPER)),
    "subscript_inlined": case(
        SE, "SimpleEval._eval_subscript", "variables inlined",
        "container and key inlined into one subscription (evaluated in the same order)",
        ("        container = self._eval(node.value)\n        key = self._eval(node.slice)\n"
         "        # Currently if there's a KeyError, that gets raised straight up.\n"
         "        # TODO: Should that be wrapped in an InvalidExpression?\n"
         "        return container[key]",
         "        # Currently if there's a KeyError, that gets raised straight up.\n"
         "        # TODO: Should that be wrapped in an InvalidExpression?\n"
         "        return self._eval(node.value)[self._eval(node.slice)]")),
}

CARELESS = {
    "random_int_rounds": case(
        SE, "random_int", "truncation to rounding",
        "int(random() * top) written round(random() * top): top itself can come out",
        ("    return int(random() * top)", "    return round(random() * top)"),
        probe=Probe(SETUP, "[simpleeval.random_int(10) for _ in range(8)]",
                    "[3, 1, 6, 0, 5, 3, 0, 5]", "[3, 2, 7, 1, 5, 4, 1, 5]")),
    "power_bound_inclusive": case(
        SE, "safe_power", "boundary moved",
        "MAX_POWER itself refused (>= for >)",
        ("    if abs(a) > MAX_POWER or abs(b) > MAX_POWER:",
         "    if abs(a) >= MAX_POWER or abs(b) >= MAX_POWER:"),
        probe=Probe(SETUP, "simpleeval.safe_power(1, 4000000)", "1", "raises NumberTooHigh")),
    "power_base_unsigned": case(
        SE, "safe_power", "coercion removed",
        "abs() dropped from the base's bound: a large negative base passes",
        ("    if abs(a) > MAX_POWER or abs(b) > MAX_POWER:",
         "    if a > MAX_POWER or abs(b) > MAX_POWER:"),
        probe=Probe(SETUP, "simpleeval.safe_power(-5000000, 2)", "raises NumberTooHigh",
                    "25000000000000")),
    "power_overflow_swallowed": case(
        SE, "safe_power", "exception swallowed",
        "a float power too large to represent answers inf instead of raising OverflowError",
        ("    return a**b\n", "    try:\n        return a**b\n    except OverflowError:\n"
                            "        return float(\"inf\")\n"),
        probe=Probe(SETUP, "simpleeval.safe_power(10.0, 400)", "raises OverflowError",
                    "inf")),
    "add_bound_inclusive": case(
        SE, "safe_add", "boundary moved",
        "a sum exactly MAX_STRING_LENGTH long refused (>= for >)",
        ("len(a) + len(b) > MAX_STRING_LENGTH:", "len(a) + len(b) >= MAX_STRING_LENGTH:"),
        probe=Probe(SETUP, "len(simpleeval.safe_add('a' * 50000, 'b' * 50000))", "100000",
                    "raises IterableTooLong")),
    "lshift_count_signed": case(
        SE, "safe_lshift", "coercion removed",
        "abs() dropped from the shift count's bound: a negative count fails otherwise",
        ("    if abs(b) > MAX_SHIFT or abs(a) > MAX_SHIFT_BASE:\n"
         "        raise NumberTooHigh(f\"Sorry! I don't want to evaluate {a} << {b}\")",
         "    if b > MAX_SHIFT or abs(a) > MAX_SHIFT_BASE:\n"
         "        raise NumberTooHigh(f\"Sorry! I don't want to evaluate {a} << {b}\")"),
        probe=Probe(SETUP, "simpleeval.safe_lshift(1, -20000)", "raises NumberTooHigh",
                    "raises ValueError")),
    "rshift_base_signed": case(
        SE, "safe_rshift", "coercion removed",
        "abs() dropped from the shifted number's bound: a large negative number passes",
        ("    if abs(b) > MAX_SHIFT or abs(a) > MAX_SHIFT_BASE:\n"
         "        raise NumberTooHigh(f\"Sorry! I don't want to evaluate {a} >> {b}\")",
         "    if abs(b) > MAX_SHIFT or a > MAX_SHIFT_BASE:\n"
         "        raise NumberTooHigh(f\"Sorry! I don't want to evaluate {a} >> {b}\")"),
        probe=Probe(SETUP, "simpleeval.safe_rshift(-10 ** 400, 1400)", "raises NumberTooHigh",
                    "-1")),
    "joinedstr_bound_inclusive": case(
        SE, "SimpleEval._eval_joinedstr", "boundary moved",
        "an f-string part exactly MAX_STRING_LENGTH long refused (>= for >)",
        ("            if len(val) + length > MAX_STRING_LENGTH:",
         "            if len(val) + length >= MAX_STRING_LENGTH:"),
        probe=Probe(SETUP, "len(simpleeval.simple_eval('f\"{x}\"', names={'x': 'a' * 100000}))",
                    "100000", "raises IterableTooLong")),
    "constant_bound_inclusive": case(
        SE, "SimpleEval._eval_constant", "boundary moved",
        "a literal exactly MAX_STRING_LENGTH long refused (>= for >)",
        ("        if hasattr(node.value, \"__len__\") and len(node.value) > MAX_STRING_LENGTH:",
         "        if hasattr(node.value, \"__len__\") and len(node.value) >= MAX_STRING_LENGTH:"),
        probe=Probe(SETUP, "len(simpleeval.simple_eval(repr('a' * 100000)))", "100000",
                    "raises IterableTooLong")),
    "format_error_swallowed": case(
        SE, "SimpleEval._eval_formattedvalue", "exception swallowed",
        "a value its format spec cannot format comes out as str(value) instead of ValueError",
        ("            return fmt.format(self._eval(node.value))",
         "            value = self._eval(node.value)\n            try:\n"
         "                return fmt.format(value)\n            except ValueError:\n"
         "                return str(value)"),
        probe=Probe(SETUP, "simpleeval.simple_eval('f\"{x:d}\"', names={'x': 'a'})",
                    "raises ValueError", "'a'")),
}
