"""The replay runner's search (governance.oracle.replay_search) in one process: each input
tried is answered once by each tree and both rows are written (the daemon compares them by
key), a difference is shrunk toward the captured call, and the peer answers from another
process."""

from __future__ import annotations

import enum
import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import find

from governance.oracle import replay_search
from governance.oracle.replay_inputs import generated, parameters
from governance.oracle.replay_peer import Peer
from governance.oracle.replay_search import search_path, searched

pytest.importorskip("hypothesis")


@pytest.fixture(autouse=True)
def _fewer_examples(monkeypatch):
    monkeypatch.setattr(replay_search, "MAX_EXAMPLES", 80)  # the suite's time; same rules


def _micros(text: str, rounding: bool = False) -> int:
    whole, _, frac = text.partition(".")
    if len(frac) > 6:
        raise ValueError("at most six decimals")
    scaled = float("0." + frac) * 1e6 if frac else 0
    return int(whole) * 1000000 + (round(scaled) if rounding else int(scaled))


def _answering(fn):
    def answer(blob: bytes) -> dict:
        args, kwargs = pickle.loads(blob)
        try:
            shown = repr(fn(*args, **kwargs))
        except Exception as exc:  # an exception is an answer
            shown = f"raises {type(exc).__name__}"
        return {"answer": hashlib.sha256(shown.encode()).hexdigest(), "shown": shown,
                "kind": "return", "deterministic": True, "input": repr(args)}
    return answer


BASE, CAND = _answering(_micros), _answering(lambda t: _micros(t, rounding=True))
CALLS = [pickle.dumps((("2.5",), {})), pickle.dumps((("3",), {}))]


def _counted(answer, asked: list[bytes]):
    def counting(blob: bytes) -> dict:
        asked.append(blob)
        return answer(blob)
    return counting


def test_both_trees_rows_are_written_each_input_answered_once_the_difference_first_shrunk():
    # One search answers each input on both trees, once each, and writes both rows: the
    # candidate's runner no longer searches the same inputs again beside a peer of its own
    mine, theirs = [], []
    rows = searched(CALLS, [1e6], _counted(BASE, mine), _counted(CAND, theirs), 20.0)
    assert mine == theirs and len(mine) >= len(rows) > 1  # each try: one ask of each tree
    assert all(r["key"] == t["key"] and b in mine for b, r, t in rows)
    blob, first, other = rows[0]
    assert first["answer"] != other["answer"]  # the daemon's compare sees a difference
    (text,), _ = pickle.loads(blob)
    assert len(text.partition(".")[2]) == 6 and _micros(text) != _micros(text, True)
    assert first["shown"] == repr(_micros(text)) and other["shown"] == repr(_micros(text, True))


def test_a_difference_on_an_exotic_input_does_not_stop_the_search():
    """A row the runner marks `exotic` (a Decimal or Fraction where callers pass whole
    numbers) is no evidence (governance.oracle.replay_kinds.exotic): a difference there
    must not end the search before the telling input is found."""
    def marked(answer):
        def exotic_first(blob: bytes) -> dict:
            return {**answer(blob), "exotic": True}
        return exotic_first
    rows = searched(CALLS, [1e6], marked(BASE), marked(CAND), 20.0)
    assert len(rows) > 40  # it went on past every difference, to its examples' end
    assert any(r["answer"] != t["answer"] for _, r, t in rows)


def test_alike_trees_give_evidence_and_no_difference():
    rows = searched(CALLS, [1e6], BASE, BASE, 20.0)
    assert len(rows) > 40 and len({r["key"] for _, r, _ in rows}) == len(rows)
    assert all(r["answer"] == t["answer"] for _, r, t in rows)


def test_a_peer_answers_from_its_own_process_and_a_gone_peer_stops_the_search():
    seen = []
    peer = Peer.start(seen.append, {"x.py": "text"}, lambda f, q, b, c: {"pid": __import__(
        "os").getpid(), "file": f, "blob": b, "closure": c}, 10.0)
    assert peer is not None
    try:
        row = peer.ask("x.py", "f", b"123")
        assert row["file"] == "x.py" and row["blob"] == b"123" and row["pid"] == peer.pid
        assert row["closure"] is None and peer.ask("x.py", "f", b"1", "c")["closure"] == "c"
        assert seen == []  # installed in the peer, not here
    finally:
        peer.close()
    assert peer.ask("x.py", "f", b"1") is None
    assert searched(CALLS, [], BASE, lambda blob: None, 20.0) == []  # no pairs, no rows


