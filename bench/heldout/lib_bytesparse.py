"""bytesparse 1.1.0 (BSD-2-Clause), held out (wave 33): sparse bytes in a virtual memory
space (bytesparse/: base, the abstract ImmutableMemory and MutableMemory, their docstrings
and STR_MAX_CONTENT_SIZE, 1000; inplace, Memory and its bytearray-like subclass bytesparse;
io, MemoryIO). A Memory keeps a sorted list of (start, bytearray) blocks, neither overlapping
nor touching, and optional bounds: __init__ coerces them with int and raises an end below
the start to the start; __str__ lists the blocks and bounds while the content is under 1000
bytes, else falls back to repr; __contains__ searches each block; get answers the byte at an
address or a default; hex writes a single block's hex (empty for none, ValueError for more);
align(modulo, start, endex, pattern) takes the modulo by __index__, refuses one below 1, and
floods each interval out to the modulo's multiples; poke(address, item) ignores an address
before the start bound or at or after the end bound, updates a block in place, appends to a
block it ends, prepends to one it starts, or else erases, places and crops; hexdump writes
rows of columns bytes from start, each byte's character looked up in charmap (HUMAN_ASCII by
default: every byte and the three markers), with a header whose offsets count from the
start's place within the columns when they are a power of two; multiplication repeats the
content, a negative count as 0.

Its suite (tests/: 1117 tests, pytest; _common.py's shared test classes run on Memory and
bytesparse alike, with negative addresses) checks every method on template blocks, with
their backups and restores, bounds, slices and steps, and the doctests of each. A line
tracer over it found every line of inplace.py run but a few of its docstrings' openings.
Its tests never print a memory of exactly 1000 bytes, never read back a bound an inverted
pair made at start 0 (they construct Memory(start=0, endex=-1) and check nothing), never
align to a modulo given as a float, never hexdump with a charmap that lacks a byte (the
default or none), and never poke at the end bound of a memory whose block ends there."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "bytesparse"
INPLACE = "bytesparse/inplace.py"

CONTROLS = {
    "negative_times_by_max": case(
        INPLACE, "Memory.__imul__", "clamp by max",
        "the repetition count clamped by max(int(times), 0) instead of an if that sets a "
        "negative count to 0: the same int for every count (int() is still called once, "
        "first)",
        ('''    ) -> 'Memory':

        times = int(times)
        if times < 0:
            times = 0
        blocks = self._blocks
        if times and blocks:
            start = self.start
            size = self.endex - start
            offset = size
            memory = self.from_memory(self, validate=False)
''', '''    ) -> 'Memory':

        times = max(int(times), 0)
        blocks = self._blocks
        if times and blocks:
            start = self.start
            size = self.endex - start
            offset = size
            memory = self.from_memory(self, validate=False)
''')),
    "contains_by_loop": case(
        INPLACE, "Memory.__contains__", "any() to loop",
        "the membership written as a loop over the blocks returning True at the first block "
        "that contains the item, and False after the last, instead of any() over a "
        "generator: the same blocks are searched in the same order, and the search stops "
        "at the same block",
        ('''        return any(item in block_data for _, block_data in self._blocks)
''', '''        for _, block_data in self._blocks:
            if item in block_data:
                return True
        return False
''')),
    "get_found_branch_first": case(
        INPLACE, "Memory.get", "branches swapped",
        "the condition written as block_index is not None with the lookup first and the "
        "default after: the two branches are exclusive and unchanged",
        ('''        if block_index is None:
            return default
        else:
            block_start, block_data = self._blocks[block_index]
            return block_data[address - block_start]
''', '''        if block_index is not None:
            block_start, block_data = self._blocks[block_index]
            return block_data[address - block_start]
        return default
''')),
    "hex_no_blocks_by_equality": case(
        INPLACE, "Memory.hex", "truth test to comparison",
        "no blocks tested by block_count == 0 instead of not block_count: block_count is "
        "len() of the block list, an int, whose falsity is being 0",
        ('''        if not block_count:
            return ''
''', '''        if block_count == 0:
            return ''
''')),
    "power_of_two_test_unparenthesised": case(
        INPLACE, "Memory.hexdump", "redundant parentheses removed",
        "the header's power-of-two test written columns & (columns - 1) == 0 instead of "
        "((columns - 1) & columns) == 0: & is commutative on ints, and in Python & binds "
        "tighter than == (unlike C), so the unparenthesised test is the same comparison",
        ('''            if ((columns - 1) & columns) == 0:  # power of 2
''', '''            if columns & (columns - 1) == 0:  # power of 2
''')),
}

CARELESS = {
    "str_guard_inverted_off_by_one": case(
        INPLACE, "Memory.__str__", "if/else to guard clause",
        "the large content's fallback to repr written first, as a guard clause, if "
        "content_size > STR_MAX_CONTENT_SIZE: return repr(self), instead of the else of "
        "content_size < STR_MAX_CONTENT_SIZE: but the complement of < is >=, so a memory of "
        "exactly 1000 bytes is now listed in full instead of by repr (the tests print 3 and "
        "3000 bytes)",
        ('''        if self.content_size < STR_MAX_CONTENT_SIZE:
            bound_start = '' if self._bound_start is None else f'{self._bound_start}, '
            bound_endex = '' if self._bound_endex is None else f', {self._bound_endex}'

            inner = ', '.join(f'({block_start}, b{block_data.decode()!r})'
                              for block_start, block_data in self._blocks)

            return f'<{bound_start}[{inner}]{bound_endex}>'
        else:
            return repr(self)
''', '''        if self.content_size > STR_MAX_CONTENT_SIZE:
            return repr(self)

        bound_start = '' if self._bound_start is None else f'{self._bound_start}, '
        bound_endex = '' if self._bound_endex is None else f', {self._bound_endex}'

        inner = ', '.join(f'({block_start}, b{block_data.decode()!r})'
                          for block_start, block_data in self._blocks)

        return f'<{bound_start}[{inner}]{bound_endex}>'
'''),
        probe=Probe("from bytesparse import Memory",
                    "str(Memory.from_bytes(bytes(1000))).startswith('<[')", "False",
                    "True")),
    "inverted_bounds_test_by_truth": case(
        INPLACE, "Memory.__init__", "is not None to truth test",
        "the start tested by its truth (if start and endex < start) instead of start is "
        "not None before an end below it is raised to it: the same for every start but 0, "
        "where an end below 0 is now kept and the bounds stay inverted",
        ('''            if start is not None and endex < start:
                endex = start
''', '''            if start and endex < start:
                endex = start
'''),
        probe=Probe("from bytesparse import Memory", "Memory(start=0, endex=-1).bound_span",
                    "(0, 0)", "(0, -1)")),
    "modulo_by_int": case(
        INPLACE, "Memory.align", "__index__ to int()",
        "the modulo taken by int(modulo) instead of modulo.__index__(): the same for ints "
        "and anything with __index__, but int() also truncates a float, which was refused "
        "(AttributeError), so align(2.5) now aligns to 2",
        ('''        pattern: AnyItems = 0,
    ) -> None:

        modulo = modulo.__index__()
''', '''        pattern: AnyItems = 0,
    ) -> None:

        modulo = int(modulo)
'''),
        probe=Probe("from bytesparse import Memory\nm = Memory.from_bytes(b'abc', offset=1)",
                    "(m.align(2.5), m.to_blocks())", "raises AttributeError",
                    "(None, [(0, b'\\x00abc')])")),
    "charmap_lookup_with_fallback": case(
        INPLACE, "Memory.hexdump", "indexing to get with a default",
        "each byte's character looked up by charmap.get(byteval, '.') instead of "
        "charmap[byteval], falling back to the dot HUMAN_ASCII shows for unprintable bytes: "
        "the same for the default charmap, which maps every byte and the three markers, but "
        "a caller's charmap that lacks a byte was refused (KeyError) and now prints a dot "
        "for it (the tests print with the default charmap or none)",
        ('''                for byteval in values:
                    append(charmap[byteval])
''', '''                for byteval in values:
                    append(charmap.get(byteval, '.'))
'''),
        probe=Probe("from bytesparse import Memory",
                    "Memory.from_bytes(b'A').hexdump(columns=1, charmap={}, stream=None)",
                    "raises KeyError", "'00000000  41  |.|\\n'")),
    "poke_end_bound_inclusive": case(
        INPLACE, "Memory.poke", "bound test rewritten",
        "a poke past the end bound refused when address > self._bound_endex instead of >=: "
        "an address beyond the bound is still refused, and one at the bound mostly cropped "
        "away by the final crop, but when a block ends at the end bound the byte is appended "
        "to it and poke returns before the crop, so the memory now holds a byte at its "
        "exclusive end bound",
        ('''        if self._bound_endex is not None and address >= self._bound_endex:
            return

        if item is None:
''', '''        if self._bound_endex is not None and address > self._bound_endex:
            return

        if item is None:
'''),
        probe=Probe("from bytesparse import Memory\nm = Memory.from_bytes(b'ab', endex=2)",
                    "(m.poke(2, b'c'), m.to_blocks())", "(None, [(0, b'ab')])",
                    "(None, [(0, b'abc')])")),
}
