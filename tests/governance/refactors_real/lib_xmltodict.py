"""xmltodict 0.13.0 (MIT): XML to dicts and back. Its targets are methods of the SAX handler
parse() builds, which holds callbacks (item_callback, postprocessor, force_list) and the
stack of items being built (push_data, startElement, endElement, _build_name, comments);
parse itself, whose default argument is the expat module and whose input may be a file
or a generator; _emit, which writes to an XMLGenerator over a stream; unparse; and the
plain _process_namespace."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "xmltodict"
X = "xmltodict.py"
SETUP = "import xmltodict"

_FORCE_LIST = '''\
        except KeyError:
            if self._should_force_list(key, data):
                item[key] = [data]
            else:
                item[key] = data
'''

_NAMESPACE = '''\
    try:
        ns, name = name.rsplit(ns_sep, 1)
    except ValueError:
        pass
    else:
        ns_res = namespaces.get(ns.strip(attr_prefix))
        name = '{}{}{}{}'.format(
            attr_prefix if ns.startswith(attr_prefix) else '',
            ns_res, ns_sep, name) if ns_res else name
    return name
'''

_ATTR_ENTRY = '''\
                    if self.postprocessor:
                        entry = self.postprocessor(self.path, key, value)
                    else:
                        entry = (key, value)
'''

CONTROLS = {
    "namespace_early_return": case(
        X, "_process_namespace", "early return",
        "a name without a namespace returns from the except; the rest loses its else",
        (_NAMESPACE, '''\
    try:
        ns, name = name.rsplit(ns_sep, 1)
    except ValueError:
        return name
    ns_res = namespaces.get(ns.strip(attr_prefix))
    if not ns_res:
        return name
    prefix = attr_prefix if ns.startswith(attr_prefix) else ''
    return '{}{}{}{}'.format(prefix, ns_res, ns_sep, name)
''')),
    "namespace_fstring": case(
        X, "_process_namespace", "f-string",
        "the four-part str.format as an f-string (its parts still read only with a URI)",
        ('''\
        name = '{}{}{}{}'.format(
            attr_prefix if ns.startswith(attr_prefix) else '',
            ns_res, ns_sep, name) if ns_res else name''', '''\
        name = (f"{attr_prefix if ns.startswith(attr_prefix) else ''}{ns_res}{ns_sep}{name}"
                if ns_res else name)''')),
    "push_data_force_list_inline": case(
        X, "_DictSAXHandler.push_data", "branch inlined",
        "a new key's value, forced into a list or not, as one conditional expression",
        (_FORCE_LIST, '''\
        except KeyError:
            item[key] = [data] if self._should_force_list(key, data) else data
''')),
    "end_element_joined_helper": case(
        X, "_DictSAXHandler.endElement", "extract helper",
        "the text collected so far joined by a module-level helper (twice the same expression)",
        ('''\
            if item is None:
                item = (None if not self.data
                        else self.cdata_separator.join(self.data))
''', '''\
            if item is None:
                item = _joined(self.cdata_separator, self.data)
'''),
        ('''\
            data = (None if not self.data
                    else self.cdata_separator.join(self.data))
''', '''\
            data = _joined(self.cdata_separator, self.data)
'''),
        ("\n\nclass _DictSAXHandler(object):", '''

def _joined(separator, data):
    """The character data of an element, or None when there was none."""
    return separator.join(data) if data else None


class _DictSAXHandler(object):''')),
    "build_name_conditional": case(
        X, "_DictSAXHandler._build_name", "conditional expression",
        "the last if/else as one conditional expression",
        ('''\
        if not short_namespace:
            return name
        else:
            return self.namespace_separator.join((short_namespace, name))''', '''\
        return (self.namespace_separator.join((short_namespace, name))
                if short_namespace else name)''')),
    "start_element_entry_inline": case(
        X, "_DictSAXHandler.startElement", "branch inlined",
        "an attribute's entry, through the postprocessor or not, as one expression",
        (_ATTR_ENTRY, '''\
                    entry = (self.postprocessor(self.path, key, value)
                             if self.postprocessor else (key, value))
''')),
    "emit_bool_conditional": case(
        X, "_emit", "conditional expression",
        "a boolean's text chosen by one expression",
        ('''\
            if v:
                v = _unicode('true')
            else:
                v = _unicode('false')''', '''\
            v = _unicode('true' if v else 'false')''')),
    "emit_wrap_isinstance": case(
        X, "_emit", "merged conditions",
        "the two isinstance tests for a single value merged into one with a tuple",
        ('''\
    if (not hasattr(value, '__iter__')
            or isinstance(value, _basestring)
            or isinstance(value, dict)):''', '''\
    if not hasattr(value, '__iter__') or isinstance(value, (_basestring, dict)):''')),
    "parse_separator_inline": case(
        X, "parse", "branch inlined",
        "the separator given to expat chosen in the call, not by rebinding the argument",
        ('''\
    if not process_namespaces:
        namespace_separator = None
    parser = expat.ParserCreate(
        encoding,
        namespace_separator
    )''', '''\
    parser = expat.ParserCreate(
        encoding,
        namespace_separator if process_namespaces else None
    )''')),
    "unparse_handler_bool": case(
        X, "unparse", "branch inlined",
        "one XMLGenerator call with the flag as a bool, not two calls in an if",
        ('''\
    if short_empty_elements:
        content_handler = XMLGenerator(output, encoding, True)
    else:
        content_handler = XMLGenerator(output, encoding)''', '''\
    content_handler = XMLGenerator(output, encoding, bool(short_empty_elements))''')),
    "comments_conditional": case(
        X, "_DictSAXHandler.comments", "conditional expression",
        "the comment's stripping as a conditional expression in the call",
        ('''\
        if self.strip_whitespace:
            data = data.strip()
        self.item = self.push_data(self.item, self.comment_key, data)''', '''\
        self.item = self.push_data(self.item, self.comment_key,
                                   data.strip() if self.strip_whitespace else data)''')),
}

CARELESS = {
    "force_list_true_dropped": case(
        X, "_DictSAXHandler._should_force_list", "guard dropped",
        "force_list=True no longer means every key: a bool is tried as a collection",
        ('''\
        if isinstance(self.force_list, bool):
            return self.force_list
''', ''),
        probe=Probe(SETUP, "xmltodict.parse('<a><b>1</b></a>', force_list=True)",
                    "{'a': [{'b': ['1']}]}",
                    'raises TypeError')),
    "build_name_rpartition": case(
        X, "_DictSAXHandler._build_name", "stdlib call",
        "rpartition instead of rfind and a one-character slice: a longer separator differs",
        ('''\
        i = full_name.rfind(self.namespace_separator)
        if i == -1:
            return full_name
        namespace, name = full_name[:i], full_name[i+1:]''', '''\
        namespace, found, name = full_name.rpartition(self.namespace_separator)
        if not found:
            return full_name'''),
        probe=Probe(SETUP, "xmltodict.parse('<x::y>1</x::y>', namespace_separator='::', "
                    "namespaces={'x': 'X'})",
                    "{'X:::y': '1'}",
                    "{'X::y': '1'}")),
    "namespace_prefix_first_char": case(
        X, "_process_namespace", "off-by-one slice",
        "an attribute is told by its first character, not by the whole attr_prefix",
        ("            attr_prefix if ns.startswith(attr_prefix) else '',",
         "            attr_prefix if ns[:1] == attr_prefix else '',"),
        probe=Probe(SETUP, "xmltodict.unparse({'a': {'at_x:b': '1'}}, namespaces={'x': 'u'}, "
                    "attr_prefix='at_', full_document=False)",
                    '\'<a u:b="1"></a>\'',
                    '\'<a ="1"></a>\'')),
    "emit_xmlns_none_key": case(
        X, "_emit", "None handling",
        "an @xmlns prefix of None is written as the text 'None', not as the default",
        ("attr = 'xmlns{}'.format(':{}'.format(k) if k else '')",
         "attr = 'xmlns{}'.format(':{}'.format(k) if k != '' else '')"),
        probe=Probe(SETUP, "xmltodict.unparse({'a': {'@xmlns': {None: 'u'}}}, "
                    "full_document=False)",
                    '\'<a xmlns="u"></a>\'',
                    '\'<a xmlns:None="u"></a>\'')),
    "emit_newline_constant": case(
        X, "_emit", "changed default",
        "the line break after a start tag with children is always '\\n', whatever newl is",
        ('''\
        if pretty and children:
            content_handler.ignorableWhitespace(newl)''', '''\
        if pretty and children:
            content_handler.ignorableWhitespace('\\n')'''),
        probe=Probe(SETUP, "xmltodict.unparse({'a': {'b': '1'}}, pretty=True, newl='\\r\\n', "
                    "full_document=False)",
                    "'<a>\\r\\n\\t<b>1</b>\\r\\n</a>'",
                    "'<a>\\n\\t<b>1</b>\\r\\n</a>'")),
    "emit_xmlns_string": case(
        X, "_emit", "type check dropped",
        "an @xmlns that is not a dict is taken for one",
        ("if ik == '@xmlns' and isinstance(iv, dict):", "if ik == '@xmlns':"),
        probe=Probe(SETUP, "xmltodict.unparse({'a': {'@xmlns': 'u'}}, full_document=False)",
                    '\'<a xmlns="u"></a>\'',
                    'raises AttributeError')),
    "parse_str_utf8": case(
        X, "parse", "changed default",
        "a str input is always encoded as UTF-8, though expat is told `encoding`",
        ('''\
        if not encoding:
            encoding = 'utf-8'
        xml_input = xml_input.encode(encoding)''', '''\
        xml_input = xml_input.encode('utf-8')
        encoding = encoding or 'utf-8\''''),
        probe=Probe(SETUP, "xmltodict.parse('<a>\\u00e9</a>', encoding='latin-1')",
                    "{'a': 'é'}",
                    "{'a': 'Ã©'}")),
    "start_element_xmlns_always": case(
        X, "_DictSAXHandler.startElement", "guard dropped",
        "namespace declarations attached to an element even when it has no attributes",
        ("        if attrs and self.namespace_declarations:",
         "        if self.namespace_declarations:"),
        probe=Probe(SETUP, "xmltodict.parse('<a xmlns=\"u\">1</a>', process_namespaces=True)",
                    "{'u:a': '1'}",
                    "{'u:a': {'@xmlns': {'': 'u'}, '#text': '1'}}")),
    "comments_always_stripped": case(
        X, "_DictSAXHandler.comments", "guard dropped",
        "a comment is stripped even when white space is kept",
        ('''\
        if self.strip_whitespace:
            data = data.strip()
        self.item = self.push_data(self.item, self.comment_key, data)''', '''\
        self.item = self.push_data(self.item, self.comment_key, data.strip())'''),
        probe=Probe(SETUP, "xmltodict.parse('<a><!-- x --></a>', process_comments=True, "
                    "strip_whitespace=False)",
                    "{'a': {'#comment': ' x '}}",
                    "{'a': {'#comment': 'x'}}")),
    "push_data_parent_path": case(
        X, "_DictSAXHandler.push_data", "argument changed",
        "the postprocessor is given the parent's path, not the element's own",
        ("            result = self.postprocessor(self.path, key, data)",
         "            result = self.postprocessor(self.path[:-1], key, data)"),
        probe=Probe(SETUP, "xmltodict.parse('<a><b>1</b></a>', "
                    "postprocessor=lambda path, key, value: (key + str(len(path)), value))",
                    "{'a1': {'b2': '1'}}",
                    "{'a0': {'b1': '1'}}")),
}
