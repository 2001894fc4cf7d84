"""The hand-written half of libvirt-python's classes: construction, the
values every object carries, and virConnect's connection handling.

The generated classes (:mod:`virtrpc.libvirt._classes`) derive from these.
Objects are cheap: four slots, no call made to build one (``listAllDomains``
over a thousand domains builds a thousand).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias

from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._connevents import EventRegistrations
from virtrpc.libvirt._objectbase import (
    STREAM_CHUNK,
    VIR_STREAM_EVENT_READABLE,
    VIR_STREAM_EVENT_WRITABLE,
    VIR_STREAM_NONBLOCK,
    VIR_STREAM_RECV_STOP_AT_HOLE,
    DomainBase,
    DomainChildBase,
    InterfaceBase,
    NetworkBase,
    NetworkPortBase,
    NodeDeviceBase,
    NWFilterBase,
    NWFilterBindingBase,
    SecretBase,
    StoragePoolBase,
    StorageVolBase,
    StreamBase,
)
from virtrpc.rpc.stream import Hole
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


# The blocking half's objects: on the SyncClient, their connection this module's virConnect.
# (each kind's base names this half's client and virConnect; the generated
# classes derive from these).
virDomainBase: TypeAlias = DomainBase[SyncClient, "virConnect"]
virNetworkBase: TypeAlias = NetworkBase[SyncClient, "virConnect"]
virNetworkPortBase: TypeAlias = NetworkPortBase[SyncClient, "virConnect", "virNetwork"]
virInterfaceBase: TypeAlias = InterfaceBase[SyncClient, "virConnect"]
virStoragePoolBase: TypeAlias = StoragePoolBase[SyncClient, "virConnect"]
virStorageVolBase: TypeAlias = StorageVolBase[SyncClient, "virConnect"]
virNodeDeviceBase: TypeAlias = NodeDeviceBase[SyncClient, "virConnect"]
virSecretBase: TypeAlias = SecretBase[SyncClient, "virConnect"]
virNWFilterBase: TypeAlias = NWFilterBase[SyncClient, "virConnect"]
virNWFilterBindingBase: TypeAlias = NWFilterBindingBase[SyncClient, "virConnect"]
virDomainSnapshotBase: TypeAlias = DomainChildBase[SyncClient, "virConnect", "virDomain"]
virDomainCheckpointBase: TypeAlias = DomainChildBase[SyncClient, "virConnect", "virDomain"]
_StreamBase: TypeAlias = StreamBase[SyncClient, "virConnect", SyncStream]


class virStreamBase(_StreamBase):
    """A data stream: ``conn.newStream()``, then bound to a procedure by the
    call that uses it (``screenshot``, ``download``, ``upload``,
    ``openConsole``...).  With VIR_STREAM_NONBLOCK, ``recv`` returns -2 when
    nothing has arrived yet; ``eventAddCallback`` runs a callback in the
    registered event loop as libvirt's remote driver does: a timer that is
    due (0) while the stream is readable or the callback wants writability,
    off (-1) otherwise.  Sending never blocks for long (virtrpc queues it),
    so a stream is always writable, as libvirt's remote streams are."""

    __slots__ = ("_cb", "_items", "_timer")

    def __init__(self, parent: Any, _obj: Any = None) -> None:
        super().__init__(parent, _obj)
        self._items: Iterator[bytes | Hole] | None = None
        # eventAddCallback's (callback, events, opaque, impl) and its timer
        self._cb: list[Any] | None = None
        self._timer: int | None = None

    def _attach(self, stream: Any) -> Any:
        # The blocking client hands back a SyncStream (its methods are annotated
        # with the asyncio Stream they share with the async client).
        assert isinstance(stream, SyncStream)
        self._stream = stream
        self._items = stream.iter_sparse()
        self._pending = None
        return stream.reply

    def _peek(self, cname: str) -> bytes | Hole:
        """The next data or hole (b"" at end of stream), without consuming it."""
        self._bound(cname)
        if self._pending is None:
            assert self._items is not None
            try:
                self._pending = next(self._items, b"")
            except _rt.VirtrpcError as e:
                raise _rt.translate(e, cname) from None
        return self._pending

    def recvFlags(self, nbytes: int, flags: int = 0) -> bytes | Literal[-2, -3]:
        """Up to ``nbytes`` bytes (b"" at end of stream); with
        VIR_STREAM_RECV_STOP_AT_HOLE, -3 when a hole comes next (see recvHole)."""
        return self._receive(nbytes, flags, "virStreamRecvFlags")

    def _ready(self) -> bool:
        """Whether a receive would return at once (data, a hole, the end or an error)."""
        stream = self._stream
        if stream is None or self._pending is not None:
            return True
        return stream.ready()

    def _receive(self, nbytes: int, flags: int, cname: str) -> bytes | Literal[-2, -3]:
        if self.flags & VIR_STREAM_NONBLOCK and not self._ready():
            return -2
        try:
            return self._take_pending(self._peek(cname), nbytes, flags)
        finally:
            if self._cb is not None:
                self._arm()

    def recv(self, nbytes: int) -> bytes | Literal[-2]:
        """Up to ``nbytes`` bytes (holes as zeros); ``b""`` at end of stream;
        -2 on a VIR_STREAM_NONBLOCK stream with nothing received yet."""
        got = self._receive(nbytes, 0, "virStreamRecv")
        assert got != -3  # only with VIR_STREAM_RECV_STOP_AT_HOLE
        return got

    # -- event callbacks (libvirt's remote driver: virnetclientstream.c) -----
    def eventAddCallback(self, events: int, cb: Callable[[Any, int, Any], object],
                         opaque: Any) -> None:
        """Call ``cb(stream, events, opaque)`` from the event loop while the
        stream is readable (VIR_STREAM_EVENT_READABLE) or, for
        VIR_STREAM_EVENT_WRITABLE, on every loop iteration."""
        from virtrpc.libvirt import _events

        cname = "virStreamEventAddCallback"
        stream = self._bound(cname)
        if self._cb is not None:
            raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
                                  "internal error: multiple stream callbacks not supported",
                                  cname)
        if not _events.impl_registered():  # virEventAddTimeout fails without saying why
            raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_NONE,
                                  "An error occurred, but the cause is unknown", cname)
        impl = _events.current_impl(cname)
        _events.dispatcher.acquire(cname, "no event loop")
        self._timer = impl.add_timeout(-1, self._timer_fired, None)
        self._cb = [cb, events, opaque, impl]
        # In whichever thread read it: data, a hole, the end or an error arrived.
        stream.set_listener(lambda: _events.dispatcher.post(self._arm))
        self._arm()

    def eventUpdateCallback(self, events: int) -> None:
        """Change the events the callback wants."""
        self._bound("virStreamEventUpdateCallback")
        if self._cb is None:
            raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
                                  "internal error: no stream callback registered",
                                  "virStreamEventUpdateCallback")
        self._cb[1] = events
        self._arm()

    def eventRemoveCallback(self) -> None:
        """Remove the callback (and its timer)."""
        from virtrpc.libvirt import _events

        self._bound("virStreamEventRemoveCallback")
        if self._cb is None or self._timer is None:
            raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
                                  "internal error: no stream callback registered",
                                  "virStreamEventRemoveCallback")
        impl, timer = self._cb[3], self._timer
        self._cb = self._timer = None
        if self._stream is not None:
            self._stream.set_listener(None)
        impl.remove_timeout(timer)
        _events.dispatcher.release()

    def _wanted(self) -> int:
        if self._cb is None:
            return 0
        events: int = self._cb[1]
        wanted = events & VIR_STREAM_EVENT_WRITABLE
        if events & VIR_STREAM_EVENT_READABLE and self._ready():
            wanted |= VIR_STREAM_EVENT_READABLE
        return wanted

    def _arm(self) -> None:
        """The timer due now while there is something to report, off otherwise."""
        cb, timer = self._cb, self._timer
        if cb is not None and timer is not None:
            cb[3].update_timeout(timer, 0 if self._wanted() else -1)

    def _timer_fired(self, timer: int, opaque: Any) -> None:
        events = self._wanted()
        if events and self._cb is not None:
            callback, _wanted, user_opaque, _impl = self._cb
            callback(self, events, user_opaque)

    def recvHole(self, flags: int = 0) -> int:
        """The length of the hole that recvFlags stopped at."""
        self._check_holes("virStreamRecvHole")
        return self._take_hole(self._peek("virStreamRecvHole"), "virStreamRecvHole")

    def send(self, data: bytes) -> int:
        """Send ``data``; returns the number of bytes sent."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        try:
            self._bound("virStreamSend").send(data)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamSend") from None
        return len(data)

    def sendHole(self, length: int, flags: int = 0) -> int:
        """Send a hole of ``length`` bytes (sparse streams)."""
        try:
            self._bound("virStreamSendHole").send_hole(length, flags)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamSendHole") from None
        return 0

    def finish(self) -> int:
        """End the transfer (waits for the daemon to confirm)."""
        try:
            self._bound("virStreamFinish").finish()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamFinish") from None
        return 0

    def abort(self) -> int:
        """Abort the transfer (nothing to do on a stream not in use)."""
        if self._stream is None:
            return 0
        try:
            self._bound("virStreamAbort").abort()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamAbort") from None
        return 0

    # The *All helpers behave as libvirt-python's: they never finish the
    # stream (the caller does, as libvirt's examples do), and a handler that
    # raises, or returns a negative number, aborts it first.
    def _abort_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.abort()

    def recvAll(self, handler: Callable[[Any, bytes, Any], int], opaque: Any) -> None:
        """Call ``handler(stream, data, opaque)`` for each chunk until the end
        of the stream; a negative return or an exception aborts it."""
        while True:
            data = self.recv(STREAM_CHUNK)
            if data == -2:  # libvirt-python's words
                raise _rt.libvirtError("cannot use recvAll with nonblocking stream")
            assert isinstance(data, bytes)
            if not data:
                break
            try:
                result = handler(self, data, opaque)
                if isinstance(result, int) and result < 0:
                    raise RuntimeError(f"recvAll handler returned {result}")
            except BaseException:
                self._abort_quietly()
                raise

    def sendAll(self, handler: Callable[[Any, int, Any], bytes], opaque: Any) -> None:
        """Send what ``handler(stream, nbytes, opaque)`` returns until it
        returns nothing; an exception in it aborts the stream."""
        while True:
            try:
                data = handler(self, STREAM_CHUNK, opaque)
            except BaseException:
                self._abort_quietly()
                raise
            if not data:
                break
            if self.send(data) == -2:
                raise _rt.libvirtError("cannot use sendAll with nonblocking stream")

    def sparseRecvAll(self, handler: Callable[[Any, bytes, Any], Any],
                      holeHandler: Callable[[Any, int, Any], Any], opaque: Any) -> None:
        """recvAll keeping holes: ``holeHandler(stream, length, opaque)`` for each."""
        while True:
            got = self.recvFlags(STREAM_CHUNK, VIR_STREAM_RECV_STOP_AT_HOLE)
            if got == -2:
                raise _rt.libvirtError("cannot use sparseRecvAll with nonblocking stream")
            if got == -3:
                result = holeHandler(self, self.recvHole(), opaque)
                if isinstance(result, int) and result < 0:
                    self.abort()
                    raise RuntimeError(f"holeHandler handler returned {result}")
                continue
            assert isinstance(got, bytes)
            if not got:
                break
            result = handler(self, got, opaque)
            if isinstance(result, int) and result < 0:
                self.abort()
                raise RuntimeError(f"sparseRecvAll handler returned {result}")

    def sparseSendAll(self, handler: Callable[[Any, int, Any], bytes | int],
                      holeHandler: Callable[[Any, Any], tuple[bool, int]],
                      skipHandler: Callable[[Any, int, Any], int], opaque: Any) -> None:
        """sendAll keeping holes: ``holeHandler(stream, opaque)`` says whether
        the source is in data and for how long; holes are sent as holes and
        skipped with ``skipHandler(stream, length, opaque)``."""
        while True:
            in_data, section = holeHandler(self, opaque)
            if not in_data and section > 0:
                if self.sendHole(section) < 0 or skipHandler(self, section, opaque) < 0:
                    self.abort()
                continue
            data = handler(self, min(STREAM_CHUNK, section), opaque)
            if isinstance(data, int) and data < 0:
                self.abort()
                raise RuntimeError(f"sparseSendAll handler returned {data}")
            if not data:
                break
            assert isinstance(data, bytes)
            if self.send(data) == -2:
                raise _rt.libvirtError("cannot use sparseSendAll with nonblocking stream")


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
