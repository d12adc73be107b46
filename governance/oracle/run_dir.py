"""A jailed run's private directory: plugin/ (read-only in the jail: our plugins and their
settings, a script and its job) and out/ (writable: the report, what a script answers),
bound under JAIL_DIR inside the jail; and the capture request it may carry
(governance.oracle.capture_plugin)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from governance.fs import nofollow_write
from governance.oracle.oracle import Report, read_report
from ouroboros_pytest import library_frames

PLUGIN_SOURCE = Path(__file__).with_name("oracle_plugin.py")
PLUGIN_MODULE = "_ouroboros_oracle"
JAIL_DIR = "/tmp/.ouroboros-oracle"  # inside the jail's private tmpfs


# Stdlib-only modules of ours a jailed plugin or script imports, by the name they load
# under in the run's plugin directory (on the jailed process's PYTHONPATH).
HELPERS = {"_ouroboros_canon": Path(__file__).with_name("canon.py"),
           "_ouroboros_probe": Path(__file__).with_name("call_probe.py"),
           "_ouroboros_stacks": Path(__file__).with_name("call_stacks.py"),
           "_ouroboros_inputs": Path(__file__).with_name("replay_inputs.py"),
           "_ouroboros_values": Path(__file__).with_name("replay_values.py"),
           "_ouroboros_mappings": Path(__file__).with_name("replay_mappings.py"),
           "_ouroboros_standins": Path(__file__).with_name("replay_standins.py"),
           "_ouroboros_text": Path(__file__).with_name("replay_text.py"),
           "_ouroboros_bounds": Path(__file__).with_name("replay_bounds.py"),
           "_ouroboros_mutants": Path(__file__).with_name("replay_mutants.py"),
           "_ouroboros_search": Path(__file__).with_name("replay_search.py"),
           "_ouroboros_edges": Path(__file__).with_name("replay_edges.py"),
           "_ouroboros_environ": Path(__file__).with_name("replay_environ.py"),
           "_ouroboros_subclass": Path(__file__).with_name("replay_subclass.py"),
           "_ouroboros_peer": Path(__file__).with_name("replay_peer.py"),
           "_ouroboros_widen": Path(__file__).with_name("replay_widen.py"),
           "_ouroboros_lookup": Path(__file__).with_name("replay_lookup.py"),
           "_ouroboros_kinds": Path(__file__).with_name("replay_kinds.py"),
           "_ouroboros_clock": Path(__file__).with_name("replay_clock.py"),
           "_ouroboros_attrs": Path(__file__).with_name("replay_attrs.py"),
           "_ouroboros_reach": Path(__file__).with_name("replay_reach.py"),
           "_ouroboros_state": Path(__file__).with_name("replay_state.py"),
           "_ouroboros_placing": Path(__file__).with_name("replay_placing.py"),
           "_ouroboros_answer": Path(__file__).with_name("replay_answer.py"),
           "_ouroboros_kin": Path(__file__).with_name("replay_kin.py"),
           "_ouroboros_defaults": Path(__file__).with_name("replay_defaults.py"),
           "_ouroboros_bare": Path(__file__).with_name("replay_bare.py"),
           "_ouroboros_dates": Path(__file__).with_name("replay_dates.py"),
           "_ouroboros_bytes": Path(__file__).with_name("replay_bytes.py"),
           "_ouroboros_elements": Path(__file__).with_name("replay_elements.py"),
           "_ouroboros_keys": Path(__file__).with_name("replay_keys.py"),
           "_ouroboros_argv": Path(__file__).with_name("replay_argv.py"),
           "_ouroboros_budget": Path(__file__).with_name("replay_budget.py"),
           "_ouroboros_asking": Path(__file__).with_name("replay_asking.py"),
           "_ouroboros_unpickle": Path(__file__).with_name("unpickle.py"),
           "_ouroboros_pickler": Path(__file__).with_name("pickler.py"),
           "_ouroboros_class_state": Path(__file__).with_name("class_state.py"),
           "_ouroboros_tracer": Path(__file__).with_name("oracle_tracer.py"),
           # test code and the library frame, defined once for the results plugin and ours
           "_ouroboros_frames": Path(library_frames.__file__)}
# the helpers that write and read a captured call's values: the capture's and the replay's
PICKLING = ("_ouroboros_canon", "_ouroboros_unpickle", "_ouroboros_pickler",
            "_ouroboros_class_state")
FRAMES_HELPER = "_ouroboros_frames"  # the oracle plugin's (oracle_plugin.py imports it)
TRACER_HELPER = "_ouroboros_tracer"  # the oracle plugin's tracer: copied with it, always


@dataclass(frozen=True)
class CoverageRequest:
    """What a run records besides outcomes (governance.oracle.oracle_plugin): the lines of `watch`
    (repo-relative files) per test, with `profile` the files each test entered, and with
    `calls` the library functions a failing test's own call entered, in order."""

    watch: frozenset[str] = frozenset()
    profile: bool = False
    calls: bool = False


@dataclass(frozen=True)
class ExtraPlugin:
    """A second plugin of ours for one run: its source, the module name it loads under,
    its settings (`<settings_name>` beside it) and the JSON object it writes into out/."""

    source: Path
    module: str
    settings_name: str
    settings: dict
    result_name: str
    result_cap: int = 32 << 20  # bytes read back
    helpers: tuple[str, ...] = ()  # names in HELPERS it imports


