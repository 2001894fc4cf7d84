"""The object base both halves of the compatible API share
(virtrpc/libvirt/_objectbase.py): the classes stay distinct per half, each
object carries its half's client, and a stream read is cut the same way in
both (take_received)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import virtrpc.libvirt as blocking
import virtrpc.libvirt.aio as aio
from virtrpc.client.stream import Hole
from virtrpc.libvirt._objectbase import (
    VIR_STREAM_RECV_STOP_AT_HOLE,
    DomainChildBase,
    NetworkPortBase,
    ObjectBase,
    StreamBase,
    take_received,
)

KINDS = ["virDomain", "virNetwork", "virNetworkPort", "virInterface", "virStoragePool",
         "virStorageVol", "virNodeDevice", "virSecret", "virNWFilter", "virNWFilterBinding",
         "virDomainSnapshot", "virDomainCheckpoint", "virStream"]


class FakeConnection:
    """What an object takes from its parent: the connection and its client."""

    def __init__(self, client: object) -> None:
        self._c = client

    @property
    def _conn(self) -> FakeConnection:
        return self


def test_each_half_has_its_own_classes_on_the_one_base() -> None:
    for kind in KINDS:
        sync_cls, aio_cls = getattr(blocking, kind), getattr(aio, kind)
        assert sync_cls is not aio_cls
        assert not issubclass(sync_cls, aio_cls) and not issubclass(aio_cls, sync_cls)
        assert issubclass(sync_cls, ObjectBase) and issubclass(aio_cls, ObjectBase)
    parent = FakeConnection(client="the client")
    sync_dom = blocking.virDomain(parent, "wire struct")
    aio_dom = aio.virDomain(parent, "wire struct")
    assert isinstance(aio_dom, aio.virDomain) and not isinstance(aio_dom, blocking.virDomain)
    assert isinstance(sync_dom, blocking.virDomain) and not isinstance(sync_dom, aio.virDomain)


def test_children_name_their_parent_and_connection() -> None:
    conn = FakeConnection(client="c")
    for half in (blocking, aio):
        dom = half.virDomain(conn, "dom")
        snap, checkpoint = half.virDomainSnapshot(dom, "s"), half.virDomainCheckpoint(dom, "k")
        for child in (snap, checkpoint):
            assert isinstance(child, DomainChildBase)
            assert child.domain() is dom and child.getDomain() is dom
            assert child.getConnect() is conn and child.connect() is conn and child._c == "c"
        net = half.virNetwork(conn, "net")
        port = half.virNetworkPort(net, "port")
        assert isinstance(port, NetworkPortBase) and port.network() is net
        listed = half.virDomain._list(conn, ["a", "b"])
        assert [type(d) for d in listed] == [half.virDomain] * 2
        assert [(d._o, d._conn, d._c, d._parent) for d in listed] == [
            ("a", conn, "c", conn), ("b", conn, "c", conn)]
        stream: Any = half.virStream(conn, 1)
        assert isinstance(stream, StreamBase) and stream.flags == 1


def test_a_hole_reads_as_zeros_or_stops_the_read() -> None:
    assert take_received(Hole(10), 4, 0) == (bytes(4), Hole(6))
    assert take_received(Hole(4), 4, 0) == (bytes(4), None)
    hole = Hole(10)
    assert take_received(hole, 4, VIR_STREAM_RECV_STOP_AT_HOLE) == (-3, hole)
    assert take_received(b"", 4, 0) == (b"", b"")  # the end stays: every later read sees it


@given(st.lists(st.one_of(st.binary(min_size=1, max_size=20), st.integers(1, 20))),
       st.integers(1, 8))
def test_reads_cut_from_items_give_back_the_whole_stream(items: list[bytes | int],
                                                         nbytes: int) -> None:
    """Data and holes (as zeros), read ``nbytes`` at a time, are the stream's bytes."""
    expected = b"".join(i if isinstance(i, bytes) else bytes(i) for i in items)
    queue = [i if isinstance(i, bytes) else Hole(i) for i in items]
    got = b""
    pending: bytes | Hole | None = None
    while True:
        item = pending if pending is not None else (queue.pop(0) if queue else b"")
        data, pending = take_received(item, nbytes, 0)
        assert isinstance(data, bytes) and len(data) <= nbytes
        if not data:
            break
        got += data
    assert got == expected
