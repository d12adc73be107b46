"""`ouroboros doctor`: what the daemon needs and what it finds here, each with how to fix.

Each check is ok, missing (the daemon cannot do its work without it: exit 1) or warn (it
runs, with less: an optional part, or advice). In order: the repository (git refuses one
another user owns, and with it every git command of the daemon); the configuration; the
brains (the in-process model, the configured [[provider.http]] entries, local servers and
API keys found by daemon.brains.discover, and daemon.brains.embedded's word when the
embedded model is all there is); bubblewrap and the jail as this user (tools.jail's own
start-up probe); the repository's test environment (governance.oracle.interpreter, as the
daemon resolves it); the host gate (daemon.doctor_host: the load of the last minutes, and a
running daemon's wait); the MCP servers of tools.mcp_config, each with its tools; systemd,
the installed unit and the drop-in HTTP brains need under it.

Read-only: nothing is written, no API key is sent anywhere (hosted APIs are not contacted),
local servers are only asked for their model lists.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from daemon.brains import discover
from daemon.brains.embedded import EMBEDDED_ONLY, HOW_TO_GET_ONE, embedded_only
from daemon.config import locate
from daemon.config.settings import CONFIG_NAME, Settings, load_settings
from daemon.console import safe_text
from daemon.doctor_brains import brains_down, down_checks
from daemon.doctor_host import host_checks
from daemon.errors import ConfigError
from daemon.host import loopback
from governance.brains.outage import what_to_start

Status = Literal["ok", "missing", "warn"]
UNIT = "ouroboros@.service"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def repo_check(repo: Path) -> Check:
    """Whether git works in the repository: another user's tree is refused by git (its
    "dubious ownership"), and every git command of the daemon with it."""
    if refused := locate.git_refuses(repo):
        return Check("repository", "missing", refused.reason, refused.fix)
    return Check("repository", "ok", "git works here")


def config_check(repo: Path, path: Path | None,
                 environ: Mapping[str, str]) -> tuple[Check, Settings]:
    """The settings as the daemon would read them (the defaults when they do not load)."""
    where = path or repo / CONFIG_NAME
    try:
        settings = load_settings(repo, path, environ)
    except ConfigError as exc:  # it says where the fix goes: the environment, the file
        return Check("config", "missing", str(exc), exc.fix() or f"correct {where}"), Settings()
    except OSError as exc:
        return Check("config", "missing", str(exc), f"correct {where}"), Settings()
    if not where.is_file():
        return Check("config", "warn", f"no {where.name}: every setting is its default",
                     "`ouroboros init` writes one for what it finds here"), settings
    return Check("config", "ok", f"{where} loads"), settings


def kernel_check(settings: Settings, repo: Path) -> Check:
    """The in-process brain: its model file, the embedded model, or a replay script."""
    p = settings.provider
    if p.name == "none":
        return Check("in-process brain", "warn" if p.http else "missing",
                     "provider.name = \"none\"", "" if p.http else "add a [[provider.http]] "
                     "entry or set provider.name = \"kernel\"")
    if p.name == "replay":
        script = Path(p.replay_script or "").expanduser()
        script = script if script.is_absolute() else repo / script
        ok = bool(p.replay_script) and script.is_file()
        return Check("in-process brain", "ok" if ok else "missing",
                     f"replay script {script}" + ("" if ok else ": no such file"),
                     "" if ok else "set provider.replay_script to a JSONL script")
    severity: Status = "warn" if p.http else "missing"  # with HTTP brains: failback only
    if p.model:
        model = Path(p.model).expanduser()
        model = model if model.is_absolute() else repo / model
        if not model.exists():
            return Check("in-process brain", severity, f"provider.model: no {model}",
                         "point provider.model at an Ouro or transformers directory or a "
                         ".gguf file")
        return Check("in-process brain", "ok", f"{model}")
    from kernel.errors import KernelError
    from kernel.plain import embedded_model_path  # loads torch: a second or two

    try:
        return Check("in-process brain", "ok", f"embedded SmolLM2-135M ({embedded_model_path()})")
    except KernelError as exc:
        return Check("in-process brain", severity, str(exc), "make setup")


def brain_check(settings: Settings) -> Check:
    """daemon.brains.embedded's word when the embedded model is the only brain."""
    if embedded_only(settings.provider):
        return Check("brain", "warn", EMBEDDED_ONLY, HOW_TO_GET_ONE)
    http = settings.provider.http
    return Check("brain", "ok", f"{len(http)} HTTP brain(s) ahead of the in-process one"
                 if http else f"provider.name = {settings.provider.name!r}")


