"""mistune 3.0.2 (BSD-3-Clause): a Markdown parser. Its targets take a re.Match and a parser
state (parse_inline_footnote, InlineParser.parse_codespan), an inline parser and its state
(the abbr plugin's process_text), a renderer with a token and a block state
(MarkdownRenderer.link), and plain text (parse_link_href, the table plugin's helpers,
_get_fenced_marker). Its suite is the CommonMark spec and fixtures for every plugin."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "mistune"
ABBR, NOTES, TABLE = ("mistune/plugins/abbr.py", "mistune/plugins/footnotes.py",
                      "mistune/plugins/table.py")
HELPERS, INLINE, MD = ("mistune/helpers.py", "mistune/inline_parser.py",
                       "mistune/renderers/markdown.py")
SETUP = "import mistune"
PLUGINS = ("import mistune\n"
           "md = mistune.create_markdown(escape=False, plugins=['abbr', 'footnotes', 'table'])")
MARKDOWN = ("import mistune\nfrom mistune.renderers.markdown import MarkdownRenderer\n"
            "md = mistune.create_markdown(renderer=MarkdownRenderer())")

_ABBRS_RE = '''\
    abbrs_re = state.env.get('abbrs_re')
    if not abbrs_re:
        abbrs_re = re.compile(r'|'.join(re.escape(k) for k in ref.keys()))
        state.env['abbrs_re'] = abbrs_re
'''

_ALIGNS = '''\
    for i, v in enumerate(aligns):
        if ALIGN_CENTER.match(v):
            aligns[i] = 'center'
        elif ALIGN_LEFT.match(v):
            aligns[i] = 'left'
        elif ALIGN_RIGHT.match(v):
            aligns[i] = 'right'
        else:
            aligns[i] = None
'''

_FOOTNOTE = '''\
    if ref and key in ref:
        notes = state.env.get('footnotes')
        if not notes:
            notes = []
        if key not in notes:
            notes.append(key)
            state.env['footnotes'] = notes
        state.append_token({
          'type': 'footnote_ref',
          'raw': key,
          'attrs': {'index': notes.index(key) + 1}
        })
    else:
        state.append_token({'type': 'text', 'raw': m.group(0)})
    return m.end()
'''

_CODESPAN = '''\
        pos = m.end()
        m = pattern.match(state.src, pos)
        if m:
            end_pos = m.end()
            code = m.group(1)
            # Line endings are treated like spaces
            code = code.replace('\\n', ' ')
            if len(code.strip()):
                if code.startswith(' ') and code.endswith(' '):
                    code = code[1:-1]
            state.append_token({'type': 'codespan', 'raw': escape(code)})
            return end_pos
        else:
            state.append_token({'type': 'text', 'raw': marker})
            return pos
'''

_FENCED_LOOP = '''\
    ticks = []  # `
    waves = []  # ~
    for s in found:
        if s[0] == '`':
            ticks.append(len(s))
        else:
            waves.append(len(s))
'''

CONTROLS = {
    "abbr_regex_helper": case(
        ABBR, "process_text", "extract helper",
        "the abbreviations' regex, compiled once per document, comes from a helper",
        (_ABBRS_RE, '''\
    abbrs_re = _abbrs_re(state.env, ref)
'''),
        ("\n\ndef render_abbr(", '''

def _abbrs_re(env, ref):
    """The document's abbreviations as one alternation, compiled at its first text."""
    if not env.get('abbrs_re'):
        env['abbrs_re'] = re.compile(r'|'.join(re.escape(k) for k in ref.keys()))
    return env['abbrs_re']


