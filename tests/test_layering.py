"""The packages import each other downwards only (docs/architecture.md, "Layers").

Every module of the daemon's packages is parsed with `ast`; no module is imported. The rule:

- An import at module level, one under `if TYPE_CHECKING:` included (a checker follows it,
  and it is a dependency of the design all the same), goes to a package in a lower layer
  of LAYERS: never up, never sideways. So the package graph has no cycle, and CYCLES says
  so on its own too, for when the table changes.
- An import inside a function (deferred: to keep torch off the CLI's path, say) obeys the
  same table, unless the comment right above it (or on its line) says `# layering: <why>`;
  such imports are listed apart, by `deferred_exceptions`.
- NEVER holds pairs that no import may join, deferred or not, whatever its comment says.

Imports inside one package, relative imports and third-party packages are not judged;
neither is `importlib.import_module` with a computed name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lower number, lower layer: a package imports only packages of a lower layer.
LAYERS: Mapping[str, int] = {
    "ouroboros_pytest": 0,  # the pytest plugin: stdlib only
    "ledger": 0,  # SQLite, redaction, the terminal phases' names
    "governance": 1,  # the pipeline: phases, gates, the oracle, the provider seam
    "kernel": 2,  # the models behind governance's CandidateProvider
    "sensors": 2,  # what notices work, as governance's SignalEnvelope
    "tools": 2,  # Venom, behind governance's ToolSessions
    "daemon": 3,  # the composition root: builds and runs all of the above
}
NEVER: Mapping[tuple[str, str], str] = {
    ("governance", "kernel"): "governance reaches models only through CandidateProvider",
    ("governance", "tools"): "governance reaches Venom only through ToolSessions",
}
MARK = "layering:"


@dataclass(frozen=True)
class Import:
    path: str  # the importing module, relative to the root
    line: int
    source: str  # the importing package
    target: str  # the imported package
    deferred: bool  # inside a function
    type_only: bool  # under `if TYPE_CHECKING:`
    reason: str  # the text after `# layering:` next to it; '' when none

    def __str__(self) -> str:
        where = " (deferred)" if self.deferred else " (TYPE_CHECKING)" if self.type_only else ""
        return f"{self.path}:{self.line}: {self.source} imports {self.target}{where}"


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    return [node.module.split(".")[0]] if node.module and node.level == 0 else []


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _reason(lines: list[str], lineno: int) -> str:
    """The `# layering:` text on the import's line or in the comment just above it (a run of
    import lines in between is one group under one comment)."""
    at = lineno - 1
    if MARK in lines[at].partition("#")[2]:
        return lines[at].split(MARK, 1)[1].strip()
    at -= 1
    while at >= 0 and lines[at].strip().startswith(("import ", "from ")):
        at -= 1
    text = lines[at].strip() if at >= 0 else ""
    return text.split(MARK, 1)[1].strip() if text.startswith("#") and MARK in text else ""


def module_imports(path: Path, root: Path, packages: Iterable[str]) -> list[Import]:
    """Every import in `path` of another package among `packages`."""
    rel = path.relative_to(root).as_posix()
    source, known = rel.split("/", 1)[0], set(packages)
    text = path.read_text(encoding="utf-8")
    lines, found = text.splitlines(), []

    def visit(node: ast.AST, deferred: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend(Import(rel, child.lineno, source, t, deferred, type_only,
                                    _reason(lines, child.lineno) if deferred else "")
                             for t in _targets(child) if t in known and t != source)
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, deferred or inner, type_only or _type_checking(child))

    visit(ast.parse(text, filename=rel), False, False)
    return found


def all_imports(root: Path, packages: Iterable[str]) -> list[Import]:
    packages = list(packages)
    return [imp for pkg in packages if (root / pkg).is_dir()
            for path in sorted((root / pkg).rglob("*.py"))
            for imp in module_imports(path, root, packages)]


def package_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    """Package -> the packages its modules import at module level (TYPE_CHECKING too)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if not imp.deferred:
            graph.setdefault(imp.source, set()).add(imp.target)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each cycle of the graph once, as the packages along it, smallest name first."""
    found: set[tuple[str, ...]] = set()

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                found.add(tuple(path))
            elif nxt not in path and nxt > path[0]:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return [list(c) for c in sorted(found)]


def violations(imports: Iterable[Import], layers: Mapping[str, int],
               never: Mapping[tuple[str, str], str]) -> list[str]:
    """What breaks the rule (see the module docstring), one line each."""
    out = []
    for imp in imports:
        if (imp.source, imp.target) in never:
            out.append(f"{imp}: never ({never[imp.source, imp.target]})")
        elif layers[imp.target] >= layers[imp.source] and not (imp.deferred and imp.reason):
            way = "up" if layers[imp.target] > layers[imp.source] else "sideways"
            out.append(f"{imp}: {way} (layer {layers[imp.source]} -> {layers[imp.target]})")
    return out


def deferred_exceptions(imports: Iterable[Import], layers: Mapping[str, int]) -> list[str]:
    """Deferred imports against the table that their `# layering:` comment excuses."""
    return [f"{imp}: {imp.reason}" for imp in imports
            if imp.deferred and imp.reason and layers[imp.target] >= layers[imp.source]]


# -- this repository ------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo_imports() -> list[Import]:
    imports = all_imports(ROOT, LAYERS)
    assert imports, "no import between packages found: is ROOT right?"
    return imports


def test_every_package_is_in_the_table():
    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"tests"}
    assert ours <= set(LAYERS), f"place these packages in LAYERS: {sorted(ours - set(LAYERS))}"


def test_the_packages_import_downwards_only(repo_imports):
    assert violations(repo_imports, LAYERS, NEVER) == []


def test_the_package_graph_has_no_cycle(repo_imports):
    assert cycles(package_graph(repo_imports)) == []


def test_deferred_exceptions_are_listed(repo_imports):
    """Each one is a debt, kept visible: none today."""
    assert deferred_exceptions(repo_imports, LAYERS) == []



# -- inside governance: its rooms -------------------------------------------------------

def _room(root: Path, module: str) -> str:
    """The room a module lives in ('governance.fs.nofollow' -> 'fs'); a module at the top
    of its package is a node of its own ('governance.phase' -> 'phase.py')."""
    package, name = module.split(".")[:2]
    return name if (root / package / name).is_dir() else f"{name}.py"


def room_graph(root: Path, package: str = "governance") -> dict[str, set[str]]:
    """`package`'s rooms (and top-level modules) -> those they import at module level,
    TYPE_CHECKING included: the same edges as package_graph, one level down."""
    graph: dict[str, set[str]] = {}
    for path in sorted((root / package).rglob("*.py")):
        source = _room(root, ".".join(path.relative_to(root).with_suffix("").parts))
        if path.parent.name == package and path.name == "__init__.py":
            continue

        def visit(node: ast.AST, source: str = source) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    continue  # deferred: not an edge
                if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                    names = ([f"{package}.{a.name}" for a in child.names]
                             if child.module == package else [child.module])
                elif isinstance(child, ast.Import):
                    names = [a.name for a in child.names]
                else:
                    visit(child)
                    continue
                for name in names:
                    if name.startswith(f"{package}.") and (target := _room(root, name)) != source:
                        graph.setdefault(source, set()).add(target)

        visit(ast.parse(path.read_text(encoding="utf-8")))
    return graph


def test_governance_rooms_form_no_cycle():
    """governance/'s rooms (fs, git, phases, ...; governance/__init__.py maps them) import
    each other one way only, so each can be read knowing only the rooms below it."""
    graph = room_graph(ROOT)
    assert graph, "no import between governance's rooms found: is ROOT right?"
    assert cycles(graph) == []


def test_daemon_rooms_form_no_cycle():
    """daemon/'s rooms (config, host, brains, control, status, live, cli, serve, eval) and
    top-level modules import each other one way only: status, control, the heartbeat and the
    live view read the op handles from a leaf (daemon.op_handle), and what they read of the
    daemon as Protocols, never daemon.service, which builds them."""
    graph = room_graph(ROOT, "daemon")
    assert "service.py" in graph, "no import between daemon's modules found: is ROOT right?"
    assert cycles(graph) == []


def module_graph(root: Path, room: str) -> dict[str, set[str]]:
    """The modules of one room (a dotted package, 'daemon.cli') -> the room's modules they
    import anywhere, deferred imports and TYPE_CHECKING included: within a room a deferred
    import is no excuse for a cycle (it only hides one from the interpreter)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((root / Path(*room.split("."))).glob("*.py")):
        source = f"{room}.{path.stem}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = ([f"{room}.{a.name}" for a in node.names] if node.module == room
                         else [node.module])
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                target = ".".join(name.split(".")[:room.count(".") + 2])
                if name.startswith(f"{room}.") and target != source \
                        and not target.endswith(".__init__"):
                    graph.setdefault(source, set()).add(target)
    return graph


