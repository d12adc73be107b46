"""What a function does with a parameter no annotation names, read off its body
(governance.proof.param_roles): a text, a table, a key into a table."""

from __future__ import annotations

import ast

from governance.proof.param_roles import key_params, table_params, text_params


def _roles(source: str) -> tuple[set[str], set[str], set[str]]:
    node = ast.parse(source).body[0]
    return set(text_params(node)), set(table_params(node)), set(key_params(node))


def test_json_merge_patch_move_to_start_takes_a_table_and_a_key_into_its_copy() -> None:
    """The fallback for Pythons before 3.2, which no test calls (wave 26)."""
    source = ("def move_to_start(result, key):\n    result_copy = result.copy()\n"
              "    result.clear()\n    result[key] = result_copy.pop(key)\n"
              "    result.update(result_copy)\n")
    assert _roles(source) == (set(), {"result"}, {"key"})


def test_each_lookup_form_names_a_key_and_annotated_or_unused_parameters_none() -> None:
    source = ("def f(t, a, b, c, d, e: str, other):\n"
              "    t.setdefault(a, 0)\n    x = t[b]\n    y = c in t\n    z = t.get(d)\n"
              "    w = t.get(e)\n    v = other[a]\n    return x, y, z, w, v\n")
    assert _roles(source) == (set(), {"t"}, {"a", "b", "c", "d"})


def test_a_texts_method_makes_a_text_and_a_lists_methods_no_table() -> None:
    assert _roles("def f(s, items):\n    items.pop()\n    items.clear()\n"
                  "    return s.split(',')\n") == ({"s"}, set(), set())
    # a parameter used as both is a text: `update` is a set's too, `split` a text's alone
    assert _roles("def f(s):\n    s.update(1)\n    return s.split(',')\n") \
        == ({"s"}, set(), set())
    assert _roles("def f(t, k):\n    d = dict(t)\n    t.items()\n    return d[k]\n") \
        == (set(), {"t"}, {"k"})