def render_abbr(''')),
    "abbr_hole_inline": case(
        ABBR, "process_text", "inline variable",
        "the text before an abbreviation appended without a temporary",
        ('''\
            hole = text[pos:end_pos]
            state.append_token({'type': 'text', 'raw': hole})''', '''\
            state.append_token({'type': 'text', 'raw': text[pos:end_pos]})''')),
    "footnote_guard_clause": case(
        NOTES, "parse_inline_footnote", "early return",
        "an unknown footnote key returns first; the known key's path loses a level",
        (_FOOTNOTE, '''\
    if not ref or key not in ref:
        state.append_token({'type': 'text', 'raw': m.group(0)})
        return m.end()
    notes = state.env.get('footnotes')
    if not notes:
        notes = []
    if key not in notes:
        notes.append(key)
        state.env['footnotes'] = notes
    state.append_token({
      'type': 'footnote_ref',
      'raw': key,
      'attrs': {'index': notes.index(key) + 1}
    })
    return m.end()
''')),
    "thead_align_table": case(
        TABLE, "_process_thead", "lookup table",
        "the alignment chain of ifs as a private table of (pattern, name) tried in order",
        (_ALIGNS, '''\
    for i, v in enumerate(aligns):
        aligns[i] = next((name for regex, name in _ALIGNS if regex.match(v)), None)
'''),
        ("ALIGN_RIGHT = re.compile(r'^ *-+: *$')\n", '''\
ALIGN_RIGHT = re.compile(r'^ *-+: *$')
_ALIGNS = ((ALIGN_CENTER, 'center'), (ALIGN_LEFT, 'left'), (ALIGN_RIGHT, 'right'))
''')),
    "thead_headers_loop": case(
        TABLE, "_process_thead", "comprehension to loop",
        "the header cells built by an explicit loop instead of a comprehension",
        ('''\
    children = [
        {
            'type': 'table_cell',
            'text': text.strip(),
            'attrs': {'align': aligns[i], 'head': True}
        }
        for i, text in enumerate(headers)
    ]
    thead = {'type': 'table_head', 'children': children}''', '''\
    children = []
    for text, align_to in zip(headers, aligns):
        children.append({'type': 'table_cell', 'text': text.strip(),
                         'attrs': {'align': align_to, 'head': True}})
    thead = {'type': 'table_head', 'children': children}''')),
    "link_href_early_returns": case(
        HELPERS, "parse_link_href", "conditional expression",
        "the block/inline pattern chosen by one expression, the end by another",
        ('''\
    if block:
        m = LINK_HREF_BLOCK_RE.match(src, start_pos)
    else:
        m = LINK_HREF_INLINE_RE.match(src, start_pos)
''', '''\
    m = (LINK_HREF_BLOCK_RE if block else LINK_HREF_INLINE_RE).match(src, start_pos)
'''),
        ('''\
    if block and src[end_pos - 1] == href[-1]:
        return href, end_pos
    return href, end_pos - 1''', '''\
    keep_last = block and src[end_pos - 1] == href[-1]
    return href, end_pos if keep_last else end_pos - 1''')),
    "codespan_guard_clause": case(
        INLINE, "InlineParser.parse_codespan", "early return",
        "no closing marker returns first; the code path loses its else",
        (_CODESPAN, '''\
        pos = m.end()
        m = pattern.match(state.src, pos)
        if not m:
            state.append_token({'type': 'text', 'raw': marker})
            return pos
        # Line endings are treated like spaces
        code = m.group(1).replace('\\n', ' ')
        if len(code.strip()):
            if code.startswith(' ') and code.endswith(' '):
                code = code[1:-1]
        state.append_token({'type': 'codespan', 'raw': escape(code)})
        return m.end()
''')),
    "codespan_conditions_merged": case(
        INLINE, "InlineParser.parse_codespan", "merged conditions",
        "the nested ifs around the stripped space merged with and (truthiness of the length)",
        ('''\
            if len(code.strip()):
                if code.startswith(' ') and code.endswith(' '):
                    code = code[1:-1]''', '''\
            if code.strip() and code.startswith(' ') and code.endswith(' '):
                code = code[1:-1]''')),
    "md_link_autolink_merged": case(
        MD, "MarkdownRenderer.link", "merged conditions",
        "the two autolink branches (a URL, a mailto: address) merged into one test",
        ('''\
        if text == url and not title:
            return '<' + text + '>'
        elif 'mailto:' + text == url and not title:
            return '<' + text + '>\'''', '''\
        if url in (text, 'mailto:' + text) and not title:
            return '<' + text + '>\'''')),
    "fenced_marker_comprehension": case(
        MD, "_get_fenced_marker", "loop to comprehension",
        "the fence lengths split by two comprehensions instead of one loop",
        (_FENCED_LOOP, '''\
    ticks = [len(s) for s in found if s[0] == '`']
    waves = [len(s) for s in found if s[0] != '`']
''')),
    "fenced_marker_early": case(
        MD, "_get_fenced_marker", "merged conditions",
        "the two early returns of the default fence merged into one",
        ('''\
    found = fenced_re.findall(code)
    if not found:
        return '```'
''', '''\
    found = fenced_re.findall(code)
'''),
        ('''\
    if not ticks:
        return '```'
''', '''\
    if not found or not ticks:
        return '```'
''')),
}