def http_checks(settings: Settings, found: Sequence[discover.Found],
                environ: Mapping[str, str]) -> list[Check]:
    """Each configured [[provider.http]] entry: its key variable, and (on this machine)
    whether its server answers and lists its model."""
    by_url = {f.candidate.base_url.rstrip("/"): f for f in found}
    out = []
    for e in settings.provider.http:
        name = f"brain {e.kind} {e.model}"
        if e.api_key_env and not environ.get(e.api_key_env):
            out.append(Check(name, "missing", f"{e.api_key_env} is not set: the daemon starts "
                             "DEGRADED", f"export {e.api_key_env}=... where the daemon runs "
                             "(systemd: `systemctl --user edit` with Environment=)"))
            continue
        seen = by_url.get(e.base_url.rstrip("/"))
        if seen is None:
            out.append(Check(name, "ok", f"{e.base_url} (not contacted: doctor sends no key)"))
        elif not seen.up:
            out.append(Check(name, "warn", f"{e.base_url}: {seen.problem}; the chain fails "
                             "over to the next brain, or work waits for this one",
                             what_to_start(e.base_url)))
        elif e.model not in seen.models and f"{e.model}:latest" not in seen.models:
            pull = f"`ollama pull {e.model}`" if e.kind == "ollama" else (
                "set the entry's `model` to one it lists, or load it there (llama.cpp's "
                "server: --model_alias); the daemon asks for it all the same")
            out.append(Check(name, "warn", f"{e.base_url} does not list {e.model!r}", pull))
        else:
            out.append(Check(name, "ok", f"{e.base_url} lists it"))
    return out


def found_checks(settings: Settings, found: Sequence[discover.Found],
                 keys: Sequence[discover.Hosted]) -> list[Check]:
    """What daemon.brains.discover found that ouroboros.toml does not use yet."""
    used = {e.base_url.rstrip("/") for e in settings.provider.http}
    alone = embedded_only(settings.provider)
    out = []
    for f in found:
        c = f.candidate
        if f.usable and c.base_url.rstrip("/") not in used:
            out.append(Check(f"server {c.label}", "warn", f"{c.base_url} lists "
                             f"{len(f.models)} model(s) ({', '.join(f.models[:4])}) not in "
                             "the config", "`ouroboros init --force` adds it"))
        elif f.self_served:
            out.append(Check(f"server {c.label}", "ok", f"{c.base_url} is `ouroboros serve`: "
                             "this daemon's own model, not another brain"))
    silent = [f"{f.candidate.base_url} ({f.candidate.label})" for f in found if not f.up]
    if silent:
        out.append(Check("local servers", "warn" if alone else "ok",
                         "nothing answers at " + ", ".join(silent)))
    used_keys = {e.api_key_env for e in settings.provider.http}
    for k in keys:
        if k.env not in used_keys:
            out.append(Check(f"key {k.env}", "warn" if alone else "ok", f"set ({k.label}), "
                             "not used by the config", "`ouroboros init --hosted --force` "
                             "writes it (the code then goes to a hosted API)" if alone else ""))
    return out


def jail_checks(settings: Settings) -> list[Check]:
    """bubblewrap on PATH, the full jail working as this user, and its process limit."""
    from tools.jail import BWRAP, bwrap_available, process_limit_reason

    path = shutil.which(BWRAP)
    if path is None:
        return [Check("bubblewrap", "missing", "bwrap is not on PATH: the daemon starts "
                      "DEGRADED (no shell, no tests)", "sudo apt-get install bubblewrap "
                      "(`make setup` does it as root)")]
    out = [Check("bubblewrap", "ok", path)]
    why = bwrap_available()
    if why:
        out.append(Check("jail", "missing", why, _jail_fix(why)))
        return out
    out.append(Check("jail", "ok", f"a jailed command runs as this user (uid {os.getuid()})"))
    if limit := process_limit_reason(settings.tools.max_procs):
        out.append(Check("process limit", "warn", limit, "run as a non-root user, or where "
                         "the cgroup delegates the pids controller"))
    return out


