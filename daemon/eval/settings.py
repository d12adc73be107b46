"""The settings an eval runs under: the user's own, with what a scratch repository and a
single brain need changed, each change for a stated reason.

- the repository's test interpreter is found in the user's repository (its `.venv` is
  untracked, so a scratch clone has none) and named explicitly;
- only the brain asked for: `--brain kernel` drops the HTTP brains, `--brain NAME` keeps
  that one HTTP brain alone; the routes ask it whatever `[routes.*].brains` says;
- no notify window (no human watches a scratch to cancel in it) and no grounding memory
  (each task is judged on its own; memory learnt from one task would steer the next);
- the replay stand-ins get one attempt and no L2: asked again they would answer the same.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from daemon.config.settings import Settings
from daemon.errors import CliError
from governance.oracle.interpreter import TestEnv, detect

STAND_INS = ("replay:fix", "replay:none", "replay:careless", "replay:mixed")  # daemon.eval.standins
# Bumped when a change to `eval mine` itself can change a verdict, so refusals made before
# it read as made under other settings. 2: the scratch's tests import the scratch's code
# (daemon.eval.imports), not an editable install's working tree.
MINE_LOGIC = 2


def brain_names(settings: Settings) -> list[str]:
    """The brains `--brain` may name: the in-process one, each HTTP brain, the stand-ins."""
    http = [e.name or f"{e.kind}:{e.model}" for e in settings.provider.http]
    return ["kernel", *http, *STAND_INS]


def test_env(repo: Path, settings: Settings, state_dir: Path) -> TestEnv:
    """The user's repository's test environment, as the daemon detects it."""
    g = settings.governance
    return detect(repo, g.test_python, g.test_command, state_dir=state_dir, home=Path.home())


def test_python(repo: Path, settings: Settings, state_dir: Path) -> str | None:
    """The user's repository's own interpreter (its `.venv` or `venv`, or the configured
    one) as an absolute path, for a scratch that has none; None: the daemon's."""
    found = test_env(repo, settings, state_dir)
    return None if found.problem or found.source == "daemon" else found.python


def interpreter(env: TestEnv) -> str:
    """Which interpreter runs the repository's tests, and why that one: said when `eval`
    starts and kept on the card, since a wrong one makes every verdict wrong."""
    if env.problem:
        return f"none: {env.problem}"
    if env.source == "daemon":
        return (f"the daemon's own, {env.python} (the repository has no .venv or venv and "
                "governance.test_python is auto)")
    return f"{env.python} (from {env.source})"


def for_brain(user: Settings, brain: str, python: str | None,
              samples: int | None = None) -> Settings:
    """The eval's settings for `brain` (one of brain_names). `samples` is the best-of-N
    hook ([generate] samples; None: the user's, as the daemon runs), recorded on the card."""
    data = user.model_dump(mode="json")
    g, p = data["governance"], data["provider"]
    g.update(notify_apply_delay_s=0.0, memory=False)
    if python:
        g["test_python"] = python
    for route in data["routes"].values():
        if isinstance(route, dict) and "brains" in route:
            route["brains"] = []
    if samples is not None:
        data["generate"]["samples"] = samples
    if brain in STAND_INS:
        p.update(name="replay", http=[], replay_script=None)
        g.update(max_generate_retries=0, max_validate_retries=0, l2_enabled=False)
    elif brain == "kernel":
        p["http"] = []
    else:
        chosen = [e for e in p["http"] if (e.get("name") or f"{e['kind']}:{e['model']}")
                  == brain]
        if not chosen:
            raise CliError(f"no brain named {brain!r} (the brains: "
                           f"{', '.join(brain_names(user))})")
        p.update(name="none", http=chosen)
    return Settings.model_validate(data)


def mine_digest(settings: Settings, jailed: bool) -> str:
    """What a mining verdict depends on beyond the commit, as a short digest recorded with
    each refusal: the test command and interpreter, pytest's plugins, the jail, the reruns
    and the suite's time limit, and MINE_LOGIC. `settings` is the eval's (for_brain's)."""
    g, e = settings.governance, settings.eval
    shape = {"logic": MINE_LOGIC, "test_command": g.test_command, "test_python": g.test_python,
             "plugin_autoload": g.pytest_plugin_autoload, "plugins": g.pytest_plugins,
             "unsandboxed": settings.tools.allow_unsandboxed_tests, "jailed": jailed,
             "reruns": e.reruns, "suite_timeout_s": e.suite_timeout_s}
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:12]
