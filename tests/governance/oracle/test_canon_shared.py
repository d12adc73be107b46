"""A value the canonical walk meets again is written once: a receiver copied beside objects
that point back at the one it was copied from (configparser's section proxies, wave 31) was
walked once per proxy, half a CPU second an input. The form stays what it was: sharing is
invisible to it, and a part whose form hangs on the path to it (a `<cycle>` pointing above
it) is walked again on each path."""

from hypothesis import given
from hypothesis import strategies as st

from governance.oracle.canon import canon


class Node:
    def __init__(self, **kw) -> None:
        self.__dict__.update(kw)


class Counted:
    """An object read by its one slot, counting the reads."""

    __slots__ = ("value",)
    reads = 0

    def __getattribute__(self, name):
        if name == "value":
            type(self).reads += 1
        return object.__getattribute__(self, name)


def _unshared(value, seen=None):
    """`value` as a tree: each place a shared part is met holds a copy of its own."""
    if isinstance(value, list):
        return [_unshared(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_unshared(v) for v in value)
    if isinstance(value, dict):
        return {k: _unshared(v) for k, v in value.items()}
    if isinstance(value, Node):
        return Node(**{k: _unshared(v) for k, v in vars(value).items()})
    return value


def _shared_graphs():
    """Values whose parts are shared: a pool of parts, each later one built from earlier
    ones (so no cycle), the last the root."""
    leaves = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none(), st.floats(0, 2))

    @st.composite
    def graph(draw):
        pool = draw(st.lists(leaves, min_size=1, max_size=3))
        for _ in range(draw(st.integers(1, 12))):
            parts = draw(st.lists(st.sampled_from(pool), min_size=0, max_size=4))
            make = draw(st.sampled_from(["list", "tuple", "dict", "node"]))
            pool.append({"list": list, "tuple": tuple,
                         "dict": lambda p: {f"k{i}": v for i, v in enumerate(p)},
                         "node": lambda p: Node(**{f"a{i}": v for i, v in enumerate(p)})}
                        [make](parts))
        return pool[-1]
    return graph()


@given(_shared_graphs())
def test_a_shared_part_is_written_as_a_copy_of_it_would_be(value) -> None:
    assert canon(value) == canon(_unshared(value))


def test_a_part_pointing_back_above_it_is_walked_again_on_each_path() -> None:
    parent = Node(name="p")
    first, second = Node(name="c1", parent=parent), Node(name="c2", parent=parent)
    shared = Node(up=first)  # under `first` its `up` is a cycle; under `second` it is not
    first.shared, second.shared = shared, shared
    parent.children = [first, second]
    form = canon(parent)
    [_, attrs] = form
    [_, [under_first, under_second], _] = dict(attrs)["children"]
    first_shared = dict(under_first[1])["shared"]
    second_shared = dict(under_second[1])["shared"]
    assert dict(first_shared[1])["up"] == "<cycle>"
    assert dict(second_shared[1])["up"][0].endswith("Node")  # `first`, walked from here


def test_proxies_pointing_at_the_receivers_original_read_it_once() -> None:
    original = Counted()
    original.value = {f"section{i}": {f"option{j}": "v" for j in range(5)} for i in range(3)}
    proxies = [Node(parser=original, name=f"section{i}") for i in range(40)]
    copied = Node(sections=dict(original.value), proxies=proxies)  # a neighbour of it
    Counted.reads = 0
    form = canon(copied)
    assert Counted.reads == 2  # its slot found, then read: once per proxy before, 80
    [_, attrs] = form
    [_, walked, count] = dict(attrs)["proxies"]
    assert count == 40 and len({str(p) for p in walked}) == 40  # each proxy, by its name
