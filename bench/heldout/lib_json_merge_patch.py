"""json-merge-patch 0.3.0 (BSD-3-Clause), held out (wave 26): JSON Merge Patch, RFC 7386
(json_merge_patch/: lib, and cli for the json-merge-patch command). merge(*objs, position=None)
merges each object in turn into the first (in place, when it is a dict) by merge_obj: a
non-dict patch replaces the target; a non-dict target becomes an empty dict (an OrderedDict
when a position is given); a member whose value is None is removed; a dict value is merged
into the target's dict or into a new one; with position 'first' or 'last' (anything else a
ValueError, and every dict must then be an OrderedDict, a ValueError otherwise) new members
go to the front or the end (OrderedDict.move_to_end; move_to_start is the fallback for
Pythons before 3.2). create_patch(source, target) answers the minimal patch from one to the
other by create_patch_obj: the target itself unless both are dicts; otherwise None for each
member the target lacks, each new member, and a patch of each member that differs (by ==),
recursively. cli.merge and cli.create_patch read JSON files (merge with
object_pairs_hook=OrderedDict, since it always passes a position) and print the result or
write it to a file.

Its suite (json_merge_patch/tests.py, named test_json_merge_patch.py in its tree: 3 tests)
checks merge and create_patch on the RFC's examples (fifteen pairs of plain dicts, lists and
scalars, create_patch skipping three) and merge with position 'last' and 'first' on two pairs
of OrderedDicts. A line tracer over it found unrun: move_to_start, both ValueErrors of
merge_obj, and all of cli.py (its tests never import it). Its tests never give a position
with plain dicts or with a non-dict first object, compare equal values that are not the same
object, make a patch from a non-dict to a dict, or run the command line."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "json-merge-patch"
LIB = "json_merge_patch/lib.py"
CLI = "json_merge_patch/cli.py"
SETUP = "from collections import OrderedDict\nfrom json_merge_patch import create_patch, merge"
FILES_SETUP = '''import json, os, tempfile
from json_merge_patch import cli
d = tempfile.mkdtemp()
paths = [os.path.join(d, name) for name in ('a.json', 'b.json', 'out.json')]
for path, doc in zip(paths, ({'a': 1}, {'b': 2})):
    with open(path, 'w') as f:
        json.dump(doc, f)
def merged():
    cli.merge(paths[:2], paths[2], 'last')
    with open(paths[2]) as f:
        return json.load(f)'''

CONTROLS = {
    "move_to_start_by_comprehension": case(
        LIB, "move_to_start", "copy to a list of items and a generator",
        "the dict's members kept as a list of items before it is cleared, the key's value "
        "taken from a dict of them and the others put back by a generator that skips the "
        "key, instead of a copy popped and updated from: the key first, then the other "
        "members in their order, and a missing key raises KeyError after the clear as "
        "before (lines no test runs: the fallback for Pythons before 3.2)",
        ('''    result_copy = result.copy()
    result.clear()
    result[key] = result_copy.pop(key)
    result.update(result_copy)
''', '''    items = list(result.items())
    result.clear()
    result[key] = dict(items).pop(key)
    result.update((k, v) for k, v in items if k != key)
''')),
    "create_patch_inlined": case(
        LIB, "create_patch", "helper inlined",
        "create_patch computing the patch itself, create_patch_obj's body in place of the "
        "call that returned it (the recursion still through create_patch_obj): the same "
        "target for non-dicts and the same members, in the same order, for dicts",
        ('''def create_patch(source, target):
    return create_patch_obj(source, target)
''', '''def create_patch(source, target):
    if not isinstance(target, dict) or not isinstance(source, dict):
        return target

    result = {}

    for key in set(source.keys()) - set(target.keys()):
        result[key] = None

    for key, value in target.items():
        if key not in source:
            result[key] = value
            continue
        if value == source[key]:
            continue
        result[key] = create_patch_obj(source[key], value)
    return result
''')),
    "merge_by_reduce": case(
        LIB, "merge", "loop to functools.reduce",
        "the objects folded into the first by functools.reduce over objs[1:] with objs[0] "
        "as the start, instead of a loop reassigning result: merge_obj called on the same "
        "pairs in the same order with the same position, and the first object alone "
        "answered as it is (an IndexError for none, from objs[0], as before)",
        ('''    result = objs[0]
    for obj in objs[1:]:
        result = merge_obj(result, obj, kw.get('position'))
    return result
''', '''    position = kw.get('position')
    return functools.reduce(lambda result, obj: merge_obj(result, obj, position),
                            objs[1:], objs[0])
'''),
        ('''from collections import OrderedDict
import sys
''', '''from collections import OrderedDict
import functools
import sys
''')),
    "first_test_simplified": case(
        LIB, "merge_obj", "redundant condition dropped",
        "a new dict member moved to the front when position == 'first' instead of when "
        "position and position == 'first': 'first' is truthy, so the conjunction is true "
        "exactly when the comparison is",
        ('''            if position and position == 'first':
''', '''            if position == 'first':
''')),
}

CARELESS = {
    "ordered_check_widened": case(
        LIB, "merge_obj", "type check widened",
        "the check that a positioned merge is given OrderedDicts relaxed to dicts, since "
        "Python's dicts keep their order: the suite positions OrderedDicts alone, but a "
        "plain dict merged with position='first' now reaches OrderedDict.move_to_end, "
        "which a dict lacks, and fails with AttributeError after mutating it instead of "
        "being refused with the ValueError that says why",
        ('''        if not isinstance(result, OrderedDict) or not isinstance(obj, OrderedDict):
''', '''        if not isinstance(result, dict) or not isinstance(obj, dict):
'''),
        probe=Probe(SETUP, "merge({'a': 1}, {'b': 2}, position='first')",
                    "raises ValueError", "raises AttributeError")),
    "unchanged_by_identity": case(
        LIB, "create_patch_obj", "identity for equality",
        "a member left out of the patch when its value is the source's (is) instead of "
        "equal to it (==), identity being the cheaper test: the suite's documents share "
        "their constants, so equal values there are the same objects, but documents "
        "loaded or built separately hold equal lists, dicts and large numbers that are "
        "distinct objects, and each now goes into the patch though unchanged, which is no "
        "longer minimal",
        ('''        if value == source[key]:
''', '''        if value is source[key]:
'''),
        probe=Probe(SETUP, "create_patch({'a': [1], 'b': 1}, {'a': [1], 'b': 2})",
                    "{'b': 2}", "{'a': [1], 'b': 2}")),
    "source_check_dropped": case(
        LIB, "create_patch_obj", "guard narrowed to one operand",
        "only the target checked to be a dict before the members are compared, the "
        "source's check dropped as implied: a dict target over a non-dict source (the "
        "suite's one such pair is among the three it skips) now reaches source.keys() and "
        "fails with AttributeError instead of answering the target, which replaces the "
        "scalar whole",
        ('''    if not isinstance(target, dict) or not isinstance(source, dict):
        return target
''', '''    if not isinstance(target, dict):
        return target
'''),
        probe=Probe(SETUP, "create_patch({'a': 1}, {'a': {'b': 2}})", "{'a': {'b': 2}}",
                    "raises AttributeError")),
    "validation_hoisted": case(
        LIB, "merge_obj", "validation moved before the normalisation",
        "the position's checks moved to the top of merge_obj, to validate the arguments "
        "first, ahead of the lines that make a non-dict target an OrderedDict when a "
        "position is given: a positioned merge into None (or into any scalar), which "
        "the target's normalisation handled, is now refused with ValueError since the "
        "unnormalised target is not an OrderedDict; the suite positions merges into "
        "OrderedDicts alone",
        ('''def merge_obj(result, obj, position=None):
    if not isinstance(result, dict):
        result = OrderedDict() if position else {}

    if not isinstance(obj, dict):
        return obj

    if position:
        if position not in ('first', 'last'):
            raise ValueError("position can either be first or last")
        if not isinstance(result, OrderedDict) or not isinstance(obj, OrderedDict):
            raise ValueError("If using position all dicts need to be OrderedDicts")
''', '''def merge_obj(result, obj, position=None):
    if position:
        if position not in ('first', 'last'):
            raise ValueError("position can either be first or last")
        if not isinstance(result, OrderedDict) or not isinstance(obj, OrderedDict):
            raise ValueError("If using position all dicts need to be OrderedDicts")

    if not isinstance(result, dict):
        result = OrderedDict() if position else {}

    if not isinstance(obj, dict):
        return obj
'''),
        probe=Probe(SETUP, "merge(None, OrderedDict([('a', 1)]), position='first')",
                    "OrderedDict([('a', 1)])", "raises ValueError")),
    "files_loaded_as_dicts": case(
        CLI, "merge", "coercion dropped",
        "the command line's files loaded by json.load alone, the object_pairs_hook that "
        "makes each object an OrderedDict dropped since Python's dicts keep their order: "
        "merge always passes a position ('last' unless -f), and a positioned merge refuses "
        "plain dicts, so json-merge-patch merge now fails with ValueError on any two "
        "files instead of writing their merge; no test imports cli.py (a line no test "
        "runs)",
        ('''            input_json = json.load(input_file, object_pairs_hook=OrderedDict)
''', '''            input_json = json.load(input_file)
'''),
        probe=Probe(FILES_SETUP, "merged()", "{'a': 1, 'b': 2}", "raises ValueError")),
}
