"""pycrc 0.12.0 (MIT), held out (wave 34): a CRC calculator and C source code generator
(pycrc/: __init__, crc(model, data, algorithm), a one-shot checksum; algorithms, Crc, with the
bit-by-bit, bit-by-bit-fast and table-driven algorithms and update and digest; models,
CrcParams, a frozen dataclass with dictionary-style access, and CrcModels, a read-only mapping
of the known models; expr, the C expression simplifier; symtable, codegen, opt and main, the
generator and its command line). Crc(width, poly, reflect_in, xor_in, reflect_out, xor_out,
table_idx_width, slice_by) refuses a table index width that does not divide 8 (ValueError),
runs widths below 8 shifted up by crc_shift = 8 - width, and builds its table;
tbl_idx_width, a deprecated alias, rebuilds the table for the width it is set to.
Crc.from_model(name) looks the name up case-insensitively (CrcModels().get) and refuses an
unknown one (ValueError). _as_bytes encodes a str in the given encoding (UTF-8 by default)
and passes anything else through to be iterated as bytes (bytes, a bytearray, a memoryview).
Crc.reflect(data, width) reverses the low width bits (a width of 0 or less keeps the lowest
bit). CrcParams[key] answers a model parameter and refuses any other name (KeyError);
get_params answers a fresh dict of them. expr's _classify turns an int into a Terminal, a str
of digits or of 0x hex into a Terminal of its value printed as written, and any other str into
a Terminal of itself; Terminal.is_int(val) is true for an int value, equal to val if one is
given.

Its tree's suite (test/, 35 tests, pytest; test_cli.py and test_codegen.py, which run the
sdist's script src/pycrc.py and compile the generated C, are left out of the tree and run in
its whole suite, 49 tests) checks every model's check value with all three algorithms, their
agreement on corner-case inputs and random parameters, every table index width, the refusal
of the others, from_model and from_params, an unknown model, the mapping (a name in upper
case among them), get_params' copy, update and digest in chunks and empty, explicit
encodings, the repr, the table and its aliases read, reflect of 0x80 and 0x01 over 8 bits,
zlib's CRC-32 and binascii's CRC-CCITT, crc() for every model and algorithm and an unknown
algorithm, ten of expr's simplifications, and symtable's formatting helpers. A line tracer
over it found every line of algorithms.py run but the tbl_idx_width setter and the tables of
more than one slice (the generated C's), of models.py all but CrcParams' membership test, its
KeyError and CrcModels' iteration, of expr.py neither Or, Parenthesis nor FunctionCall, nor
_classify's strings of digits and of hex, about a quarter of opt.py and codegen.py, and none of
main.py (the command line). Its tests never feed a memoryview, reflect over a width of 0, ask
a CrcParams for a name that is not a parameter, build a Crc from a model named in upper case,
nor set tbl_idx_width."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pycrc"
ALGORITHMS = "pycrc/algorithms.py"
MODELS = "pycrc/models.py"
EXPR = "pycrc/expr.py"

CONTROLS = {
    "crc_shift_by_max": case(
        ALGORITHMS, "Crc.__init__", "if-else to max",
        "the shift of widths below 8 written max(8 - self.width, 0) instead of 8 - width when "
        "width < 8 and 0 otherwise: 8 - width is positive exactly when width is below 8, so "
        "max keeps it there and gives 0 from 8 up, as the else branch did",
        ('''        if self.width < 8:
            self.crc_shift: int = 8 - self.width
        else:
            self.crc_shift = 0
''', '''        self.crc_shift: int = max(8 - self.width, 0)
''')),
    "legacy_params_by_dict": case(
        MODELS, "CrcModels.get_params", "comprehension to dict()",
        "the legacy copy built by dict(params) instead of a comprehension over the dataclass's "
        "fields: CrcParams has keys(), the names of its fields in order, and __getitem__, "
        "getattr for each of them, so dict() reads the same pairs in the same order into a "
        "new dict",
        ('''        return {field.name: getattr(params, field.name) for field in fields(params)}
''', '''        return dict(params)
''')),
    "is_int_by_and": case(
        EXPR, "Terminal.is_int", "if-return to boolean expression",
        "the test written isinstance(self.val, int) and (val is None or self.val == val) "
        "instead of an if that returns the inner test for an int and False otherwise: "
        "isinstance answers a bool, so the and answers False itself when the value is not an "
        "int, and the inner test's value when it is",
        ('''        if isinstance(self.val, int):
            return val is None or self.val == val
        return False
''', '''        return isinstance(self.val, int) and (val is None or self.val == val)
''')),
    "classify_str_first": case(
        EXPR, "_classify", "independent type tests reordered",
        "the str case tested before the int case instead of after: each returns, and no value "
        "is both an int and a str (the two types cannot be bases of one class), so every value "
        "takes the same branch as before",
        ('''    if isinstance(val, int):
        return Terminal(val)
    if isinstance(val, str):
        if val.isdigit():
            return Terminal(int(val), val)
        if val[:2].lower() == "0x":
            return Terminal(int(val, 16), val)
        return Terminal(val)
    return val
''', '''    if isinstance(val, str):
        if val.isdigit():
            return Terminal(int(val), val)
        if val[:2].lower() == "0x":
            return Terminal(int(val, 16), val)
        return Terminal(val)
    if isinstance(val, int):
        return Terminal(val)
    return val
''')),
}

CARELESS = {
    "encode_all_but_bytes": case(
        ALGORITHMS, "Crc._as_bytes", "type test turned round",
        "anything not bytes or a bytearray encoded (not isinstance(data, (bytes, bytearray))) "
        "instead of a str alone, taken as the same test over BytesLike's three types: the same "
        "for str, bytes and bytearray, but other bytes-like input, a memoryview, was iterated "
        "as bytes and is now handed to bytearray with an encoding, which raises TypeError",
        ('''        if isinstance(data, str):
            return bytearray(data, encoding)
''', '''        if not isinstance(data, (bytes, bytearray)):
            return bytearray(data, encoding)
'''),
        probe=Probe("from pycrc.algorithms import Crc",
                    "Crc.from_model('crc-32').bit_by_bit_fast(memoryview(b'123456789'))",
                    "3421780262", "raises TypeError")),
    "reflect_from_empty_register": case(
        ALGORITHMS, "Crc.reflect", "loop restructured",
        "the reflection started from an empty register and run width times (shift in the low "
        "bit, then shift the data) instead of starting from the low bit and running width - 1 "
        "times: the same bits for every width of 1 or more, but a width of 0 now answers 0 "
        "where it kept the lowest bit",
        ('''        res = data & 0x01
        for _ in range(width - 1):
            data >>= 1
            res = (res << 1) | (data & 0x01)
        return res
''', '''        res = 0
        for _ in range(width):
            res = (res << 1) | (data & 0x01)
            data >>= 1
        return res
'''),
        probe=Probe("from pycrc.algorithms import Crc", "Crc.reflect(1, 0)", "1", "0")),
    "item_by_getattr": case(
        MODELS, "CrcParams.__getitem__", "look before you leap to try-except",
        "the parameter read by getattr, an AttributeError turned into KeyError, instead of "
        "refusing a key that is not one of keys() first: the same for every parameter and for "
        "a name the object lacks, but a name of a method or attribute that is not a parameter "
        "('keys', '__class__') is now answered instead of refused",
        ('''        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)
''', '''        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None
'''),
        probe=Probe("from pycrc.models import CrcModels",
                    "callable(CrcModels()['crc-32']['keys'])", "raises KeyError", "True")),
    "model_from_name_table": case(
        ALGORITHMS, "Crc.from_model", "mapping call to its table",
        "the model looked up in the class's name table, CrcModels._by_name.get(model), instead "
        "of through an instance's get: the same for the lower-case names the models carry, "
        "but the mapping lower-cases the name it is given and the table does not, so a model "
        "named in upper case ('CRC-32') is now refused as unknown (ValueError)",
        ('''        params = CrcModels().get(model)
''', '''        params = CrcModels._by_name.get(model)
'''),
        probe=Probe("from pycrc.algorithms import Crc", "Crc.from_model('CRC-32').width", "32",
                    "raises ValueError")),
    "table_built_before_width_stored": case(
        ALGORITHMS, "Crc.tbl_idx_width", "statements reordered",
        "the deprecated alias's setter builds the table first and then stores the width and "
        "the table's length, instead of storing them first: _gen_table reads "
        "self.table_idx_width, so the table is now built for the old width while "
        "table_driven reads the new one, and its CRCs are wrong",
        ('''        self.table_idx_width = value
        self.tbl_width = 1 << value
        self.tbl = self._gen_table()
''', '''        self.tbl = self._gen_table()
        self.table_idx_width = value
        self.tbl_width = 1 << value
'''),
        probe=Probe("from pycrc.algorithms import Crc\nc = Crc.from_model('crc-32')\n"
                    "c.tbl_idx_width = 4", "c.table_driven('123456789')", "3421780262",
                    "287290776")),
}
