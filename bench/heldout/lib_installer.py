"""installer 1.1.0 (MIT), held out (wave 35): installing a Python package from a wheel
(installer/: _core, install; sources, WheelSource and WheelFile; destinations, WheelDestination
and SchemeDictionaryDestination; records, Hash, RecordEntry and parse_record_file; scripts,
Script and its launchers; utils, the helpers; __main__, the command line). RecordEntry's
from_elements(path, hash_, size) takes a RECORD row's three strings: an empty path is an
issue, a hash 'name=value' is parsed (an issue without its '=', or for a name not in
hashlib.algorithms_available), a size is int() of its text (an issue if it is not an
integer), and the issues are raised together as InvalidRecordEntry; validate(data) answers
False for a size given and not len(data), then the hash's validation, then True. utils'
canonicalize_name lowers a name with each run of '-', '_' and '.' made one '-'; fix_shebang
replaces a stream's first line with '#!' and the interpreter, encoded as UTF-8, when its first
8 bytes are '#!python'; make_file_executable sets a path's mode to 0o777 less the umask, or'd
with 0o111 so that everyone may run it. SchemeDictionaryDestination's _path_with_destdir
refuses with ValueError a path that resolves outside its scheme's directory (by
Path.is_relative_to), then moves it under destdir when there is one; _compile_bytecode
compiles a .py file for each optimisation level, in purelib and platlib alone.

Its suite (tests/: 150 tests; 139 in its tree, tests/test_scripts.py left out) parses metadata,
wheel filenames, RECORDs (a row of 4 or 5 elements refused, a comma quoted, a backslash path)
and entry points, canonicalizes 'package-1' and 'ABC..12', copies and hashes streams, replaces
the shebangs '#!python', '#!pythonw', '#!python something' and a bare '#!python' and keeps five
others, builds RECORD entries from valid and invalid elements (sizes 3144, 6, 7, 10 and none)
and validates data against them, writes files, scripts and RECORDs through a destination
(refusing 'subdir/../../outside.txt'), validates wheels' RECORDs (a hash algorithm 'sha'
refused) and installs wheels through the core and the command line. A line tracer over its
tree's suite found every line of the package run but the launcher kinds of Windows and the
Windows branches, most of scripts.py's launchers (their test module left out: the launchers'
lookup and building, the pythonw alternative, the long and spaced shebangs),
_WheelFileValidationError's repr, __main__'s entry and the imports for type checking. Its tests
never validate data against a size of 0, give a hash algorithm OpenSSL has that Python does not
guarantee, make a file executable under a umask that takes away the run bits, write a shebang
for an interpreter whose path is not ASCII, nor write to a path that climbs out of its scheme's
directory into a sibling whose name begins with the directory's own."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "installer"
RECORDS = "installer/records.py"
UTILS = "installer/utils.py"
DESTINATIONS = "installer/destinations.py"

CONTROLS = {
    "shebang_tested_on_first_line": case(
        UTILS, "fix_shebang", "read to readline",
        "the shebang tested by stream.readline().startswith(b'#!python') instead of "
        "stream.read(8) == b'#!python': the 8 bytes hold no newline, so the first 8 bytes are "
        "'#!python' exactly when the first line starts with it, and the stream is seeked back "
        "to 0 before it is read again either way",
        ('''    if stream.read(8) == b"#!python":
''', '''    if stream.readline().startswith(b"#!python"):
''')),
    "bytecode_guard_reordered": case(
        DESTINATIONS, "SchemeDictionaryDestination._compile_bytecode", "operands of or swapped",
        "the early return tested as scheme not in (purelib, platlib) or no optimisation levels "
        "instead of the other way round: both operands are plain tests without side effects, "
        "so the or answers the same",
        ('''        if not self.bytecode_optimization_levels or scheme not in (
            "purelib",
            "platlib",
        ):
            return
''', '''        if scheme not in (
            "purelib",
            "platlib",
        ) or not self.bytecode_optimization_levels:
            return
''')),
    "mode_in_local": case(
        UTILS, "make_file_executable", "expression to local variable",
        "the mode computed into a local, mode = 0o777 & ~_current_umask() | 0o111, and passed "
        "to path.chmod(mode) instead of computed in the call: the umask is read once either "
        "way, before chmod",
        ('''    path.chmod(0o777 & ~_current_umask() | 0o111)
''', '''    mode = 0o777 & ~_current_umask() | 0o111
    path.chmod(mode)
''')),
    "name_lowered_first": case(
        UTILS, "canonicalize_name", "operations reordered",
        "the name lowered before its runs of separators are replaced instead of after: "
        "lowering neither makes nor removes a '-', '_' or '.', and the '-' put in is the same "
        "in either case",
        ('''    return re.sub(r"[-_.]+", "-", name).lower()
''', '''    return re.sub(r"[-_.]+", "-", name.lower())
''')),
}

CARELESS = {
    "zero_size_skipped": case(
        RECORDS, "RecordEntry.validate", "is not None to truthiness",
        "the size compared when self.size is true instead of when it is not None: the same "
        "for the sizes the tests give and for none, but a size of 0 is no longer compared, so "
        "data that is not empty validates against an entry for an empty file",
        ('''        if self.size is not None and len(data) != self.size:
''', '''        if self.size and len(data) != self.size:
'''),
        probe=Probe("from installer.records import RecordEntry",
                    "RecordEntry('a.py', None, 0).validate(b'x')", "False", "True")),
    "hash_names_guaranteed": case(
        RECORDS, "RecordEntry.from_elements", "set swapped for a look-alike",
        "a RECORD's hash algorithm checked against hashlib.algorithms_guaranteed, the portable "
        "set, instead of algorithms_available: the same for sha256 and for the 'sha' the tests "
        "refuse, but an algorithm OpenSSL provides beyond the guaranteed ones (sha512_256, "
        "ripemd160, sm3), which hashlib.new accepts, is now an invalid entry",
        ('''                if hash_value.name not in hashlib.algorithms_available:
''', '''                if hash_value.name not in hashlib.algorithms_guaranteed:
'''),
        probe=Probe("from installer.records import RecordEntry",
                    "RecordEntry.from_elements('a.py', 'sha512_256=x', '1').hash_.name",
                    "'sha512_256'", "raises InvalidRecordEntry")),
    "run_bits_left_to_umask": case(
        UTILS, "make_file_executable", "term dropped as redundant",
        "the mode set to 0o777 & ~umask, the | 0o111 dropped since 0o777 already holds the run "
        "bits: the same under the usual umasks (0o022, 0o002), which keep them, but a umask "
        "that takes them away now leaves the file not executable",
        ('''    path.chmod(0o777 & ~_current_umask() | 0o111)
''', '''    path.chmod(0o777 & ~_current_umask())
'''),
        probe=Probe("import os\nimport tempfile\nfrom pathlib import Path\n"
                    "from installer.utils import make_file_executable\n"
                    "tmp = tempfile.TemporaryDirectory()\npath = Path(tmp.name, 'script')\n"
                    "path.write_bytes(b'')\nos.umask(0o177)\nmake_file_executable(path)",
                    "oct(path.stat().st_mode & 0o777)", "'0o711'", "'0o600'")),
    "shebang_encoded_as_ascii": case(
        UTILS, "fix_shebang", "codec made explicit",
        "the new shebang encoded with encode('ascii') instead of the default codec, taken for "
        "ASCII: the same for the interpreters' paths the tests give, but the default is UTF-8, "
        "so an interpreter under a directory whose name is not ASCII now raises "
        "UnicodeEncodeError instead of being written",
        ('''        new_stream.write(f"#!{interpreter}\\n".encode())
''', '''        new_stream.write(f"#!{interpreter}\\n".encode("ascii"))
'''),
        probe=Probe("from io import BytesIO\nfrom installer.utils import fix_shebang\n"
                    "def shebang(interpreter):\n"
                    "    with fix_shebang(BytesIO(b'#!python\\nx'), interpreter) as stream:\n"
                    "        return stream.read()",
                    "shebang('/opt/py\u00e9/python')", "b'#!/opt/py\\xc3\\xa9/python\\nx'",
                    "raises UnicodeEncodeError")),
    "containment_by_prefix": case(
        DESTINATIONS, "SchemeDictionaryDestination._path_with_destdir",
        "path containment to string prefix",
        "a path kept inside its scheme's directory tested by str(file).startswith("
        "str(target_dir)) instead of file.is_relative_to(target_dir): the same for the paths "
        "inside and for 'subdir/../../outside.txt', which the tests refuse, but a path that "
        "climbs out into a sibling directory whose name begins with the scheme's own (lib2 "
        "beside lib) passes the prefix test and is written there",
        ('''        if not file.is_relative_to(target_dir):
''', '''        if not str(file).startswith(str(target_dir)):
'''),
        probe=Probe("import tempfile\nfrom io import BytesIO\n"
                    "from installer.destinations import SchemeDictionaryDestination\n"
                    "tmp = tempfile.TemporaryDirectory()\n"
                    "dest = SchemeDictionaryDestination({'purelib': tmp.name + '/lib'}, "
                    "'python', 'posix')",
                    "dest.write_file('purelib', '../lib2/a.py', BytesIO(b'x'), False).size",
                    "raises ValueError", "1")),
}
