"""idna 3.20 (BSD-3-Clause), held out: IDNA 2008 and UTS 46 domain names: str/bytes
coercion, label and domain length limits, contextual rules over code points, integer ranges
searched by bisection, and an incremental codec. Its suite (less the UTS 46 conformance
file, layouts.LEFT_OUT) leaves the right-hand scan of `valid_contextj` unrun: one control
extracts a helper over it, one careless refactor breaks it."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "idna"
CORE, RANGES, CODEC = "idna/core.py", "idna/intranges.py", "idna/codec.py"
SETUP = "import codecs, idna, idna.codec, idna.intranges"

_JOIN_SCANS = '''        ok = False
        for i in range(pos - 1, -1, -1):
            joining_type = _joining_type(ord(label[i]))
            if joining_type == "T":
                continue
            if joining_type in _bidi_joiner_l_or_d:
                ok = True
                break
            break

        if not ok:
            return False

        ok = False
        for i in range(pos + 1, len(label)):
            joining_type = _joining_type(ord(label[i]))
            if joining_type == "T":
                continue
            if joining_type in _bidi_joiner_r_or_d:
                ok = True
                break
            break
        return ok
'''

_JOIN_HELPER = '''def _joins(label: str, indices: range, wanted: frozenset) -> bool:
    """Whether the first code point at `indices` whose joining type is not T (transparent)
    has one of the `wanted` joining types."""
    for i in indices:
        joining_type = _joining_type(ord(label[i]))
        if joining_type != "T":
            return joining_type in wanted
    return False


def valid_contextj('''

CONTROLS = {
    "contextj_scan_helper": case(
        CORE, "valid_contextj", "helper extracted (lines no test runs)",
        "both scans around a ZERO WIDTH NON-JOINER moved to one private helper; the suite "
        "never runs the right-hand scan",
        (_JOIN_SCANS, "        return _joins(label, range(pos - 1, -1, -1), "
                      "_bidi_joiner_l_or_d) and _joins(\n"
                      "            label, range(pos + 1, len(label)), _bidi_joiner_r_or_d\n"
                      "        )\n"),
        ("def valid_contextj(", _JOIN_HELPER)),
    "contexto_hebrew_boolean": case(
        CORE, "valid_contexto", "branch made a boolean expression",
        "a geresh's `if pos > 0: return ...` and `return False` made one `and`",
        ("        if pos > 0:\n            return _is_script(label[pos - 1], \"Hebrew\")\n"
         "        return False",
         "        return pos > 0 and _is_script(label[pos - 1], \"Hebrew\")")),
    "intranges_contain_rename": case(
        RANGES, "intranges_contain", "renamed local",
        "tuple_ renamed key",
        ("    tuple_ = _encode_range(int_, 0)\n    pos = bisect.bisect_left(ranges, tuple_)",
         "    key = _encode_range(int_, 0)\n    pos = bisect.bisect_left(ranges, key)")),
    "intranges_left_strict": case(
        RANGES, "intranges_contain", "bound tightened where another branch answers",
        "left <= int_ written left < int_: a range starting at int_ sorts after the key, so "
        "the second branch answers it",
        ("        if left <= int_ < right:", "        if left < int_ < right:")),
    "intranges_enumerate": case(
        RANGES, "intranges_from_list", "loop over enumerate",
        "range(len(...)) written enumerate, the next element read by index",
        ("    for i in range(len(sorted_list)):\n"
         "        if i + 1 < len(sorted_list) and sorted_list[i] == sorted_list[i + 1] - 1:",
         "    for i, value in enumerate(sorted_list):\n"
         "        if i + 1 < len(sorted_list) and value == sorted_list[i + 1] - 1:")),
    "encode_label_guard": case(
        CORE, "encode", "guard clause",
        "the empty-label branch made a guard before the append",
        ("        s = alabel(label)\n        if s:\n            result.append(s)\n"
         "        else:\n            raise IDNAError(\"Empty label\", code=\"empty_label\")",
         "        s = alabel(label)\n        if not s:\n"
         "            raise IDNAError(\"Empty label\", code=\"empty_label\")\n"
         "        result.append(s)")),
    "decode_label_guard": case(
        CORE, "decode", "guard clause",
        "the empty-label branch made a guard before the append",
        ("        if u:\n            result.append(u)\n        else:\n"
         "            raise IDNAError(\"Empty label\", code=\"empty_label\")",
         "        if not u:\n            raise IDNAError(\"Empty label\", code=\"empty_label\")\n"
         "        result.append(u)")),
    "ulabel_prefix_constant": case(
        CORE, "ulabel", "variable inlined",
        "the prefix's length written 4",
        ("        label_bytes = label_bytes[len(_alabel_prefix) :]",
         "        label_bytes = label_bytes[4:]")),
    "encoder_state_conditional": case(
        CODEC, "IncrementalEncoder.getstate", "conditional expression",
        "the early return made one conditional expression",
        ("        if not self.buffer and not self._emitted:\n            return 0\n"
         "        return (self.buffer, self._emitted, self._trailing_dot)",
         "        return 0 if not self.buffer and not self._emitted else (\n"
         "            self.buffer, self._emitted, self._trailing_dot)")),
    "intranges_range_end_max": case(
        RANGES, "intranges_from_list", "stdlib call",
        "a run's last element read with max() (the run is sorted)",
        ("        ranges.append(_encode_range(current_range[0], current_range[-1] + 1))",
         "        ranges.append(_encode_range(current_range[0], max(current_range) + 1))")),
}

CARELESS = {
    "contexto_middle_dot_end": case(
        CORE, "valid_contexto", "boundary moved",
        "a middle dot's 'not last' bound made <= len - 1: the last position reads past the end",
        ("        return 0 < pos < len(label) - 1 and",
         "        return 0 < pos <= len(label) - 1 and"),
        probe=Probe(SETUP, "idna.encode('l\\u00b7')", "raises InvalidCodepointContext",
                    "raises IndexError")),
    "contexto_geresh_first": case(
        CORE, "valid_contexto", "boundary moved",
        "a geresh at position 0 looks at the code point before it (pos >= 0 for pos > 0): "
        "the label's last",
        ("        if pos > 0:\n            return _is_script(label[pos - 1], \"Hebrew\")",
         "        if pos >= 0:\n            return _is_script(label[pos - 1], \"Hebrew\")"),
        probe=Probe(SETUP, "idna.core.valid_contexto('\\u05f3\\u05d0', 0)", "False",
                    "True")),
    "intranges_unsorted": case(
        RANGES, "intranges_from_list", "coercion removed",
        "the list no longer sorted first",
        ("    sorted_list = sorted(list_)", "    sorted_list = list(list_)"),
        probe=Probe(SETUP, "idna.intranges.intranges_from_list([3, 1, 2])", "(4294967300,)",
                    "(12884901892, 4294967299)")),
    "contexto_digits_bound": case(
        CORE, "valid_contexto", "boundary moved",
        "the Extended Arabic-Indic digits' range made to stop before U+06F9 (< for <=)",
        ("        return not any(0x6F0 <= ord(cp) <= 0x06F9 for cp in label)",
         "        return not any(0x6F0 <= ord(cp) < 0x06F9 for cp in label)"),
        probe=Probe(SETUP, "idna.core.valid_contexto('\\u0660\\u06f9', 0)", "False",
                    "True")),
    "nfc_made_nfkc": case(
        CORE, "check_nfc", "normalisation form",
        "NFC written NFKC: a compatibility character fails as not normalised",
        ('    if unicodedata.normalize("NFC", label) != label:',
         '    if unicodedata.normalize("NFKC", label) != label:'),
        probe=Probe(SETUP, "idna.encode('\\ufb01')", "raises InvalidCodepoint",
                    "raises IDNAError")),
    "intranges_deduplicated": case(
        RANGES, "intranges_from_list", "set added",
        "the list made a set before sorting: repeated integers give other ranges",
        ("    sorted_list = sorted(list_)", "    sorted_list = sorted(set(list_))"),
        probe=Probe(SETUP, "idna.intranges.intranges_from_list([1, 1, 2])",
                    "(4294967298, 4294967299)", "(4294967299,)")),
    "encoder_state_emitted_dropped": case(
        CODEC, "IncrementalEncoder.getstate", "condition dropped",
        "the state reads as fresh (0) whenever the buffer is empty, though octets were emitted",
        ("        if not self.buffer and not self._emitted:\n            return 0",
         "        if not self.buffer:\n            return 0"),
        probe=Probe(SETUP, "(lambda e: (e.encode('ab.'), e.getstate())[1])("
                           "codecs.getincrementalencoder('idna2008')())",
                    "('', 3, True)", "0")),
}
