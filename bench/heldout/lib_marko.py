"""marko 2.2.4 (MIT), held out (wave 12): a CommonMark Markdown parser and its renderers.
Markdown (marko/__init__.py) checks that its parser and renderer are subclasses of Parser
and Renderer (TypeError), registers extensions (a name is loaded from marko.ext or
imported) and builds its parser and renderer classes from their mixins once; the helpers
(marko/helpers.py) find the next unescaped target character in a text (find_next: -1 when
there is none before `end`, the text's length when end is None, -2 at a disallowed
character), normalize a link label (whitespace collapsed, stripped, case-folded), split a
line at its first run of spaces or tabs, and turn CamelCase names into snake_case; the HTML
renderer (html_renderer.py) escapes text and URLs and writes '#harmful-link' for a
javascript:, vbscript: or data: URL, in any case and after any whitespace. Its suite (1430
tests: the CommonMark and GFM specifications' examples, the extensions, the renderers, the
helpers) was traced line by line: it never gives Markdown a bad parser or renderer, never
calls find_next with an end, never writes a harmful link (escape_url's '#harmful-link'),
and never has a renderer fall back to the next class's method
(_RendererDispatcher.super_render). One control (super_render's generator as a list)
changes only lines no test runs; every careless refactor changes lines the suite runs (the
guard or the comparison itself, if not what it refuses). Drafts that failed the suite check
and were replaced: normalize_label's casefold() as lower() (one of the specification's examples
fails) and Markdown.use's mixins appended with += (one test fails)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "marko"
INIT = "marko/__init__.py"
HELPERS = "marko/helpers.py"
HTML = "marko/html_renderer.py"
SETUP = "import marko"
HELP = "from marko import helpers"

CONTROLS = {
    "super_render_list": case(
        HELPERS, "_RendererDispatcher.super_render",
        "generator and next() to a list (lines no test runs)",
        "the classes of the renderer's MRO that define the method collected in a list, the "
        "second one's method called, and NotImplementedError raised when there is no second "
        "one, instead of a generator whose first two items are taken with next() and a "
        "StopIteration caught: the MRO is a finite tuple and the membership tests have no "
        "side effects; no test has a renderer fall back to the next class",
        ('''        klasses = (c for c in type(r).mro() if self.name in c.__dict__)
        try:
            next(klasses)  # skip the current class
            parent = next(klasses)
        except StopIteration:
            raise NotImplementedError(f"Unsupported renderer {type(r)}") from None
        else:
            return getattr(parent, self.name)(r, element)
''', '''        klasses = [c for c in type(r).mro() if self.name in c.__dict__]
        if len(klasses) < 2:  # the current class, then the next one
            raise NotImplementedError(f"Unsupported renderer {type(r)}") from None
        return getattr(klasses[1], self.name)(r, element)
''')),
    "render_list_fstring": case(
        HTML, "HTMLRenderer.render_list", "format() to an f-string",
        "the list's template filled by an f-string instead of str.format with keywords: "
        "the same tag twice, the same start attribute, the children rendered once",
        ('''        return "<{tag}{extra}>\\n{children}</{tag}>\\n".format(
            tag=tag, extra=extra, children=self.render_children(element)
        )
''', '''        children = self.render_children(element)
        return f"<{tag}{extra}>\\n{children}</{tag}>\\n"
''')),
    "snake_case_generator": case(
        HELPERS, "camel_to_snake_case", "map to a generator expression",
        "the words lower-cased by a generator expression instead of map(str.lower, ...): "
        "re.findall gives str items, for which str.lower and the method are one",
        ('''    return "_".join(map(str.lower, re.findall(pattern, name)))
''', '''    return "_".join(word.lower() for word in re.findall(pattern, name))
''')),
    "list_item_sep_conditional": case(
        HTML, "HTMLRenderer.render_list_item", "if/else to a conditional expression",
        "the separator chosen by one conditional expression instead of an if/else "
        "assigning it, the same condition in the same order",
        ('''        if len(element.children) == 1 and getattr(element.children[0], "_tight", False):
            sep = ""
        else:
            sep = "\\n"
''', '''        tight = len(element.children) == 1 and getattr(element.children[0], "_tight", False)
        sep = "" if tight else "\\n"
''')),
}

CARELESS = {
    "harmful_startswith": case(
        HTML, "HTMLRenderer.escape_url", "regular expression replaced by startswith",
        "the harmful protocols tested with str.startswith of the three lower-case prefixes "
        "instead of the module's case-blind pattern that allows leading whitespace: the "
        "suite writes no harmful link at all, and 'JavaScript:alert(1)' now goes through",
        ('''        if HARMFUL_PROTOCOLS.match(escaped):
''', '''        if escaped.startswith(("javascript:", "vbscript:", "data:")):
'''),
        probe=Probe(SETUP, "marko.HTMLRenderer.escape_url('JavaScript:alert(1)')",
                    "'#harmful-link'", "'JavaScript:alert(1)'")),
    "renderer_check_dropped": case(
        INIT, "Markdown.__init__", "guard dropped",
        "the renderer's subclass check dropped, the annotation saying as much: the suite "
        "gives Markdown only renderers, but Markdown(renderer=object), a TypeError before, "
        "is now built (and fails only on its first conversion)",
        ('''        if not issubclass(renderer, Renderer):
            raise TypeError("renderer must be a subclass of Renderer.")
''', ''''''),
        probe=Probe(SETUP, "type(marko.Markdown(renderer=object)).__name__",
                    "raises TypeError", "'Markdown'")),
    "find_next_end_or": case(
        HELPERS, "find_next", "'is None' widened to a truth test",
        "the end defaulted with 'end = end or len(text)' instead of 'if end is None': the "
        "suite's callers never pass an end, but an end of 0, an empty span, now searches "
        "the whole text",
        ('''    if end is None:
        end = len(text)
''', '''    end = end or len(text)
'''),
        probe=Probe(HELP, "helpers.find_next('a)', ')', end=0)", "-1", "1")),
    "find_next_disallowed_first": case(
        HELPERS, "find_next", "checks reordered",
        "a disallowed character tested before the target, to fail fast: marko's callers "
        "pass targets and disallowed characters that never overlap, but a character that "
        "is both, found before at its index, now ends the search with -2",
        ('''        elif c in target:
            return i
        elif c in disallowed:
            return -2
''', '''        elif c in disallowed:
            return -2
        elif c in target:
            return i
'''),
        probe=Probe(HELP, "helpers.find_next('ab', 'b', disallowed='b')", "1", "-2")),
    "partition_whitespace_default": case(
        HELPERS, "partition_by_spaces", "default changed",
        "the spaces' default widened from ' \\t' to string.whitespace's characters, as if "
        "any whitespace split a line: the suite's lines have no other whitespace, but "
        "partition_by_spaces('a\\nb') now splits at the newline",
        ('''def partition_by_spaces(text: str, spaces: str = " \\t") -> tuple[str, str, str]:
''', '''def partition_by_spaces(
    text: str, spaces: str = " \\t\\n\\r\\x0b\\x0c"
) -> tuple[str, str, str]:
'''),
        probe=Probe(HELP, "helpers.partition_by_spaces('a\\nb')", "('a\\nb', '', '')",
                    "('a', '\\n', 'b')")),
}
