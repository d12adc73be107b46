"""How a configuration the daemon refuses is said: each wrong key with its value and what
it should be, named as the user wrote it (the `OUROBOROS_*` variable for a value from the
environment, the dotted key for one from the file), with a hint where the mistake is a
common one, and where the fix goes (daemon.errors.ConfigError's `env` and `file`).
daemon.config.settings.load_settings raises what `refused` builds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import ValidationError

from daemon.errors import ConfigError

Key = tuple[str, str]  # (section, knob): where an OUROBOROS_SECTION__KNOB value lands

# Where each kind of server usually listens (daemon.brains.discover looks there too).
SERVERS = {"ollama": ("http://127.0.0.1:11434", "qwen2.5-coder:7b"),
           "openai": ("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-Coder-7B-Instruct")}


def _provider_name(value: object) -> str:
    """provider.name names the in-process brain; a server's name there meant an HTTP one."""
    kind = value if value in SERVERS else "ollama"
    url, model = SERVERS[str(kind)]
    return ("provider.name names the in-process brain (kernel, replay or none);\n"
            "for an Ollama or OpenAI-compatible server, add a [[provider.http]] section, e.g.\n"
            f'  [[provider.http]]\n  kind = "{kind}"\n  base_url = "{url}"\n'
            f'  model = "{model}"\n'
            "(`ouroboros init` writes one for each server it finds; docs/brains.md)")


# A value users get wrong for a reason the validator cannot know: said under its error.
HINTS: dict[tuple[str, ...], Callable[[object], str]] = {("provider", "name"): _provider_name}


def refused(exc: ValidationError, file: Path | None, from_env: Mapping[Key, str]) -> ConfigError:
    """The ConfigError for a validation failure of the file `file` (None: no file) overlaid
    with the environment variables `from_env` (where each landed -> its name)."""
    origin = f"{file} + environment" if file else "defaults + environment"
    lines, env, blames_file = [f"invalid configuration ({origin}):"], [], False
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        var = from_env.get(loc[:2]) if len(loc) >= 2 else None
        if var:
            env.append(var)
        elif loc or not from_env:
            blames_file = True
        else:  # a rule across keys: the file or any variable may hold the fix
            env += sorted(set(from_env.values()))
            blames_file = True
        lines += _lines(err, loc, var)
    return ConfigError("\n".join(lines), env=tuple(dict.fromkeys(env)),
                       file=file if blames_file else None)


def _lines(err: Mapping, loc: tuple[str, ...], var: str | None) -> list[str]:
    key = ".".join(loc)
    msg = str(err["msg"]).removeprefix("Value error, ")
    if not key:  # a rule across keys: its message names them
        return [f"  {msg}"]
    where = f" from the environment variable {var}" if var else ""
    if err["type"] == "extra_forbidden":
        out = [f"  {key}{where}: unknown key (value {err['input']!r})"]
    else:
        out = [f"  {key} = {err['input']!r}{where}: {msg}"]
    hint = HINTS.get(loc)
    return out + [f"    {line}" for line in hint(err['input']).splitlines()] if hint else out
