"""asciitree 1.0.0 (MIT), held out (wave 24): ASCII trees drawn from nested data
(asciitree/__init__.py, its LeftAligned renderer and the legacy draw_tree; drawing.py its
glyph palettes, Style and BoxStyle; traversal.py its Traversal, DictTraversal and
AttributeTraversal; util.py KeyArgsConstructor, which sets each keyword argument as an
attribute with setattr). LeftAligned()(tree) asks its traversal for the root (a dict's first
item), draws the root's label (label_format, '{}', formatted with the node's text) and under
it each child's subtree, the last child by last_child_head and last_child_tail, the others by
child_head and child_tail, joined by '\\n'. BoxStyle draws a child's head as indent spaces,
the VERTICAL_AND_RIGHT glyph (UP_AND_RIGHT for the last), horiz_len HORIZONTAL glyphs and
label_space spaces; a child's tail as indent spaces, the VERTICAL glyph (for the last child
as many spaces as that glyph has characters) and horiz_len spaces; its space is the palette's
SPACE, ' ' where the palette has none, and a read-only property. DictTraversal's children are
a node's dict items in their order, AttributeTraversal's the node's attribute named by its
attribute ('children').

Its suite (tests/: 3 tests) checks draw_tree's legacy drawing of nodes with children, a
palette without SPACE on a dict of two labels with a child each, and a one-node tree of
non-ASCII text. A line tracer over it found unrun: Style's four drawing methods (BoxStyle and
LegacyStyle override them all), Traversal.get_children's NotImplementedError and
Traversal.get_text's str() (draw_tree gives its own get_text), and AttributeTraversal's
get_children. Its tests never draw an empty dict, a palette whose VERTICAL glyph is wider than
one character, a dict whose keys are not in sorted order, a constructor argument naming a
property, or an AttributeTraversal."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "asciitree"
INIT = "asciitree/__init__.py"
DRAWING = "asciitree/drawing.py"
TRAVERSAL = "asciitree/traversal.py"
UTIL = "asciitree/util.py"
SETUP = "from asciitree import LeftAligned"

CONTROLS = {
    "text_by_percent": case(
        TRAVERSAL, "Traversal.get_text", "str() to %-formatting",
        "a node's text made by '%s' % (node,) instead of str(node): %s formats with str() "
        "of its argument, the node itself where it is a str, the object's __str__ otherwise, "
        "the same text either way (a line no test runs: draw_tree gives its own get_text)",
        ('''        return str(node)
''', '''        return "%s" % (node,)
''')),
    "branches_by_method_pair": case(
        INIT, "LeftAligned.render", "two branches to one choice of methods",
        "each child's head and tail drawn by a pair of the style's methods chosen once, "
        "the last-child pair for the last child and the other pair otherwise, instead of an "
        "if and an else each calling its own pair: the same methods called on the same "
        "lines in the same order, after the child's subtree is rendered as before",
        ('''            if n == len(children) - 1:
                # last child does not get the line drawn
                lines.append(self.draw.last_child_head(child_tree.pop(0)))
                lines.extend(self.draw.last_child_tail(line) for line in child_tree)
            else:
                lines.append(self.draw.child_head(child_tree.pop(0)))
                lines.extend(self.draw.child_tail(line) for line in child_tree)
''', '''            if n == len(children) - 1:
                # last child does not get the line drawn
                head, tail = self.draw.last_child_head, self.draw.last_child_tail
            else:
                head, tail = self.draw.child_head, self.draw.child_tail
            lines.append(head(child_tree.pop(0)))
            lines.extend(tail(line) for line in child_tree)
''')),
    "head_by_join": case(
        DRAWING, "BoxStyle.child_head", "concatenation to str.join",
        "a child's head built by ''.join of its five parts in a list instead of adding them "
        "with +: the same parts in the same order (each str, or a TypeError from either "
        "way where one is not)",
        ('''        return (
            self.space * self.indent
            + self.gfx["VERTICAL_AND_RIGHT"]
            + self.gfx["HORIZONTAL"] * self.horiz_len
            + self.space * self.label_space
            + label
        )

    def child_tail''', '''        return "".join([
            self.space * self.indent,
            self.gfx["VERTICAL_AND_RIGHT"],
            self.gfx["HORIZONTAL"] * self.horiz_len,
            self.space * self.label_space,
            label,
        ])

    def child_tail''')),
    "legacy_arguments_reordered": case(
        INIT, "draw_tree", "keyword arguments reordered",
        "the legacy renderer made with its draw style given before its traversal instead of "
        "after it, and the traversal's get_children before its get_text: keyword arguments "
        "bind by name, and KeyArgsConstructor sets each as its own attribute, none reading "
        "another, so the renderer and its traversal end the same",
        ('''    return LeftAligned(
        traverse=Traversal(get_text=text_str, get_children=child_iter),
        draw=LegacyStyle(),
    )(node)
''', '''    return LeftAligned(
        draw=LegacyStyle(),
        traverse=Traversal(get_children=child_iter, get_text=text_str),
    )(node)
''')),
}

CARELESS = {
    "root_by_next": case(
        TRAVERSAL, "DictTraversal.get_root", "exception type changed",
        "a dict's root taken by next(iter(tree.items())) instead of list(tree.items())[0], "
        "to spare the list: the same first item for the suite's dicts, but an empty dict "
        "now raises StopIteration instead of IndexError, which a caller catching "
        "LookupError no longer catches",
        ('''        return list(tree.items())[0]
''', '''        return next(iter(tree.items()))
'''),
        probe=Probe(SETUP, "LeftAligned()({})", "raises IndexError", "raises StopIteration")),
    "vertical_width_assumed": case(
        DRAWING, "BoxStyle.last_child_tail", "width assumed one character",
        "the space under a last child's VERTICAL glyph written as one space instead of as "
        "many spaces as the glyph has characters: the same for every built-in palette and "
        "the suite's, whose glyphs are one character each, but a palette with a wider "
        "VERTICAL glyph ('||') now draws a last child's subtree one column short of its "
        "siblings'",
        ('''            + self.space * len(self.gfx["VERTICAL"])
''', '''            + self.space
'''),
        probe=Probe(SETUP + "\nfrom asciitree.drawing import BOX_ASCII, BoxStyle",
                    "LeftAligned(draw=BoxStyle(gfx={**BOX_ASCII, 'VERTICAL': '||'}))"
                    "({'r': {'a': {'x': {}}}})",
                    "'r\\n +-- a\\n      +-- x'", "'r\\n +-- a\\n     +-- x'")),
    "children_sorted": case(
        TRAVERSAL, "DictTraversal.get_children", "sort added",
        "a node's children taken by sorted() of its dict's items instead of list(), for a "
        "stable drawing: the same for the suite's dicts, whose keys are in sorted order, "
        "but children are now drawn in key order instead of the dict's insertion order "
        "(the README's promise), and keys that do not compare raise TypeError",
        ('''        return list(node[1].items())
''', '''        return sorted(node[1].items())
'''),
        probe=Probe(SETUP, "LeftAligned()({'r': {'b': {}, 'a': {}}})",
                    "'r\\n +-- b\\n +-- a'", "'r\\n +-- a\\n +-- b'")),
    "kwargs_into_dict": case(
        UTIL, "KeyArgsConstructor.__init__", "attribute protocol bypassed",
        "the keyword arguments stored by self.__dict__.update(kwargs) instead of setattr "
        "for each: the same for the suite's arguments (class attributes and methods, which "
        "an instance attribute shadows), but an argument naming a read-only property "
        "(BoxStyle's space) is now stored where the property still wins, silently ignored "
        "instead of refused with AttributeError",
        ('''        for k, v in kwargs.items():
            setattr(self, k, v)
''', '''        self.__dict__.update(kwargs)
'''),
        probe=Probe("from asciitree.drawing import BoxStyle", "BoxStyle(space='.').space",
                    "raises AttributeError", "' '")),
    "children_attribute_fixed": case(
        TRAVERSAL, "AttributeTraversal.get_children", "configured name hard-coded",
        "a node's children read from node.children instead of the attribute the traversal "
        "names (getattr(node, self.attribute)): the same for the default attribute, but an "
        "AttributeTraversal told another attribute ('kids') now reads children and fails "
        "(a line no test runs)",
        ('''        return getattr(node, self.attribute)
''', '''        return node.children
'''),
        probe=Probe(SETUP + "\nfrom asciitree.traversal import AttributeTraversal\n"
                    "from types import SimpleNamespace as N",
                    "LeftAligned(traverse=AttributeTraversal(attribute='kids', "
                    "get_text=lambda n: n.name))(N(name='r', kids=[N(name='a', kids=[])]))",
                    "'r\\n +-- a'", "raises AttributeError")),
}
