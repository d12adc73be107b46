#!/usr/bin/env bash
# A TODO becomes a signed commit on your branch. A small package (calc) gets a TODO and the
# failing test that says what it means; the daemon finds the TODO at start, and the op goes
# through all eleven phases to a commit. The model is the replay provider (a stand-in that
# answers with a scripted change), so the run is repeatable; everything else is the real
# daemon, git, pytest and bubblewrap jail. The daemon stops once the op has ended.
#   bash docs/demo/land_a_todo.sh [WORKDIR]      (the repository is WORKDIR/calc)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
[ -x "$here/.venv/bin/ouroboros" ] || make -C "$here" setup
bin="$here/.venv/bin"
work="${1:-$(mktemp -d /tmp/ouroboros-demo-XXXXXX)}"
repo="$work/calc"
[ ! -e "$repo" ] || { echo "$repo exists: give another WORKDIR" >&2; exit 2; }
mkdir -p "$repo/calc" "$repo/tests"
cd "$repo"
human() { git -c user.name=Human -c user.email=human@example.com "$@"; }

cat > calc/__init__.py <<'PY'
PY
cat > calc/ops.py <<'PY'
"""Small arithmetic helpers."""


def add(a, b):
    return a + b


def clamp(x, lo, hi):
    # TODO: clamp x into [lo, hi]
    return x
PY
cat > tests/test_ops.py <<'PY'
from calc.ops import add, clamp


def test_add():
    assert add(2, 3) == 5


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5


def test_clamp_bounds():  # what the TODO means: fails until it is done
    assert clamp(-5, 0, 10) == 0
    assert clamp(50, 0, 10) == 10
PY
# The model's side of the conversation: look first (Venom's exploration gate), then the
# edit, then a one-line summary.
"$bin/python" - "$work/script.jsonl" <<'PY'
import json, sys
calls = lambda *c: "\n".join(json.dumps({"tool": t, "arguments": a}) for t, a in c)
turns = [
    calls(("read_file", {"path": "calc/ops.py"}), ("list_dir", {"path": "."})),
    calls(("edit_file", {"path": "calc/ops.py",
                         "old": "    # TODO: clamp x into [lo, hi]\n    return x\n",
                         "new": "    return max(lo, min(x, hi))\n"})),
    "clamp() now clamps x into [lo, hi]; removed the TODO.",
]
open(sys.argv[1], "w").write("".join(
    json.dumps({"purpose": "generate", "text": t}) + "\n" for t in turns))
PY
cat > ouroboros.toml <<TOML
[provider]
name = "replay"
replay_script = "$work/script.jsonl"
TOML
git init -q -b main && git add -A && human commit -qm "calc: clamp, with a TODO and its test"

ob() { "$bin/ouroboros" "$@" --repo "$repo"; }
ended() {  # the number of ops that have ended
  ob ledger --list --json 2>/dev/null | "$bin/python" -c 'import json,sys; print(sum(o["phase"]
    in ("COMPLETE","PROPOSED","POSTMORTEM","BLOCKED","CANCELLED") for o in json.load(sys.stdin)))' \
    2>/dev/null || echo 0
}
OUROBOROS_DAEMON__LOG_FORMAT=console "$bin/ouroboros" run --repo "$repo" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  [ "$(ended)" -ge 1 ] && exit 0
  kill -0 $daemon 2>/dev/null || { echo "the daemon exited" >&2; exit 1; }
  sleep 0.5
done
echo "no op ended in 300 s; \`$bin/ouroboros status --repo $repo\` says why" >&2
exit 1
