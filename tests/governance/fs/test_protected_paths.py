"""The protected set (credential files of the common tools), look-alike and non-ASCII path
components, over-long paths, and the live-path check: parametrized tables, hostile first."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from daemon.config.settings import load_settings
from daemon.phase_deps import policy_from
from governance.fs.protected import (
    PathEscape,
    character_problem,
    live_path_problem,
    normalize,
    protected_reason,
)
from governance.phase import Phase
from tests.helpers import git, no_retry_policy, run_op, tree_bytes

CREDENTIAL_FILES = [
    ".npmrc", "web/.npmrc", ".yarnrc", ".yarnrc.yml", ".docker/config.json",
    "ci/.docker/config.json", ".dockercfg", ".aws/credentials", ".aws/config", "home/.aws/x",
    ".kube/config", "deploy/kubeconfig", "prod.kubeconfig", ".azure/accessTokens.json",
    ".config/gcloud/application_default_credentials.json", ".config/gcloud/configurations/x",
    ".git-credentials", ".gitconfig", "certs/client.p12", "certs/client.pfx", "app.jks",
    "release.keystore", "vault.kdbx", ".htpasswd", "site/.htpasswd", ".pgpass", ".my.cnf",
    ".mylogin.cnf", "id_dsa", "id_dsa.pub", "id_rsa.old", "putty.ppk", "AuthKey_ABC.p8",
    ".terraformrc", "terraform.rc", "terraform.tfstate", "env/prod/terraform.tfstate.backup",
    ".terraform.d/credentials.tfrc.json", ".vault-token", ".s3cfg", ".boto",
    "credentials.json", "gcp/service-account-prod.json", "service_account.json", ".pypirc",
    ".netrc", "_netrc", ".envrc", "prod.env", ".env.local", ".bash_history", ".zsh_history",
    ".psql_history", ".password-store/x.gpg", ".composer/auth.json", "client_secret_1.json",
    ".NPMRC", "Web/.Docker/Config.JSON",
]
ORDINARY = [
    "calc/ops.py", "README.md", "package.json", "package-lock.json", "yarn.lock", "config.json",
    "docker/config.json", "docker-compose.yml", "src/kube_utils.py", "aws_helpers.py",
    "history.py", "keys.py", "tfstate_parser.py", "p12_reader.py", ".github/workflows/ci.yml",
    ".gitignore", ".gitattributes", ".gitmodules", ".npmignore", "composer.json", "auth.json",
    "terraform/main.tf", ".config/app.toml", "docs/environment.md", "src/env.py",
    "envelope.py", "tokens.py", "Dockerfile", "kube/deployment.yaml", "yarnrc_parser.py",
]


@pytest.mark.parametrize("path", CREDENTIAL_FILES)
def test_credential_files_are_protected(path):
    assert protected_reason(path, ".ouroboros") is not None


@pytest.mark.parametrize("path", ORDINARY)
def test_ordinary_files_are_not_protected(path):
    assert protected_reason(path, ".ouroboros") is None


# Paths that must never be accepted as written: look-alikes, invisibles, controls.
CONFUSABLE = [
    "\u2024env", "\uff0eenv", "\u2024\u2024/etc/passwd", "\uff0e\uff0e/\uff0e\uff0e/x",
    "calc\u2215ops.py", "calc\uff0fops.py", "\uff0egit/hooks/pre-commit", "\u2024git/config",
    ".\uff45nv", "calc/ops\u2024py", "\ufb01le.py", "calc/\u00a0ops.py", "calc/ops.py\u200b",
    "calc/\u202eyp.sxe", "calc/\u2066ops.py", "a\nb.py", "a\rb.py", "a\tb.py", "a\x1bb.py",
    "a\x7fb.py", "cafe\u0301.py", "calc/\u3000.py", "\ua4f8env", "calc\u2044ops.py",
    "\u00b7env", "a\u29f5b.py", "\ufe52env",
    "calc/\U000e0041.py", "calc/\udc80.py",
]


@pytest.mark.parametrize("path", CONFUSABLE, ids=[ascii(p) for p in CONFUSABLE])
def test_look_alike_and_invisible_paths_are_refused_even_when_non_ascii_is_allowed(path):
    for allow in (False, True):
        with pytest.raises(PathEscape):
            normalize(path, allow_non_ascii=allow)
        assert character_problem(path, allow_non_ascii=allow) is not None


LOOKALIKE_PROTECTED = ["\uff0eenv", "\u2024env", "\uff0egit/config", "sub/\uff0essh/id_rsa",
                       "\uff0e\uff2e\uff30\uff2d\uff32\uff23", "\uff0eaws/credentials",
                       "\u2024\u2024/etc/passwd", "\uff0e\uff0e/x", "id\uff3frsa"]


@pytest.mark.parametrize("path", LOOKALIKE_PROTECTED, ids=[ascii(p) for p in LOOKALIKE_PROTECTED])
def test_protected_reason_sees_through_look_alikes(path):
    assert protected_reason(path, ".ouroboros") is not None


NON_ASCII_OK = ["docs/Malm\u00f6.md", "tests/data/na\u00efve.txt", "i18n/\u65e5\u672c.po"]


@pytest.mark.parametrize("path", NON_ASCII_OK)
def test_plain_non_ascii_needs_the_configuration(path):
    with pytest.raises(PathEscape, match="allow_non_ascii_paths"):
        normalize(path)
    assert normalize(path, allow_non_ascii=True) == path
    assert protected_reason(path, ".ouroboros") is None  # listing such files never raises


LONG = ["a" * 256 + ".py", "d/" * 2100 + "x.py", "\u00e9" * 200 + ".py"]


@pytest.mark.parametrize("path", LONG, ids=["component", "path", "multibyte"])
def test_over_long_paths_are_refused_cleanly(path, tmp_path):
    with pytest.raises(PathEscape, match="too long"):
        normalize(path, allow_non_ascii=True)
    assert "too long" in (live_path_problem(tmp_path, path, allow_non_ascii=True) or "")


def _live_layout(root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "f.py").write_text("x")
    os.symlink("loop", root / "loop")
    os.symlink("a", root / "b")
    os.symlink("b", root / "a")
    os.symlink("missing", root / "dangling")
    os.symlink("d", root / "dlink")
    os.mkfifo(root / "fifo")
    (root / "plain").write_text("x")


LIVE = [("loop", "symlink"), ("loop/x.py", "symlink"), ("a/b/c", "symlink"),
        ("dangling", "symlink"), ("dlink/f.py", "symlink"), ("fifo", "not a regular file"),
        ("d", "not a regular file"), ("plain/x.py", "not a directory"),
        ("d/../plain", "'..'"), ("/etc/passwd", "relative")]


@pytest.mark.parametrize("rel,why", LIVE)
def test_live_path_problem_names_the_problem_and_never_raises(tmp_path, rel, why):
    _live_layout(tmp_path)
    assert why in (live_path_problem(tmp_path, rel) or "")


def test_live_path_problem_accepts_real_files_and_new_ones(tmp_path):
    _live_layout(tmp_path)
    assert live_path_problem(tmp_path, "d/f.py") is None
    assert live_path_problem(tmp_path, "d/new/deeper.py") is None
    assert "does not exist" in live_path_problem(tmp_path, "d/new.py", must_be_file=True)


def test_the_setting_reaches_the_policy(tmp_path):
    settings = load_settings(tmp_path, environ={
        "OUROBOROS_GOVERNANCE__ALLOW_NON_ASCII_PATHS": "true"})
    assert policy_from(settings).allow_non_ascii_paths is True
    assert policy_from(load_settings(tmp_path, environ={})).allow_non_ascii_paths is False


async def _run(repo: Path, short_tmp: Path, target: str, candidate: dict):
    return await run_op(repo, short_tmp / "l.sqlite3", target, json.dumps(candidate),
                        policy=no_retry_policy())


PIPELINE_CONFUSABLE = ["\u2024env", "\uff0eenv", "calc\u2215ops.py", "calc/ops\u2024py",
                       "calc/\u202eyp.sxe", "\uff0egit/hooks/post-commit"]


@pytest.mark.parametrize("path", PIPELINE_CONFUSABLE, ids=[ascii(p) for p in PIPELINE_CONFUSABLE])
async def test_confusable_paths_are_refused_through_the_pipeline(repo, short_tmp, path):
    before, head = tree_bytes(repo), git(repo, "rev-parse", "HEAD")
    end, chain = await _run(repo, short_tmp, path, {"file_path": "calc/ops.py",
                                                    "full_content": "x = 1\n"})
    assert end is Phase.BLOCKED and chain["model_calls"] == []
    end, chain = await _run(repo, short_tmp, "calc/ops.py",
                            {"file_path": path, "full_content": "OPENAI_API_KEY=x\n"})
    assert end is not Phase.COMPLETE
    assert any("look-alike" in t["reason"] or "invisible" in t["reason"]
               for t in chain["transitions"]), chain["transitions"]
    assert tree_bytes(repo) == before and git(repo, "rev-parse", "HEAD") == head
    assert sorted(p.name for p in repo.iterdir() if p.name != ".ouroboros") == [
        ".git", "README.md", "calc", "notes.txt", "tests"]
