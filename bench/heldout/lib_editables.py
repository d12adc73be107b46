"""editables 0.6 (MIT), held out (wave 33): editable installations for build backends
(editables/: __init__, EditableProject; redirector, RedirectingFinder, the import hook).
is_valid(name) matches a project name against PEP 426's pattern with re.match and ^...$ (so a
name with one trailing newline matches); normalize(name) replaces each run of '-', '_' and
'.' by '_' and lower-cases. EditableProject(project_name, project_dir) refuses an invalid
name (ValueError), names its .pth file and bootstrap module _editable_impl_<normalized
name>; map_method is 'import_hook' or 'self_replace' (ValueError otherwise); make_absolute
resolves a path against the project directory (symbolic links followed); map(name, target)
refuses a dotted name under the hook and a target that is neither a module nor a package's
directory (EditableException); add_to_path and add_to_subpackage record directories;
files() yields the .pth file when it has any line, each subpackage's __init__.py setting
__path__, and the bootstrap module or a self-replacing module per mapped name;
dependencies() asks for editables when the hook is used. RedirectingFinder.find_spec answers
a spec for a mapped top-level name when no package path is given (None for a dotted name, a
path, or a name not mapped); install() appends the finder to sys.meta_path once.

Its suite (tests/: 27 tests, pytest) refuses 'a$b', a missing module and a dotted name under
the hook, switches the map methods, normalises eleven names (three invalid), counts the
dependencies, and builds site-packages from files() for a path entry, a mapped package, a
subpackage and each map method, importing from them; and the finder's install, top-level,
path and unmapped cases, and its redirects. A line tracer over it found every line of the
package run. Its tests never give a name with a trailing newline, normalise nothing outside
ASCII, never ask for the files of a project with nothing to put on the path, never resolve a
path through a symbolic link, and never call find_spec without a path for a mapped name."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "editables"
INIT = "editables/__init__.py"
REDIRECTOR = "editables/redirector.py"

CONTROLS = {
    "path_lines_extended": case(
        INIT, "EditableProject.pth_file", "loop to extend",
        "the path entries' lines added by lines.extend(str(entry) for entry in "
        "self.path_entries) instead of a loop appending each: the same strings, after the "
        "bootstrap's import line, in the same order",
        ('''        for entry in self.path_entries:
            lines.append(str(entry))
''', '''        lines.extend(str(entry) for entry in self.path_entries)
''')),
    "bootstrap_lines_extended": case(
        INIT, "EditableProject.bootstrap_file", "loop to extend",
        "the mapping lines added by bootstrap.extend over a generator of the same f-strings "
        "instead of a loop appending each: the redirections are read in the same order and "
        "each line is formatted alike",
        ('''        for name, path in self.redirections.items():
            bootstrap.append(f"F.map_module({name!r}, {path!r})")
''', '''        bootstrap.extend(
            f"F.map_module({name!r}, {path!r})" for name, path in self.redirections.items()
        )
''')),
    "dependencies_by_conditional": case(
        INIT, "EditableProject.dependencies", "accumulator to conditional expression",
        "the dependencies returned by one conditional expression, ['editables'] if the "
        "project has redirections and uses the hook else [], instead of a list appended to "
        "under the same condition: a new list either way, with the same item",
        ('''        deps = []
        if self.redirections and self.use_hook():
            deps.append("editables")
        return deps
''', '''        return ["editables"] if self.redirections and self.use_hook() else []
''')),
    "bootstrap_name_reused": case(
        INIT, "EditableProject.__init__", "duplicate expression reused",
        "the bootstrap module's name assigned from self.pth_name instead of formatting the "
        "same f-string again: both are '_editable_impl_' and the normalised name, an "
        "immutable str, so each attribute holds an equal string as before",
        ('''        self.bootstrap_name = f"_editable_impl_{self.project_name}"
''', '''        self.bootstrap_name = self.pth_name
''')),
}

CARELESS = {
    "name_pattern_by_fullmatch": case(
        INIT, "is_valid", "re.match with anchors to re.fullmatch",
        "the name matched by re.fullmatch without the ^ and $ anchors instead of re.match "
        "with them, taken for the same whole-string match: but $ also matches before a "
        "final newline, so a name ending in one newline was valid and is now refused",
        ('''    return (
        re.match(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", name, re.IGNORECASE)
        is not None
    )
''', '''    return (
        re.fullmatch(r"([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])", name, re.IGNORECASE)
        is not None
    )
'''),
        probe=Probe("from editables import is_valid", "is_valid('project\\n')", "True",
                    "False")),
    "name_casefolded": case(
        INIT, "normalize", "lower to casefold",
        "the normalised name folded by casefold() instead of lower(), as the stronger "
        "case-insensitive form: the same for every ASCII name, which is all is_valid lets "
        "into a project, but normalize itself now folds a name outside ASCII differently "
        "('ß' becomes 'ss')",
        ('''    return re.sub(r"[-_.]+", "_", name).lower()
''', '''    return re.sub(r"[-_.]+", "_", name).casefold()
'''),
        probe=Probe("from editables import normalize", "normalize('Stra\\u00dfe')",
                    "'stra\u00dfe'", "'strasse'")),
    "pth_file_tested_against_none": case(
        INIT, "EditableProject.files", "truth test to is not None",
        "the .pth file yielded when pth_file is not None instead of when it is true: "
        "pth_file() always answers a str, so the .pth file is now yielded even when it is "
        "empty (a project with nothing on the path and no hook), an empty file the wheel "
        "did not carry (the tests' subpackage project installs it harmlessly)",
        ('''        pth_file = self.pth_file()
        if pth_file:
''', '''        pth_file = self.pth_file()
        if pth_file is not None:
'''),
        probe=Probe("from editables import EditableProject",
                    "list(EditableProject('p', '/x').files())", "[]",
                    "[('_editable_impl_p.pth', '')]")),
    "absolute_without_resolving": case(
        INIT, "EditableProject.make_absolute", "resolve to abspath",
        "the path made absolute by os.path.abspath instead of Path.resolve: the same "
        "normalised absolute path where no symbolic link is crossed, as in the tests' "
        "temporary directories, but resolve follows links and abspath does not, so a path "
        "through a link now names the link, not its target",
        ('''        return (self.project_dir / path).resolve()
''', '''        return Path(os.path.abspath(self.project_dir / path))
'''),
        probe=Probe("import os, tempfile\nfrom editables import EditableProject\n"
                    "d = os.path.realpath(tempfile.mkdtemp())\nos.mkdir(d + '/real')\n"
                    "os.symlink(d + '/real', d + '/link')\np = EditableProject('p', d)",
                    "p.make_absolute('link').name", "'real'", "'link'")),
    "find_spec_path_default_empty": case(
        REDIRECTOR, "RedirectingFinder.find_spec", "None default to an immutable empty one",
        "the default of path written as an empty tuple instead of None, an immutable "
        "default the Sequence type allows: the import system always passes path (None for a "
        "top-level name), but a direct call without it now counts as given a path, and "
        "answers None for a mapped name",
        ('''        cls, fullname: str, path: ModulePath = None, target: Optional[ModuleType] = None
''', '''        cls, fullname: str, path: ModulePath = (), target: Optional[ModuleType] = None
'''),
        probe=Probe("from editables.redirector import RedirectingFinder as F\n"
                    "F.map_module('m', '/x/m.py')", "F.find_spec('m') is None", "False",
                    "True")),
}
