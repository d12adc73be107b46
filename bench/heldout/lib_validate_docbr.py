"""validate-docbr 2.0.1 (MIT), held out (wave 28): validate, generate and mask Brazilian
documents' numbers (validate_docbr/: one module a document, each a DocumentBase subclass:
CPF, CNH, CNPJ, CNS, PIS, TituloEleitoral, RENAVAM and Certidao; generic.validate_docs).
DocumentBase._validate_input checks the raw text with re.match against ^[digits, letters if
allowed, the document's separators]*$ (whose $ also matches before a final newline), and
_only_digits keeps the characters whose isdigit() holds. CPF completes fewer than 11 digits
with leading zeros and rejects more; its check digits are (sum * 10) % 11, 10 read as 0.
CNPJ upper-cases and keeps digits and letters (its alphanumeric form: each character's code
minus 48), a check digit 0 below remainder 2, else 11 - remainder; its mask upper-cases too.
CNH allows spaces alone between its digits (each document names its separators). CNS takes
exactly 15 digits starting 1, 2, 7, 8 or 9 (those starting 7 to 9 valid when their
weighted sum, weights 15 down to 1, is a multiple of 11). PIS's digit is 0 below remainder 2,
else 11 - remainder. RENAVAM's mask writes its first ten digits, a dash and its eleventh
(doc[10], an IndexError for fewer). Certidao's two check digits are weighted sums modulo 11,
a 10 written as 1. TituloEleitoral's two digits are sums modulo 11, 10 written as 0.
DocumentBase.validate_list validates each document; generate_list generates n (none for n
<= 0), regenerating duplicates unless repeat.

Its suite (tests/: 40 tests, unittest) generates ten or a hundred documents of each kind and
validates them, masks one document of each kind (CPF's also with partial punctuation),
validates a few fixed documents (repeated digits, letters, wrong lengths, a ten-digit CPF
completed with a zero, valid and invalid CNH, CNPJ, RENAVAM, Certidao and voter's cards,
alphanumeric CNPJs in both cases), walks generate_list with duplicates and validate_docs with
a string for a class. A line tracer over it found every line run but the three abstract
methods' raise FunctionNotImplementedError lines of DocumentBase and that exception's
__init__. Its tests never validate a document ending in a newline, a CNS of more than 15
digits or a CNH written with dots or dashes, and never mask a lower-case alphanumeric CNPJ
nor a RENAVAM of fewer than eleven digits."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "validate-docbr"
BASE = "validate_docbr/DocumentBase.py"
CPF = "validate_docbr/CPF.py"
CNPJ = "validate_docbr/CNPJ.py"
CNS = "validate_docbr/CNS.py"
PIS = "validate_docbr/PIS.py"
RENAVAM = "validate_docbr/RENAVAM.py"
CNH = "validate_docbr/CNH.py"
SETUP = "from validate_docbr import CNH, CNPJ, CNS, CPF, RENAVAM"

CONTROLS = {
    "first_digit_by_modulo": case(
        CPF, "CPF._generate_first_digit", "conditional to modulo",
        "the check digit's 10 folded to 0 by % 10 instead of the if: (total * 10) % 11 is "
        "0 to 10, and % 10 leaves 0 to 9 as they are and makes 10 a 0, as the if did",
        ('''        for weight in range(10, 1, -1):
            total += int(doc[10 - weight]) * weight

        total = (total * 10) % 11

        if total == 10:
            total = 0

        return str(total)
''', '''        for weight in range(10, 1, -1):
            total += int(doc[10 - weight]) * weight

        total = (total * 10) % 11 % 10

        return str(total)
''')),
    "digit_condition_inverted": case(
        PIS, "PIS._generate_digit", "conditional expression inverted",
        "the check digit written 11 - remainder if remainder >= 2 else 0 instead of 0 if "
        "remainder < 2 else 11 - remainder: the same two branches under the negated test "
        "(remainder is an int)",
        ('''        digit = 0 if remainder < 2 else 11 - remainder
''', '''        digit = 11 - remainder if remainder >= 2 else 0
''')),
    "validate_list_by_map": case(
        BASE, "DocumentBase.validate_list", "comprehension to map",
        "the documents validated by list(map(self.validate, docs)) instead of a list "
        "comprehension: the same bound method called on each document in order, into a new "
        "list",
        ('''        return [self.validate(doc) for doc in docs]
''', '''        return list(map(self.validate, docs))
''')),
    "abstract_raise_by_keyword": case(
        BASE, "DocumentBase.validate", "positional to keyword argument",
        "the exception raised with function_name='validate' as a keyword instead of "
        "positionally: FunctionNotImplementedError's __init__ names its one parameter "
        "function_name (a line no test runs: every document class overrides validate)",
        ('''        raise FunctionNotImplementedError("validate")
''', '''        raise FunctionNotImplementedError(function_name="validate")
''')),
}

CARELESS = {
    "input_fully_matched": case(
        BASE, "DocumentBase._validate_input", "match with anchors to fullmatch",
        "the raw document checked with re.fullmatch instead of re.match against the "
        "pattern already anchored by ^ and $, the anchors taken for what fullmatch does: "
        "but $ also matches before a final newline, so a document ending in '\\n' passed "
        "the check (its digits then validated) and now fails it",
        ('''        return bool(re.match(pattern, doc))
''', '''        return bool(re.fullmatch(pattern, doc))
'''),
        probe=Probe(SETUP, "CPF().validate('529.982.247-25\\n')", "True", "False")),
    "cns_length_lower_bound": case(
        CNS, "CNS.validate", "exact length to a lower bound",
        "the digits' count checked by len(digits) < 15 instead of != 15, as a guard against "
        "too short a number: a number of more than 15 digits now reaches the weighted sum, "
        "which reads the first 15, and one starting with 7, 8 or 9 whose first 15 digits "
        "are valid validates",
        ('''        if len(digits) != 15 or int(digits[0]) not in self.first_digit:
''', '''        if len(digits) < 15 or int(digits[0]) not in self.first_digit:
'''),
        probe=Probe(SETUP, "CNS().validate('7000000000000050')", "False", "True")),
    "mask_not_upper_cased": case(
        CNPJ, "CNPJ.mask", "dropped case folding",
        "strip() and upper() dropped before keeping the digits and letters, "
        "_only_digits_and_letters dropping the whitespace strip() removed anyway: but "
        "upper() was what made the mask of a lower-case alphanumeric CNPJ upper case, as "
        "validate reads it",
        ('''        doc = self._only_digits_and_letters(doc.strip().upper())
''', '''        doc = self._only_digits_and_letters(doc)
'''),
        probe=Probe(SETUP, "CNPJ().mask('12abc34501de35')", "'12.ABC.345/01DE-35'",
                    "'12.abc.345/01de-35'")),
    "cnh_default_separators": case(
        CNH, "CNH.validate", "argument to the default",
        "the raw CNH checked by _validate_input(doc) with its default separators instead "
        "of [' '], the space being among them: but the defaults are '.', '-', '/' and ' ', "
        "so a CNH written with dots, dashes or slashes, which was refused before its digits "
        "were read, now validates by its digits",
        ('''        if not self._validate_input(doc, [' ']):
            return False

        doc = self._only_digits(doc)

        if len(doc) != 11 or self._is_repeated_digits(doc):
''', '''        if not self._validate_input(doc):
            return False

        doc = self._only_digits(doc)

        if len(doc) != 11 or self._is_repeated_digits(doc):
'''),
        probe=Probe(SETUP, "CNH().validate('658.213.105-02')", "False", "True")),
    "renavam_mask_sliced": case(
        RENAVAM, "RENAVAM.mask", "index to slice",
        "the check digit written as doc[10:] instead of doc[10], a slice for the one "
        "character: the same for eleven digits, but fewer now give a mask ending in a dash "
        "where doc[10] raised IndexError (and more would be kept whole)",
        ('''        return f"{doc[:10]}-{doc[10]}"
''', '''        return f"{doc[:10]}-{doc[10:]}"
'''),
        probe=Probe(SETUP, "RENAVAM().mask('1382465226')", "raises IndexError",
                    "'1382465226-'")),
}
