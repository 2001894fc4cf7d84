"""The object base both halves of the compatible API share.

:mod:`virtrpc.libvirt._objects` (on the blocking client) and
:mod:`virtrpc.libvirt.aio._objects` (on the asyncio client) hold the same
objects: ``cls(parent, _obj)`` as in libvirt-python, four slots each, and
references between objects that are no I/O (``connect()``, ``domain()``,
``network()``).  What differs is the client an object calls (``_c``) and the
``virConnect`` class its ``_conn`` names, so the base is generic over both and
each half subclasses it with its own pair: the generated classes stay distinct
per half (``isinstance`` tells ``virtrpc.libvirt.aio.virDomain`` from
``virtrpc.libvirt.virDomain``) and mypy sees the right client in each.

Streams share their state (``flags``, the bound client stream, what was
received and not yet returned) and how a read is cut from it
(:func:`take_received`); the halves differ in how the next item is awaited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, Literal, Self, TypeVar

from virtrpc.libvirt import _runtime as _rt
from virtrpc.rpc.stream import STREAM_CHUNK_SIZE, Hole

__all__ = [
    "STREAM_CHUNK", "VIR_STREAM_EVENT_READABLE", "VIR_STREAM_EVENT_WRITABLE",
    "VIR_STREAM_NONBLOCK", "VIR_STREAM_RECV_STOP_AT_HOLE", "DomainBase", "DomainChildBase",
    "InterfaceBase", "NWFilterBase", "NWFilterBindingBase", "NetworkBase", "NetworkPortBase",
    "NodeDeviceBase", "ObjectBase", "SecretBase", "StoragePoolBase", "StorageVolBase",
    "StreamBase", "take_received",
]

#: The client an object calls: ``virtrpc.sync.SyncClient`` or ``virtrpc.client.Client``.
ClientT = TypeVar("ClientT")
#: The connection class of the half (its generated ``virConnect``).
ConnT = TypeVar("ConnT")
#: The parent an object is a child of (``virDomain`` for snapshots, ``virNetwork`` for ports).
ParentT = TypeVar("ParentT")
#: The client's stream object a ``virStream`` is bound to.
StreamT = TypeVar("StreamT")

#: libvirt-python's chunk size for the *All helpers (virStorageVol.streamBufSize).
STREAM_CHUNK = STREAM_CHUNK_SIZE
VIR_STREAM_RECV_STOP_AT_HOLE = 1
VIR_STREAM_NONBLOCK = 1
VIR_STREAM_EVENT_READABLE = 1
VIR_STREAM_EVENT_WRITABLE = 2


class ObjectBase(Generic[ClientT, ConnT]):
    """An object of a connection: ``cls(parent, _obj)`` as in libvirt-python,
    ``parent`` being the connection (or the domain of a snapshot or
    checkpoint, the network of a port) and ``_obj`` the wire struct.
    Objects are cheap: no call is made to build one."""

    __slots__ = ("__weakref__", "_c", "_conn", "_o", "_parent")

    _conn: ConnT
    _c: ClientT
    _o: Any

    def __init__(self, parent: Any, _obj: Any) -> None:
        self._parent = parent
        self._conn = parent._conn
        self._c = parent._c
        self._o = _obj

    @classmethod
    def _list(cls, parent: Any, objs: Iterable[Any]) -> list[Self]:
        """``[cls(parent, o) for o in objs]`` at about half the cost: the
        listings (``listAllDomains``...) build one object per item, a thousand
        for a thousand domains, so no ``__init__`` call and no per-object
        lookup of the parent's connection (a property on virConnect)."""
        conn = parent._conn
        client = parent._c
        new = object.__new__
        out: list[Self] = []
        append = out.append
        for obj in objs:
            item = new(cls)
            item._parent = parent
            item._conn = conn
            item._c = client
            item._o = obj
            append(item)
        return out

    def connect(self) -> ConnT:
        """The connection this object belongs to."""
        return self._conn

    def c_pointer(self) -> int:
        """An integer identifying the object (libvirt-python: the C pointer)."""
        return id(self._o)

    def __repr__(self) -> str:
        name = getattr(self._o, "name", None)
        return f"<{type(self).__name__} {name!r}>" if name is not None else super().__repr__()


