"""shortuuid 1.0.13 (BSD-3-Clause), held out (wave 3): UUIDs to and from concise strings over
a sorted, deduplicated alphabet (base 57 by default), padded to the length a whole UUID
needs; random ids of a given length. Its suite (shortuuid/test_shortuuid.py, inside the
package) never decodes a legacy id (before 1.0.0, least significant digit first): one
control extracts a helper over that line. Every careless refactor changes lines the suite
runs. shortuuid/django_fields.py imports Django, which is not here; no test imports it."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "shortuuid"
MAIN = "shortuuid/main.py"
SETUP = "import string, uuid, shortuuid"

_LEGACY_HELPER = '''def _legacy_order(string: str) -> str:
    """A legacy id (before 1.0.0: least significant digit first) with its most
    significant digit first."""
    return string[::-1]


class ShortUUID(object):'''

_ALPHABET = '''        new_alphabet = list(sorted(set(alphabet)))
        if len(new_alphabet) > 1:
            self._alphabet = new_alphabet
            self._alpha_len = len(self._alphabet)
        else:
            raise ValueError("Alphabet with more than " "one unique symbols required.")
'''

_INT_TO_STRING = '''    output = ""
    alpha_len = len(alphabet)
    while number:
        number, digit = divmod(number, alpha_len)
        output += alphabet[digit]
    if padding:
        remainder = max(padding - len(output), 0)
        output = output + alphabet[0] * remainder
    return output[::-1]
'''

CONTROLS = {
    "legacy_order_helper": case(
        MAIN, "ShortUUID.decode", "helper extracted (lines no test runs)",
        "the legacy id's reversal moved to a private module function; the suite never "
        "decodes with legacy=True",
        ("            string = string[::-1]", "            string = _legacy_order(string)"),
        ("class ShortUUID(object):", _LEGACY_HELPER)),
    "set_alphabet_guard": case(
        MAIN, "ShortUUID.set_alphabet", "guard clause",
        "the too-short alphabet is refused first and the else goes",
        (_ALPHABET, '''        new_alphabet = list(sorted(set(alphabet)))
        if len(new_alphabet) <= 1:
            raise ValueError("Alphabet with more than " "one unique symbols required.")
        self._alphabet = new_alphabet
        self._alpha_len = len(self._alphabet)
''')),
    "int_to_string_rename": case(
        MAIN, "int_to_string", "renamed local",
        "output renamed digits",
        (_INT_TO_STRING, _INT_TO_STRING.replace("output", "digits"))),
    "length_ceil_is_int": case(
        MAIN, "ShortUUID._length", "redundant call removed",
        "int() around math.ceil dropped: math.ceil already answers an int",
        ("        return int(math.ceil(math.log(2**128, self._alpha_len)))",
         "        return math.ceil(math.log(2**128, self._alpha_len))")),
}

CARELESS = {
    "padding_truncates": case(
        MAIN, "int_to_string", "boundary moved",
        "the padded digits cut to the padding: a pad_length shorter than the number's "
        "digits drops its most significant ones instead of leaving it whole",
        ("        output = output + alphabet[0] * remainder",
         "        output = (output + alphabet[0] * remainder)[:padding]"),
        probe=Probe(SETUP, "shortuuid.encode(uuid.UUID(int=57**5), pad_length=3)",
                    "'322222'", "'222'")),
    "alphabet_unsorted": case(
        MAIN, "ShortUUID.set_alphabet", "normalisation removed",
        "duplicates dropped with dict.fromkeys, keeping the order given: the alphabet is "
        "no longer sorted, so the same symbols give other ids",
        ("        new_alphabet = list(sorted(set(alphabet)))",
         "        new_alphabet = list(dict.fromkeys(alphabet))"),
        probe=Probe(SETUP, "shortuuid.ShortUUID('ba').get_alphabet()", "'ab'", "'ba'")),
    "unknown_symbols_skipped": case(
        MAIN, "string_to_int", "documented exception swallowed",
        "characters outside the alphabet skipped: decode() answers a UUID for an id with "
        "illegal characters instead of raising the ValueError its docstring names",
        ("    for char in string:\n        number = number * alpha_len + alphabet.index(char)",
         "    for char in string:\n        if char in alphabet:\n"
         "            number = number * alpha_len + alphabet.index(char)"),
        probe=Probe(SETUP, "shortuuid.decode('!')", "raises ValueError",
                    "UUID('00000000-0000-0000-0000-000000000000')")),
    "url_scheme_case_sensitive": case(
        MAIN, "ShortUUID.uuid", "case normalisation removed",
        "name.lower() dropped from the URL test: a name starting HTTP:// is hashed in "
        "the DNS namespace, not the URL one",
        ("        elif name.lower().startswith((\"http://\", \"https://\")):",
         "        elif name.startswith((\"http://\", \"https://\")):"),
        probe=Probe(SETUP, "shortuuid.uuid('HTTP://example.com/')",
                    "'MtqAnV9AREeLiTTnjWKftt'", "'7ZLK7VSsbYHU9Kp8KYXdWG'")),
    "length_rounded": case(
        MAIN, "ShortUUID._length", "float rounding",
        "int(math.ceil(x)) written round(x): an alphabet whose UUID length has a fraction "
        "under a half pads one digit short (62 symbols: 21.5 digits padded to 21, not 22)",
        ("        return int(math.ceil(math.log(2**128, self._alpha_len)))",
         "        return round(math.log(2**128, self._alpha_len))"),
        probe=Probe(SETUP, "shortuuid.ShortUUID(string.digits + string.ascii_letters)"
                           ".encode(uuid.UUID(int=1))",
                    "'0000000000000000000001'", "'000000000000000000001'")),
}
