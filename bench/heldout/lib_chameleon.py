"""chameleon 4.6.0 (BSD-like, the Repoze licence), held out (wave 24): an HTML/XML template
engine for the page templates language (chameleon/: PageTemplate and PageTemplateFile in
zpt/, the parser and tokenizer, the compiler to Python, the TALES expressions in tales.py,
i18n.py, exc.py its errors and their formatting, utils.py its helpers). A template given as
bytes is decoded by read_bytes: a byte-order mark, an XML declaration's encoding
(read_xml_encoding) or an HTML <meta http-equiv="Content-Type"> charset (detect_encoding, which
reads the body as ASCII, ignoring other bytes), else the default, UTF-8; safe_native decodes
bytes with errors replaced. decode_htmlentities replaces entities by substitute_entity (a
decimal or hex code point, a known name, else the entity kept). mangle turns a template's
file name into a module name (the extension dropped by os.path.splitext, dots and hyphens
made underscores). i18n.parse_attributes reads an i18n:attributes value (specs split by ';',
each an attribute and an optional msgid, lower-cased in HTML mode, each attribute once, else
CompilationError); simple_translate, the default translate, interpolates ${name} and $name
from the mapping, each value by str(). lookup_attr, which python: expressions call for
attribute access, answers getattr, else the item of that name, else raises the
AttributeError. exc.ellipsify keeps a string's last characters behind '... ', within limit;
iter_source_marker_lines marks an expression on its line of the source.

Its suite (chameleon/tests in the tree: 65 tests; its test_templates.py, 166 more, is left out
of the tree with five test files that are not UTF-8, and the whole sdist suite runs it and
the modules' doctests, 252 in all) checks templates with boolean attributes and encoding
sniffing of bytes and str, exceptions and their formatting, imports, the template loader and
eggs and wheels built with templates in them, the parser and tokenizer on sample files, and
utils' Scope and helpers; test_templates renders the sample templates under tests/inputs
against tests/outputs and checks errors, translation and macros. A line tracer over the
tree's suite found unrun, among many others: safe_native's decoding of bytes,
substitute_entity (no entity is decoded), _resolve_dotted and resolve_dotted (no import:
expression), limit_string and value_repr (no error formatted with values), Scope's
__contains__ and __iter__, lookup_attr (no python: attribute access), ellipsify, and of i18n
parse_attributes and simple_translate's interpolation (no i18n in the tree's tests). Its
tests never sniff an HTML <meta> charset in bytes that are not ASCII, give
i18n:attributes the same attribute twice in different case, interpolate a mapping value that
is not a str with simple_translate, look up a missing item through lookup_attr, or mangle a
name without an extension in a dotted directory."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "chameleon"
UTILS = "chameleon/utils.py"
I18N = "chameleon/i18n.py"
EXC = "chameleon/exc.py"
PARSER = "chameleon/parser.py"

CONTROLS = {
    "entity_by_conditional": case(
        UTILS, "substitute_entity", "if/else to a conditional expression",
        "a named entity's replacement returned by one conditional expression, chr(cp) if cp "
        "else match.group(), instead of an if returning one and an else the other: the "
        "same test and the same two answers (lines the tree's suite never runs: it decodes "
        "no entity)",
        ('''        if cp:
            return chr(cp)
        else:
            return match.group()
''', '''        return chr(cp) if cp else match.group()
''')),
    "dotted_by_fstring": case(
        UTILS, "_resolve_dotted", "concatenation to an f-string",
        "each next dotted name built by used = f'{used}.{n}' instead of used += '.' + n: "
        "both str, so the same name imported and looked up (lines no test runs: no "
        "template uses an import: expression)",
        ('''        used += '.' + n
''', '''        used = f'{used}.{n}'
''')),
    "marker_line_by_enumerate_start": case(
        EXC, "iter_source_marker_lines", "index shifted into enumerate's start",
        "the source's lines numbered from 1 by enumerate(source, 1) and compared with line "
        "instead of numbered from 0 and compared as i + 1: the same line found, marked and "
        "left at the same point",
        ('''    for i, l in enumerate(source):
        if i + 1 != line:
            continue
''', '''    for i, l in enumerate(source, 1):
        if i != line:
            continue
''')),
    "groupdict_by_comprehension": case(
        PARSER, "groupdict", "loop to dict comprehension",
        "a match's named groups mapped to the token's slices by a dict comprehension over "
        "m.groupdict().items(), each slice from m.start(name) to m.end(name), instead of a "
        "loop writing each slice back into the dict by its name: the same keys in the same "
        "order, None kept for a group that did not take part, the same slices (m.span(name) "
        "is m.start(name), m.end(name))",
        ('''    d = m.groupdict()
    for name, value in d.items():
        if value is not None:
            i, j = m.span(name)
            d[name] = token[i:j]

    return d
''', '''    return {
        name: None if value is None else token[m.start(name):m.end(name)]
        for name, value in m.groupdict().items()
    }
''')),
}

CARELESS = {
    "meta_sniffed_as_utf8": case(
        UTILS, "detect_encoding", "encoding choice",
        "bytes read for their <meta> charset by body.decode('utf-8') instead of "
        "decode('ascii', 'ignore'), as everywhere else in the module: the same for the "
        "suite's bodies, ASCII or UTF-8, but the very documents a <meta> charset is for, "
        "HTML in Latin-1 or another 8-bit encoding, now raise UnicodeDecodeError before "
        "their charset is read",
        ('''        body = body.decode('ascii', 'ignore')
''', '''        body = body.decode('utf-8')
'''),
        probe=Probe("from chameleon.utils import detect_encoding",
                    "detect_encoding(b'<meta http-equiv=\"Content-Type\" "
                    "content=\"text/html; charset=iso-8859-1\" /><p>caf\\xe9</p>', 'utf-8')",
                    "('text/html', 'iso-8859-1')", "raises UnicodeDecodeError")),
    "duplicate_check_before_lowering": case(
        I18N, "parse_attributes", "check before normalization",
        "an attribute refused when already given tested before it is lower-cased (in HTML "
        "mode) and stripped instead of after: the same for the suite's specifications, but "
        "in HTML mode an attribute given twice in different case ('title a; Title b') is "
        "now accepted, the second silently replacing the first, instead of refused with "
        "CompilationError",
        ('''        if not xml:
            attr = attr.lower()
        attr = attr.strip()
        if attr in d:
            raise CompilationError(
                "Attribute may only be specified once in i18n:attributes",
                attr)
        d[attr] = msgid
''', '''        if attr in d:
            raise CompilationError(
                "Attribute may only be specified once in i18n:attributes",
                attr)
        if not xml:
            attr = attr.lower()
        attr = attr.strip()
        d[attr] = msgid
'''),
        probe=Probe("from chameleon.i18n import parse_attributes",
                    "parse_attributes('title a; Title b', xml=False)",
                    "raises CompilationError", "{'title': 'b'}")),
    "mapping_value_uncoerced": case(
        I18N, "simple_translate", "coercion removed",
        "each interpolated ${name} replaced by the mapping's value as it is instead of "
        "str() of it, the mapping taken to hold text: the same for str values, but a value "
        "that is not a str (a count, 3) now makes re.sub raise TypeError instead of "
        "writing '3'",
        ('''            return str(mapping.get(param1 or param2, whole))
''', '''            return mapping.get(param1 or param2, whole)
'''),
        probe=Probe("from chameleon.i18n import simple_translate",
                    "simple_translate('${n} apples', mapping={'n': 3})", "'3 apples'",
                    "raises TypeError")),
    "missing_item_as_none": case(
        UTILS, "lookup_attr", "exception swallowed",
        "a name neither an attribute nor an item answered None, as dict.get would, instead "
        "of raising the attribute's AttributeError again: the same for the suite's "
        "lookups, all found, but a missing name in a python: expression now renders as "
        "nothing instead of failing",
        ('''        try:
            return get(key)
        except KeyError:
            raise exc
''', '''        try:
            return get(key)
        except KeyError:
            return None
'''),
        probe=Probe("from chameleon.utils import lookup_attr", "lookup_attr({}, 'x')",
                    "raises AttributeError", "None")),
    "extension_by_rsplit": case(
        UTILS, "mangle", "splitext to str.rsplit",
        "a file name's extension dropped by filename.rsplit('.', 1)[0] instead of "
        "os.path.splitext: the same for names with an extension ('hello_world.pt', "
        "'foo.bar.baz.pt'), but a name without one whose directory has a dot "
        "('tpl.d/index') now loses everything after that dot ('tpl' instead of "
        "'tpl_d/index'), so templates of one such directory share a module name",
        ('''    base, ext = os.path.splitext(filename)
''', '''    base = filename.rsplit('.', 1)[0]
'''),
        probe=Probe("from chameleon.utils import mangle", "mangle('tpl.d/index')",
                    "'tpl_d/index'", "'tpl'")),
}
