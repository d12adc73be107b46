"""`ouroboros init`: a commented ouroboros.toml for one repository, from what is found.

What goes in (daemon.brains.discover answers the questions, governance.oracle.interpreter the last):
- a local Ollama or OpenAI-compatible server that lists models: a [[provider.http]] entry,
  active, with its best-ranked model (the others named in a comment); the free local
  brains come first in the failback chain, the embedded model stays the last resort;
- an API key for a hosted brain (Anthropic, OpenAI, OpenRouter) in the environment: an entry
  naming the variable (never the key), commented out unless `--hosted`: it sends the
  repository's code to that company and costs money (bounded by [cost]);
- what was looked for and not found, as commented entries to fill in;
- the pinned coder model (daemon.brains.pinned): `[provider] model` naming it, active once
  `ouroboros brain fetch` left it verified in the models directory, else commented with the
  command that fetches it (init never downloads, nor does the daemon);
- the test environment the daemon will use, and the knobs a user tunes first, commented,
  with their defaults read from daemon.config.settings (the one place they are set).

The text is validated as the daemon would read it before anything is written; an existing
file is replaced only with `--force`, and atomically. Then the file is read as `run` will read
it, under this environment: an OUROBOROS_* variable the daemon would refuse is named with its
fix, exit 3, never "next: `ouroboros doctor`" (the file stays: it is right).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from daemon.brains import discover
from daemon.brains.embedded import EMBEDDED_ONLY, HOW_TO_GET_ONE
from daemon.brains.pinned import DEFAULT as CODER
from daemon.brains.pinned import fetched, model_path, models_dir
from daemon.config.provider import OLLAMA_CONTEXT
from daemon.config.settings import CONFIG_NAME, Settings, load_settings
from daemon.console import safe_text
from daemon.errors import CliError, ConfigError
from governance.oracle.interpreter import TestEnv

WIDTH = 92  # the comments' line length
# (section, key, what it means): shown commented, with the default from Settings().
KNOBS: tuple[tuple[str, str, str], ...] = (
    ("daemon", "workers", "ops at once"),
    ("daemon", "log_format", "auto: short lines on a terminal, JSON lines otherwise"),
    ("daemon", "live_port", "the live view on 127.0.0.1:PORT; 0 = off"),
    ("governance", "test_python", "auto: the repo's .venv/ or venv/, else the daemon's Python"),
    ("governance", "test_command", "{python} is the interpreter above"),
    ("governance", "protected_globs", "paths the daemon never touches"),
    ("proof", "autocommit_new_behaviour", "false: new behaviour waits for review"),
    ("proof", "preserve_on_coverage", "false: a refactor waits for review (ran is not checked)"),
    ("cost", "per_op_usd", "an op stops at this spend"),
    ("cost", "daily_usd", "no new op starts past this spend per UTC day"),
)


def toml(value: Any) -> str:
    """A TOML value for a str, bool, number or list of those (JSON's spelling is TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _c(text: str) -> str:
    """A comment line; control characters (a newline in a path) escaped, so text from
    outside can never end the comment and become configuration."""
    return "# " + safe_text(text)


def _say(text: str) -> list[str]:
    """Prose as comment lines of at most WIDTH characters."""
    return textwrap.wrap(safe_text(text), WIDTH, initial_indent="# ", subsequent_indent="# ",
                         break_on_hyphens=False, break_long_words=False)


def _knobs(section: str, defaults: Settings) -> list[str]:
    return [_c(f"{key} = {toml(getattr(getattr(defaults, section), key))}  # {why}")
            for sec, key, why in KNOBS if sec == section]


def _entry(kind: str, base_url: str, model: str, key_env: str | None = None,
           commented: bool = False, grammar: str = "none") -> list[str]:
    lines = ["[[provider.http]]", f"kind = {toml(kind)}", f"base_url = {toml(base_url)}",
             f"model = {toml(model)}"]
    if key_env:
        lines.append(f"api_key_env = {toml(key_env)}  # the variable's name; never the key")
    if grammar != "none":
        lines.append(f"grammar = {toml(grammar)}  # blocks decoded under their grammar")
    out = [_c(line) for line in lines] if commented else lines
    if kind == "ollama":  # a knob worth knowing: the server's own default window is small
        out.append(_c(f"context_tokens = {OLLAMA_CONTEXT}  # the window asked of the server "
                      "(num_ctx) and fitted to"))
    return out


def _server_block(found: discover.Found) -> list[str]:
    c = found.candidate
    others = [toml(m) for m in found.models[1:8]]
    more = f" and {len(found.models) - 8} more" if len(found.models) > 8 else ""
    return [*_say(f"Found: {c.label} on {c.base_url}."),
            *_entry(c.kind, c.base_url, found.models[0], grammar=c.grammar),
            *(_say(f"Other models there: {', '.join(others)}{more}.") if others else []), ""]


def _absent_block(absent: Sequence[discover.Found]) -> list[str]:
    """The servers looked for and not used, and a commented entry for each kind of them."""
    if not absent:
        return []
    lines = _say("Looked for, not used: " + "; ".join(
        f"{f.candidate.label} on {f.candidate.base_url} ("
        + ("`ouroboros serve`: this daemon's own model" if f.self_served
           else f.problem or "no models listed") + ")" for f in absent)
        + ". Once one serves a model, run `ouroboros init --force`, or add it:")
    seen = set()
    for f in absent:
        if f.candidate.kind not in seen:
            seen.add(f.candidate.kind)
            lines += _entry(f.candidate.kind, f.candidate.base_url, "MODEL", commented=True)
    return [*lines, ""]


def _hosted_block(key: discover.Hosted, active: bool) -> list[str]:
    head = (f"Found {key.env}: {key.label}, hosted: the repository's code goes to "
            f"{key.label}, and it costs money (bounded by [cost]).")
    if not active:
        head += " Uncomment to use it (or run `ouroboros init --hosted --force`):"
    return [*_say(head), *_entry(key.kind, key.base_url, key.model, key.env, not active), ""]


SOURCES = {"daemon": "the daemon's own Python: the repository has no .venv/ or venv/; if its "
                     "tests need packages, make one", ".venv": "the repository's .venv/",
           "venv": "the repository's venv/"}


# [provider] context_tokens written beside the pinned coder model: 4,096 left a step with
# tools 2,048 tokens, less than its fixed parts (Qwen on semver: 3,464, no related file)
CPU_WINDOW = 8192
CODER_SAMPLES = 4  # [generate] samples written when the pinned coder is the only brain


def _coder_block(models: Path) -> list[str]:
    """[provider] model: the pinned coder model, active when fetched and verified here."""
    path = fetched(CODER, models)
    pin = (f"{CODER.about}: {CODER.label}, {CODER.size:,} bytes, sha256 {CODER.sha256}")
    if path:
        return [*_say(f"A coder model, pinned, fetched by `ouroboros brain fetch` and its "
                      f"sha256 verified: {pin}."), f"model = {toml(str(path))}",
                *_say(f"The window its prompts are fitted to. Its own is 32,768 tokens, but a "
                      "CPU prefills a prompt at 40-60 tokens/s (2-core EPYC), so a prompt "
                      "fitted to that waits minutes for its first reply token; at "
                      f"{CPU_WINDOW:,} a step with tools gets half of it. On a GPU, remove it."),
                f"context_tokens = {CPU_WINDOW}"]
    return [*_say(f"A coder model, pinned: `ouroboros brain fetch {CODER.name}` downloads "
                  f"{pin} into {models} (only when you run it; the daemon never downloads), "
                  "then `ouroboros init --force` writes it here. Or any model of your own:"),
            _c(f"model = {toml(str(model_path(CODER, models)))}"),
            _c('model = "/path/to/model.gguf"')]


def _small_brain_block() -> list[str]:
    """How GENERATE asks the pinned coder model when it is the only brain: one reply
    without tools, best of CODER_SAMPLES (docs/brains.md, "A small model's settings")."""
    return ["[generate]",
            *_say(f"Best of {CODER_SAMPLES}: the samples share one prefill, and the proof "
                  "picks the one that holds. On a real repair this model wrote the fix in 1 "
                  "to 3 of 8 samples, so one sample an attempt mostly misses."),
            f"samples = {CODER_SAMPLES}", "",
            "[tools]",
            *_say("One reply, no tool rounds: the prompt shows the code a failing test "
                  "reached. With tools on, this 1.5B model answered 'no change' to five "
                  "failing tests three times and never read the files the exploration "
                  "gate asks for. A larger or remote brain: remove this line."),
            "enabled = false", ""]


def _test_env_lines(env: TestEnv) -> list[str]:
    if env.problem:
        return _say(f"Tests: {env.problem}")
    return _say(f"Tests run with {env.python} ({SOURCES.get(env.source, env.source)}).")


HEADER = """\
# Written by `ouroboros init` on {today}. Every key is optional: a commented key shows its
# default. All of them: docs/configuration.md; any key can be overridden as
# OUROBOROS_<SECTION>__<KEY>. Check what the daemon finds: `ouroboros doctor`.
"""
PROVIDER = """\
# The in-process brain, always last in the chain: the embedded SmolLM2-135M unless `model`
# names an Ouro or transformers directory or a .gguf file.
"""
CHAIN = """\
# HTTP brains ([[provider.http]]), tried in this order: when one fails the next answers
# (failback), the in-process one last.
"""


def render(repo: Path, found: Sequence[discover.Found], keys: Sequence[discover.Hosted],
           env: TestEnv, *, hosted: bool = False, today: date | None = None,
           models: Path | None = None) -> str:
    """The whole ouroboros.toml text; `models` is where `brain fetch` puts the pinned coder
    model (default: daemon.brains.pinned.models_dir())."""
    defaults = Settings()
    models = models_dir() if models is None else models
    lines = [_c(f"ouroboros.toml for {repo}"),
             *HEADER.format(today=(today or date.today()).isoformat()).splitlines(), "",
             "[daemon]", *_knobs("daemon", defaults), "",
             "[provider]", *PROVIDER.splitlines(),
             _c(f"name = {toml(defaults.provider.name)}"), *_coder_block(models), ""]
    if not any(f.usable for f in found) and not (hosted and keys) and not fetched(CODER, models):
        lines += [*_say(f"Nothing better was found, so {EMBEDDED_ONLY}."), ""]
    if fetched(CODER, models) and not any(f.usable for f in found) and not (hosted and keys):
        lines += _small_brain_block()
    lines += CHAIN.splitlines()
    for f in found:
        lines += _server_block(f) if f.usable else []
    lines += _absent_block([f for f in found if not f.usable])
    for key in keys:
        lines += _hosted_block(key, hosted)
    lines += ["[governance]", *_test_env_lines(env), *_knobs("governance", defaults), "",
              "[proof]", *_knobs("proof", defaults), "", "[cost]", *_knobs("cost", defaults)]
    return "\n".join(lines) + "\n"


def check(text: str, repo: Path) -> Settings:
    """The text as the daemon reads it (ConfigError names what is wrong)."""
    with tempfile.TemporaryDirectory(prefix="ob-init-") as tmp:
        path = Path(tmp) / CONFIG_NAME
        path.write_text(text, encoding="utf-8")
        return load_settings(repo, path, environ={})


def write(path: Path, text: str, force: bool) -> None:
    """`text` at `path` in one step (never a half-written file); CliError when a file is
    there and `force` is off."""
    if path.exists() and not force:
        raise CliError(f"{path} exists: not overwritten (--force replaces it)", code=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def init(repo: Path, path: Path | None = None, *, force: bool = False, hosted: bool = False,
         where: Sequence[discover.Candidate] | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    """Find, render, check, write, and say what was written; returns the exit code."""
    environ = os.environ if environ is None else environ
    path = path or repo / CONFIG_NAME
    if path.exists() and not force:  # before probing anything
        raise CliError(f"{path} exists: not overwritten (--force replaces it)", code=1)
    found = asyncio.run(discover.probe_all(where or discover.candidates(environ)))
    keys = discover.hosted_keys(environ)
    env = discover.test_env(repo, Settings())
    models = models_dir(environ)
    text = render(repo, found, keys, env, hosted=hosted, models=models)
    check(text, repo)
    write(path, text, force)
    try:  # as `run` will read it: the environment overrides the file
        load_settings(repo, path, environ)
    except ConfigError as exc:  # the file is right (checked above); a variable is not
        raise CliError(f"wrote {path}, but `ouroboros run` would refuse it with this "
                       f"environment: {exc.said()}") from None
    print(summary(path, found, keys, env, hosted, fetched(CODER, models)))
    return 0


def summary(path: Path, found: Sequence[discover.Found], keys: Sequence[discover.Hosted],
            env: TestEnv, hosted: bool, coder: Path | None = None) -> str:
    """What `init` prints: what it wrote, and what to do next (`coder`: the pinned coder
    model's path when it is fetched, and so written as the in-process model)."""
    used = [f"{f.candidate.label} at {f.candidate.base_url}: {f.models[0]}"
            for f in found if f.usable]
    used += [f"{k.label} ({k.env}): {k.model}" for k in keys if hosted]
    last = ", last" if used else ""
    lines = [f"wrote {path}", *(f"  brain:  {u}" for u in used),
             *(f"  found:  {k.label} ({k.env}): written commented out (--hosted writes it "
               "active)" for k in keys if not hosted),
             f"  brain:  {CODER.about} in process: {coder}{last}" if coder else
             f"  brain:  the embedded SmolLM2-135M{last}"]
    if not coder:
        lines.append(f"  model:  `ouroboros brain fetch {CODER.name}` downloads a pinned "
                     f"coder model ({CODER.size / 1e9:.1f} GB), then `init --force` writes it")
    if not used and not coder:
        lines += [f"  note:   {EMBEDDED_ONLY}", f"  to add one: {HOW_TO_GET_ONE}"]
    lines += [f"  tests:  {env.describe()}",
              "next:    `ouroboros doctor` checks it all; `ouroboros run` (or `make run "
              "REPO=...`) starts the daemon"]
    return "\n".join(safe_text(line) for line in lines)
