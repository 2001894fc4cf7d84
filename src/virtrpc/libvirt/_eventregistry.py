"""The rules of a connection's event registrations, without I/O.

One registry per connection, shared by both halves of the compatible API
(:mod:`virtrpc.libvirt._connevents` for the blocking one,
:mod:`virtrpc.libvirt.aio._objects` for the asyncio twin): each half only
subscribes on its own client and delivers callbacks its own way.

The rules are libvirt-python's and libvirt's remote driver's: callback ids
count from 0 per connection, shared by every family (``*RegisterAny``, the
legacy lifecycle API, qemu monitor events), and a refused subscription uses
one up; a second registration of the same event for the same object (or for
all objects) is refused as "already tracked"; an object of another connection
is refused; an unknown event id raises with the last error libvirt set; the
first local callback of an event and object registers with the daemon, the
last one deregisters; an id deregistered through another family is dropped
locally and refused with the daemon's error naming the daemon's id.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from virtrpc.client.events import (
    DOMAIN_EVENT_IDS,
    NETWORK_EVENT_IDS,
    NODE_DEVICE_EVENT_IDS,
    SECRET_EVENT_IDS,
    STORAGE_POOL_EVENT_IDS,
    Event,
)
from virtrpc.libvirt import _runtime as _rt

__all__ = ["EVENT_ARGUMENTS", "FAMILIES", "Deregistration", "EventRegistry", "Keys",
           "LegacyLifecycle", "event_caller", "event_value"]

#: The arguments each event's callback gets between the object and ``opaque``:
#: the message fields, in libvirt-python's order.
EVENT_ARGUMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    **{("domain", name): fields for name, fields in {
        "lifecycle": ("event", "detail"), "reboot": (), "rtc_change": ("offset",),
        "watchdog": ("action",), "io_error": ("srcPath", "devAlias", "action"),
        "graphics": ("phase", "local", "remote", "authScheme", "subject"),
        "io_error_reason": ("srcPath", "devAlias", "action", "reason"), "control_error": (),
        "block_job": ("path", "type", "status"),
        "disk_change": ("oldSrcPath", "newSrcPath", "devAlias", "reason"),
        "tray_change": ("devAlias", "reason"), "pmwakeup": ("reason",),
        "pmsuspend": ("reason",), "balloon_change": ("actual",), "pmsuspend_disk": ("reason",),
        "device_removed": ("devAlias",), "block_job_2": ("dst", "type", "status"),
        "tunable": ("params",), "agent_lifecycle": ("state", "reason"),
        "device_added": ("devAlias",), "migration_iteration": ("iteration",),
        "job_completed": ("params",), "device_removal_failed": ("devAlias",),
        "metadata_change": ("type", "nsuri"),
        "block_threshold": ("dev", "path", "threshold", "excess"),
        "memory_failure": ("recipient", "action", "flags"),
        "memory_device_size_change": ("alias", "size"),
    }.items()},
    ("network", "lifecycle"): ("event", "detail"),
    ("network", "metadata_change"): ("type", "nsuri"),
    ("storage_pool", "lifecycle"): ("event", "detail"), ("storage_pool", "refresh"): (),
    ("node_device", "lifecycle"): ("event", "detail"), ("node_device", "update"): (),
    ("secret", "lifecycle"): ("event", "detail"), ("secret", "value_changed"): (),
    ("qemu_monitor", "monitor_event"): ("event", "seconds", "micros", "details"),
}

#: family -> (event ids, the message field holding the object (also the name of
#: libvirt's argument for it), its class name, libvirt's word for it)
FAMILIES: dict[str, tuple[dict[str, int], str, str, str]] = {
    "domain": (DOMAIN_EVENT_IDS, "dom", "virDomain", "domain"),
    "network": (NETWORK_EVENT_IDS, "net", "virNetwork", "network"),
    "storage_pool": (STORAGE_POOL_EVENT_IDS, "pool", "virStoragePool", "storage pool"),
    "node_device": (NODE_DEVICE_EVENT_IDS, "dev", "virNodeDevice", "node device"),
    "secret": (SECRET_EVENT_IDS, "secret", "virSecret", "secret"),
    # libvirt_qemu.qemuMonitorEventRegister (see virtrpc.libvirt.qemu)
    "qemu_monitor": ({"monitor_event": 0}, "dom", "virDomain", "qemu monitor"),
}

#: VIR_FROM_THIS of each family's libvirt source file (libvirt-domain.c...).
_SOURCE_DOMAINS = {"domain": 20, "network": 19, "storage_pool": 18, "node_device": 22,
                   "secret": 30}

#: How libvirtd names a family when it refuses to deregister an id it does
#: not hold, where that is not the family's own word: libvirtd 9.0's secret
#: deregistration says "node device" (measured against it).
_DAEMON_WORDS = {"secret": "node device"}


def event_value(value: Any) -> Any:
    """A message field as libvirt-python passes it to callbacks."""
    if isinstance(value, list):
        if value and hasattr(value[0], "field") and hasattr(value[0], "value"):
            return _rt.params_dict(value)
        if value and hasattr(value[0], "type") and hasattr(value[0], "name"):
            return [(v.type, v.name) for v in value]  # graphics subject
        return value
    if hasattr(value, "family") and hasattr(value, "node") and hasattr(value, "service"):
        return {"family": value.family, "node": value.node, "service": value.service}
    return value


def event_caller(conn: Any, classes_module: str, family: str, event_id: int,
                 cb: Callable[..., Any], opaque: Any) -> Callable[[Event], object]:
    """``deliver(event)``: calls ``cb(conn, obj, *fields, opaque)`` with a new
    object (of ``classes_module``'s class: each half has its own) per event,
    returning what ``cb`` returns (the asyncio twin awaits a coroutine)."""
    _ids, field, class_name, _word = FAMILIES[family]
    name = next(n for n, number in FAMILIES[family][0].items() if number == event_id)
    fields = EVENT_ARGUMENTS[(family, name)]

    def deliver(event: Event) -> object:
        # imported on the first event: the classes module imports this one's users
        cls = getattr(importlib.import_module(classes_module), class_name)
        return cb(conn, cls(conn, event.fields[field]),
                  *[event_value(event.fields.get(f)) for f in fields], opaque)
    return deliver


class Keys(NamedTuple):
    """What a registration is known by."""

    family: str
    #: one local callback per local key: (event id, object key) or ("legacy",)
    local: tuple[Any, ...]
    #: one daemon subscription per server key, shared by local callbacks
    server: tuple[Any, ...]


class Deregistration(NamedTuple):
    """What a half does after a deregistration: close ``subscription`` (the
    last local callback of it went; None if it is still shared) or raise
    ``error`` (the id was of another family: dropped locally all the same)."""

    subscription: Any
    error: _rt.libvirtError | None


class EventRegistry:
    """A connection's event callbacks: ids, keys and shared subscriptions.

    Thread-safe (the blocking half's callers may be several threads); every
    method is quick and does no I/O.
    """

    __slots__ = ("_callbacks", "_lock", "_next_id", "_subscriptions")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_id = 0
        #: callback id -> its keys
        self._callbacks: dict[int, Keys] = {}
        #: server key -> [its daemon subscription (None while subscribing), {callback id: listener}]
        self._subscriptions: dict[tuple[Any, ...], list[Any]] = {}

    def __len__(self) -> int:
        return len(self._callbacks)

    def check(self, conn: Any, family: str, target: Any, event_id: int,
              cb: Callable[..., Any], cname: str, *, legacy: bool = False,
              qemu: bool = False) -> Keys:
        """The checks before a registration, in libvirt-python's and libvirt's
        order, each with their error; ``qemu``: a qemu monitor registration,
        for which libvirt-python checks neither the callback nor an event id
        (it has none) and libvirt not the domain's connection."""
        ids, argument, _class_name, word = FAMILIES[family]
        # libvirt-python checks no callback (calling a non-callable one fails
        # when an event comes, and is printed as any failing callback)
        if not qemu and event_id not in ids.values():
            # libvirt-python refuses it before calling libvirt: the error is
            # the last one libvirt set, if any
            raise _rt.libvirtError(f"{cname}() failed")
        _rt.virResetLastError()  # libvirt's API entry
        if target is not None and not qemu and target._conn is not conn:
            name = _rt.uuid_str(target._o.uuid) if family == "secret" else target._o.name
            where = "" if family == "domain" else f" in {cname}"
            message = f"{word} '{name}'{where} must match connection"
            # libvirt's virReportInvalidArg: the function and the argument's name
            _rt._report((_rt.VIR_ERR_INVALID_ARG, _SOURCE_DOMAINS[family], message,
                         _rt.VIR_ERR_ERROR, cname, argument, None, 0, 0))
            raise _rt.libvirtError(message)
        target_key = None if target is None else (
            bytes(getattr(target._o, "uuid", b"")) or target._o.name)
        keys = Keys(family, ("legacy",) if legacy else (event_id, target_key),
                    (family, event_id, target_key))
        with self._lock:
            if any(k.family == family and k.local == keys.local
                   for k in self._callbacks.values()):
                raise _rt.raise_error(_rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_NONE,
                                      "invalid argument: event callback already tracked", cname)
        return keys

    def add(self, keys: Keys, listener: Callable[[Event], object]
            ) -> tuple[int, dict[int, Callable[[Event], object]] | None]:
        """Take the next id for a checked registration.  Returns it and, if
        this is the first local callback of its server key, the listeners the
        half's daemon subscription must fan events out to (then the half
        subscribes and calls :meth:`subscribed` or :meth:`failed`); None if
        an existing subscription serves it."""
        with self._lock:
            callback_id, self._next_id = self._next_id, self._next_id + 1
            self._callbacks[callback_id] = keys
            shared = self._subscriptions.get(keys.server)
            if shared is not None:
                shared[1][callback_id] = listener
                return callback_id, None
            listeners = {callback_id: listener}
            self._subscriptions[keys.server] = [None, listeners]
            return callback_id, listeners

    def subscribed(self, keys: Keys, subscription: Any) -> None:
        with self._lock:
            shared = self._subscriptions.get(keys.server)
            if shared is not None:
                shared[0] = subscription

    def failed(self, callback_id: int, keys: Keys) -> None:
        """The daemon refused the subscription: the id stays used, as in libvirt."""
        with self._lock:
            self._callbacks.pop(callback_id, None)
            self._subscriptions.pop(keys.server, None)

    def deregister(self, family: str, callback_id: int, cname: str) -> Deregistration:
        """Drop ``callback_id`` (raises if it is not registered)."""
        with self._lock:
            keys = self._callbacks.get(callback_id)
            if keys is None:
                raise _rt.raise_error(
                    _rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_NONE,
                    f"invalid argument: event callback id {callback_id} not registered", cname)
            del self._callbacks[callback_id]
            shared = self._subscriptions[keys.server]
            shared[1].pop(callback_id, None)
            last = not shared[1]
            if last:
                del self._subscriptions[keys.server]
            if keys.family == family:
                return Deregistration(shared[0] if last else None, None)
        # An id of another family (ids are shared).  libvirt's remote driver
        # drops the callback locally, then asks the daemon to deregister the
        # daemon's id for it in the family called, which the daemon refuses,
        # naming that id.  The daemon keeps its registration (so it refuses a
        # new one of that event as "already tracked", after a local id was taken).
        remote_id = getattr(shared[0], "callback_id", None)
        remote_id = callback_id if remote_id is None else remote_id
        error = _rt.raise_error(
            _rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
            f"internal error: {_DAEMON_WORDS.get(family, FAMILIES[family][3])} event callback"
            f" {remote_id} not registered",
            cname)
        return Deregistration(None, error)

    def family_of(self, callback_id: int) -> str | None:
        with self._lock:
            keys = self._callbacks.get(callback_id)
        return None if keys is None else keys.family

    def clear(self) -> list[Any]:
        """The connection closes: forget every callback; returns the daemon
        subscriptions (the half's client drops them with the connection)."""
        with self._lock:
            subscriptions = [s for s, _listeners in self._subscriptions.values()
                             if s is not None]
            self._callbacks.clear()
            self._subscriptions.clear()
        return subscriptions


async def _await_all(awaitables: list[Awaitable[object]]) -> None:
    for awaitable in awaitables:
        await awaitable


class LegacyLifecycle:
    """The legacy ``domainEventRegister`` callbacks of a connection: the first
    one takes a ``legacy`` registration of lifecycle events for every domain
    (sharing a ``*RegisterAny`` one's daemon subscription), the last one's
    going gives it back; the same callback again replaces its opaque."""

    __slots__ = ("_callbacks", "_id", "_lock")

    #: the registration's id while it is being taken
    _CLAIMED = -1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: dict[Any, Any] = {}
        self._id: int | None = None

    def add(self, cb: Any, opaque: Any) -> bool:
        """Remember ``cb``; True if the half must now register :meth:`fan_out`
        (then call :meth:`registered`)."""
        with self._lock:
            self._callbacks[cb] = opaque
            if self._id is not None:
                return False
            self._id = self._CLAIMED
            return True

    def registered(self, cb: Any, callback_id: int | None) -> None:
        """The registration's id, or None: it was refused (``cb`` is forgotten)."""
        with self._lock:
            self._id = callback_id
            if callback_id is None:
                self._callbacks.pop(cb, None)

    def remove(self, cb: Any) -> int | None:
        """Forget ``cb``; the registration's id to deregister if it was the last."""
        with self._lock:
            self._callbacks.pop(cb, None)
            if self._callbacks or self._id is None:
                return None
            callback_id, self._id = self._id, None
        return None if callback_id == self._CLAIMED else callback_id

    def clear(self) -> None:
        with self._lock:
            self._callbacks.clear()
            self._id = None

    def fan_out(self, conn: Any, target: Any, event: int, detail: int, _opaque: Any
                ) -> Awaitable[None] | None:
        """Call every callback, printing a failing one's error as libvirt-python
        does; a coroutine's result is returned for the asyncio twin to await."""
        awaitables = []
        with self._lock:
            callbacks = list(self._callbacks.items())
        for callback, data in callbacks:
            try:
                result = callback(conn, target, event, detail, data)
            except Exception:
                traceback.print_exc()
                continue
            if inspect.isawaitable(result):
                awaitables.append(result)
        return _await_all(awaitables) if awaitables else None
