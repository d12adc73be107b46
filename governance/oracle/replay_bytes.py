"""Values near bytes, memoryviews and in-memory streams, for the replay runner's generated
inputs (governance.oracle.replay_values, whose text neighbours `near_str` they are made
from).

Copied into a run's private plugin directory as `_ouroboros_bytes` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import contextlib
import io


class BytesLike(bytes):
    """A bytes subclass (hpack's `type(x) is bytes` widened to isinstance landed)."""

    def __repr__(self):
        return f"BytesLike({bytes(self)!r})"


def near_bytes(v, ctx, near_str):
    """A text's neighbours as bytes (latin-1: every byte is one character and back), the
    first few of them; the same bytes as a bytearray, a memoryview and a bytes subclass
    (what a caller hands a codec: hyperframe's `bytes(data)` dropped waited for review);
    then the bytes with a byte at and beside each of the code's small integers, appended
    (early: an object's attribute takes its first few) and in first place: iterating bytes
    gives numbers, so code that compares `x > 126` reads a byte by its value (pyasn1's
    printable check moved to 127 waited for review with no b'\\x7f' tried); then the
    first byte as the length of what follows, and the first 1, 2, 4 or 8 bytes at a
    fixed-width integer's edges (a length prefix, a window or stream id read by
    `struct.unpack`); then the rest."""
    out = []
    for text in near_str(v.decode("latin-1"), ctx):
        with contextlib.suppress(UnicodeEncodeError):
            out.append(text.encode("latin-1") if isinstance(text, str) else text)
    # the same bytes as the other kinds a codec takes, then with a byte no UTF-8 or ASCII
    # decoder reads (webencodings' `errors='replace'` default made 'strict' waited: every
    # captured text decoded cleanly)
    kinds = [bytearray(v), memoryview(v), BytesLike(v), v + b"\xff"]
    valued = [bytes([b]) for c in ctx.ints[:8] for b in (c, c + 1, c - 1) if 0 <= b < 256]
    binary = [b + v[1:] for b in valued] + _binary_edges(v)
    if _reads_as_text(v):  # a header line, not a frame: its text's moves before those
        return out[:4] + kinds + out[4:6] + [v + b for b in valued] + out[6:] + binary
    return out[:4] + kinds + out[4:6] + [v + b for b in valued] + out[6:12] + binary \
        + out[12:]


def _reads_as_text(v):
    """Whether bytes are printable ASCII text (a header line, a form field): their first
    bytes are no length prefix or integer, and the number written in them is what a
    parser reads (multipart's 'Content-Length: 04' came past the cut, after the binary
    moves: wave 13)."""
    return bool(v) and v.isascii() and v.decode("ascii").strip("\t\r\n").isprintable()


def _binary_edges(v):
    """`v` with its first byte the length of the rest (and one either side), then with its
    first 1, 2, 4 or 8 bytes (as many as it has) at a fixed-width integer's edges."""
    n = len(v)
    out = [bytes([k]) + v[1:] for k in (n - 1, n, n - 2) if n and 0 <= k < 256]
    for width in (4, 1, 2, 8):
        if width > n:
            continue
        for head in (b"\x7f" + b"\xff" * (width - 1), b"\x80" + b"\x00" * (width - 1),
                     b"\xff" * width, b"\x00" * (width - 1) + b"\x01"):
            out.append(head + v[width:])
    return out


def near_memory(v, ctx, near_str):
    """A memoryview's neighbours: its bytes' (each as a view again), the bytes itself."""
    if v.ndim != 1 or v.format not in ("B", "b", "c"):
        return []
    raw = v.tobytes()
    return [raw] + [memoryview(b) for b in near_bytes(raw, ctx, near_str) if type(b) is bytes]


_RUN = 16  # bytes with the high bit set a stream's content is given after


def near_stream(v, ctx, near, sub):
    """An in-memory stream's neighbours: `sub` (the same stream of a subclass of its
    class), the same content as the other kind of stream (a bytes stream as text of the
    same code points, latin-1; a text stream as its UTF-8 bytes), a bytes stream's content
    after a run of at least _RUN bytes with their high bits set, made of its own bytes (a
    reader of continuation bytes reads one number longer than any fixed width: 64 bits
    take ten such bytes), then its content's own neighbours (`near`), each at the same
    position. A stream was an opaque object: leb128's reader taking `b[0]` for
    `ord(b)` (a text stream's one-character reads) and bounded at ten bytes landed
    (wave 18), no stream holding other content than the tests'."""
    data, at = v.getvalue(), v.tell()
    if isinstance(v, io.BytesIO):
        other = [_at(io.StringIO(data.decode("latin-1")), at)]
        high = bytes(b | 0x80 for b in data)
        content = [(high * (_RUN // len(high) + 1))[:max(_RUN, len(high))] + data] \
            if data else []
    else:
        other = [_at(io.BytesIO(data.encode("utf-8", "surrogatepass")), at)] \
            if data.isascii() else []
        content = []
    content += [c for c in near(data, ctx) if isinstance(c, type(data))]
    # a subclass's constructor may want other arguments: its content goes in its base
    made = io.BytesIO if isinstance(v, io.BytesIO) else io.StringIO
    return [*sub, *other, *(_at(made(c), min(at, len(c))) for c in content)]


def _at(stream, at):
    stream.seek(at)
    return stream