def _jail_fix(why: str) -> str:
    if "namespace" in why.lower() or "permission" in why.lower():
        return ("unprivileged user namespaces are off: `sudo sysctl -w "
                "kernel.unprivileged_userns_clone=1`, or on Ubuntu 24.04+ "
                "`kernel.apparmor_restrict_unprivileged_userns=0` (or an AppArmor profile "
                "for bwrap)")
    return "see docs/safety.md, \"Venom and the Iron Gate\""


def test_env_check(repo: Path, settings: Settings) -> Check:
    """The interpreter the daemon's test runs use, and pytest in it."""
    g = settings.governance
    env = discover.test_env(repo, settings)
    if env.problem:
        return Check("tests", "missing", env.problem, "fix governance.test_python or the "
                     "repository's environment (docs/configuration.md, \"Pointing the "
                     "daemon at a project's tests\")")
    if "pytest" in " ".join(g.test_command) and _has_pytest(env.python) is False:
        return Check("tests", "missing", f"{env.describe()} has no pytest",
                     f"{env.python} -m pip install pytest")
    hint = ("; the repository has no .venv/ or venv/: if its tests need packages, make one"
            if env.source == "daemon" else "")
    return Check("tests", "ok", env.describe() + hint)


def _has_pytest(python: str) -> bool | None:
    """Whether pytest is installed for `python`, from files only (None: cannot tell)."""
    if Path(python) == Path(sys.executable):
        return importlib.util.find_spec("pytest") is not None
    venv = Path(python).parent.parent
    if not (venv / "pyvenv.cfg").is_file():
        return None
    return any(venv.glob("lib/python3*/site-packages/pytest/__init__.py"))


def systemd_checks(settings: Settings, repo: Path, home: Path) -> list[Check]:
    """systemctl and systemd-analyze, the user unit, and the network drop-in HTTP brains
    need under it."""
    tools = [t for t in ("systemctl", "systemd-analyze") if shutil.which(t) is None]
    if tools:
        return [Check("systemd", "warn", f"{' and '.join(tools)} not found: only needed to run "
                      "as a service; `ouroboros run` needs neither", "sudo apt-get install "
                      "systemd")]
    units = home / ".config" / "systemd" / "user"
    if not (units / UNIT).is_file():
        return [Check("systemd", "ok", f"present; {UNIT} is not installed (systemd/README.md "
                      "installs it)")]
    out = [Check("systemd", "ok", f"{units / UNIT} installed")]
    if settings.provider.http and not _network_dropin(units, repo):
        out.append(Check("systemd network", "warn", "[[provider.http]] brains are configured "
                         "but the unit has no network (PrivateNetwork=yes)", "install "
                         "systemd/dropins/http-brains.conf (systemd/README.md, \"Drop-ins\")"))
    return out


def _network_dropin(units: Path, repo: Path) -> bool:
    from ouroboros_pytest import systemd_instance

    dirs = [units / f"{UNIT}.d", units / f"ouroboros@{systemd_instance(repo)}.service.d"]
    for conf in (c for d in dirs if d.is_dir() for c in sorted(d.glob("*.conf"))):
        try:
            lines = conf.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        if any(line.replace(" ", "") == "PrivateNetwork=no" for line in lines):
            return True
    return False


async def run_checks(repo: Path, path: Path | None, environ: Mapping[str, str],
                     where: Sequence[discover.Candidate], home: Path) -> list[Check]:
    """Every check, in the order the report shows them."""
    first, settings = config_check(repo, path, environ)
    probe = [*where, *_configured_local(settings, where)]
    found = await discover.probe_all(probe)
    keys = discover.hosted_keys(environ)
    model, jail, tests = await asyncio.to_thread(_on_this_host, settings, repo)
    host = await asyncio.to_thread(host_checks, settings.health, repo, path, environ)
    down = await asyncio.to_thread(brains_down, repo, path, environ)  # a running daemon's
    return [repo_check(repo), first, brain_check(settings), model,
            *http_checks(settings, found, environ), *(Check(*c) for c in down_checks(down)),
            *found_checks(settings, found[:len(where)], keys), *jail, tests,
            *(Check(*c) for c in host), *await mcp_checks(settings, repo),
            *systemd_checks(settings, repo, home)]


