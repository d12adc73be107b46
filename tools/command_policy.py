"""Command policy: a pure verdict on a shell command line, before it reaches the jail.

The command is parsed with bashlex; what cannot be parsed is denied. Every command in it is
checked — in pipelines, lists, functions, command and process substitutions, `bash -c` /
`sh -c` / `eval` payloads, `xargs` and `find -exec` — after unwrapping launchers such as
`env`, `nice` or `timeout`. This is defence in depth: the bubblewrap jail is the boundary.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import bashlex
import bashlex.errors

from tools.errors import Denied

MAX_COMMAND_CHARS = 4096
MAX_DEPTH = 4
_PRINTABLE = re.compile(r"[^\x20-\x7e\n\t]")

SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox"}
STDIN_INTERPRETERS = SHELLS | {"python", "python3", "perl", "ruby", "node", "php", "lua"}
PRIVILEGE = {"sudo", "su", "doas", "pkexec", "runuser", "chroot", "nsenter", "unshare",
             "setpriv", "capsh"}
NETWORK = {"curl", "wget", "nc", "ncat", "netcat", "socat", "ssh", "scp", "sftp", "rsync",
           "ftp", "telnet", "aria2c", "httpie", "http"}
DESTRUCTIVE = {"mkfs", "fdisk", "sfdisk", "parted", "wipefs", "shred", "mkswap", "swapon",
               "swapoff", "mount", "umount", "reboot", "shutdown", "halt", "poweroff",
               "systemctl", "service", "kill", "killall", "pkill", "iptables", "crontab",
               "at", "insmod", "rmmod", "modprobe", "sysctl", "alias", "trap", "ulimit"}
INSTALLERS = {"apt", "apt-get", "aptitude", "dpkg", "yum", "dnf", "rpm", "apk", "pacman",
              "zypper", "brew", "snap", "flatpak", "port", "emerge"}
INSTALL_VERBS = {"pip": {"install", "download"}, "pip3": {"install", "download"},
                 "npm": {"install", "i", "add", "ci"}, "yarn": {"add", "install"},
                 "pnpm": {"add", "install", "i"}, "cargo": {"install"}, "gem": {"install"},
                 "conda": {"install", "create"}, "go": {"install", "get"},
                 "uv": {"pip", "add", "tool"}, "pipx": {"install", "run"},
                 "poetry": {"add", "install"}, "easy_install": None}
LAUNCHERS = {"env", "nice", "nohup", "timeout", "stdbuf", "time", "command", "builtin",
             "exec", "ionice", "taskset", "setsid", "chrt", "xargs", "watch", "flock"}
DANGEROUS_ENV = {"PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PYTHONPATH",
                 "PYTHONSTARTUP", "BASH_ENV", "ENV", "IFS", "PROMPT_COMMAND", "GIT_DIR",
                 "GIT_WORK_TREE", "HOME"}
GIT_DENIED = {"push", "filter-branch", "update-ref", "reflog", "gc", "prune", "remote",
              "config", "submodule", "worktree", "replace"}
DEV_OK = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/zero", "/dev/urandom",
          "/dev/random", "/dev/tty"}


@dataclass(frozen=True)
class CommandVerdict:
    allowed: bool
    rule: str
    reason: str


@dataclass
class _Cmd:
    argv: list[str]
    dynamic: list[bool]  # per word: contains $var, $(..), `..`, ~ or globs the parser saw
    assignments: list[str] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (operator, target)


def check_command(command: str, sandbox_root: str = "") -> CommandVerdict:
    """Allow or deny `command`; `sandbox_root` is the only absolute path it may write under."""
    try:
        _check_text(command)
        for cmd in _commands(command, 0):
            _check(cmd, sandbox_root, 0)
        for pipeline in _pipelines(command):
            _check_pipeline(pipeline)
    except Denied as exc:
        return CommandVerdict(False, exc.rule, exc.reason)
    return CommandVerdict(True, "allowed", "no rule matched")


def _check_text(command: str) -> None:
    if not command.strip():
        raise Denied("empty", "empty command")
    if len(command) > MAX_COMMAND_CHARS:
        raise Denied("too_long", f"command longer than {MAX_COMMAND_CHARS} characters")
    bad = _PRINTABLE.search(command)
    if bad:
        raise Denied("non_printable", f"character {bad.group()!r} (U+{ord(bad.group()):04X}) "
                     "is not allowed in commands: use plain ASCII")


def _parse(command: str) -> list[bashlex.ast.node]:
    try:
        return bashlex.parse(command)
    except (bashlex.errors.ParsingError, NotImplementedError, AttributeError, IndexError,
            TypeError, ValueError, AssertionError) as exc:
        raise Denied("unparseable", f"cannot parse the command: {exc}") from None


def _children(node: bashlex.ast.node) -> Iterator[bashlex.ast.node]:
    for attr in ("parts", "list", "command", "output"):
        value = getattr(node, attr, None)
        if isinstance(value, list):
            yield from value
        elif isinstance(value, bashlex.ast.node):
            yield value


def _walk(node: bashlex.ast.node) -> Iterator[bashlex.ast.node]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _is_dynamic(word: bashlex.ast.node) -> bool:
    if any(p.kind in ("parameter", "commandsubstitution", "processsubstitution", "tilde")
           for p in _walk(word) if p is not word):
        return True
    return any(ch in word.word for ch in "*?[{$`")


def _commands(command: str, depth: int) -> Iterator[_Cmd]:
    for tree in _parse(command):
        for node in _walk(tree):
            if node.kind == "command":
                yield _to_cmd(node)


def _to_cmd(node: bashlex.ast.node) -> _Cmd:
    cmd = _Cmd([], [])
    for part in node.parts:
        if part.kind == "assignment":
            cmd.assignments.append(part.word)
        elif part.kind == "word":
            cmd.argv.append(part.word)
            cmd.dynamic.append(_is_dynamic(part))
        elif part.kind == "redirect":
            target = part.output
            text = target.word if isinstance(target, bashlex.ast.node) else str(target)
            cmd.redirects.append((part.type, text))
    return cmd


def _pipelines(command: str) -> Iterator[list[_Cmd]]:
    for tree in _parse(command):
        for node in _walk(tree):
            if node.kind == "pipeline":
                yield [_to_cmd(p) for p in node.parts if p.kind == "command"]


def _prog(word: str) -> str:
    return posixpath.basename(word)


def _check_pipeline(cmds: list[_Cmd]) -> None:
    """`... | sh`, `base64 -d | bash`, `curl ... | python`: a pipe into an interpreter."""
    for cmd in cmds[1:]:
        argv = _unwrap(cmd.argv)
        if argv and _prog(argv[0]) in STDIN_INTERPRETERS and _reads_stdin(argv):
            raise Denied("pipe_to_interpreter",
                         f"piping into {_prog(argv[0])} runs unseen code")


def _reads_stdin(argv: list[str]) -> bool:
    rest = [a for a in argv[1:] if a != "-"]
    if _prog(argv[0]) in SHELLS:
        return not rest or all(a.startswith("-") and a not in ("-c",) for a in rest)
    return not [a for a in rest if not a.startswith("-")] or "-" in argv[1:]


def _unwrap(argv: list[str]) -> list[str]:
    """Strip launchers (env, nice, timeout, xargs, ...) down to the command they start."""
    while argv and _prog(argv[0]) in LAUNCHERS:
        launcher, rest = _prog(argv[0]), argv[1:]
        i = 0
        while i < len(rest) and (rest[i].startswith("-") or
                                 (launcher == "env" and "=" in rest[i]) or
                                 (launcher == "timeout" and re.fullmatch(r"[\d.]+[smhd]?",
                                                                         rest[i]))):
            if launcher in ("xargs", "timeout", "nice", "ionice", "taskset", "flock") and \
                    rest[i] in ("-n", "-L", "-I", "-P", "-s", "-d", "-a", "-E", "-s",
                                "--signal", "-k", "-c", "-p"):
                i += 1  # the option's value
            i += 1
        if launcher == "env" and any(a.split("=", 1)[0] in DANGEROUS_ENV for a in rest[:i]
                                     if "=" in a):
            raise Denied("dangerous_env", "changing PATH/LD_*/PYTHONPATH-style variables")
        if launcher in ("taskset", "flock", "chrt") and i < len(rest):
            i += 1  # cpu list / lock file / priority
        argv = rest[i:]
    return argv


def _check(cmd: _Cmd, root: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Denied("too_deep", "commands nested too deeply")
    for assignment in cmd.assignments:
        if assignment.split("=", 1)[0] in DANGEROUS_ENV:
            raise Denied("dangerous_env", f"setting {assignment.split('=', 1)[0]}")
    for op, target in cmd.redirects:
        _check_redirect(op, target, root)
    if not cmd.argv:
        return
    if cmd.dynamic[0]:
        raise Denied("dynamic_command", f"the command name {cmd.argv[0]!r} is computed at run "
                     "time; write it literally")
    argv = _unwrap(list(cmd.argv))
    if not argv:
        return
    if any(ch in argv[0] for ch in "*?[{$`"):
        raise Denied("dynamic_command", f"the command name {argv[0]!r} is computed at run time")
    _check_argv(argv, cmd, root, depth)


def _check_redirect(op: str, target: str, root: str) -> None:
    if op not in (">", ">>", ">|", "&>", ">&", "<>"):
        return
    if target.startswith("/dev/") and target not in DEV_OK:
        raise Denied("device_write", f"writing to the device {target}")
    if target.startswith("/") and not _under(target, root):
        raise Denied("outside_write", f"writing to {target}, outside the sandbox")
    if ".." in target.split("/"):
        raise Denied("outside_write", f"writing to {target}, which climbs out of the sandbox")


def _under(path: str, root: str) -> bool:
    if not root:
        return False
    norm = posixpath.normpath(path)
    return norm == root or norm.startswith(root.rstrip("/") + "/")


def _check_argv(argv: list[str], cmd: _Cmd, root: str, depth: int) -> None:
    prog, args = _prog(argv[0]), argv[1:]
    if prog in PRIVILEGE:
        raise Denied("privilege", f"{prog} changes privileges or namespaces")
    if prog in NETWORK:
        raise Denied("network", f"{prog} reaches the network (the sandbox has none)")
    if prog in DESTRUCTIVE or prog.startswith("mkfs"):
        raise Denied("destructive", f"{prog} is not allowed")
    if prog in INSTALLERS:
        raise Denied("package_install", f"{prog} installs packages")
    if prog in INSTALL_VERBS:
        verbs = INSTALL_VERBS[prog]
        if verbs is None or (args and args[0] in verbs):
            raise Denied("package_install", f"{prog} {' '.join(args[:1])} installs packages")
    if prog.startswith("python") and (args[:2] == ["-m", "ensurepip"] or (
            args[:2] == ["-m", "pip"] and len(args) > 2 and args[2] in ("install", "download"))):
        raise Denied("package_install", "pip install installs packages")
    if prog in ("export", "declare", "typeset", "readonly", "local"):
        for a in args:
            if a.split("=", 1)[0] in DANGEROUS_ENV:
                raise Denied("dangerous_env", f"{prog} {a.split('=', 1)[0]}")
    if prog in SHELLS:
        _check_shell(args, root, depth)
    elif prog == "eval":
        _check_nested(" ".join(args), root, depth, "eval")
    elif prog == "source" or prog == ".":
        pass  # sourcing a file inside the sandbox runs in the jail like any script
    elif prog == "rm":
        _check_rm(args, cmd, root)
    elif prog == "dd":
        if any(a.startswith("of=") for a in args):
            raise Denied("dd_write", "dd with of= writes raw data")
    elif prog == "git":
        _check_git(args)
    elif prog in ("chmod", "chown", "chgrp"):
        _check_chmod(prog, args, root)
    elif prog == "find":
        _check_find(args, root, depth)
    elif prog in ("tee", "cp", "mv", "ln", "install", "truncate", "touch", "mkdir"):
        _check_writes(prog, args, root)


def _check_nested(payload: str, root: str, depth: int, how: str) -> None:
    if not payload.strip():
        return
    verdict = None
    try:
        _check_text(payload)
        for cmd in _commands(payload, depth + 1):
            _check(cmd, root, depth + 1)
        for pipeline in _pipelines(payload):
            _check_pipeline(pipeline)
    except Denied as exc:
        verdict = exc
    if verdict is not None:
        raise Denied(verdict.rule, f"inside {how}: {verdict.reason}")


def _check_shell(args: list[str], root: str, depth: int) -> None:
    for i, a in enumerate(args):
        if a == "-c" or (a.startswith("-") and not a.startswith("--") and "c" in a[1:]):
            if i + 1 >= len(args):
                raise Denied("unparseable", "shell -c without a command")
            _check_nested(args[i + 1], root, depth, "a shell -c payload")
            return


def _flags(args: list[str]) -> tuple[set[str], list[str]]:
    flags, targets, after = set(), [], False
    for a in args:
        if after or not a.startswith("-") or a == "-":
            targets.append(a)
        elif a == "--":
            after = True
        elif a.startswith("--"):
            flags.add(a)
        else:
            flags.update(a[1:])
    return flags, targets


def _check_rm(args: list[str], cmd: _Cmd, root: str) -> None:
    flags, targets = _flags(args)
    recursive = bool(flags & {"r", "R", "--recursive"})
    for t in targets:
        norm = posixpath.normpath(t) if t else t
        if t.startswith("/") and not _under(t, root):
            raise Denied("rm_outside", f"rm of {t}, outside the sandbox")
        wipes = norm in (".", "..", "*", "/") or norm.startswith("../") or t.startswith("~")
        if wipes and (recursive or norm != "."):
            raise Denied("rm_root", f"rm of {t!r} would wipe the sandbox or escape it")
        if "$" in t or "`" in t:
            raise Denied("rm_dynamic", f"rm of a computed path {t!r}")
    if recursive and not targets:
        raise Denied("rm_root", "rm -r without explicit targets")


def _check_git(args: list[str]) -> None:
    sub = next((a for a in args if not a.startswith("-")), "")
    if sub in GIT_DENIED:
        raise Denied("git", f"git {sub} is not allowed")
    if sub == "reset" and "--hard" in args:
        raise Denied("git", "git reset --hard discards work")
    if sub == "clean" and any(a.startswith("-") and ("f" in a or "x" in a) for a in args[1:]):
        raise Denied("git", "git clean -f deletes files")
    if sub in ("checkout", "restore") and "." in args:
        raise Denied("git", f"git {sub} . discards work")
    if "-c" in args or any(a.startswith("--exec-path") or a.startswith("--git-dir")
                           for a in args):
        raise Denied("git", "git with -c/--exec-path/--git-dir overrides")


def _check_chmod(prog: str, args: list[str], root: str) -> None:
    flags, targets = _flags(args)
    mode = targets[0] if targets else ""
    paths = targets[1:]
    if prog == "chmod" and (flags & {"R", "--recursive"}) and re.fullmatch(r"0?777|a\+rwx",
                                                                            mode):
        raise Denied("chmod", "chmod -R 777")
    for p in paths:
        if p.startswith("/") and not _under(p, root):
            raise Denied("chmod", f"{prog} of {p}, outside the sandbox")


def _check_find(args: list[str], root: str, depth: int) -> None:
    i = 0
    while i < len(args):
        if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(args) and args[j] not in (";", "+", "\\;"):
                j += 1
            inner = [a for a in args[i + 1 : j] if a != "{}"]
            if inner:
                _check(_Cmd(inner, [False] * len(inner)), root, depth + 1)
            i = j
        elif args[i] == "-delete":
            starts = [a for a in args[: args.index("-delete")] if not a.startswith("-")]
            if any((s.startswith("/") and not _under(s, root)) or s in ("/", "~", "..")
                   for s in starts[:1]):
                raise Denied("find_delete", "find -delete outside the sandbox")
        elif args[i] in ("-fprint", "-fprintf", "-fls") and i + 1 < len(args):
            _check_redirect(">", args[i + 1], root)
        i += 1


def _check_writes(prog: str, args: list[str], root: str) -> None:
    """cp/mv/ln/install write their last operand; tee/touch/mkdir/truncate write them all."""
    _, targets = _flags(args)
    written = targets[-1:] if prog in ("cp", "mv", "ln", "install") else targets
    for t in written:
        if t.startswith("/dev/") and t not in DEV_OK:
            raise Denied("device_write", f"{prog} to the device {t}")
        if t.startswith("/") and t not in DEV_OK and not _under(t, root):
            raise Denied("outside_write", f"{prog} writes {t}, outside the sandbox")
        if ".." in t.split("/"):
            raise Denied("outside_write", f"{prog} writes {t}, which climbs out of the sandbox")