CARELESS = {
    "abbr_keys_sorted": case(
        ABBR, "process_text", "iteration order",
        "the abbreviations tried in sorted order, not as defined: a shorter prefix wins",
        ("re.compile(r'|'.join(re.escape(k) for k in ref.keys()))",
         "re.compile(r'|'.join(re.escape(k) for k in sorted(ref)))"),
        probe=Probe(PLUGINS, "md('HTML\\n\\n*[HTML]: markup\\n*[HT]: hyper')",
                    '\'<p><abbr title="markup">HTML</abbr></p>\\n\'',
                    '\'<p><abbr title="hyper">HT</abbr>ML</p>\\n\'')),
    "abbr_tail_merged": case(
        ABBR, "process_text", "merged conditions",
        "the pure-text case merged into the tail's: an empty text no longer adds a token",
        ('''\
    if pos == 0:
        # special case, just pure text
        state.append_token({'type': 'text', 'raw': text})
    elif pos < len(text):''', '''\
    if pos < len(text):'''),
        probe=Probe("from mistune.core import InlineState\n"
                    "from mistune.plugins.abbr import process_text\n"
                    "state = InlineState({'ref_abbrs': {'HTML': 'markup'}})",
                    "[process_text(None, '', state), state.tokens][1]",
                    "[{'type': 'text', 'raw': ''}]",
                    '[]')),
    "footnote_key_upper": case(
        NOTES, "parse_inline_footnote", "normalisation",
        "the reference's key upper-cased instead of normalised (inner spaces kept)",
        ("    key = unikey(m.group('footnote_key'))\n    ref = state.env.get('ref_footnotes')",
         "    key = m.group('footnote_key').upper()\n    ref = state.env.get('ref_footnotes')"),
        probe=Probe(PLUGINS, "md('a[^x  y]\\n\\n[^x y]: note\\n')",
                    ('\'<p>a<sup class="footnote-ref" id="fnref-1"><a href="#fn-1">1</'
                     'a></sup></p>\\n<section class="footnotes">\\n<ol>\\n<li id="fn-1'
                     '"><p>note<a href="#fnref-1" class="footnote">&#8617;</a></p></li'
                     ">\\n</ol>\\n</section>\\n'"),
                    "'<p>a[^x  y]</p>\\n'")),
    "footnote_first_index": case(
        NOTES, "parse_inline_footnote", "off by one",
        "a second reference to a footnote counts it again: the index is the list's length",
        ("'attrs': {'index': notes.index(key) + 1}", "'attrs': {'index': len(notes)}"),
        probe=Probe(PLUGINS, "md('a[^1] b[^2] c[^1]\\n\\n[^1]: one\\n[^2]: two\\n')",
                    ('\'<p>a<sup class="footnote-ref" id="fnref-1"><a href="#fn-1">1</'
                     'a></sup> b<sup class="footnote-ref" id="fnref-2"><a href="#fn-2"'
                     '>2</a></sup> c<sup class="footnote-ref" id="fnref-1"><a href="#f'
                     'n-1">1</a></sup></p>\\n<section class="footnotes">\\n<ol>\\n<li '
                     'id="fn-1"><p>one<a href="#fnref-1" class="footnote">&#8617;</a><'
                     '/p></li>\\n<li id="fn-2"><p>two<a href="#fnref-2" class="footnot'
                     'e">&#8617;</a></p></li>\\n</ol>\\n</section>\\n\''),
                    ('\'<p>a<sup class="footnote-ref" id="fnref-1"><a href="#fn-1">1</'
                     'a></sup> b<sup class="footnote-ref" id="fnref-2"><a href="#fn-2"'
                     '>2</a></sup> c<sup class="footnote-ref" id="fnref-2"><a href="#f'
                     'n-2">2</a></sup></p>\\n<section class="footnotes">\\n<ol>\\n<li '
                     'id="fn-1"><p>one<a href="#fnref-1" class="footnote">&#8617;</a><'
                     '/p></li>\\n<li id="fn-2"><p>two<a href="#fnref-2" class="footnot'
                     'e">&#8617;</a></p></li>\\n</ol>\\n</section>\\n\''))),
    "table_cells_tabs": case(
        TABLE, "_process_thead", "case and strip",
        "header cells stripped of spaces only: other white space stays in the cell",
        ("'text': text.strip(),\n            'attrs': {'align': aligns[i], 'head': True}",
         "'text': text.strip(' '),\n            'attrs': {'align': aligns[i], 'head': True}"),
        probe=Probe(PLUGINS, "md('|\\u3000a | b |\\n|---|---|\\n| c | d |\\n')",
                    ("'<table>\\n<thead>\\n<tr>\\n  <th>a</th>\\n  <th>b</th>\\n</tr>\\"
                     'n</thead>\\n<tbody>\\n<tr>\\n  <td>c</td>\\n  <td>d</td>\\n</tr>'
                     "\\n</tbody>\\n</table>\\n'"),
                    ("'<table>\\n<thead>\\n<tr>\\n  <th>\\u3000a</th>\\n  <th>b</th>\\"
                     'n</tr>\\n</thead>\\n<tbody>\\n<tr>\\n  <td>c</td>\\n  <td>d</td>'
                     "\\n</tr>\\n</tbody>\\n</table>\\n'"))),
    "table_row_widths_unchecked": case(
        TABLE, "_process_row", "guard dropped",
        "a body row with more cells than the header is cut to its width, not refused",
        ('''\
    cells = CELL_SPLIT.split(text)
    if len(cells) != len(aligns):
        return None
''', '''\
    cells = CELL_SPLIT.split(text)
    if len(cells) < len(aligns):
        return None
    cells = cells[:len(aligns)]
'''),
        probe=Probe(PLUGINS, "md('| a | b |\\n|---|---|\\n| c | d | e |\\n')",
                    "'<p>| a | b |\\n|---|---|\\n| c | d | e |</p>\\n'",
                    ("'<table>\\n<thead>\\n<tr>\\n  <th>a</th>\\n  <th>b</th>\\n</tr>\\"
                     'n</thead>\\n<tbody>\\n<tr>\\n  <td>c</td>\\n  <td>d</td>\\n</tr>'
                     "\\n</tbody>\\n</table>\\n'"))),
    "ref_footnote_last_wins": case(
        NOTES, "parse_ref_footnote", "first wins",
        "a footnote defined twice keeps its last text, not its first",
        ("""\
    if key not in ref:
        ref[key] = m.group('footnote_text')
        state.env['ref_footnotes'] = ref
""", """\
    ref[key] = m.group('footnote_text')
    state.env['ref_footnotes'] = ref
"""),
        probe=Probe(PLUGINS, "md('a[^1]\\n\\n[^1]: one\\n[^1]: two\\n')",
                    ('\'<p>a<sup class="footnote-ref" id="fnref-1"><a href="#fn-1">1</'
                     'a></sup></p>\\n<section class="footnotes">\\n<ol>\\n<li id="fn-1'
                     '"><p>one<a href="#fnref-1" class="footnote">&#8617;</a></p></li>'
                     "\\n</ol>\\n</section>\\n'"),
                    ('\'<p>a<sup class="footnote-ref" id="fnref-1"><a href="#fn-1">1</'
                     'a></sup></p>\\n<section class="footnotes">\\n<ol>\\n<li id="fn-1'
                     '"><p>two<a href="#fnref-1" class="footnote">&#8617;</a></p></li>'
                     "\\n</ol>\\n</section>\\n'"))),
    "codespan_blank_tab": case(
        INLINE, "InlineParser.parse_codespan", "case and strip",
        "a code span of spaces and tabs counted as blank only when it is all spaces",
        ("            if len(code.strip()):", "            if len(code.strip(' ')):"),
        probe=Probe(SETUP, "mistune.html('` \\t `')",
                    "'<p><code> \\t </code></p>\\n'",
                    "'<p><code>\\t</code></p>\\n'")),
    "md_link_close_paren": case(
        MD, "MarkdownRenderer.link", "guard dropped",
        "only an opening parenthesis puts the URL in angle brackets",
        ("if '(' in url or ')' in url:", "if '(' in url:"),
        probe=Probe(MARKDOWN, "md('[a](<b)c>)')",
                    "'[a](<b)c>)\\n'",
                    "'[a](b)c)\\n'")),
    "md_link_autolink_title": case(
        MD, "MarkdownRenderer.link", "guard dropped",
        "a link whose text is its URL becomes an autolink even when it has a title",
        ("        if text == url and not title:", "        if text == url:"),
        probe=Probe(MARKDOWN, "md('[http://a](http://a \"t\")')",
                    '\'[http://a](http://a "t")\\n\'', "'<http://a>\\n'")),
    "fenced_marker_waves_length": case(
        MD, "_get_fenced_marker", "boundary",
        "the fence for code holding both kinds of fence never shorter than three backticks",
        ("    if not waves:\n        return '~~~'\n    return '`' * (max(ticks) + 1)",
         "    if not waves:\n        return '~~~'\n    return '`' * max(max(ticks) + 1, 3)"),
        probe=Probe(MARKDOWN, "md('    `a\\n    ~b\\n')",
                    "'``\\n`a\\n~b\\n``\\n'",
                    "'```\\n`a\\n~b\\n```\\n'")),
}