class NetworkPortBase(ObjectBase[ClientT, ConnT], Generic[ClientT, ConnT, ParentT]):
    """A port: its parent is its network."""

    __slots__ = ()

    def network(self) -> ParentT:
        """The network of this port."""
        net: ParentT = self._parent
        return net


class DomainChildBase(ObjectBase[ClientT, ConnT], Generic[ClientT, ConnT, ParentT]):
    """A snapshot or a checkpoint: its parent is its domain."""

    __slots__ = ()

    def domain(self) -> ParentT:
        """The domain this object belongs to."""
        dom: ParentT = self._parent
        return dom

    def getDomain(self) -> ParentT:
        return self.domain()

    def getConnect(self) -> ConnT:
        return self._conn


# The kinds without hand-written methods of their own: one class each, so that
# each kind's base is a type of its own in both halves.


class DomainBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class NetworkBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class InterfaceBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class StoragePoolBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class StorageVolBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class NodeDeviceBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class SecretBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class NWFilterBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


class NWFilterBindingBase(ObjectBase[ClientT, ConnT]):
    __slots__ = ()


def take_received(item: bytes | Hole, nbytes: int,
                  flags: int) -> tuple[bytes | Literal[-3], bytes | Hole | None]:
    """Cut one read of at most ``nbytes`` from ``item`` (the next data or hole;
    ``b""`` at end of stream): ``(what the read returns, what stays pending)``.
    A hole reads as zeros, or as -3 with VIR_STREAM_RECV_STOP_AT_HOLE (the
    hole stays pending for recvHole); the end of stream stays pending so that
    every later read sees it too."""
    if isinstance(item, Hole):
        if flags & VIR_STREAM_RECV_STOP_AT_HOLE:
            return -3, item
        size = min(nbytes, item.length)
        return bytes(size), (Hole(item.length - size) if item.length > size else None)
    data, rest = item[:nbytes], item[nbytes:]
    return data, (rest if rest else (None if item else item))


class StreamBase(ObjectBase[ClientT, ConnT], Generic[ClientT, ConnT, StreamT]):
    """A data stream: ``conn.newStream(flags)``, then bound to a procedure by
    the call that uses it (``_attach``)."""

    __slots__ = ("_pending", "_stream", "flags")

    def __init__(self, parent: Any, _obj: Any = None) -> None:
        super().__init__(parent, _obj)
        self.flags = _obj if isinstance(_obj, int) else 0
        self._stream: StreamT | None = None
        # what was received and not yet returned: bytes, a Hole, or None
        self._pending: bytes | Hole | None = None

    def _bound(self, cname: str) -> StreamT:
        if self._stream is None:  # libvirt: a new stream has no driver yet
            raise _rt.raise_error(_rt.VIR_ERR_NO_SUPPORT, _rt.VIR_FROM_STREAMS,
                                  "this function is not supported by the connection driver: "
                                  + cname)
        return self._stream

    def _take_pending(self, item: bytes | Hole, nbytes: int,
                      flags: int) -> bytes | Literal[-3]:
        """One read from ``item`` (what ``_peek`` returned); keeps the rest pending."""
        result, self._pending = take_received(item, nbytes, flags)
        return result

    def _check_holes(self, cname: str) -> None:
        """recvHole on a stream whose procedure has no sparse flag: libvirt's
        client refuses it before waiting (virNetClientStreamRecvHole)."""
        stream: Any = self._bound(cname)
        if stream.procedure.sparseflag is None:
            raise _rt.raise_error(_rt.VIR_ERR_OPERATION_INVALID, _rt.VIR_FROM_RPC,
                                  "Requested operation is not valid: Holes are not supported"
                                  " with this stream", cname)

    def _take_hole(self, item: bytes | Hole, cname: str) -> int:
        """recvHole: the length of the hole ``item`` is, which is then consumed."""
        if not isinstance(item, Hole):
            raise _rt.raise_error(_rt.VIR_ERR_OPERATION_INVALID, _rt.VIR_FROM_STREAMS,
                                  "Requested operation is not valid: no hole in the stream"
                                  " here", cname)
        self._pending = None
        return item.length
