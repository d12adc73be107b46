"""Protected paths and path checks: the rules every entry point applies to a path.

These run at CLASSIFY (targets), VALIDATE and GATE (every candidate file), APPLY and for
every tool argument. Two kinds of check:

- `normalize` and `protected_reason` are pure functions of the path text: no `..`
  component ever (a `..` after a symlinked directory means something else on disk than in
  the text), no control or look-alike characters (NFKC must not change the path; non-ASCII
  is refused unless configured), no component that starts with `~` or `-` (a shell reads
  `~user` as a home directory, a command reads `-rf` as an option), and a table of
  protected names that is matched on the lower-cased text *and* on its NFKC form, so
  `\\uFF0Eenv` counts as `.env`.
- `live_path_problem` looks at the disk: a path that is, or passes through, a symlink is
  refused, so the path that was checked is the path that gets written. The writes
  themselves go through governance.fs.nofollow, which refuses symlinks again at write time.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

# (rule name, glob over the lower-cased basename). Credential files of the common tools.
_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("dotenv", ".env"),
    ("dotenv", ".env.*"),
    ("dotenv", "*.env"),
    ("dotenv", ".envrc"),
    ("credentials", "*credentials*"),
    ("secret", "*secret*"),
    ("private key", "*.pem"),
    ("private key", "*.key"),
    ("private key", "*.p8"),
    ("keystore", "*.p12"),
    ("keystore", "*.pfx"),
    ("keystore", "*.jks"),
    ("keystore", "*.keystore"),
    ("keystore", "*.kdbx"),
    ("private key", "*.ppk"),
    ("private key", "id_rsa*"),
    ("private key", "id_dsa*"),
    ("private key", "id_ed25519*"),
    ("private key", "id_ecdsa*"),
    ("netrc", ".netrc"),
    ("netrc", "_netrc"),
    ("pypirc", ".pypirc"),
    ("npm token", ".npmrc"),
    ("yarn token", ".yarnrc"),
    ("yarn token", ".yarnrc.yml"),
    ("git credentials", ".git-credentials"),
    ("git config", ".gitconfig"),
    ("docker credentials", ".dockercfg"),
    ("kubeconfig", "kubeconfig"),
    ("kubeconfig", "*.kubeconfig"),
    ("htpasswd", ".htpasswd"),
    ("postgres password", ".pgpass"),
    ("mysql password", ".my.cnf"),
    ("mysql password", ".mylogin.cnf"),
    ("terraform token", ".terraformrc"),
    ("terraform token", "terraform.rc"),
    ("terraform state", "*.tfstate"),
    ("terraform state", "*.tfstate.*"),
    ("vault token", ".vault-token"),
    ("s3cmd config", ".s3cfg"),
    ("boto config", ".boto"),
    ("cloud service account", "service-account*.json"),
    ("cloud service account", "service_account*.json"),
    ("shell history", ".*_history"),
)
# (rule name, consecutive lower-cased components): the path is that file or directory,
# or lies inside it, wherever the sequence appears.
_DIR_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("git internals", (".git",)),
    ("ssh config", (".ssh",)),
    ("gnupg", (".gnupg",)),
    ("aws credentials", (".aws",)),
    ("azure credentials", (".azure",)),
    ("kubernetes credentials", (".kube",)),
    ("gcloud credentials", (".config", "gcloud")),
    ("docker credentials", (".docker", "config.json")),
    ("password store", (".password-store",)),
    ("terraform credentials", (".terraform.d",)),
    ("composer credentials", (".composer", "auth.json")),
    ("virtualenv", (".venv",)),
    ("virtualenv", ("venv",)),
    ("virtualenv", (".tox",)),
    ("virtualenv", ("site-packages",)),
)
# Characters that look like a path separator or a dot but survive NFKC (from Unicode's
# confusables list): refused even where non-ASCII paths are allowed.
SEPARATOR_LOOKALIKES = frozenset(
    "\u2215\u2044\u29f8\u2571\u27cb\u2cc6\u30ce\u31d3\u4e3f\u2f03\u3033\u1735"  # '/'
    "\u2216\u29f5\u29f9\u2572\u27cd\u31d4\u4e36\u2f02"  # '\\'
    "\ua4f8\u0701\u0702\u06d4\u2e31\u00b7\u2027\u2219\u22c5\u30fb\u16eb\u0589"  # '.'
    "\u05c3\u0660\u06f0\u0b7e\u10fb\u1362\u1427\u2e33\ua60e\U00010a50\U0001d16d")
MAX_COMPONENT_BYTES = 255  # NAME_MAX: longer components raise ENAMETOOLONG
MAX_PATH_BYTES = 4095  # PATH_MAX less the NUL


class PathEscape(ValueError):
    """A path that is refused: it leaves its root, or cannot be trusted to mean what it says."""


def from_the_root(rel: str) -> str:
    """The refusal of a path written from '/'. A small model writes '/src/x.py' for the
    repository's src/x.py (Qwen2.5-Coder-1.5B did four times in one op): the path is never
    guessed at, but the refusal the next turn reads says how to write it."""
    return f"{rel!r}: path must be relative to the repository's root, as {rel.lstrip('/') or '.'!r}"


def _components(rel_path: str) -> list[str]:
    """Structural checks on the text; the non-empty, non-'.' components."""
    if not rel_path or "\x00" in rel_path:
        raise PathEscape(f"empty or NUL-containing path: {rel_path!r}")
    if rel_path.startswith("/"):
        raise PathEscape(from_the_root(rel_path))
    if "\\" in rel_path or (len(rel_path) > 1 and rel_path[1] == ":"):
        raise PathEscape(f"path must be relative to the repository: {rel_path!r}")
    parts = [p for p in rel_path.split("/") if p not in ("", ".")]
    if not parts:
        raise PathEscape(f"path escapes the repository: {rel_path!r}")
    if ".." in parts:
        # Never resolved textually: `link/../x` is not `x` on disk when `link` is a symlink.
        raise PathEscape(f"path escapes the repository ('..' is not allowed): {rel_path!r}")
    return parts


def _length_problem(rel_path: str, parts: list[str]) -> str | None:
    encoded = rel_path.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_PATH_BYTES or any(
            len(p.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES for p in parts):
        return (f"path too long (a component over {MAX_COMPONENT_BYTES} bytes or the path "
                f"over {MAX_PATH_BYTES} bytes): {rel_path[:80]!r}...")
    return None


def character_problem(rel_path: str, *, allow_non_ascii: bool = False) -> str | None:
    """Why the characters of `rel_path` cannot be trusted, or None.

    Control and format characters (newlines, bidi overrides, zero-width joiners) are never
    allowed; neither is a path that NFKC normalisation changes (U+2024 ONE DOT LEADER,
    fullwidth dots and slashes look like `.` and `/`). Other non-ASCII text is allowed only
    when configured (governance.allow_non_ascii_paths)."""
    for ch in rel_path:
        if ch.isascii() and (ch.isprintable() or ch == " "):
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return f"control or invisible character U+{ord(ch):04X} in path {rel_path!r}"
    nfkc = unicodedata.normalize("NFKC", rel_path)
    if nfkc != rel_path:
        return f"look-alike characters in path {rel_path!r} (NFKC form {nfkc!r})"
    lookalike = next((ch for ch in rel_path if ch in SEPARATOR_LOOKALIKES), None)
    if lookalike:
        return f"look-alike of '/', '\\' or '.' (U+{ord(lookalike):04X}) in path {rel_path!r}"
    if not allow_non_ascii and not rel_path.isascii():
        bad = next(ch for ch in rel_path if not ch.isascii())
        return (f"non-ASCII character U+{ord(bad):04X} in path {rel_path!r} "
                "(governance.allow_non_ascii_paths is off)")
    return None


def hostile_path_component(rel: str) -> str | None:
    """Why a component of the repo-relative POSIX path `rel` would be misread, or None: one
    starting with `~` (`~` and `~user` are a home directory to a shell) or with `-` (an
    option to the command it is passed to)."""
    for part in rel.split("/"):
        if part.startswith("~"):
            return (f"path component {part!r} of {rel!r} starts with '~', which a shell "
                    "expands to a home directory")
        if part.startswith("-"):
            return (f"path component {part!r} of {rel!r} starts with '-', which a command "
                    "reads as an option")
    return None


def normalize(rel_path: str, *, allow_non_ascii: bool = False) -> str:
    """The canonical repo-relative POSIX form of a path a model or a signal named.

    Raises PathEscape for absolute, climbing (any `..`), empty, over-long, control- or
    look-alike-character paths, for a component starting with `~` or `-`, and for
    non-ASCII ones unless `allow_non_ascii`."""
    parts = _components(rel_path)
    problem = (_length_problem(rel_path, parts)
               or character_problem(rel_path, allow_non_ascii=allow_non_ascii)
               or hostile_path_component("/".join(parts)))
    if problem:
        raise PathEscape(problem)
    return "/".join(parts)


def _rule_for(parts: list[str]) -> str | None:
    for rule, seq in _DIR_RULES:
        n = len(seq)
        if any(tuple(parts[i:i + n]) == seq for i in range(len(parts) - n + 1)):
            return f"{rule} ({'/'.join(seq)}/)" if n == 1 else f"{rule} ({'/'.join(seq)})"
    for rule, pattern in _NAME_RULES:
        if fnmatch.fnmatchcase(parts[-1], pattern):
            return f"{rule} ({pattern})"
    return None


def protected_reason(rel_path: str, state_dir: str, extra_globs: Iterable[str] = ()) -> str | None:
    """Why `rel_path` is protected, or None. `state_dir` is repo-relative (may be '').

    Matched on the lower-cased text and on its NFKC case-folded form, so a look-alike of a
    protected name is protected too. Raises PathEscape for a path that leaves the repo."""
    norm = "/".join(_components(rel_path))
    folded = unicodedata.normalize("NFKC", norm).casefold()
    forms = dict.fromkeys((norm.lower(), folded))
    if state_dir:
        sd = posixpath.normpath(state_dir).lower()
        for form in forms:
            if form == sd or form.startswith(sd + "/"):
                return f"inside the daemon's state dir ({state_dir})"
    for form in forms:
        parts = form.split("/")
        if ".." in parts or "" in parts or form.startswith("/"):
            return f"look-alike of a path outside the repository ({form!r})"
        why = _rule_for(parts)
        if why:
            return why if form == norm.lower() else f"{why}, by look-alike characters"
    for pattern in extra_globs:
        if fnmatch.fnmatchcase(norm, pattern) or any(
                fnmatch.fnmatchcase(form, pattern.lower()) for form in forms):
            return f"configured protected glob ({pattern})"
    return None


def live_path_problem(root: Path, rel_path: str, *, allow_non_ascii: bool = False,
                      must_be_file: bool = False) -> str | None:
    """Why `rel_path` cannot be read or written under `root` as named, or None.

    Every existing component is lstat'ed: a symlink anywhere on the way (the target itself
    included) is refused, as is a parent that is not a directory or a target that is not a
    regular file. What is checked here is exactly the path a write will use; the write
    goes through governance.fs.nofollow, which re-checks at the moment of writing."""
    try:
        parts = normalize(rel_path, allow_non_ascii=allow_non_ascii).split("/")
    except PathEscape as exc:
        return str(exc)
    here = root
    for i, part in enumerate(parts):
        here = here / part
        shown = "/".join(parts[:i + 1])
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return f"{shown} does not exist" if must_be_file else None
        except OSError as exc:
            return f"cannot inspect {shown}: {exc.strerror or exc}"
        if stat.S_ISLNK(st.st_mode):
            return f"{shown} is a symlink (-> {_readlink(here)}); symlinks are never followed"
        last = i == len(parts) - 1
        if not last and not stat.S_ISDIR(st.st_mode):
            return f"{shown} is not a directory"
        if last and not stat.S_ISREG(st.st_mode):
            return f"{rel_path} is not a regular file"
    return None


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
