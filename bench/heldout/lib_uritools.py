"""uritools 6.1.5 (MIT), held out (wave 3): RFC 3986 URI references split into their
components and composed from them, str or bytes alike; percent-encoding and decoding,
ports as integers, IP-literal hosts, query lists and dictionaries, relative references
resolved against a base. Its suite (tests/) runs every statement of
src/uritools/__init__.py, so every refactor below changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "uritools"
URI = "uritools/__init__.py"
SETUP = "import uritools"

_GETPORT = '''        port = self.port
        if port:
            return int(port)
        else:
            return default
'''

_PATH_CHECKS = '''    path = uriencode(path, _SAFE_PATH, encoding)
    if authority is not None and path and not path.startswith(b"/"):
        raise ValueError("Invalid path with authority component")
    if authority is None and path.startswith(b"//"):
        raise ValueError("Invalid path without authority component")
'''

_PATH_HELPER = '''def _checked_path(path, authority):
    """The encoded `path`, checked against `authority` (RFC 3986 3.3)."""
    if authority is not None and path and not path.startswith(b"/"):
        raise ValueError("Invalid path with authority component")
    if authority is None and path.startswith(b"//"):
        raise ValueError("Invalid path without authority component")
    return path


def uricompose('''

_QUERYLIST = '''        result = []
        for parts in [qs.partition(self._EQ) for qs in qsl if qs]:
            name = uridecode(parts[0], encoding, errors)
            if parts[1]:
                value = uridecode(parts[2], encoding, errors)
            else:
                value = None
            result.append((name, value))
        return result
'''

_QUERYLIST_COMPREHENSION = '''        return [
            (
                uridecode(name, encoding, errors),
                uridecode(value, encoding, errors) if eq else None,
            )
            for name, eq, value in (qs.partition(self._EQ) for qs in qsl if qs)
        ]
'''

_DOT_SEGMENTS = '''        pseg = []
        for s in path.split(cls._SLASH):
            if s == cls._DOT:
                continue
            elif s != cls._DOTDOT:
                pseg.append(s)
            elif len(pseg) == 1 and not pseg[0]:
                continue
            elif pseg and pseg[-1] != cls._DOTDOT:
                pseg.pop()
            else:
                pseg.append(s)
        # adjust for trailing '/.' or '/..'
        if path.rpartition(cls._SLASH)[2] in (cls._DOT, cls._DOTDOT):
            pseg.append(cls._EMPTY)
        if path and len(pseg) == 1 and pseg[0] == cls._EMPTY:
            pseg.insert(0, cls._DOT)
        return cls._SLASH.join(pseg)
'''

CONTROLS = {
    "getport_guard": case(
        URI, "SplitResult.getport", "guard clause",
        "the no-port case returns first and the else goes",
        (_GETPORT, "        port = self.port\n        if not port:\n            return default\n"
                   "        return int(port)\n")),
    "path_checks_helper": case(
        URI, "uricompose", "helper extracted",
        "the path's two checks against the authority (RFC 3986 3.3) moved to a private "
        "module function that answers the path",
        (_PATH_CHECKS, "    path = _checked_path(uriencode(path, _SAFE_PATH, encoding), "
                       "authority)\n"),
        ("\n\ndef uricompose(", "\n\n" + _PATH_HELPER)),
    "querylist_comprehension": case(
        URI, "SplitResult.getquerylist", "comprehension",
        "the (name, value) pairs built by a list comprehension over the partitions instead "
        "of append in a loop",
        (_QUERYLIST, _QUERYLIST_COMPREHENSION)),
    "dot_segments_rename": case(
        URI, "SplitResult.__remove_dot_segments", "renamed local",
        "pseg renamed segments",
        (_DOT_SEGMENTS, _DOT_SEGMENTS.replace("pseg", "segments"))),
}

CARELESS = {
    "port_zero_is_missing": case(
        URI, "SplitResult.getport", "falsy value taken for absent",
        "the port read as int(self.port or 0) and answered `or default`: port 0 is taken "
        "for no port and the default answered",
        (_GETPORT, "        port = int(self.port or 0)\n        return port or default\n"),
        probe=Probe(SETUP, "uritools.urisplit('http://h:0/').getport(80)", "0", "80")),
    "decode_bytes_default_utf8": case(
        URI, "uridecode", "changed default",
        "with encoding=None a str is encoded as UTF-8 instead of ASCII: a non-ASCII "
        "character is taken as its UTF-8 bytes instead of raising UnicodeEncodeError",
        ('        uristring = uristring.encode(encoding or "ascii", errors)',
         '        uristring = uristring.encode(encoding or "utf-8", errors)'),
        probe=Probe(SETUP, "uritools.uridecode('\\xe4', encoding=None)",
                    "raises UnicodeEncodeError", "b'\\xc3\\xa4'")),
    "colon_anywhere_in_path": case(
        URI, "uricompose", "condition widened",
        "the colon looked for in the whole relative path, not only its first segment "
        "(RFC 3986 4.2): 'a/b:c' is written './a/b:c'",
        ('        if b":" in path.partition(b"/")[0]:', '        if b":" in path:'),
        probe=Probe(SETUP, "uritools.uricompose(path='a/b:c')", "'a/b:c'", "'./a/b:c'")),
    "port_leading_zeros_dropped": case(
        URI, "_port", "normalisation added",
        "the port written back through int() once its digits are checked: leading zeros "
        "are dropped ('042' composes ':42', not ':042')",
        ('        return b":" + port', '        return b":" + str(int(port)).encode()'),
        probe=Probe(SETUP, "uritools.uricompose(host='h', port='042')", "'//h:042'",
                    "'//h:42'")),
    "querydict_plain_dict": case(
        URI, "SplitResult.getquerydict", "container type changed",
        "the query dictionary built as a plain dict with setdefault instead of a "
        "defaultdict(list): a name the query lacks raises KeyError instead of answering []",
        ('''        result = collections.defaultdict(list)
        for name, value in self.getquerylist(sep, encoding, errors):
            result[name].append(value)''', '''        result = {}
        for name, value in self.getquerylist(sep, encoding, errors):
            result.setdefault(name, []).append(value)'''),
        probe=Probe(SETUP, "uritools.urisplit('?a=1').getquerydict()['b']", "[]",
                    "raises KeyError")),
}
