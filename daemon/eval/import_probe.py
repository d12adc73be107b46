"""Where the repository's packages are found by the test environment's Python, in a scratch
tree (daemon.eval.imports): run in the jail as a script (`python -P _ouroboros_script.py JOB
OUT`) with the tree as its working directory, so `-P` keeps the tree off sys.path and only
the environment's own configuration (site-packages, `.pth` files, editable-install finders)
decides. Each name is looked up with importlib.util.find_spec: nothing of the repository
is executed. Standard library only (Python 3.9 and later); imports nothing of ours.

JOB: {"modules": [name, ...], "marker": file name}. OUT: {"modules": {name: {"origin":
path or None, "marked": bool} or {"error": why}}}: `marked` says whether the marker file
planted in the scratch lies beside what was found (the scratch's own copy).
"""

import importlib.util
import json
import os
import sys


def where(name, marker):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        return {"error": str(exc)[:300]}
    if spec is None:
        return {"origin": None, "marked": False}
    dirs = list(spec.submodule_search_locations or [])
    origin = spec.origin if spec.has_location else None
    base = dirs[0] if dirs else (os.path.dirname(origin) if origin else None)
    found = origin or base
    return {"origin": found,
            "marked": bool(base) and os.path.exists(os.path.join(base, marker))}


def main(job_path, out_path):
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    result = {"modules": {name: where(name, job["marker"]) for name in job["modules"]}}
    with open(out_path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(out_path + ".tmp", out_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
