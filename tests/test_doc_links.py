"""The documentation's links stay true: every relative link in README.md, docs/**/*.md and
systemd/README.md names a file that exists, and every `#anchor` names a heading of the file
it points into, slugged as GitHub slugs it, or an explicit `<a id="...">` there outside
code. External (http, https, mailto) links are not fetched. The README stays a front door
(at most 250 lines) and every topic file in docs/ opens with a map of itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 250
README_MAX_CHARS = 1200  # a table row of Day to day's is 1,090
MAP_WITHIN_LINES = 6  # a topic file's "Map:" line comes right after its title

FENCE = re.compile(r"^ {0,3}(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*([^)\s]*)(?:\s+\"[^\"]*\")?\s*\)")
INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
EXTERNAL = ("http://", "https://", "mailto:")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"\s*>")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
            ROOT / "systemd" / "README.md"]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a link or heading inside one is code)."""
    lines, fence = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and (fence is None or match.group(1) == fence):
            fence = None if fence else match.group(1)
            continue
        if fence is None and not line.startswith("    "):
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: a link keeps its text, lowercase, every character
    that is not a letter, a digit, `-`, `_` or a space dropped, each space a `-`."""
    text = INLINE_LINK.sub(r"\1", heading).strip().lower()
    return "".join(c for c in text if c.isalnum() or c in "-_ ").replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's slug (a repeated slug gets -1, -2, ... as GitHub numbers them) and
    every `<a id="...">` outside code spans."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in prose_lines(text):
        out.update(HTML_ANCHOR.findall(CODE_SPAN.sub("", line)))
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2) or "")
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(text: str) -> list[str]:
    """The targets of the inline links and images outside code."""
    found: list[str] = []
    for line in prose_lines(text):
        found.extend(LINK.findall(CODE_SPAN.sub("", line)))
    return found


def broken_links(doc: Path) -> list[str]:
    problems: list[str] = []
    for target in links(doc.read_text()):
        if not target or target.lower().startswith(EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        dest = (doc.parent / unquote(path_part)).resolve() if path_part else doc
        where = f"{doc.relative_to(ROOT)}: ({target})"
        if not dest.is_relative_to(ROOT):
            problems.append(f"{where} leaves the repository")
        elif not dest.exists():
            problems.append(f"{where}: no such file {dest.relative_to(ROOT)}")
        elif anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest.read_text()):
            problems.append(f"{where}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    return problems


@pytest.mark.parametrize(("heading", "expected"), [
    ("Quick start", "quick-start"),
    ("Brains over HTTP, failback, and `ouroboros serve`",
     "brains-over-http-failback-and-ouroboros-serve"),
    ("The re-ground reflex (canary -> collapse proximity -> act)",
     "the-re-ground-reflex-canary---collapse-proximity---act"),
    ("test_failure (sensors/test_failure.py, the ouroboros_pytest plugin)",
     "test_failure-sensorstest_failurepy-the-ouroboros_pytest-plugin"),
    ("Measured: a new user's trial", "measured-a-new-users-trial"),
    ("Safety: what is guaranteed, and what is not", "safety-what-is-guaranteed-and-what-is-not"),
    ("Grüße aus Malmö 2", "grüße-aus-malmö-2"),
    ("See [the proof](proof.md) now", "see-the-proof-now"),
])
def test_slug_follows_github(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_repeated_headings_are_numbered_and_code_is_not_a_heading() -> None:
    text = "# Notes\n## Settings\n```sh\n# Settings\n```\n## Settings\n### Settings\n    # code\n"
    assert anchors(text) == {"notes", "settings", "settings-1", "settings-2"}


def test_an_explicit_anchor_counts_outside_code_only() -> None:
    text = '- <a id="shaped"></a>**shaped**\n`<a id="quoted">`\n```\n<a id="fenced"></a>\n```\n'
    assert anchors(text) == {"shaped"}


def test_links_outside_code_only() -> None:
    text = ("See [a](a.md#x) and ![img](i.png) `[not](code.md)`.\n```\n[no](fence.md)\n```\n"
            "[b [c]](b.md) [c](https://example.com) [d](#local \"title\")\n")
    assert links(text) == ["a.md#x", "i.png", "b.md", "https://example.com", "#local"]


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


def test_the_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"
    # the line count is not met by running paragraphs together: a line past README_MAX_CHARS
    # (a 4,639-character chronicle of the coder model's runs once) belongs in docs/
    long = [n for n, line in enumerate(lines, 1) if len(line) > README_MAX_CHARS]
    assert long == [], f"README.md lines {long} are longer than {README_MAX_CHARS} characters"


@pytest.mark.parametrize("doc", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_every_topic_file_opens_with_a_map(doc: Path) -> None:
    head = doc.read_text().splitlines()[:MAP_WITHIN_LINES]
    assert head[0].startswith("# ")
    assert any(line.startswith("Map: [") for line in head), f"{doc.name} has no map"


def test_the_proof_rooms_map_names_every_module() -> None:
    """docs/proof-internals.md#where-it-lives maps governance/proof/: a module added there
    is named in the map (seven had gone unnamed)."""
    text = (ROOT / "docs" / "proof-internals.md").read_text()
    room = text[text.index("## Where it lives"):text.index("## The modules beside")]
    modules = sorted(p.name for p in (ROOT / "governance" / "proof").glob("*.py")
                     if p.name != "__init__.py")
    assert [m for m in modules if f"`{m}`" not in room] == []