def test_an_interpreter_without_hypothesis_imports_the_daemons_for_the_search_only():
    # `-S`: no site-packages, as a tree's own venv without Hypothesis. The daemon's
    # directory serves the import, and is off sys.path again after it.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from governance.oracle.replay_search import _importable; "
            "print(_importable(''), _importable(sys.argv[2]), sys.argv[2] in sys.path, "
            "'hypothesis.strategies' in sys.modules)")
    root = str(Path(__file__).resolve().parents[3])
    ran = subprocess.run([sys.executable, "-S", "-c", code, root, search_path()],
                         capture_output=True, text=True, timeout=120, check=True)
    assert ran.stdout.split() == ["False", "True", "False", "True"], ran.stderr


def test_an_argument_is_left_to_its_default_where_only_the_default_changed():
    def newline(text, sep="\n", pretty=False):
        return f"{text}{sep}{pretty}"

    def careless(text, sep="\r\n", pretty=False):  # every captured call passes sep
        return f"{text}{sep}{pretty}"

    calls = [pickle.dumps((("x", "\t", True), {}))]
    rows = searched(calls, [], _answering(newline), _answering(careless), 20.0,
                    params=parameters(newline))
    (blob, first, other), *_ = rows
    assert first["answer"] != other["answer"] == _answering(careless)(blob)["answer"]
    args, kwargs = pickle.loads(blob)
    assert len(args) == 1 and "sep" not in kwargs  # `pretty`, if given, goes by name


def test_a_process_that_searched_leaves_no_directory_behind(tmp_path: Path):
    # Hypothesis's storage lives in a private directory while the runner runs (never the
    # tree's); out of the jail /tmp is the host's, and 256 were left there in one suite run.
    code = ("import pickle, sys; sys.path.insert(0, sys.argv[1]); "
            "from governance.oracle.replay_search import searched; "
            "one = lambda b: {'answer': 'a', 'kind': 'return', 'deterministic': True}; "
            "rows = searched([pickle.dumps(((1,), {}))], [], one, one, 0.3); "
            "import os; print(len(rows), "
            "os.path.isdir(os.environ['HYPOTHESIS_STORAGE_DIRECTORY']))")
    root = str(Path(__file__).resolve().parents[3])
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    ran = subprocess.run([sys.executable, "-c", code, root], capture_output=True, text=True,
                         timeout=120, check=True, env=env)
    found, existed = ran.stdout.split()
    assert int(found) > 0 and existed == "True", ran.stderr  # it searched, with a directory
    assert list(tmp_path.iterdir()) == []  # and removed it on exit


def _peer_of(fn) -> Peer:
    """A real forked peer answering as the runner's does (a whole row), with `fn`."""
    from governance.oracle.replay_answer import answer_row
    peer = Peer.start(lambda texts: None, {"x.py": "other"},
                      lambda f, q, blob, closure: answer_row(fn, "", blob, 1.0), 10.0)
    assert peer is not None
    return peer


def test_the_search_is_spared_only_where_an_answered_input_already_tells_the_trees_apart():
    from governance.oracle.replay_answer import answer_row as _one
    from governance.oracle.replay_asking import told_apart as _told_apart
    spec = {"file": "x.py", "qualname": "f"}
    blobs = [pickle.dumps(((n,), {})) for n in (1, 2, 3)]
    rows = [_one(abs, f"c{i}", b, 1.0) for i, b in enumerate(blobs)]
    alike, apart = _peer_of(abs), _peer_of(lambda n: n if n < 3 else -n)
    try:
        assert not _told_apart(spec, blobs, rows, alike)  # nothing in hand: it searches
        assert _told_apart(spec, blobs, rows, apart)  # 3 -> 3 against -3: a counterexample
    finally:
        alike.close()
        apart.close()
    unsteady = [dict(r, deterministic=False) for r in rows]
    moving = _peer_of(lambda n: -n)
    try:  # an answer of this tree's that moved proves nothing: the search still runs
        assert not _told_apart(spec, blobs, unsteady, moving)
    finally:
        moving.close()
    assert not _told_apart(spec, blobs, rows, moving)  # a gone peer: no certainty


class Box:
    """A method's object: what the search may take the place of `self` is another Box."""

    def __init__(self, width: int) -> None:
        self.width = width

    def area(self, k: int) -> int:
        return self.width * k


def test_a_methods_object_stays_an_object_of_its_class_in_every_input():
    """`SimpleEval._eval_call(None, node)` was a held-out "counterexample" no caller can
    make: with `receives`, the first argument stays a captured instance of the class."""
    from governance.oracle.replay_inputs import receives

    assert receives(Box.area, "Box.area") and not receives(_micros, "_micros")
    calls = [pickle.dumps(((Box(3), 2), {})), pickle.dumps(((Box(5), 7), {}))]
    area = _answering(Box.area)
    rows = searched(calls, [], area, area, 20.0, params=parameters(Box.area), receiver=True)
    made = generated(calls, [], 200, fn=Box.area, receiver=True)
    inputs = [pickle.loads(b)[0] for b, _, _ in rows] + [pickle.loads(b)[0] for b in made]
    assert len(rows) > 20 and len(made) > 10
    assert all(args and isinstance(args[0], Box) for args in inputs)
    moved = searched(calls, [], area, area, 20.0, params=parameters(Box.area))
    assert any(not isinstance(pickle.loads(b)[0][0], Box) for b, _, _ in moved)  # the premise