async def mcp_checks(settings: Settings, repo: Path) -> list[Check]:
    """Each server of tools.mcp_config with its tools, or why it cannot be reached (each is
    started or connected to, asked for tools/list, and let go)."""
    if not settings.tools.mcp_config:
        return []
    from tools.mcp_hub import load_mcp_config, survey

    path = repo / settings.tools.mcp_config  # an absolute one replaces repo
    try:
        config = await asyncio.to_thread(load_mcp_config, path)
    except ValueError as exc:  # the daemon's start fails on it
        return [Check("mcp", "missing", str(exc), "correct the file tools.mcp_config names")]
    return [Check(f"mcp {r.name}", "warn", r.problem, f"start it, or correct its entry in "
                  f"{path}; the daemon runs without its tools") if r.problem else
            Check(f"mcp {r.name}", "ok", f"{r.where}: {len(r.tools)} tool(s): "
                  f"{', '.join(r.tools) or '(none)'}") for r in await survey(config)]


def _on_this_host(settings: Settings, repo: Path) -> tuple[Check, list[Check], Check]:
    """The checks that block (torch's import, the jail probe, file reads): in a thread."""
    return kernel_check(settings, repo), jail_checks(settings), test_env_check(repo, settings)


def _configured_local(settings: Settings,
                      where: Sequence[discover.Candidate]) -> list[discover.Candidate]:
    """Configured brains on this machine that the usual candidates do not cover."""
    known = {c.base_url.rstrip("/") for c in where}
    return [discover.Candidate(e.kind, e.base_url.rstrip("/"), "configured")
            for e in settings.provider.http if e.kind != "anthropic"
            and loopback.on_this_machine(e.base_url) and e.base_url.rstrip("/") not in known]


def render(repo: Path, checks: Sequence[Check], columns: int = 100) -> str:
    """The report: one check per entry, its fix under it, wrapped to `columns`."""
    width = max(len(c.name) for c in checks)
    lines = [f"ouroboros doctor: {repo}"]
    for c in checks:
        head = f"  {c.status:<7} {c.name:<{width}}  "
        lines += _wrapped(c.detail, head, columns)
        if c.fix and c.status != "ok":
            lines += _wrapped(c.fix, " " * len(head) + "fix: ", columns)
    missing = sum(c.status == "missing" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    lines.append(f"{missing} missing, {warned} warning(s): " + (
        "the daemon can do its work" if not missing else "the daemon cannot do its work "
        "until the missing ones are fixed"))
    return "\n".join(lines)


def _wrapped(text: str, head: str, columns: int) -> list[str]:
    """`text` under `head`, each of its own lines wrapped to `columns` and indented as one
    paragraph (an example's indentation kept); other control characters escaped."""
    indent = " " * len(head)
    out: list[str] = []
    for line in text.splitlines() or [""]:
        body = safe_text(line)
        lead = indent + " " * (len(body) - len(body.lstrip(" ")))
        out += textwrap.wrap(body.strip(" "), max(columns, len(head) + 30),
                             initial_indent=lead if out else head, subsequent_indent=lead,
                             break_long_words=False, break_on_hyphens=False) or [lead]
    return out


def doctor(repo: Path, path: Path | None = None, *, as_json: bool = False,
           where: Sequence[discover.Candidate] | None = None,
           environ: Mapping[str, str] | None = None, home: Path | None = None) -> int:
    """Print the report; 1 when something required is missing, else 0."""
    environ = os.environ if environ is None else environ
    checks = asyncio.run(run_checks(repo, path, environ,
                                    discover.candidates(environ) if where is None else where,
                                    home or Path.home()))
    columns = shutil.get_terminal_size((100, 24)).columns
    print(json.dumps([asdict(c) for c in checks], indent=2) if as_json
          else render(repo, checks, min(columns, 120)))
    return 1 if any(c.status == "missing" for c in checks) else 0
