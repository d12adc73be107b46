"""One function replayed by the runner as the jail runs it (a script, its own process) on a
package written to a directory: its whole answer, for the tests of what the daemon reads
from it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from governance.oracle import replay_runner as rr
from governance.oracle.pickler import by_name


def replayed(root: Path, source: str, qualname: str, arguments: list[tuple],
             generate: int, constants: tuple = (), spec: dict | None = None,
             keywords: list[dict] | None = None, **job: object) -> dict:
    """The runner's answer for `qualname` of `pkg/m.py` (holding `source`) under `root`,
    called with each of `arguments`, with up to `generate` inputs made from them near
    `constants` (the function's, as the daemon's Target gives them; `job`: more of the
    job, a tree's mutants and its sources; `spec`: more of the function's own part;
    `keywords`: each call's keyword arguments, beside `arguments`)."""
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "m.py").write_text(source)
    keywords = keywords or [{} for _ in arguments]
    # as the capture plugin writes them (governance.oracle.pickler: a dict's view too)
    calls = [{"pickle": base64.b64encode(by_name((tuple(args), kw))).decode(),
              "repr": ""} for args, kw in zip(arguments, keywords, strict=True)]
    function = {"file": "pkg/m.py", "qualname": qualname, "calls": calls,
                "constants": list(constants), "generate": generate, **(spec or {})}
    (root / "job.json").write_text(json.dumps({"functions": [function], **job}))
    subprocess.run([sys.executable, "-P", rr.__file__, str(root / "job.json"),
                    str(root / "out.json")], cwd=root, check=True, timeout=120)
    return json.loads((root / "out.json").read_text())["functions"][0]