@pytest.mark.parametrize("room", sorted(
    f"daemon.{p.parent.name}" for p in (ROOT / "daemon").glob("*/__init__.py")))
def test_modules_in_a_daemon_room_form_no_cycle(room):
    """Inside each of daemon's rooms, modules import each other one way only, deferred
    imports included (cli's repl built on its verbs and not the other way; serve's app
    reads its limits from common, not from the command that starts it)."""
    graph = module_graph(ROOT, room)
    assert cycles(graph) == []


def test_a_deferred_cycle_inside_a_room_is_found(tmp_path):
    for rel, text in {"daemon/__init__.py": "", "daemon/r/__init__.py": "",
                      "daemon/r/a.py": "from daemon.r.b import f\n",
                      "daemon/r/b.py": "def f():\n    from daemon.r import a\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert module_graph(tmp_path, "daemon.r") == {"daemon.r.a": {"daemon.r.b"},
                                                  "daemon.r.b": {"daemon.r.a"}}
    assert cycles(module_graph(tmp_path, "daemon.r")) == [["daemon.r.a", "daemon.r.b"]]


def test_a_cycle_between_rooms_is_found(tmp_path):
    for rel, text in {"governance/__init__.py": "", "governance/values.py": "",
                      "governance/a/__init__.py": "", "governance/b/__init__.py": "",
                      "governance/a/x.py": "from governance.b import y\nimport governance.values\n",
                      "governance/b/y.py": "from governance import values\n"
                                           "def f():\n    from governance.a import x\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert room_graph(tmp_path) == {"a": {"b", "values.py"}, "b": {"values.py"}}
    (tmp_path / "governance/b/z.py").write_text("from governance.a.x import y\n")
    assert cycles(room_graph(tmp_path)) == [["a", "b"]]

# -- the whole tree: no module imports itself back ---------------------------------------

TREE = (*LAYERS, "bench")  # bench: the benchmarks, a namespace package of scripts


def module_names(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Each module's dotted name ('ledger.store'; a package's __init__ is 'ledger') -> its
    file."""
    names: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")) if (root / pkg).is_dir() else ():
            parts = path.relative_to(root).with_suffix("").parts
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imported(node: ast.Import | ast.ImportFrom, package: str,
             known: Mapping[str, Path]) -> set[str]:
    """The modules among `known` an import statement in `package` names: `from p import m`
    is p.m where that is a module, else p (the __init__ that holds the name). The parents
    loaded on the way are no edge: every module's package is loaded before it."""
    def owner(name: str) -> str:  # the longest known module `name` is or lies in
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name

    if isinstance(node, ast.Import):
        return {m for a in node.names if (m := owner(a.name))}
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[:package.count(".") + 2 - node.level]
        base = ".".join([*anchor, base] if base else anchor)
    return {m for a in node.names
            if (m := f"{base}.{a.name}" if f"{base}.{a.name}" in known else owner(base))}


def tree_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Every module of `packages` -> the modules among them it imports anywhere: at module
    level, under TYPE_CHECKING or inside a function (a deferred import hides a circle from
    the interpreter, not from the reader)."""
    known = module_names(root, packages)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph.setdefault(name, set()).update(imported(node, package, known) - {name})
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each largest set of nodes that all reach one another (a strongly connected component
    of more than one node, by Tarjan's walk), sorted. Linear in the edges: listing every
    simple cycle, as `cycles` does, can take exponential time on a graph this size."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            at = stack.index(node)
            component, stack[at:] = stack[at:], []
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_module_of_the_tree_imports_itself_back():
    """No circle of imports among the modules of the daemon's packages and the benches,
    deferred and TYPE_CHECKING imports included: a fact both sides need lives in a module
    both import (ledger.phases, bench.host, bench.soak_plan), and a seam is a Protocol
    (bench.soak_events.Running)."""
    graph = tree_graph(ROOT, TREE)
    assert "ledger.store" in graph, "no import between the tree's modules found: is ROOT right?"
    assert circles(graph) == []


def test_a_circle_between_modules_is_found_however_it_is_hidden(tmp_path):
    for rel, text in {
            "low/__init__.py": "from low.a import A\n",
            "low/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                        "    from low.b import B\n",
            "low/b.py": "def f():\n    from . import a\n",
            "low/sub/__init__.py": "", "low/sub/x.py": "from .. import a\n",
            "mid/__init__.py": "", "mid/c.py": "from low import A\nfrom mid import d\n",
            "mid/d.py": "import mid.c\n", "top/e.py": "from low import a\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    graph = tree_graph(tmp_path, ["low", "mid", "top"])
    assert {k: v for k, v in graph.items() if v} == {
        "low": {"low.a"}, "low.a": {"low.b"}, "low.b": {"low.a"}, "low.sub.x": {"low.a"},
        "mid.c": {"low", "mid.d"}, "mid.d": {"mid.c"}, "top.e": {"low.a"}}
    assert circles(graph) == [["low.a", "low.b"], ["mid.c", "mid.d"]]
    assert circles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


# -- the checker itself, on a small package tree -------------------------------------

TOY_LAYERS = {"low": 0, "mid": 1, "side": 1, "top": 2}
TOY_NEVER = {("top", "side"): "top talks to side through mid"}


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for pkg in TOY_LAYERS:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    return tmp_path


CLEAN = {"mid/a.py": "import os\nfrom low import x\nfrom . import b\n",
         "top/c.py": "from mid.a import y\ndef f():\n    import low.z\n"}


def _check(tmp_path: Path, extra: Mapping[str, str]) -> list[str]:
    root = _tree(tmp_path, {**CLEAN, **extra})
    return violations(all_imports(root, TOY_LAYERS), TOY_LAYERS, TOY_NEVER)


def test_a_clean_tree_passes(tmp_path):
    root = _tree(tmp_path, CLEAN)
    imports = all_imports(root, TOY_LAYERS)
    assert [(i.source, i.target, i.deferred) for i in imports] == [
        ("mid", "low", False), ("top", "mid", False), ("top", "low", True)]
    assert violations(imports, TOY_LAYERS, TOY_NEVER) == []


@pytest.mark.parametrize(("extra", "expected"), [
    ({"low/bad.py": "import mid\n"}, "low/bad.py:1: low imports mid: up (layer 0 -> 1)"),
    ({"low/bad.py": "from top.c import f\n"}, "low/bad.py:1: low imports top: up"),
    ({"mid/bad.py": "from side import s\n"}, "mid imports side: sideways (layer 1 -> 1)"),
    ({"low/bad.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                    "    from mid import M\n"}, "low imports mid (TYPE_CHECKING): up"),
    ({"low/bad.py": "def f():\n    import mid\n"}, "low imports mid (deferred): up"),
    ({"low/bad.py": "def f():\n    # only to be quick\n    import mid\n"}, "(deferred): up"),
    ({"top/bad.py": "def f():\n    # layering: it must\n    import side\n"},
     "top imports side (deferred): never (top talks to side through mid)"),
], ids=["up", "up two", "sideways", "type-checking", "deferred", "deferred, other comment",
        "never, whatever the reason"])
def test_a_violation_is_caught_and_named(tmp_path, extra, expected):
    found = _check(tmp_path, extra)
    assert len(found) == 1 and expected in found[0], found


def test_a_deferred_import_with_a_reason_is_allowed_and_listed(tmp_path):
    root = _tree(tmp_path, {**CLEAN, "low/lazy.py": (
        "def f():\n    # layering: the plugin registers itself on first use\n"
        "    import os\n    import mid.hooks\n")})
    imports = all_imports(root, TOY_LAYERS)
    assert violations(imports, TOY_LAYERS, TOY_NEVER) == []
    assert deferred_exceptions(imports, TOY_LAYERS) == [
        "low/lazy.py:4: low imports mid (deferred): the plugin registers itself on first use"]


def test_cycles_are_found_in_the_package_graph(tmp_path):
    root = _tree(tmp_path, {**CLEAN, "low/back.py": "import top\n",
                            "side/s.py": "def f():\n    import mid\n"})
    graph = package_graph(all_imports(root, TOY_LAYERS))
    assert graph == {"mid": {"low"}, "top": {"mid"}, "low": {"top"}}  # deferred: not edges
    assert cycles(graph) == [["low", "top", "mid"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
