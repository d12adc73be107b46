"""Values near an XML element (xml.etree.ElementTree's), for the replay runner's generated
inputs (governance.oracle.replay_values): the same document with one element changed
the way real documents vary. An element was an opaque object with no neighbours:
unicode-rbnf's `load_xml` without its guard for a rule with no text landed (wave 19), every
document the tests loaded having text in each rule.

For the first and the last element of each tag, the code's tags first (a constant of the
function's code names a tag, alone or as a path's last step: 'rbnf//ruleset'): first
their texts gone, where they hold more than blanks (`<rule/>` reads as None), then their
first attributes gone (a key the code reads that a document left out), then the elements
gone. Each on a deep copy: the captured document is never changed.

Copied into a run's private plugin directory as `_ouroboros_elements` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import collections
import copy
from xml.etree import ElementTree

MAX_TAGS = 4  # the tags whose elements are changed, the code's first (each change
# copies the whole document, for each captured call)
MAX_ELEMENTS = 5_000  # a larger document is not varied (each change copies all of it,
# for each captured call: a hostile or huge document would spend the run making inputs)


Element = ElementTree.Element


def near_element(v, ctx):
    """`v` with one element changed: the texts gone of the first and last element of each
    tag (the code's tags first), then their first attributes, then the elements."""
    named = {w.rsplit("/", 1)[-1] for w in ctx.words if w}
    places = _places(v)
    if places is None:
        return []
    tags = sorted(places, key=lambda t: t not in named)[:MAX_TAGS]
    at = [(path, _at(v, path)) for tag in tags for path in places[tag]]
    out = [_copy_with(v, path, _no_text) for path, e in at if (e.text or "").strip()]
    out += [_copy_with(v, path, _no_attribute) for path, e in at if e.attrib]
    return out + [_copy_with(v, path, None) for path, _ in at if path]


def _places(root):
    """Per tag, the paths (child indexes from `root`) of its first and last element; None
    for a document of more than MAX_ELEMENTS elements."""
    out, todo = {}, collections.deque([((), root)])
    for _ in range(MAX_ELEMENTS + 1):
        if not todo:
            return out
        path, element = todo.popleft()
        if isinstance(element.tag, str):  # a comment or processing instruction has none
            first_last = out.setdefault(element.tag, [path])
            first_last[1:] = [path] if path != first_last[0] else []
        todo += [((*path, i), child) for i, child in enumerate(element)]
    return out if not todo else None


def _copy_with(root, path, change):
    clone = copy.deepcopy(root)
    if change is None:  # the element itself gone from its parent
        parent = _at(clone, path[:-1])
        parent.remove(parent[path[-1]])
    else:
        change(_at(clone, path))
    return clone


def _at(root, path):
    for i in path:
        root = root[i]
    return root


def _no_text(element):
    element.text = None


def _no_attribute(element):
    del element.attrib[next(iter(element.attrib))]
