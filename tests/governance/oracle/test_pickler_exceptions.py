"""An exception is pickled as it is (governance.oracle.pickler): made by its builtin base's
`__new__`, its attributes set, its `__init__` never run again on load."""

from __future__ import annotations

import pickle


class Retired(Exception):
    def __init__(self, **kwargs):
        self.remedy = f"Use [{kwargs['change_to']}]" if kwargs.get("change_to") else ""
        super().__init__(kwargs["name"])


def test_an_exception_built_from_keywords_pickles_as_it_is() -> None:
    """pickle's default loads an exception by calling its class with `args`: one built
    from keywords alone failed there (iso639-lang's DeprecatedLanguageValue, wave 20), so
    no call of its `__init__` was ever replayed. It loads now as it was, `__init__` unrun."""
    from governance.oracle.pickler import by_name
    fresh = Exception.__new__(Retired)  # what `__init__` is handed
    loaded = pickle.loads(by_name(([fresh], {"name": "Aariya", "change_to": ""})))
    assert type(loaded[0][0]) is Retired and loaded[0][0].args == ()
    made = Retired(name="Gascon", change_to="oci")
    again = pickle.loads(by_name(made))
    assert again.args == ("Gascon",) and again.remedy == "Use [oci]"
