"""mdutils 1.8.1 (MIT), held out (wave 31): Markdown files written from Python (mdutils/:
mdutils, MdUtils; fileutils, MarkDownFile; tools/: Header, Html and HtmlSize, Image, Link
(Reference and Inline), MDList and MDCheckbox, Table, TableOfContents and TextUtils).
MdUtils.new_header(level, title, style) writes an atx header of '#' * level or a setext one
underlined with '=' (level 1) or '-' as long as the title, and adds it to the table of
contents' nested list; new_table_of_contents(table_title, depth) accepts a depth in range(1,
7) and walks the list down to that depth; new_paragraph, new_line and write wrap the text
with textwrap.fill when wrap_width > 0 and format it with TextUtils.text_format (letters b, i
and c, a colour other than black, centred); new_table(columns, rows, text, text_align) checks
columns * rows == len(text), writes the first row, the alignment row Table._align builds (one
alignment for every column, a list cut to the columns and padded with None, each lower-cased
and looked up) and the other rows, each cell str() of the text with '|' escaped; a reference
link's references are written sorted at the file's end. Header.header_anchor(text, link)
builds '#' and the text lower-cased with '-' for spaces when no link is given (an empty one
too), lower-cases a link without '#' and keeps one with it. Html.paragraph checks its
alignment; HtmlSize reads '<int>', 'x<int>' and '<int>x<int>' sizes.

Its suite (tests/test_mdutils.py: 30 tests, unittest) writes headers of every atx level and
a setext title, tables of contents of depths 1 and 2, plain paragraphs and lines (one line
wrapped at 25), code, inline links in every format, reference links and images, lists
(plain, bold, checkbox) and the file they go into. A line tracer over it found unrun:
Table.py (no test builds a table), Html.py, Header.header_anchor, choose_header and the
setext underline of level 2, ordered lists, TextUtils' colours and tooltips, the formatted
branches of new_paragraph and new_line, the wraps of new_paragraph and write, markers,
get_md_text, fileutils' append and read helpers, and the error of a depth out of range. Its
tests never give a depth that is not an int, a negative wrap width, an empty anchor link, a
cell that is not a string, nor more alignments than columns."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "mdutils"
MDUTILS = "mdutils/mdutils.py"
HEADER = "mdutils/tools/Header.py"
TABLE = "mdutils/tools/Table.py"
TOC = "mdutils/tools/TableOfContents.py"
LINK = "mdutils/tools/Link.py"
HTML = "mdutils/tools/Html.py"

CONTROLS = {
    "setext_separator_by_conditional": case(
        HEADER, "Header.setext", "if statement to conditional expression",
        "the separator chosen by one conditional expression, '=' if level == "
        "SetextHeaderLevel.TITLE else '-', instead of an if statement assigning it in each "
        "branch: the same test and the same two values",
        ('''        if level == SetextHeaderLevel.TITLE:
            separator = "="
        else:
            separator = "-"
''', '''        separator = "=" if level == SetextHeaderLevel.TITLE else "-"
''')),
    "rows_flattened_by_comprehension": case(
        TABLE, "Table.create_table_array", "loop to comprehension",
        "the padded rows flattened by a nested list comprehension instead of a loop extending "
        "an empty list row by row: the same cells in the same order (a line no test runs: no "
        "test builds a table)",
        ('''        flattened_text = []
        for row in normalized_data:
            flattened_text.extend(row)
''', '''        flattened_text = [cell for row in normalized_data for cell in row]
''')),
    "references_truth_tested_directly": case(
        LINK, "Reference.get_references_as_markdown", "redundant bool() dropped",
        "the references tested by not self.references instead of not bool(self.references): "
        "not takes the truth value of the dict itself, which is what bool() answers",
        ('''        if not bool(self.references):
''', '''        if not self.references:
''')),
    "paragraph_redundant_test_dropped": case(
        HTML, "Html.paragraph", "redundant condition dropped",
        "the check of the alignment against left, center and right no longer nested under "
        "if align is not None: the function has already returned when align is None, so the "
        "test is always true there (lines no test runs: no test writes HTML)",
        ('''        if align is not None:
            if align not in ["left", "center", "right"]:
                raise KeyError
''', '''        if align not in ["left", "center", "right"]:
            raise KeyError
''')),
}

CARELESS = {
    "empty_anchor_link_kept": case(
        HEADER, "Header.header_anchor", "truthiness to is None",
        "the link built from the text when link is None instead of when it is falsy, as its "
        "default None suggests: the same for no link and for a link given, but an empty link, "
        "which was built from the text, now reaches link[0] and raises IndexError (a line no "
        "test runs)",
        ('''        if not link:
            link = "#" + text.lower().replace(" ", "-")
''', '''        if link is None:
            link = "#" + text.lower().replace(" ", "-")
'''),
        probe=Probe("from mdutils.tools.Header import Header",
                    "Header.header_anchor('Part One', '')", "'[Part One](#part-one)'",
                    "raises IndexError")),
    "cell_not_coerced": case(
        TABLE, "Table.create_table", "dropped coercion",
        "each cell escaped by text[index].replace('|', r'\\|') instead of "
        "str(text[index]).replace(...), the text being documented as a list of strings: the "
        "same for strings, but a number in the list, which was written as its digits, now "
        "raises AttributeError (a line no test runs: no test builds a table)",
        ('''                        table += str(text[index]).replace("|", r"\\|") + "|"
''', '''                        table += text[index].replace("|", r"\\|") + "|"
'''),
        probe=Probe("from mdutils.tools.Table import Table",
                    "Table().create_table(2, 1, ['n', 5])", "'\\n|n|5|\\n| --- | --- |\\n'",
                    "raises AttributeError")),
    "alignments_not_cut_to_columns": case(
        TABLE, "Table._align", "slice dropped",
        "a list of alignments copied by list(text_align) instead of list(text_align)"
        "[:columns], since a list shorter than the columns is padded with None just below: "
        "the same for a list no longer than the columns, but a longer one now writes an "
        "alignment cell for every entry, more cells than the table has columns (a line no "
        "test runs)",
        ('''            text_align = list(text_align)[
                :columns
            ]  # make a local redimensionnable copy
''', '''            text_align = list(text_align)  # make a local redimensionnable copy
'''),
        probe=Probe("from mdutils.tools.Table import Table", "Table._align(1, ['left', 'right'])",
                    "'| :--- |'", "'| :--- | ---: |'")),
    "depth_by_chained_comparison": case(
        TOC, "TableOfContents.create_table_of_contents", "range membership to comparison",
        "the depth accepted when 1 <= depth <= 6 instead of when depth in range(1, 7): the "
        "same for every int, but a float depth such as 1.5, which range refused (ValueError: "
        "depth's expected value), is now accepted and walks one level further than 1",
        ('''        if depth in range(1, 7):
''', '''        if 1 <= depth <= 6:
'''),
        probe=Probe("from mdutils.tools.TableOfContents import TableOfContents",
                    "TableOfContents().create_table_of_contents(['A', ['B']], 1.5)",
                    "raises ValueError", "'\\n* [A](#a)\\n\\t* [B](#b)\\n'")),
    "wrap_width_by_truthiness": case(
        MDUTILS, "MdUtils.new_paragraph", "comparison to truthiness",
        "the paragraph wrapped when wrap_width is truthy instead of when it is > 0, the "
        "default 0 turning wrapping off either way: the same for 0 and every positive width, "
        "but a negative width, which left the text as it was, now reaches textwrap.fill and "
        "raises ValueError (invalid width)",
        ('''        if wrap_width > 0:
            text = fill(
                text,
                wrap_width,
                break_long_words=False,
                replace_whitespace=False,
                drop_whitespace=False,
            )

        if bold_italics_code or color != "black" or align:
            self.___update_file_data(
                "\\n\\n"
''', '''        if wrap_width:
            text = fill(
                text,
                wrap_width,
                break_long_words=False,
                replace_whitespace=False,
                drop_whitespace=False,
            )

        if bold_italics_code or color != "black" or align:
            self.___update_file_data(
                "\\n\\n"
'''),
        probe=Probe("from mdutils.mdutils import MdUtils",
                    "MdUtils('x').new_paragraph('a b', wrap_width=-1)", "'\\n\\na b'",
                    "raises ValueError")),
}
