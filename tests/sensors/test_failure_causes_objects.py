"""A failing assert on an object the library made names the method it calls (sensors.
failure_causes, failure_reach.object_calls): python-semver's `assert v.bump_prerelease("")
== expected` was caused by `parse_version_info` (the one function the test's body calls by
name), and `assert str(dev_version) == ...` after `dev_version = version.replace(...)` by
nothing, so a repair's prompt showed the wrong code or none (issue 50's Qwen run)."""

from __future__ import annotations

from sensors.failure_causes import causes_of

VERSION = ('class Version:\n    def __init__(self, text):\n        self.text = text\n\n'
           '    def bump(self, token="rc"):\n        return Version(self.text + token)\n\n'
           '    def replace(self, **parts):\n        return Version(self.text)\n\n'
           '    def get(self, key):\n        return key\n\n'
           '    def render(self):\n        return self.text\n\n'
           '    def __hash__(self):\n        return hash(self.text)\n\n'
           '    def __lt__(self, other):\n        return self.text < other.text\n\n\n'
           'class Range:\n    def render(self):\n        return "*"\n\n\n'
           'def parse(text):\n    return Version(text)\n')
TESTS = '''from pkg import parse


def test_bump_with_empty_token():
    v = parse("1.2.3")
    expected = parse("1.2.3-1")
    assert v.bump("") == expected


def test_replace_keeps_the_text():
    version = parse("1.1.0")
    dev = version.replace(pre="dev")
    assert str(dev) == "1.1.0-dev"


def test_a_dict_is_no_library_object():
    parse("1.0.0")
    d = {}
    assert d.get("x") == 1


def test_two_classes_define_render():
    v = parse("1.0.0")
    assert v.render() == "2"


def test_equal_versions_have_equal_hashes():
    v1 = parse("1.2.3+a")
    v2 = parse("1.2.3+b")
    assert hash(v1) == hash(v2)


def test_ordered():
    low = parse("1.0.0")
    high = parse("2.0.0")
    assert low < high


def test_hash_of_a_literal():
    parse("1.0.0")
    assert hash("x") == 1
'''
TEXTS = {"pkg/__init__.py": "from pkg.version import Version, parse\n",
         "pkg/version.py": VERSION, "tests/test_v.py": TESTS}


def _causes(test: str, line: int) -> set[str]:
    return set(causes_of(f"tests/test_v.py::{test}", f"tests/test_v.py:{line}", set(TEXTS),
                         lambda rel: TEXTS.get(rel, "")))


def test_the_method_the_failing_line_calls_on_a_library_object_is_the_cause():
    causes = _causes("test_bump_with_empty_token", 7)
    assert "fn:pkg/version.py::Version.bump" in causes
    assert "fn:pkg/version.py::parse" not in causes  # the body's one call is not it


def test_an_asserted_value_is_followed_to_the_call_that_made_it():
    assert "fn:pkg/version.py::Version.replace" in _causes("test_replace_keeps_the_text", 13)


def test_a_literal_and_a_method_two_classes_define_name_no_method():
    dict_get = _causes("test_a_dict_is_no_library_object", 19)
    assert not any(c.endswith("Version.get") for c in dict_get)  # `d = {}` is a dict
    render = _causes("test_two_classes_define_render", 24)
    assert not any(".render" in c for c in render)  # Version's or Range's: no guess


def test_a_builtin_or_a_comparison_on_library_objects_names_the_special_method():
    """Measured (stop 63): semver's db55f27cb7c3 (`assert hash(v1) == hash(v2)`, fixed in
    `__hash__`) was caused by `VersionInfo.__init__`, the one function the values came from,
    so the repair's prompt showed the constructor and the model edited it."""
    hashed = _causes("test_equal_versions_have_equal_hashes", 30)
    assert "fn:pkg/version.py::Version.__hash__" in hashed
    assert "fn:pkg/version.py::parse" not in hashed
    assert "fn:pkg/version.py::Version.__lt__" in _causes("test_ordered", 36)
    assert not any("__hash__" in c for c in _causes("test_hash_of_a_literal", 41))