class Cells:
    """texttable's Texttable: a class whose classmethods take it as `cls`."""

    PRECISION = 3

    @classmethod
    def to_float(cls, x: object) -> float:
        try:
            return float(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return -1.0


def _swallows(cls: type, x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except Exception:
        return -1.0


def test_a_classmethods_class_is_never_changed_and_an_overflow_is_tried(capfd):
    """copy.copy of a class is the class: varying 'an attribute of a copy' set it on the
    class itself, Hypothesis found its draws flaky and stopped after 12 inputs, and
    texttable's _to_float swallowing OverflowError landed: no int past a float's range
    was tried, which the generated inputs now always try."""
    calls = [pickle.dumps(((Cells, v), {})) for v in ("67", 2.5, "abc", 1)]
    fn = Cells.to_float.__func__
    rows = searched(calls, [], _answering(fn), _answering(_swallows), 20.0,
                    params=parameters(fn), receiver=True)
    assert "Flaky" not in capfd.readouterr().err and Cells.PRECISION == 3
    assert vars(Cells).keys() >= {"PRECISION", "to_float"} and len(vars(Cells)) < 8
    assert len(rows) > 30  # ran on (12 before: Hypothesis stopped at the flaky draws)
    made = [pickle.loads(b)[0] for b in generated(calls, [], 400, fn=fn, receiver=True)]
    assert all(args[0] is Cells for args in made)
    told = [x for _, x in made if _answering(fn)(pickle.dumps(((Cells, x), {})))["shown"]
            != _answering(_swallows)(pickle.dumps(((Cells, x), {})))["shown"]]
    assert told and all(isinstance(x, int) and abs(x) > 10 ** 308 for x in told)


class Quote(enum.Enum):
    """json5's QuoteStyle: a plain enum whose member an encoder keeps."""

    DOUBLE = "always_double"
    SINGLE = "always_single"


class Encoder:
    def __init__(self) -> None:
        self.quote_style = Quote.DOUBLE
        self.ensure_ascii = True


def test_an_enum_member_is_varied_to_its_siblings_and_never_changed_in_place():
    """copy.copy of an enum member is the member: 'one attribute moved' set its _value_ on
    the enum itself, every later pickle of an encoder failed to load ('a' is not a valid
    QuoteStyle), and all 1,549 generated and searched inputs of json5's
    _encode_quoted_str were lost (a careless change landed on its 74 captured calls)."""
    from governance.oracle import replay_values as vals
    from governance.oracle.replay_widen import widened

    ctx = vals.Context([], [])
    assert vals.near(Quote.DOUBLE, ctx) == [Quote.SINGLE]
    moved = vals.near(Encoder(), ctx)
    assert Quote.DOUBLE.value == "always_double" and moved
    assert all(pickle.loads(pickle.dumps(x)).quote_style in (Quote.DOUBLE, Quote.SINGLE)
               for x in moved if isinstance(x, Encoder))
    calls = [pickle.dumps(((Encoder(), "abc"), {}))]
    made = generated(calls, ["\u2028"], 300, receiver=True)
    assert len(made) > 20 and all(pickle.loads(b) for b in made)
    assert Quote.DOUBLE.value == "always_double"
    assert find(widened(Quote.DOUBLE, [], keep=False), lambda x: x is Quote.SINGLE)  # a member


class Handler:
    """xmltodict's SAX handler: a dozen attributes, the one a method reads late by name."""

    def __init__(self) -> None:
        for name in "abcdefghijkl":
            setattr(self, f"{name}_setting", name)
        self.namespace_separator = ":"

    def build_name(self, full_name: str) -> str:
        i = full_name.rfind(self.namespace_separator)
        return full_name if i == -1 else full_name[i + 1:]


def test_the_attributes_a_method_reads_are_varied_first():
    """Varied eight attributes by name, the handler never had its namespace_separator
    moved: xmltodict's rpartition refactor, which raises on an empty separator, landed."""
    from governance.oracle.replay_inputs import code_names

    assert {"namespace_separator", "rfind"} <= code_names(Handler.build_name)
    calls = [pickle.dumps(((Handler(), "ns:name"), {}))]
    made = [pickle.loads(b)[0] for b in generated(calls, [], 300, fn=Handler.build_name,
                                                  receiver=True)]
    separators = {args[0].namespace_separator for args in made}
    assert "" in separators and len(separators) > 3
    from governance.oracle.replay_answer import answer_row

    blob = next(b for b in generated(calls, [], 300, fn=Handler.build_name, receiver=True)
                if pickle.loads(b)[0][0].namespace_separator == "")
    row = answer_row(Handler.build_name, "g0", blob, 5.0)
    assert row["input"].startswith("Handler(namespace_separator=''")  # what it reads, first


def test_every_value_of_what_the_code_reads_comes_before_any_other_attribute():
    """parso's first leaf (wave 28): five attributes moved in turn, and the prefix's lone
    `\\r`, its fifth value, came past the fifteen neighbours a receiver got. Each attribute
    the method names now has all its values before an attribute it does not name."""
    from governance.oracle import replay_values as vals

    handler = Handler()
    made = vals.near(handler, vals.Context([], names=("namespace_separator", "rfind")))
    moved = [next(k for k, v in vars(x).items() if v != getattr(handler, k))
             for x in made if isinstance(x, Handler) and vars(x) != vars(handler)]
    firsts = moved[:moved.index("a_setting")]
    assert len(firsts) >= 8 and set(firsts) == {"namespace_separator"}, moved[:12]


class _Crc8:
    _width = 5  # a class attribute the method reads through self

    def __init__(self) -> None:
        self._value = 0

    def shift(self) -> int:
        return self._width - 8


def test_a_plain_class_value_the_code_reads_is_varied_on_the_instance():
    """crccheck's CRC classes keep `_width` on the class (wave 29): no captured receiver
    had width 8, where `process`'s branch turns. A number, text or bytes the code reads
    as `self.<name>` from its class is moved in the instance's own __dict__ too."""
    from governance.oracle import replay_values as vals
    from governance.oracle.replay_attrs import shadowed

    crc = _Crc8()
    assert shadowed(crc, {"_width", "shift", "_value"}) == [("_width", 5)]  # not a method
    made = vals.near(crc, vals.Context([8], names=("_width", "_value")))
    widths = [vars(x)["_width"] for x in made if isinstance(x, _Crc8) and "_width" in vars(x)]
    assert 8 in widths and _Crc8._width == 5 and "_width" not in vars(crc)
    assert {type(w) for w in widths} == {int}  # as another class would set it


def test_numbers_bytes_and_written_numbers_get_the_neighbours_callers_pass():
    """Held-out wave 3's careless refactors that landed on inputs never tried: an int
    subclass (`type(n) is not int` written for isinstance refused an IntEnum member), a
    number written with a leading zero (uritools' port '042' composed as ':42'), and any
    neighbour at all of a bytes value (none was made)."""
    from governance.oracle import replay_values as vals

    ctx = vals.Context([], [])
    ints = vals.near(5, ctx)
    assert any(type(n) is not int and isinstance(n, int) and n == 5 for n in ints[:8])
    assert "042" in vals.near("42", ctx) and b"042" in vals.near(b"42", ctx)
    near_bytes = vals.near(b"42", ctx)
    assert all(x in near_bytes for x in (b"41", b"43", b""))
    # a text's stay texts, but for the text as its UTF-8 bytes (a text-or-bytes API's)
    assert [x for x in vals.near("42", ctx) if not isinstance(x, str)] == [b"42"]


class Record:
    """language-tags' Tag: its state is a dict (`data['tag']`) beside a dozen upper-case
    class-like codes."""

    ERR_ONE, ERR_TWO, ERR_THREE = 1, 2, 3

    def __init__(self, tag: str) -> None:
        self.data = {"tag": tag}
        self.ERR_FOUR = 4


def test_a_text_is_searched_with_the_functions_words_put_in_and_its_parts_redrawn():
    """Held-out wave 7: a parser's quoted branch needs a '"' opened before a ';' (a cut
    text or a word alone never has one), and language-tags' format parts ways on a
    one-letter part before a two-letter one ('x-ab'); a tag's text is in its dict, which
    was never varied, beside twelve upper-case codes that were."""
    from governance.oracle.replay_widen import widened

    header = widened("text/html;level=1", [";", '"'], keep=False)
    quoted = find(header, lambda t: isinstance(t, str) and ";" in t.partition('"')[2]
                  and t.startswith("text/html"))
    assert quoted.count('"') >= 1
    parts = widened("zh-hant-tw", [1, 2, "-"], keep=False)
    shape = find(parts, lambda t: isinstance(t, str) and [len(p) for p in t.split("-")]
                 == [2, 1, 2])
    assert shape.startswith("zh-") and shape.endswith("-tw")
    seed = Record("en-us")
    moved = find(widened(seed, [1, 2, "-"], keep=False),
                 lambda r: isinstance(r, Record) and isinstance(r.data, dict)
                 and r.data.get("tag") not in (None, "en-us"))
    assert moved is not seed and seed.data == {"tag": "en-us"}  # the seed is never changed
