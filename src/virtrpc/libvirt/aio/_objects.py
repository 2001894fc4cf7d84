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
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias

from virtrpc.client.client import Client
from virtrpc.client.events import Event
from virtrpc.client.stream import Hole, Stream
from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._eventregistry import EventRegistry, LegacyLifecycle, event_caller
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


def _callback_done(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    """A coroutine callback finished: forget it; print its error as
    libvirt-python prints a failing callback's."""
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            traceback.print_exception(task.exception())
    return done


class virConnectBase:
    """A connection: ``conn = await virtrpc.libvirt.aio.open(uri)``."""

    __slots__ = ("__weakref__", "_c", "_events", "_host_cpus", "_legacy", "_tasks", "_uri")

    def __init__(self, client: Client, uri: str | None = None) -> None:
        self._c = client
        self._host_cpus: int | None = None
        self._uri = uri
        #: the event rules (ids, keys, shared subscriptions), the blocking half's
        self._events = EventRegistry()
        self._legacy = LegacyLifecycle()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def _conn(self) -> Any:
        return self

    async def close(self) -> int:
        self._events.clear()
        self._legacy.clear()
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
    # The rules are the blocking half's (virtrpc.libvirt._eventregistry); this
    # half subscribes on the asyncio client, and needs no registered event loop.
    async def _register(self, family: str, target: Any, event_id: int,
                        cb: Callable[..., Any], opaque: Any, cname: str, legacy: bool = False,
                        qemu: tuple[str | None, int] | None = None) -> int:
        """``qemu``: the QMP event name (or None) and flags of a qemu_monitor
        registration."""
        keys = self._events.check(self, family, target, event_id, cb, cname, legacy=legacy,
                                  qemu=qemu is not None)
        call = event_caller(self, "virtrpc.libvirt.aio._classes", family, event_id, cb, opaque)
        tasks = self._tasks

        def deliver(event: Event) -> None:
            try:
                result = call(event)
            except Exception:  # libvirt-python prints a failing callback's error
                traceback.print_exc()
                return
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                tasks.add(task)
                task.add_done_callback(_callback_done(tasks))

        callback_id, listeners = self._events.add(keys, deliver)
        if listeners is None:  # an existing daemon subscription serves it
            return callback_id

        def fan_out(event: Event) -> None:
            for listener in list(listeners.values()):
                listener(event)

        # The first local callback for this event and object registers with the
        # daemon; the others share it (libvirt's remote driver does the same).
        try:
            qemu_event, qemu_flags = qemu if qemu is not None else (None, 0)
            sub: Subscription = await self._c.subscribe(
                family, event_id, target=None if target is None else target._o,
                callback=fan_out, qemu_event=qemu_event, qemu_flags=qemu_flags)
        except _rt.VirtrpcError as e:
            self._events.failed(callback_id, keys)
            raise _rt.translate(e, cname) from None
        self._events.subscribed(keys, sub)
        return callback_id

    async def _deregister(self, family: str, callback_id: int, cname: str) -> None:
        outcome = self._events.deregister(family, callback_id, cname)
        if outcome.error is not None:
            raise outcome.error
        if outcome.subscription is not None:  # the last local callback
            try:
                await outcome.subscription.close()
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

    # -- the legacy lifecycle API (as the blocking half's) ---------------------
    async def domainEventRegister(self, cb: Callable[..., Any], opaque: Any) -> None:
        """Legacy: ``cb(conn, dom, event, detail, opaque)`` (may be a
        coroutine) for every lifecycle event."""
        if not self._legacy.add(cb, opaque):
            return
        callback_id = None
        try:
            callback_id = await self._register("domain", None, 0, self._legacy.fan_out, None,
                                               "virConnectDomainEventRegister", legacy=True)
        finally:
            self._legacy.registered(cb, callback_id)

    async def domainEventDeregister(self, cb: Callable[..., Any]) -> None:
        callback_id = self._legacy.remove(cb)
        if callback_id is not None:
            await self._deregister("domain", callback_id, "virConnectDomainEventDeregister")
