"""The moment tree snapshots and checkpoints share (testdriver/moments.py):
listings, parents, delete with and without children.  The same rules are
checked against libvirtd by test_testdriver_kinds.py's virsh session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from virtrpc.server.errors import RpcFault
from virtrpc.testdriver.moments import (
    DELETE_CHILDREN,
    DELETE_CHILDREN_ONLY,
    LIST_DESCENDANTS,
    LIST_LEAVES,
    LIST_NO_LEAVES,
    LIST_ROOTS,
    MomentTree,
)


@dataclass
class Point:
    name: str
    parent: str | None = None


def tree() -> MomentTree[Point]:
    """a -> b -> c, a -> d; e a second root; d is current."""
    moments = MomentTree[Point]("snapshot", 72)
    for name, parent in [("a", None), ("b", "a"), ("c", "b"), ("d", "a"), ("e", None)]:
        moments.moments[name] = Point(name, parent)
    moments.current = "d"
    return moments


def names(points: list[Point]) -> list[str]:
    return sorted(p.name for p in points)


def test_listings_of_the_domain_and_of_a_moment() -> None:
    t = tree()
    a = t.lookup("a")
    assert names(t.listed(None, 0)) == ["a", "b", "c", "d", "e"]
    assert names(t.listed(None, LIST_ROOTS)) == ["a", "e"]
    assert names(t.listed(None, LIST_LEAVES)) == ["c", "d", "e"]
    assert names(t.listed(None, LIST_NO_LEAVES)) == ["a", "b"]
    assert t.listed(None, LIST_LEAVES | LIST_NO_LEAVES) == []
    assert names(t.listed(a, 0)) == ["b", "d"]
    assert names(t.listed(a, LIST_DESCENDANTS)) == ["b", "c", "d"]
    assert names(t.listed(a, LIST_DESCENDANTS | LIST_LEAVES)) == ["c", "d"]
    assert names(t.listed(None, 0, keep=lambda p: p.name != "b")) == ["a", "c", "d", "e"]


def test_lookup_and_parent_errors_name_the_kind() -> None:
    t = tree()
    assert t.parent_of(t.lookup("c")).name == "b"
    with pytest.raises(RpcFault) as missing:
        t.lookup("zz")
    assert missing.value.code == 72
    assert str(missing.value) == ("Domain snapshot not found: no domain snapshot with "
                                  "matching name 'zz'")
    with pytest.raises(RpcFault) as orphan:
        t.parent_of(t.lookup("a"))
    assert str(orphan.value) == "Domain snapshot not found: snapshot 'a' does not have a parent"


def test_delete_moves_children_up_or_takes_them_along() -> None:
    t = tree()
    t.delete(t.lookup("b"), 0)
    assert sorted(t.moments) == ["a", "c", "d", "e"] and t.lookup("c").parent == "a"

    t = tree()
    t.delete(t.lookup("a"), DELETE_CHILDREN)
    assert sorted(t.moments) == ["e"] and t.current is None

    t = tree()
    t.delete(t.lookup("a"), DELETE_CHILDREN_ONLY)
    assert sorted(t.moments) == ["a", "e"] and t.current == "a"  # d was current

    t = tree()
    t.delete(t.lookup("d"), 0)
    assert t.current == "a"  # the parent of the current one becomes current
