"""The hand-written half of libvirt-python's classes: construction, the
values every object carries, and virConnect's connection handling.

The generated classes (:mod:`virtrpc.libvirt._classes`) derive from these.
Objects are cheap: four slots, no call made to build one (``listAllDomains``
over a thousand domains builds a thousand).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._connevents import EventRegistrations
from virtrpc.sync import SyncClient, SyncStream

if TYPE_CHECKING:
    from virtrpc.libvirt._classes import (
        virConnect,
        virDomain,
        virNetwork,
        virStream,
    )

__all__ = [
    "virConnectBase", "virDomainBase", "virDomainCheckpointBase", "virDomainSnapshotBase",
    "virInterfaceBase", "virNWFilterBase", "virNWFilterBindingBase", "virNetworkBase",
    "virNetworkPortBase", "virNodeDeviceBase", "virSecretBase", "virStoragePoolBase",
    "virStorageVolBase", "virStreamBase",
]


class _ObjectBase:
    """An object of a connection: ``cls(parent, _obj)`` as in libvirt-python,
    ``parent`` being the connection (or the domain of a snapshot or
    checkpoint, the network of a port) and ``_obj`` the wire struct."""

    __slots__ = ("__weakref__", "_c", "_conn", "_o", "_parent")

    _conn: virConnect
    _c: SyncClient
    _o: Any

    def __init__(self, parent: Any, _obj: Any) -> None:
        self._parent = parent
        self._conn = parent._conn
        self._c = parent._c
        self._o = _obj

    def connect(self) -> virConnect:
        """The connection this object belongs to."""
        return self._conn

    def c_pointer(self) -> int:
        """An integer identifying the object (libvirt-python: the C pointer)."""
        return id(self._o)

    def __repr__(self) -> str:
        name = getattr(self._o, "name", None)
        return f"<{type(self).__name__} {name!r}>" if name is not None else super().__repr__()


class virDomainBase(_ObjectBase):
    __slots__ = ()


class virNetworkBase(_ObjectBase):
    __slots__ = ()


class virNetworkPortBase(_ObjectBase):
    __slots__ = ()

    def network(self) -> virNetwork:
        """The network of this port."""
        net: virNetwork = self._parent
        return net


class virInterfaceBase(_ObjectBase):
    __slots__ = ()


class virStoragePoolBase(_ObjectBase):
    __slots__ = ()


class virStorageVolBase(_ObjectBase):
    __slots__ = ()


class virNodeDeviceBase(_ObjectBase):
    __slots__ = ()


class virSecretBase(_ObjectBase):
    __slots__ = ()


class virNWFilterBase(_ObjectBase):
    __slots__ = ()


class virNWFilterBindingBase(_ObjectBase):
    __slots__ = ()


class _DomainChildBase(_ObjectBase):
    __slots__ = ()

    def domain(self) -> virDomain:
        """The domain this object belongs to."""
        dom: virDomain = self._parent
        return dom

    def getDomain(self) -> virDomain:
        return self.domain()

    def getConnect(self) -> virConnect:
        return self._conn


class virDomainSnapshotBase(_DomainChildBase):
    __slots__ = ()


class virDomainCheckpointBase(_DomainChildBase):
    __slots__ = ()


class virStreamBase(_ObjectBase):
    """A data stream: ``conn.newStream()``, then bound to a procedure by the
    call that uses it (``screenshot``, ``download``, ``upload``,
    ``openConsole``...).  Blocking; the non-blocking flag is not supported."""

    __slots__ = ("_pending", "_stream", "flags")

    def __init__(self, parent: Any, _obj: Any = None) -> None:
        super().__init__(parent, _obj)
        self.flags = _obj if isinstance(_obj, int) else 0
        self._stream: SyncStream | None = None
        self._pending = b""  # received bytes not yet returned by recv()

    def _attach(self, stream: Any) -> Any:
        # The blocking client hands back a SyncStream (its methods are annotated
        # with the asyncio Stream they share with the async client).
        assert isinstance(stream, SyncStream)
        self._stream = stream
        self._pending = b""
        return stream.reply

    def _bound(self, cname: str) -> SyncStream:
        if self._stream is None:
            raise _rt.raise_error(_rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_STREAMS,
                                  "invalid argument: stream is not in use", cname)
        return self._stream

    def recv(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` bytes; ``b""`` at end of stream."""
        stream = self._bound("virStreamRecv")
        if not self._pending:
            try:
                self._pending = stream.recv()
            except _rt.VirtrpcError as e:
                raise _rt.translate(e, "virStreamRecv") from None
        data, self._pending = self._pending[:nbytes], self._pending[nbytes:]
        return data

    def send(self, data: bytes) -> int:
        """Send ``data``; returns the number of bytes sent."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        try:
            self._bound("virStreamSend").send(data)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamSend") from None
        return len(data)

    def finish(self) -> int:
        """End the transfer (waits for the daemon to confirm)."""
        try:
            self._bound("virStreamFinish").finish()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamFinish") from None
        return 0

    def abort(self) -> int:
        """Abort the transfer."""
        try:
            self._bound("virStreamAbort").abort()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamAbort") from None
        return 0

    def recvAll(self, handler: Callable[[Any, bytes, Any], int], opaque: Any) -> None:
        """Call ``handler(stream, data, opaque)`` for each chunk until end of
        stream, then finish; a negative return aborts (as libvirt-python)."""
        while True:
            data = self.recv(262144)
            if not data:
                break
            if handler(self, data, opaque) < 0:
                self.abort()
                raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_STREAMS,
                                      "internal error: recvAll handler failed")
        self.finish()

    def sendAll(self, handler: Callable[[Any, int, Any], bytes], opaque: Any) -> None:
        """Send what ``handler(stream, nbytes, opaque)`` returns until it
        returns ``b""``, then finish."""
        while True:
            data = handler(self, 262144, opaque)
            if not data:
                break
            self.send(data)
        self.finish()


class virConnectBase(EventRegistrations):
    """A connection: ``virtrpc.libvirt.open(uri)`` returns one."""

    __slots__ = ("__weakref__", "_c", "_host_cpus", "_uri")

    def __init__(self, client: SyncClient, uri: str | None = None) -> None:
        self._c = client
        self._host_cpus: int | None = None
        self._uri = uri
        self._init_events()

    def getURI(self) -> str:
        """The URI this connection was opened with (libvirt answers it locally)."""
        return self._uri if self._uri is not None else str(self._c.uri)

    @property
    def _conn(self) -> virConnect:
        conn: virConnect = self  # type: ignore[assignment]
        return conn

    def close(self) -> int:
        """Close the connection (libvirt-python returns the remaining reference count: 0)."""
        self._close_events()
        self._c.close()
        return 0

    def c_pointer(self) -> int:
        return id(self._c)

    def newStream(self, flags: int = 0) -> virStream:
        """A new stream, for the methods that transfer data (``screenshot``...)."""
        from virtrpc.libvirt._classes import virStream

        return virStream(self, flags)

    def isAlive(self) -> int:
        return 1 if self._c.is_open else 0

    def isEncrypted(self) -> int:
        uri = self._c.uri
        return 1 if uri is not None and uri.transport in ("tls", "ssh", "libssh", "libssh2") else 0

    def virConnGetLastError(self) -> _rt.ErrorTuple | None:
        return _rt.virGetLastError()

    def virConnResetLastError(self) -> None:
        _rt.virResetLastError()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        # libvirt-python closes a connection when its last reference goes.
        client = getattr(self, "_c", None)
        if client is not None and client.is_open:
            with contextlib.suppress(Exception):
                self._close_events()
            with contextlib.suppress(Exception):
                client.close()
