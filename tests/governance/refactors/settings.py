"""The settings module of the refactor corpus: an INI-like reader with typed values and
defaults, and a job's state machine as a transition table and a class."""

from tests.governance.refactors.corpus import Module, edits

SOURCE = '''"""An INI-like settings reader, and a job's lifecycle as a state machine."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
TRANSITIONS = {
    ("queued", "start"): "running",
    ("running", "pause"): "paused",
    ("paused", "resume"): "running",
    ("running", "finish"): "done",
    ("running", "fail"): "failed",
    ("failed", "retry"): "queued",
}
FINAL = frozenset({"done"})


def parse_value(raw):
    """'42' -> 42, '1.5' -> 1.5, yes/no/on/off/1/0 -> a bool, a quoted text -> the text
    inside, anything else -> the text."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\\"":
        return text[1:-1]
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse(text, defaults=None):
    """{section: {key: value}} from 'key = value' lines under '[section]' headers; '#' and
    ';' start comments; keys before any header are in 'main'; `defaults` ({section: {key:
    value}}) fill in what the text does not say, and come first."""
    out = {}
    section = "main"
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            out.setdefault(section, {})
            continue
        if "=" not in line:
            raise SyntaxError(f"line {number}: expected key = value")
        key, _, raw = line.partition("=")
        out.setdefault(section, {})[key.strip().lower()] = parse_value(raw)
    for name, values in (defaults or {}).items():
        merged = dict(values)
        merged.update(out.get(name, {}))
        out[name] = merged
    return out


class Job:
    """A job's state and its steps, (event, state) each; at most `max_retries` retries."""

    def __init__(self, name, max_retries=2):
        self.name = name
        self.state = "queued"
        self.retries = 0
        self.max_retries = max_retries
        self.history = []

    def fire(self, event):
        """Apply `event`; one that makes no sense in this state raises, naming both."""
        if self.state in FINAL:
            raise RuntimeError(f"can't {event} when {self.state}: the job is over")
        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise ValueError(f"can't {event} when {self.state}")
        if event == "retry":
            if self.retries >= self.max_retries:
                raise RuntimeError(f"{self.name}: no retries left")
            self.retries += 1
        self.history.append((event, nxt))
        self.state = nxt
        return nxt

    def run(self, events):
        """Fire each event in turn, stopping at the first refused: the states reached."""
        reached = []
        for event in events:
            try:
                reached.append(self.fire(event))
            except (ValueError, RuntimeError):
                break
        return reached
'''

TESTS = '''import pytest

from conf.settings import Job, parse

SAMPLE = """
# the service
name = "api"
debug = 1
workers = 4
ratio = 0.5

[Server]
host = example.org   ; the public name
port = 8080
"""


def test_parse():
    found = parse(SAMPLE, defaults={"server": {"port": 80, "tls": "off"}, "log": {"level": 2}})
    assert found["main"]
    assert len(found) >= 3
    with pytest.raises(SyntaxError):
        parse("[main]\\nno equals sign")


def test_job_lifecycle():
    job = Job("build")
    assert job.run(["start", "fail", "retry", "start", "pause", "resume", "finish"])
    assert job.state == "done"
    with pytest.raises(Exception):
        job.fire("start")


def test_job_refuses():
    job = Job("x", max_retries=0)
    assert job.run(["start", "fail", "retry"])
    with pytest.raises(Exception):
        Job("y").fire("finish")
'''

