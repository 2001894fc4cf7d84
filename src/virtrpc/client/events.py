"""Event subscriptions: domain, network, storage pool, node device, secret,
QEMU monitor and connection-close events.

libvirt delivers events as ``MESSAGE`` packets whose payload is the
procedure's ``*_msg`` struct.  Since the "callback" registration APIs, every
message carries the ``callbackID`` the daemon returned at registration, so one
connection can hold many independent subscriptions; this module routes each
message to the subscription that owns its ``(family, callbackID)``.

A :class:`Subscription` is an async iterator of :class:`Event` objects and can
also call a callback (a plain function or a coroutine function) for every
event.  ``await sub.close()`` deregisters it on the daemon.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import enum
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from virtrpc.errors import ConnectionLost

if TYPE_CHECKING:
    from virtrpc.xdr import Procedure

__all__ = [
    "CLOSE_REASONS",
    "DOMAIN_EVENT_IDS",
    "FAMILIES",
    "NETWORK_EVENT_IDS",
    "NODE_DEVICE_EVENT_IDS",
    "SECRET_EVENT_IDS",
    "STORAGE_POOL_EVENT_IDS",
    "Event",
    "EventCallback",
    "EventFamily",
    "Subscription",
]

#: ``virDomainEventID`` values (name -> id): libvirt 9.0's 27, plus
#: ``nic_mac_change`` (libvirt 11.x; older daemons refuse to register it).
DOMAIN_EVENT_IDS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        [
            "lifecycle",
            "reboot",
            "rtc_change",
            "watchdog",
            "io_error",
            "graphics",
            "io_error_reason",
            "control_error",
            "block_job",
            "disk_change",
            "tray_change",
            "pmwakeup",
            "pmsuspend",
            "balloon_change",
            "pmsuspend_disk",
            "device_removed",
            "block_job_2",
            "tunable",
            "agent_lifecycle",
            "device_added",
            "migration_iteration",
            "job_completed",
            "device_removal_failed",
            "metadata_change",
            "block_threshold",
            "memory_failure",
            "memory_device_size_change",
            "nic_mac_change",
        ]
    )
}
NETWORK_EVENT_IDS: dict[str, int] = {"lifecycle": 0, "metadata_change": 1}
STORAGE_POOL_EVENT_IDS: dict[str, int] = {"lifecycle": 0, "refresh": 1}
NODE_DEVICE_EVENT_IDS: dict[str, int] = {"lifecycle": 0, "update": 1}
SECRET_EVENT_IDS: dict[str, int] = {"lifecycle": 0, "value_changed": 1}

#: ``virConnectCloseReason`` names.
CLOSE_REASONS = {0: "error", 1: "eof", 2: "keepalive", 3: "client"}


class EventFamily(enum.StrEnum):
    """Which kind of object an event is about."""

    DOMAIN = "domain"
    NETWORK = "network"
    STORAGE_POOL = "storage_pool"
    NODE_DEVICE = "node_device"
    SECRET = "secret"
    QEMU_MONITOR = "qemu_monitor"
    CONNECTION = "connection"


@dataclass(frozen=True, slots=True)
class _FamilyRules:
    program: str  # generated protocol module holding the procedures
    register: str  # procedure name
    deregister: str
    target_field: str | None  # args field naming the object to watch (None = all)
    event_ids: dict[str, int]
    message_prefixes: tuple[str, ...]  # event procedure name prefixes, longest first


FAMILIES: dict[EventFamily, _FamilyRules] = {
    EventFamily.DOMAIN: _FamilyRules(
        "remote",
        "connect_domain_event_callback_register_any",
        "connect_domain_event_callback_deregister_any",
        "dom",
        DOMAIN_EVENT_IDS,
        ("domain_event_callback_", "domain_event_"),
    ),
    EventFamily.NETWORK: _FamilyRules(
        "remote",
        "connect_network_event_register_any",
        "connect_network_event_deregister_any",
        "net",
        NETWORK_EVENT_IDS,
        ("network_event_callback_", "network_event_"),
    ),
    EventFamily.STORAGE_POOL: _FamilyRules(
        "remote",
        "connect_storage_pool_event_register_any",
        "connect_storage_pool_event_deregister_any",
        "pool",
        STORAGE_POOL_EVENT_IDS,
        ("storage_pool_event_",),
    ),
    EventFamily.NODE_DEVICE: _FamilyRules(
        "remote",
        "connect_node_device_event_register_any",
        "connect_node_device_event_deregister_any",
        "dev",
        NODE_DEVICE_EVENT_IDS,
        ("node_device_event_",),
    ),
    EventFamily.SECRET: _FamilyRules(
        "remote",
        "connect_secret_event_register_any",
        "connect_secret_event_deregister_any",
        "secret",
        SECRET_EVENT_IDS,
        ("secret_event_",),
    ),
    EventFamily.QEMU_MONITOR: _FamilyRules(
        "qemu",
        "connect_domain_monitor_event_register",
        "connect_domain_monitor_event_deregister",
        "dom",
        {"monitor_event": 0},
        ("domain_monitor_event",),
    ),
}


@dataclass(frozen=True, slots=True)
class Event:
    """One event delivered to a subscription."""

    family: EventFamily
    #: Short event name: ``lifecycle``, ``reboot``, ``monitor_event``,
    #: ``connection_closed``...
    name: str
    #: The daemon's callback id (None for locally generated events).
    callback_id: int | None
    #: The decoded ``*_msg`` struct (None for locally generated events).
    message: Any
    #: The event's fields, flattened: the ``msg`` member of domain callback
    #: messages merged in, ``callbackID`` removed.
    fields: dict[str, Any]
    #: The event procedure (None for locally generated events).
    procedure: Procedure | None = None


EventCallback = Callable[[Event], Awaitable[None] | None]


def family_of_procedure(proc: Procedure) -> tuple[EventFamily, str] | None:
    """``(family, short event name)`` for an event procedure, else None."""
    name = proc.name
    if name == "connect_event_connection_closed":
        return EventFamily.CONNECTION, "connection_closed"
    for family, rules in FAMILIES.items():
        if (family is EventFamily.QEMU_MONITOR) != (proc.program != _REMOTE_PROGRAM_NUMBER):
            continue
        for prefix in rules.message_prefixes:
            if name.startswith(prefix):
                short = name[len(prefix) :] or "monitor_event"
                return family, short
    return None


_REMOTE_PROGRAM_NUMBER = 0x20008086


def flatten_message(message: Any) -> dict[str, Any]:
    """The fields of an event message, with the nested ``msg`` of domain
    callback messages merged in and ``callbackID`` removed."""
    if message is None or not dataclasses.is_dataclass(message):
        return {}
    result: dict[str, Any] = {}
    for field in dataclasses.fields(message):
        value = getattr(message, field.name)
        if field.name == "callbackID":
            continue
        if field.name == "msg" and dataclasses.is_dataclass(value):
            result.update(flatten_message(value))
            continue
        result[field.name] = value
    return result


class Subscription:
    """A registered event callback on the daemon.

    Iterate it (``async for event in sub``) or pass ``callback=`` at creation;
    both see every event.  Iteration ends when the subscription is closed and
    raises :class:`~virtrpc.errors.ConnectionLost` if the connection dies.
    """

    def __init__(
        self,
        family: EventFamily,
        event_id: int,
        callback_id: int | None,
        *,
        callback: EventCallback | None = None,
        deregister: Callable[[Subscription], Awaitable[None]] | None = None,
        max_queue: int = 10000,
    ) -> None:
        self.family = family
        self.event_id = event_id
        self.callback_id = callback_id
        self.callback = callback
        self._deregister = deregister
        self._queue: collections.deque[Event] = collections.deque(maxlen=max_queue)
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return (
            f"<Subscription {self.family.value} event={self.event_id} "
            f"callback_id={self.callback_id}{' closed' if self._closed else ''}>"
        )

    @property
    def closed(self) -> bool:
        return self._closed

    def _deliver(self, event: Event) -> None:
        if self._closed:
            return
        if self.callback is not None:
            try:
                result = self.callback(event)
            except Exception:
                asyncio.get_running_loop().call_exception_handler(
                    {
                        "message": f"event callback of {self!r} failed",
                        "exception": _current_exception(),
                    }
                )
                result = None
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        # The queue is bounded (oldest events are dropped) so that an unread
        # subscription with a callback cannot grow without limit.
        self._queue.append(event)
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if self._error is None and not self._closed:
            self._error = error
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Event:
        """The next event; raises ConnectionLost if the connection died and
        StopAsyncIteration once the subscription is closed."""
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._error is not None:
                raise self._error
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.get()

    async def close(self) -> None:
        """Deregister on the daemon (if the connection is still up) and stop."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        deregister, self._deregister = self._deregister, None
        if deregister is not None:
            with contextlib.suppress(ConnectionLost):
                await deregister(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _current_exception() -> BaseException | None:
    import sys

    return sys.exc_info()[1]
