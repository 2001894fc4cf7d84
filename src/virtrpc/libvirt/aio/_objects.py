"""The hand-written half of the asyncio twin's classes.

Following references between objects is no I/O (``connect()``, ``domain()``,
``network()``, ``c_pointer()`` stay plain methods).  The connection and the stream are
asyncio-native: ``await conn.close()``, ``await stream.recv(n)``; event
callbacks run on the running loop and may be coroutines.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias

from virtrpc.client.client import Client
from virtrpc.client.events import Event
from virtrpc.client.stream import Hole, Stream
from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._connevents import _FAMILIES, EVENT_ARGUMENTS, _value
from virtrpc.libvirt._objectbase import (
    STREAM_CHUNK,
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
from virtrpc.libvirt.aio import _streams

if TYPE_CHECKING:
    from virtrpc.client.events import Subscription
    from virtrpc.libvirt.aio._classes import virConnect, virDomain, virNetwork, virStream

__all__ = [
    "virConnectBase", "virDomainBase", "virDomainCheckpointBase", "virDomainSnapshotBase",
    "virInterfaceBase", "virNWFilterBase", "virNWFilterBindingBase", "virNetworkBase",
    "virNetworkPortBase", "virNodeDeviceBase", "virSecretBase", "virStoragePoolBase",
    "virStorageVolBase", "virStreamBase",
]


# The asyncio half's objects: on the asyncio Client, their connection this half's virConnect.
# (each kind's base names this half's client and virConnect; the generated
# classes derive from these).
virDomainBase: TypeAlias = DomainBase[Client, "virConnect"]
virNetworkBase: TypeAlias = NetworkBase[Client, "virConnect"]
virNetworkPortBase: TypeAlias = NetworkPortBase[Client, "virConnect", "virNetwork"]
virInterfaceBase: TypeAlias = InterfaceBase[Client, "virConnect"]
virStoragePoolBase: TypeAlias = StoragePoolBase[Client, "virConnect"]
virStorageVolBase: TypeAlias = StorageVolBase[Client, "virConnect"]
virNodeDeviceBase: TypeAlias = NodeDeviceBase[Client, "virConnect"]
virSecretBase: TypeAlias = SecretBase[Client, "virConnect"]
virNWFilterBase: TypeAlias = NWFilterBase[Client, "virConnect"]
virNWFilterBindingBase: TypeAlias = NWFilterBindingBase[Client, "virConnect"]
virDomainSnapshotBase: TypeAlias = DomainChildBase[Client, "virConnect", "virDomain"]
virDomainCheckpointBase: TypeAlias = DomainChildBase[Client, "virConnect", "virDomain"]
_StreamBase: TypeAlias = StreamBase[Client, "virConnect", Stream]


class virStreamBase(_StreamBase):
    """A data stream, bound by the call that uses it (``await dom.screenshot(st, 0)``)."""

    __slots__ = ()

    async def eventAddCallback(self, events: int, cb: Callable[[Any, int, Any], object],
                               opaque: Any) -> None:
        """``cb(stream, events, opaque)`` (may be a coroutine) on the running loop
        while the stream is readable, or on every iteration for WRITABLE."""
        await _streams.add_callback(self, events, cb, opaque)

    async def eventUpdateCallback(self, events: int) -> None:
        await _streams.update_callback(self, events)

    async def eventRemoveCallback(self) -> None:
        await _streams.remove_callback(self)

    def _attach(self, stream: Any) -> Any:
        assert isinstance(stream, Stream)
        self._stream = stream
        self._pending = None
        return stream.reply

    async def _peek(self, cname: str) -> bytes | Hole:
        stream = self._bound(cname)
        if self._pending is None:
            try:
                item = await stream._next_item()
            except _rt.VirtrpcError as e:
                raise _rt.translate(e, cname) from None
            self._pending = b"" if item is None else item
        return self._pending

    async def _receive(self, nbytes: int, flags: int, cname: str) -> bytes | Literal[-3]:
        return self._take_pending(await self._peek(cname), nbytes, flags)

    async def recv(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` bytes (holes as zeros); ``b""`` at end of stream."""
        data = await self._receive(nbytes, 0, "virStreamRecv")
        assert isinstance(data, bytes)
        return data

    async def recvFlags(self, nbytes: int, flags: int = 0) -> bytes | Literal[-3]:
        return await self._receive(nbytes, flags, "virStreamRecvFlags")

    async def recvHole(self, flags: int = 0) -> int:
        self._check_holes("virStreamRecvHole")
        return self._take_hole(await self._peek("virStreamRecvHole"), "virStreamRecvHole")

    async def send(self, data: bytes) -> int:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        try:
            await self._bound("virStreamSend").send(data)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamSend") from None
        return len(data)

    async def sendHole(self, length: int, flags: int = 0) -> int:
        try:
            await self._bound("virStreamSendHole").send_hole(length, flags)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamSendHole") from None
        return 0

    async def finish(self) -> int:
        try:
            await self._bound("virStreamFinish").finish()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamFinish") from None
        return 0

    async def abort(self) -> int:
        if self._stream is None:
            return 0
        try:
            await self._stream.abort()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStreamAbort") from None
        return 0

    # As the blocking twin's (libvirt-python's): never finish the stream; a
    # handler that raises, or returns a negative number, aborts it first.
    async def _abort_quietly(self) -> None:
        with contextlib.suppress(Exception):
            await self.abort()

    async def recvAll(self, handler: Callable[[Any, bytes, Any], Any], opaque: Any) -> None:
        """``handler(stream, data, opaque)`` (may be a coroutine) per chunk,
        until the end of the stream."""
        while data := await self.recv(STREAM_CHUNK):
            try:
                result = handler(self, data, opaque)
                if inspect.isawaitable(result):
                    result = await result
                if isinstance(result, int) and result < 0:
                    raise RuntimeError(f"recvAll handler returned {result}")
            except BaseException:
                await self._abort_quietly()
                raise

    async def sendAll(self, handler: Callable[[Any, int, Any], Any], opaque: Any) -> None:
        """Send what ``handler(stream, nbytes, opaque)`` (may be a coroutine)
        returns until it returns nothing."""
        while True:
            try:
                data = handler(self, STREAM_CHUNK, opaque)
                if inspect.isawaitable(data):
                    data = await data
            except BaseException:
                await self._abort_quietly()
                raise
            if not data:
                break
            await self.send(data)


