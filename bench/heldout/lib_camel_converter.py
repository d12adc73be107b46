"""camel-converter 6.0.0 (MIT), held out (wave 14): converts strings between snake_case,
camelCase and PascalCase, in two modules (camel_converter/__init__.py,
camel_converter/decorators.py) and a pydantic base model (pydantic_base.py). to_camel splits
on every underscore and title-cases each word after the first ('v4addr' -> 'V4Addr'),
to_pascal title-cases every word; to_snake puts an underscore before each capital (and each
digit, if asked), strips every leading underscore and lower-cases the rest; the three are
lru-cached. dict_to_camel, dict_to_snake and dict_to_pascal refuse a non-dict and convert
the str keys of any dict inside it, dict subclasses included (OrderedDict, defaultdict),
through lists and tuples, leaving other keys as they are. Converter.to_camel converts an
object's public class attributes (no leading underscore, not callable) and its instance
attributes; dict_to_snake treats digits as lowercase unless asked (treat_digits_as_capitals
defaults to False); the decorators convert a decorated function's dict result and keep its
name (functools.wraps). Its suite (tests/: 76 tests and 2 skipped for want of a
free-threaded Python) is thorough for so small a library: a line tracer over it found every
executable line run. But its words are lowercase letters and whole numbers
('this_is_a_12_test'), its camel strings never start with an underscore, its nested dicts
are plain dicts, it passes treat_digits_as_capitals to dict_to_snake every time (and
decorates functions whose keys have no digit), and it never reads a decorated function's
name. So no careless case here can change only lines no test runs; the one control that does
corrects the example in Converter.to_camel's docstring (a docstring's lines are never run:
it is a constant, and the code is unchanged); every other case changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "camel-converter"
MOD = "camel_converter/__init__.py"
DECORATORS = "camel_converter/decorators.py"
SETUP = "import camel_converter"

CONTROLS = {
    "to_camel_docstring_example": case(
        MOD, "Converter.to_camel", "docstring example corrected (lines no test runs)",
        "the docstring's example imported from camel_converter, not the misspelt "
        "camel_converrter, and printing example.to_camel(), not the object, as its text "
        "says; the code is unchanged",
        ('''        Examples
            >>> from camel_converrter import Converter
            >>> class SomeClass(Converter):
            >>>     some_value = "some value"
            >>>
            >>>     def __init__(self) -> None:
            >>>         self.another_value = "another value"
            >>>
            >>> example = SomeClass()
            >>> print(example)
''', '''        Examples
            >>> from camel_converter import Converter
            >>> class SomeClass(Converter):
            >>>     some_value = "some value"
            >>>
            >>>     def __init__(self) -> None:
            >>>         self.another_value = "another value"
            >>>
            >>> example = SomeClass()
            >>> print(example.to_camel())
''')),
    "to_camel_unpacked": case(
        MOD, "to_camel", "indexing to star unpacking, generator to map",
        "the first word and the rest taken by star unpacking (str.split always answers "
        "at least one word) and the rest title-cased by map(str.title, ...) instead of a "
        "generator calling word.title()",
        ('''    words = _split_snake(snake_string)

    return words[0] + "".join(word.title() for word in words[1:])
''', '''    first, *rest = _split_snake(snake_string)

    return first + "".join(map(str.title, rest))
''')),
    "to_snake_conditional_expression": case(
        MOD, "to_snake", "inner function inlined as a conditional expression",
        "each character's underscore decided by a conditional expression inside the "
        "generator instead of by the nested function check_character, the same condition "
        "and the same two answers",
        ('''    def check_character(c: str) -> str:
        if c.isupper() or (treat_digits_as_capitals and c.isdigit()):
            return f"_{c}"
        else:
            return c

    return "".join(check_character(c) for c in camel_string).lstrip("_").lower()
''', '''    return (
        "".join(
            f"_{c}" if c.isupper() or (treat_digits_as_capitals and c.isdigit()) else c
            for c in camel_string
        )
        .lstrip("_")
        .lower()
    )
''')),
    "convert_value_sequences_merged": case(
        MOD, "_convert_value", "two branches merged",
        "lists and tuples converted by one branch, the members converted once and the "
        "result a tuple only for a tuple, instead of two branches (a list subclass still "
        "answers a list, a tuple subclass a tuple, as before)",
        ('''    if isinstance(value, list):
        return [_convert_value(v, convert_key) for v in value]

    if isinstance(value, tuple):
        return tuple([_convert_value(v, convert_key) for v in value])
''', '''    if isinstance(value, (list, tuple)):
        converted = [_convert_value(v, convert_key) for v in value]
        return tuple(converted) if isinstance(value, tuple) else converted
''')),
}

CARELESS = {
    "to_camel_capitalize": case(
        MOD, "to_camel", "string method swapped (capitalize for title)",
        "each word after the first capitalized instead of title-cased, the same for the "
        "suite's lowercase words and numbers ('is', 'a', '12'), but a word with a digit "
        "inside is one word to capitalize and several to title: 'ip_v4addr' is now "
        "'ipV4addr', not 'ipV4Addr'",
        ('''    return words[0] + "".join(word.title() for word in words[1:])
''', '''    return words[0] + "".join(word.capitalize() for word in words[1:])
'''),
        probe=Probe(SETUP, "camel_converter.to_camel('ip_v4addr')", "'ipV4Addr'",
                    "'ipV4addr'")),
    "to_snake_one_underscore_stripped": case(
        MOD, "to_snake", "strip narrowed (removeprefix for lstrip)",
        "only the one underscore put before a leading capital removed, as if it were the "
        "only leading underscore there could be: the suite's camel strings start with a "
        "letter, but a private name's own underscores, all stripped before, now stay "
        "but one: '__x' is '_x', not 'x'",
        ('''    return "".join(check_character(c) for c in camel_string).lstrip("_").lower()
''', '''    return "".join(check_character(c) for c in camel_string).removeprefix("_").lower()
'''),
        probe=Probe(SETUP, "camel_converter.to_snake('__privateValue')", "'private_value'",
                    "'_private_value'")),
    "convert_value_exact_dict": case(
        MOD, "_convert_value", "isinstance to an exact type test",
        "a value converted as a dict only when its type is dict itself: the suite nests "
        "plain dicts alone, but an OrderedDict (or defaultdict) inside the data, whose "
        "keys were converted before, is now passed through unchanged",
        ('''    if isinstance(value, dict):
        return {
''', '''    if type(value) is dict:
        return {
'''),
        probe=Probe(SETUP + "\nimport collections",
                    "camel_converter.dict_to_camel({'a_b': collections.OrderedDict(c_d=1)})",
                    "{'aB': {'cD': 1}}", "{'aB': OrderedDict([('c_d', 1)])}")),
    "dict_to_snake_digits_default": case(
        MOD, "dict_to_snake", "default changed (treat_digits_as_capitals)",
        "digits treated as capitals by default, as the key 'myVariable2' might be expected "
        "to become 'my_variable_2': the suite passes treat_digits_as_capitals to "
        "dict_to_snake every time and decorates functions whose keys have no digit, but "
        "dict_to_snake({'myVar2': 1}) and the dict_to_snake decorator now answer "
        "'my_var_2' where they answered 'my_var2'",
        ('''    data: dict[Any, Any], *, treat_digits_as_capitals: bool = False
''', '''    data: dict[Any, Any], *, treat_digits_as_capitals: bool = True
'''),
        probe=Probe(SETUP, "camel_converter.dict_to_snake({'myVar2': 1})", "{'my_var2': 1}",
                    "{'my_var_2': 1}")),
    "dict_to_snake_decorator_unwrapped": case(
        DECORATORS, "dict_to_snake", "metadata dropped (functools.wraps)",
        "the wrapper returned without functools.wraps, as if only its result mattered: "
        "the suite checks the decorated functions' results alone, but the decorated "
        "function's __name__ (and __doc__, __wrapped__) is now the wrapper's",
        ('''def dict_to_snake(func: Callable) -> Any:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
''', '''def dict_to_snake(func: Callable) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
'''),
        probe=Probe("from camel_converter import decorators\ndef fetch():\n    return {}",
                    "decorators.dict_to_snake(fetch).__name__", "'fetch'", "'wrapper'")),
}