CARELESS = {
    "ints_before_bools": ("parse_value", "evaluation order", edits(
        ('''    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    try:
        return int(text)
    except ValueError:
        pass
''', '''    try:
        return int(text)
    except ValueError:
        pass
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
'''))),
    "lone_quote": ("parse_value", "off by one", edits(
        ("if len(text) >= 2 and text[0]", "if len(text) >= 1 and text[0]"))),
    "semicolon_kept": ("parse", "comments", edits(
        ('line = line.split("#", 1)[0].split(";", 1)[0].strip()',
         'line = line.split("#", 1)[0].strip()'))),
    "section_case_kept": ("parse", "case/strip", edits(
        ("section = line[1:-1].strip().lower()", "section = line[1:-1].strip()"))),
    "defaults_win": ("parse", "swapped arguments", edits(
        ('''        merged = dict(values)
        merged.update(out.get(name, {}))
''', '''        merged = dict(out.get(name, {}))
        merged.update(values)
'''))),
    "defaults_mutated": ("parse", "mutates an argument", edits(
        ("        merged = dict(values)\n", "        merged = values\n"))),
    "defaults_last": ("parse", "order dependence", edits(
        ('''        merged = dict(values)
        merged.update(out.get(name, {}))
        out[name] = merged
''', '''        section_values = out.setdefault(name, {})
        for key, value in values.items():
            section_values.setdefault(key, value)
'''))),
    "retry_boundary": ("Job.fire", "boundary", edits(
        ("if self.retries >= self.max_retries:", "if self.retries > self.max_retries:"))),
    "finish_skips_history": ("Job.fire", "early return skips a side effect", edits(
        ('''        self.history.append((event, nxt))
        self.state = nxt
''', '''        self.state = nxt
        if nxt in FINAL:
            return nxt
        self.history.append((event, nxt))
'''))),
    "bad_event_key_error": ("Job.fire", "exception type", edits(
        ('raise ValueError(f"can\'t {event} when {self.state}")',
         'raise KeyError(f"can\'t {event} when {self.state}")'),
        ("except (ValueError, RuntimeError):", "except (KeyError, RuntimeError):"))),
    "job_retry_early": ("Job.fire", "evaluation order", edits(
        ('''        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise ValueError(f"can't {event} when {self.state}")
        if event == "retry":
            if self.retries >= self.max_retries:
                raise RuntimeError(f"{self.name}: no retries left")
            self.retries += 1
''', '''        if event == "retry":
            if self.retries >= self.max_retries:
                raise RuntimeError(f"{self.name}: no retries left")
            self.retries += 1
        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise ValueError(f"can't {event} when {self.state}")
'''))),
    "key_not_stripped": ("parse", "case/strip", edits(
        ("out.setdefault(section, {})[key.strip().lower()] = parse_value(raw)",
         "out.setdefault(section, {})[key.lower()] = parse_value(raw)"))),
    "floats_before_ints": ("parse_value", "evaluation order", edits(
        ('''    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
''', '''    try:
        return float(text)
    except ValueError:
        return text
'''))),
    "run_skips_refused": ("Job.run", "early return skips a side effect", edits(
        ("            except (ValueError, RuntimeError):\n                break\n",
         "            except (ValueError, RuntimeError):\n                continue\n"))),
}

CONTROLS = {
    "bool_table": ("parse_value", "lookup table", edits(
        ('FINAL = frozenset({"done"})\n', 'FINAL = frozenset({"done"})\n'
         '_BOOLS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}\n'),
        ('''    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
''', '''    if low in _BOOLS:
        return _BOOLS[low]
'''))),
    "comments_regex": ("parse", "stdlib call", edits(
        ('"""An INI-like settings reader, and a job\'s lifecycle as a state machine."""\n',
         '"""An INI-like settings reader, and a job\'s lifecycle as a state machine."""\n'
         "import re\n"),
        ('line = line.split("#", 1)[0].split(";", 1)[0].strip()',
         'line = re.split(r"[#;]", line, maxsplit=1)[0].strip()'))),
    "fire_guard_helper": ("Job.fire", "extract helper", edits(
        ('''        if event == "retry":
            if self.retries >= self.max_retries:
                raise RuntimeError(f"{self.name}: no retries left")
            self.retries += 1
''', '''        if event == "retry":
            self._use_retry()
'''),
        ('''    def run(self, events):''', '''    def _use_retry(self):
        if self.retries >= self.max_retries:
            raise RuntimeError(f"{self.name}: no retries left")
        self.retries += 1

    def run(self, events):'''))),
    "run_early_return": ("Job.run", "guard clauses", edits(
        ('''        for event in events:
            try:
                reached.append(self.fire(event))
            except (ValueError, RuntimeError):
                break
        return reached
''', '''        for event in events:
            try:
                state = self.fire(event)
            except (ValueError, RuntimeError):
                return reached
            reached.append(state)
        return reached
'''))),
    "fire_lookup_raises": ("Job.fire", "guard clauses", edits(
        ('''        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise ValueError(f"can't {event} when {self.state}")
''', '''        try:
            nxt = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise ValueError(f"can't {event} when {self.state}") from None
'''))),
    "quote_check_reordered": ("parse_value", "merged conditions", edits(
        ("if len(text) >= 2 and text[0] == text[-1] and text[0] in \"'\\\"\":",
         "if len(text) >= 2 and text[0] in \"'\\\"\" and text[-1] == text[0]:"))),
}

MODULE = Module("settings", "conf/settings.py", SOURCE, TESTS, CARELESS, CONTROLS)