class virConnectBase:
    """A connection: ``conn = await virtrpc.libvirt.aio.open(uri)``."""

    __slots__ = ("__weakref__", "_c", "_callbacks", "_host_cpus", "_next_callback_id",
                 "_shared", "_tasks", "_uri")

    def __init__(self, client: Client, uri: str | None = None) -> None:
        self._c = client
        self._host_cpus: int | None = None
        self._uri = uri
        # callback id -> (local key, daemon key); daemon key -> [subscription, listeners]
        self._callbacks: dict[int, tuple[Any, Any]] = {}
        self._shared: dict[Any, list[Any]] = {}
        self._next_callback_id = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def _conn(self) -> Any:
        return self

    async def close(self) -> int:
        await self._c.close()
        return 0

    def c_pointer(self) -> int:
        return id(self._c)

    async def newStream(self, flags: int = 0) -> virStream:
        from virtrpc.libvirt.aio._classes import virStream

        return virStream(self, flags)

    async def isAlive(self) -> int:
        return 1 if self._c.is_open else 0

    async def isEncrypted(self) -> int:
        uri = self._c.uri
        return 1 if uri is not None and uri.transport in ("tls", "ssh", "libssh", "libssh2") else 0

    async def getURI(self) -> str:
        return self._uri if self._uri is not None else str(self._c.uri)

    async def setKeepAlive(self, interval: int, count: int) -> int:
        """virtrpc's client keeps the connection alive by itself."""
        return 0

    async def virConnGetLastError(self) -> _rt.ErrorTuple | None:
        return _rt.virGetLastError()

    async def virConnResetLastError(self) -> None:
        _rt.virResetLastError()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    # -- events: callbacks on the running loop, as with libvirtaio ------------
    async def _register(self, family: str, target: Any, event_id: int,
                        cb: Callable[..., Any], opaque: Any, cname: str) -> int:
        if not callable(cb):
            raise TypeError("callback must be callable")
        ids, field, class_name, _word = _FAMILIES[family]
        names = {number: name for name, number in ids.items()}
        if event_id not in names:
            _rt.virResetLastError()
            raise _rt.libvirtError(f"{cname}() failed")
        target_key = None if target is None else (
            bytes(getattr(target._o, "uuid", b"")) or target._o.name)
        local_key = (family, event_id, target_key)
        if local_key in {k for k, _d in self._callbacks.values()}:
            raise _rt.raise_error(_rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_NONE,
                                  "invalid argument: event callback already tracked")
        fields = EVENT_ARGUMENTS[(family, names[event_id])]
        conn: Any = self

        def deliver(event: Event) -> None:
            from virtrpc.libvirt.aio import _classes

            obj = getattr(_classes, class_name)(conn, event.fields[field])
            result = cb(conn, obj, *[_value(event.fields.get(f)) for f in fields], opaque)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

        callback_id, self._next_callback_id = self._next_callback_id, self._next_callback_id + 1
        self._callbacks[callback_id] = (local_key, local_key)
        listeners: dict[int, Callable[[Event], None]] = {callback_id: deliver}
        self._shared[local_key] = [None, listeners]

        def fan_out(event: Event) -> None:
            for listener in list(listeners.values()):
                listener(event)

        try:
            sub: Subscription = await self._c.subscribe(
                family, event_id, target=None if target is None else target._o,
                callback=fan_out)
        except _rt.VirtrpcError as e:
            del self._callbacks[callback_id]
            del self._shared[local_key]
            raise _rt.translate(e, cname) from None
        self._shared[local_key][0] = sub
        return callback_id

    async def _deregister(self, family: str, callback_id: int, cname: str) -> None:
        entry = self._callbacks.get(callback_id)
        if entry is None or entry[0][0] != family:
            raise _rt.raise_error(
                _rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_NONE,
                f"invalid argument: event callback id {callback_id} not registered")
        del self._callbacks[callback_id]
        sub, listeners = self._shared.pop(entry[1])
        listeners.pop(callback_id, None)
        try:
            await sub.close()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, cname) from None

    async def domainEventRegisterAny(self, dom: Any, eventID: int, cb: Callable[..., Any],
                                     opaque: Any) -> int:
        """``cb(conn, dom, ..., opaque)`` (may be a coroutine) on the running loop."""
        return await self._register("domain", dom, eventID, cb, opaque,
                                    "virConnectDomainEventRegisterAny")

    async def domainEventDeregisterAny(self, callbackID: int) -> None:
        await self._deregister("domain", callbackID, "virConnectDomainEventDeregisterAny")

    async def networkEventRegisterAny(self, net: Any, eventID: int, cb: Callable[..., Any],
                                      opaque: Any) -> int:
        return await self._register("network", net, eventID, cb, opaque,
                                    "virConnectNetworkEventRegisterAny")

    async def networkEventDeregisterAny(self, callbackID: int) -> None:
        await self._deregister("network", callbackID, "virConnectNetworkEventDeregisterAny")

    async def storagePoolEventRegisterAny(self, pool: Any, eventID: int,
                                          cb: Callable[..., Any], opaque: Any) -> int:
        return await self._register("storage_pool", pool, eventID, cb, opaque,
                                    "virConnectStoragePoolEventRegisterAny")

    async def storagePoolEventDeregisterAny(self, callbackID: int) -> None:
        await self._deregister("storage_pool", callbackID,
                               "virConnectStoragePoolEventDeregisterAny")

    async def nodeDeviceEventRegisterAny(self, dev: Any, eventID: int,
                                         cb: Callable[..., Any], opaque: Any) -> int:
        return await self._register("node_device", dev, eventID, cb, opaque,
                                    "virConnectNodeDeviceEventRegisterAny")

    async def nodeDeviceEventDeregisterAny(self, callbackID: int) -> None:
        await self._deregister("node_device", callbackID,
                               "virConnectNodeDeviceEventDeregisterAny")

    async def secretEventRegisterAny(self, secret: Any, eventID: int, cb: Callable[..., Any],
                                     opaque: Any) -> int:
        return await self._register("secret", secret, eventID, cb, opaque,
                                    "virConnectSecretEventRegisterAny")

    async def secretEventDeregisterAny(self, callbackID: int) -> None:
        await self._deregister("secret", callbackID, "virConnectSecretEventDeregisterAny")
