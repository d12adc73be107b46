#!/usr/bin/env bash
# The review path on a real library: inflection 0.5.1 from PyPI, a TODO in a function no test
# runs. The model is the replay provider (a stand-in that answers with a scripted change), so
# the run is repeatable; everything else is the real daemon, git, pytest and jail.
#   bash docs/demo/review_inflection.sh [WORKDIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$here/.venv/bin"
work="${1:-$(mktemp -d /tmp/ouroboros-demo-XXXXXX)}"
repo="$work/inflection"
ob() { "$bin/ouroboros" "$@" --repo "$repo" --config "$work/ouroboros.toml"; }
wait_ops() {  # until N ops have ended
  for _ in $(seq 600); do
    n=$(ob ledger --list --json | "$bin/python" -c 'import json,sys; print(sum(o["phase"] in ("COMPLETE","PROPOSED","POSTMORTEM","BLOCKED","CANCELLED") for o in json.load(sys.stdin)))')
    [ "$n" -ge "$1" ] && return 0; sleep 0.5
  done; echo "timed out waiting for $1 ops" >&2; exit 1
}

"$bin/pip" download --quiet --no-deps --no-binary :all: -d "$work" inflection==0.5.1
tar --no-same-owner -xzf "$work/inflection-0.5.1.tar.gz" -C "$work" && mv "$work/inflection-0.5.1" "$repo"
cd "$repo" && git init -q -b main && git add -A && git -c user.name=Human \
  -c user.email=human@example.com commit -qm "inflection 0.5.1"

# The model's side of the conversation: look first (the exploration gate), then the change.
"$bin/python" - "$work/script.jsonl" <<'PY'
import json, sys
explore = '{"tool": "read_file", "arguments": {"path": "inflection/__init__.py"}}\n' \
          '{"tool": "list_dir", "arguments": {"path": "."}}'
edit = lambda old, new: json.dumps({"tool": "edit_file", "arguments": {
    "path": "inflection/__init__.py", "old": old, "new": new}})
one, two = "collapse runs of whitespace", "turn spaces into dashes"  # each TODO's words
turns = [
    {"purpose": "generate", "match": one, "text": explore},
    {"purpose": "generate", "match": one, "text": edit(
        "    # TODO: collapse runs of whitespace and strip the ends\n    return string\n",
        "    return \" \".join(string.split())\n")},
    {"purpose": "generate", "match": one, "text": "Collapsed whitespace; removed the TODO."},
    {"purpose": "generate", "match": two, "text": explore},
    {"purpose": "generate", "match": two, "text": edit(
        "    # TODO: turn spaces into dashes too\n    return word.replace('_', '-')\n",
        "    return word.replace('_', '-').replace(' ', '-')\n")},
    {"purpose": "generate", "match": two, "text": "Spaces become dashes; removed the TODO."},
]
open(sys.argv[1], "w").write("".join(json.dumps(t) + "\n" for t in turns))
PY
cat > "$work/ouroboros.toml" <<TOML
[provider]
name = "replay"
replay_script = "$work/script.jsonl"
[daemon]
state_dir = "$work/state"
TOML

"$bin/ouroboros" run --repo "$repo" --config "$work/ouroboros.toml" > "$work/daemon.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 120); do ob status >/dev/null 2>&1 && break; sleep 0.5; done

echo '$ # the human notes a TODO in a new helper that no test runs, and commits it'
cat >> inflection/__init__.py <<'PY'


def squish(string: str) -> str:
    """Collapse runs of whitespace in a string into single spaces."""
    # TODO: collapse runs of whitespace and strip the ends
    return string
PY
git -c user.name=Human -c user.email=human@example.com commit -qam "squish: a TODO"
wait_ops 1
echo '$ ouroboros review'; ob review
op=$(ob ledger --list --json | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["op_id"])')
echo "\$ ouroboros review ${op:3:6}"; ob review "${op:3:6}"
echo '$ git log --oneline -1 main   # the human branch did not move'; git log --oneline -1 main
echo "\$ ouroboros accept ${op:3:6}"; ob accept "${op:3:6}" "reads right"
wait_ops 2
echo '$ git log -1 --format=%B main'; git log -1 --format=%B main
echo '$ git branch --list "ouroboros/*"   # the review branch went once it landed'
git branch --list "ouroboros/*"

echo '$ # a second TODO, in a tested function: the change is covered, but no test says it is wanted'
"$bin/python" - <<'PY'
import pathlib
p = pathlib.Path("inflection/__init__.py")
p.write_text(p.read_text().replace(
    "    return word.replace('_', '-')\n",
    "    # TODO: turn spaces into dashes too\n    return word.replace('_', '-')\n", 1))
PY
git -c user.name=Human -c user.email=human@example.com commit -qam "dasherize: a TODO"
wait_ops 3
second=$(ob ledger --list --json | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["op_id"])')
echo '$ ouroboros review'; ob review
echo "\$ ouroboros reject ${second:3:6} 'spaces stay spaces'"; ob reject "${second:3:6}" "spaces stay spaces"
echo '$ git branch --list "ouroboros/*"'; git branch --list "ouroboros/*"
echo '$ git status --short   # nothing of either op was ever in the working tree uncommitted'
git status --short