CAPTURE_MODULE = "_ouroboros_capture"
MUTATION_MODULE = "_ouroboros_mutation"
SCRIPT_MODULE = "_ouroboros_script"  # the name a jailed script (the replay runner) runs under
SCRIPT_RESULT_CAP = 16 << 20  # bytes of a jailed script's result read back
# JSON values a result read back may hold. Parsed, a small value costs some 70 bytes: 30 MB
# of `{},{},...` would take 700 MB. A real result has at most some 100,000 a function (the
# replay runner's rows), and one near its byte cap some 3 million: a fair bound on memory.
MAX_VALUES = 2 << 20


def capture_request(targets: tuple[tuple[str, str], ...], max_calls: int, *,
                    new_shapes: int = 0, pickle: bool = True, trace: bool = False,
                    stacks: bool = False, fallback: str = "") -> ExtraPlugin:
    """Pickle the calls of `targets` ((repo-relative file, qualified name) pairs), at most
    `max_calls` each, then up to `new_shapes` more, each the first of its kinds of
    arguments; with `trace`, record every call's entry and answer digests in order;
    with `stacks`, count the repository's callers of each (governance.oracle.
    capture_plugin). `fallback`: where cloudpickle may be imported from, for what pickle
    cannot write (the daemon's site-packages)."""
    settings = {"targets": [{"file": f, "qualname": q} for f, q in targets],
                "max_calls": max_calls, "new_shapes": new_shapes, "pickle": pickle,
                "trace": trace, "stacks": stacks, "fallback": fallback}
    return ExtraPlugin(Path(__file__).with_name("capture_plugin.py"), CAPTURE_MODULE,
                       "capture.json", settings, "calls.json",
                       helpers=(*PICKLING, "_ouroboros_probe", "_ouroboros_stacks"))


def mutation_request(mutants: list[dict], timeout_s: float) -> ExtraPlugin:
    """Judge each mutant ({"id", "tests"}) in a forked child (governance.oracle.
    mutation_plugin)."""
    return ExtraPlugin(Path(__file__).with_name("mutation_plugin.py"), MUTATION_MODULE,
                       "mutation.json", {"mutants": mutants, "timeout_s": timeout_s},
                       "mutation.json", 4 << 20)


def import_mutation_request(mutant_id: int) -> ExtraPlugin:
    """Run the session with mutant `mutant_id` switched on from the start (governance.
    oracle.mutation_plugin): for a line that runs only at import."""
    return ExtraPlugin(Path(__file__).with_name("mutation_plugin.py"), MUTATION_MODULE,
                       "mutation.json", {"mutants": [], "at_import": mutant_id},
                       "mutation.json", 1 << 10)


@dataclass(frozen=True)
class RunDir:
    """A private per-run directory: plugin/ (read-only in the jail) and out/ (the report)."""

    path: Path
    nonce: str

    @classmethod
    def create(cls, scratch: Path | None, coverage: CoverageRequest | None = None,
               extra: ExtraPlugin | None = None, helpers: tuple[str, ...] = ()) -> RunDir:
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))  # 0700: host users stay out
        plugin, out = path / "plugin", path / "out"
        plugin.mkdir()
        out.mkdir()
        shutil.copyfile(PLUGIN_SOURCE, plugin / f"{PLUGIN_MODULE}.py")
        private_copy(HELPERS[TRACER_HELPER], plugin / f"{TRACER_HELPER}.py")
        if coverage is not None:
            (plugin / "oracle.json").write_text(json.dumps(
                {"watch": sorted(coverage.watch), "profile": coverage.profile,
                 "calls": coverage.calls}), "utf-8")
            os.chmod(plugin / "oracle.json", 0o644)
        if extra is not None:
            private_copy(extra.source, plugin / f"{extra.module}.py")
            private_json(plugin / extra.settings_name, extra.settings)
        for name in (*(extra.helpers if extra else ()), *helpers):
            private_copy(HELPERS[name], plugin / f"{name}.py")
        os.chmod(plugin, 0o755)
        os.chmod(plugin / f"{PLUGIN_MODULE}.py", 0o644)
        os.chmod(out, 0o777)  # the jail may map to another uid; the 0700 parent guards it
        nonce = secrets.token_hex(16)
        (out / "nonce").write_text(nonce, encoding="ascii")
        os.chmod(out / "nonce", 0o644)
        return cls(path, nonce)

    def report(self) -> Report:
        return read_report(self.path / "out" / "report.json", self.nonce)

    def result(self, name: str, cap: int) -> dict | None:
        """A JSON object a jailed process wrote into out/ (never through a link), or None:
        also for one over `cap` bytes, of more than MAX_VALUES values, or nested deeper
        than the parser goes (what the tests in the jail wrote there is anyone's)."""
        path = self.path / "out" / name
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > cap:
                return None
            raw = path.read_bytes()
            # Each value but a container's first follows a separator: this counts them,
            # and those inside strings too (more, never fewer).
            values = sum(raw.count(c) for c in (b",", b":")) + 2 * (
                raw.count(b"[") + raw.count(b"{"))
            data = json.loads(raw) if values <= MAX_VALUES else None
        except (OSError, ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    def remove(self) -> None:
        # out/ was writable by the tests: any shape, any depth
        nofollow_write.remove_tree(self.path)


def private_copy(source: Path, dest: Path) -> None:
    shutil.copyfile(source, dest)
    os.chmod(dest, 0o644)


def private_json(dest: Path, data: object) -> None:
    dest.write_text(json.dumps(data), "utf-8")
    os.chmod(dest, 0o644)


