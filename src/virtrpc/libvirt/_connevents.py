"""virConnect's event registrations, as libvirt-python has them.

Per connection: callback IDs count from 0, shared by every ``*RegisterAny``
family; a second registration of the same event for the same object (or for
all objects) is refused, as libvirt-python refuses it (its C layer registers
one callback function per event); each event builds new objects; callbacks
run in the registered event loop (:mod:`virtrpc.libvirt._events`).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virtrpc.client.events import (
    DOMAIN_EVENT_IDS,
    NETWORK_EVENT_IDS,
    NODE_DEVICE_EVENT_IDS,
    SECRET_EVENT_IDS,
    STORAGE_POOL_EVENT_IDS,
    Event,
)
from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._events import dispatcher

if TYPE_CHECKING:
    from virtrpc.sync import SyncClient, SyncSubscription

__all__ = ["EVENT_ARGUMENTS", "EventRegistrations"]

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

#: family -> (event ids, the message field holding the object, its class name, libvirt word)
_FAMILIES: dict[str, tuple[dict[str, int], str, str, str]] = {
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


def _value(value: Any) -> Any:
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


def _run_listeners(listeners: list[Callable[[Event], None]], event: Event) -> None:
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # libvirt-python prints a failing callback's error
            traceback.print_exc()


class EventRegistrations:
    """The event methods of virConnect (mixed into virConnectBase)."""

    __slots__ = ("_close_callback", "_event_callbacks", "_events_lock", "_legacy_callbacks",
                 "_legacy_id", "_next_callback_id", "_server_subscriptions")

    _c: SyncClient
    _events_lock: threading.Lock
    #: callback id -> (family, local key, daemon subscription key)
    _event_callbacks: dict[int, tuple[Any, ...]]
    #: (family, event id, object) -> [its daemon subscription, {callback id: listener}]
    _server_subscriptions: dict[tuple[Any, ...], list[Any]]
    _next_callback_id: int
    _legacy_callbacks: dict[Callable[..., Any], Any]
    _legacy_id: int | None
    _close_callback: tuple[SyncSubscription, Callable[..., Any], Any] | None

    def _init_events(self) -> None:
        self._events_lock = threading.Lock()
        self._event_callbacks = {}
        self._server_subscriptions = {}
        self._next_callback_id = 0
        self._legacy_callbacks = {}
        self._legacy_id = None
        self._close_callback = None

    # -- the shared machinery ------------------------------------------------
    def _register(self, family: str, target: Any, event_id: int,
                  cb: Callable[..., Any], opaque: Any, cname: str, legacy: bool = False,
                  qemu: tuple[str | None, int] | None = None) -> int:
        """``qemu``: the QMP event name (or None) and flags of a qemu_monitor
        registration, for which libvirt-python checks neither the callback
        nor an event id (it has none)."""
        ids, field, class_name, word = _FAMILIES[family]
        names = {number: name for name, number in ids.items()}
        if qemu is None:
            if not callable(cb):
                raise TypeError("callback must be callable")
            if event_id not in names:
                # libvirt-python refuses it before calling libvirt: the error is
                # the last one libvirt set, if any
                raise _rt.libvirtError(f"{cname}() failed")
        _rt.virResetLastError()  # libvirt's API entry
        if target is not None and qemu is None and target._conn is not self:
            name = _rt.uuid_str(target._o.uuid) if family == "secret" else target._o.name
            where = "" if family == "domain" else f" in {cname}"
            raise _rt.raise_error(_rt.VIR_ERR_INVALID_ARG, _SOURCE_DOMAINS[family],
                                  f"{word} '{name}'{where} must match connection", cname)
        target_key = None if target is None else (
            bytes(getattr(target._o, "uuid", b"")) or target._o.name)
        server_key = (family, event_id, target_key)
        local_key = (family, ("legacy",) if legacy else (event_id, target_key))
        with self._events_lock:
            if local_key in {(f, k) for f, k, _s in self._event_callbacks.values()}:
                raise _rt.raise_error(_rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_NONE,
                                      "invalid argument: event callback already tracked", cname)
        # libvirt's qemu monitor events live in its domain event state
        dispatcher.acquire(cname, "could not initialize "
                           f"{'domain' if qemu is not None else word} event timer")
        fields = EVENT_ARGUMENTS[(family, names[event_id])]
        conn: Any = self

        def deliver(event: Event) -> None:
            """Call ``cb`` for ``event`` (in the event loop: see fan_out)."""
            from virtrpc.libvirt import _classes

            obj = getattr(_classes, class_name)(conn, event.fields[field])
            args = [_value(event.fields.get(f)) for f in fields]
            cb(conn, obj, *args, opaque)

        with self._events_lock:
            callback_id, self._next_callback_id = self._next_callback_id, self._next_callback_id + 1
            self._event_callbacks[callback_id] = (*local_key, server_key)
            shared = self._server_subscriptions.get(server_key)
            if shared is not None:
                shared[1][callback_id] = deliver
                return callback_id
            listeners: dict[int, Callable[[Event], None]] = {callback_id: deliver}
            self._server_subscriptions[server_key] = [None, listeners]

        def fan_out(event: Event) -> None:
            # In virtrpc's thread: hand the whole event to the program's loop.
            dispatcher.post(_run_listeners, list(listeners.values()), event)

        # The first local callback for this event and object registers with the
        # daemon; the others share it (libvirt's remote driver does the same).
        try:
            qemu_event, qemu_flags = qemu if qemu is not None else (None, 0)
            sub = self._c.subscribe(family, event_id, target=None if target is None
                                    else target._o, callback=fan_out,
                                    qemu_event=qemu_event, qemu_flags=qemu_flags)
        except _rt.VirtrpcError as e:
            with self._events_lock:
                self._event_callbacks.pop(callback_id, None)
                self._server_subscriptions.pop(server_key, None)
            dispatcher.release()
            raise _rt.translate(e, cname) from None
        with self._events_lock:
            self._server_subscriptions[server_key][0] = sub
        return callback_id

    def _deregister(self, family: str, callback_id: int, cname: str) -> None:
        with self._events_lock:
            entry = self._event_callbacks.get(callback_id)
            if entry is None:
                raise _rt.raise_error(
                    _rt.VIR_ERR_INVALID_ARG, _rt.VIR_FROM_NONE,
                    f"invalid argument: event callback id {callback_id} not registered", cname)
            del self._event_callbacks[callback_id]
            server_key = entry[2]
            shared = self._server_subscriptions[server_key]
            shared[1].pop(callback_id, None)
            if entry[0] != family:
                # An id of another family (ids are shared).  libvirt's remote
                # driver drops the callback locally, then asks the daemon to
                # deregister the daemon's id for it in the family called,
                # which the daemon refuses, naming that id.  The daemon keeps
                # its registration (so it refuses a new one of that event as
                # "already tracked", after a local id was taken).
                if not shared[1]:
                    del self._server_subscriptions[server_key]
                remote_id = shared[0].callback_id if shared[0] is not None else callback_id
                dispatcher.release()
                word = _FAMILIES[family][3]
                raise _rt.raise_error(
                    _rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
                    f"internal error: {word} event callback {remote_id} not registered", cname)
            sub = None
            if not shared[1]:
                del self._server_subscriptions[server_key]
                sub = shared[0]
        try:
            if sub is not None:  # the last local callback: deregister on the daemon
                sub.close()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, cname) from None
        finally:
            dispatcher.release()

    def _close_events(self) -> None:
        """The connection closes: its callbacks no longer hold the event loop."""
        with self._events_lock:
            count = len(self._event_callbacks) + (self._legacy_id is not None)
            self._event_callbacks.clear()
            self._server_subscriptions.clear()
            self._legacy_id = None
            self._legacy_callbacks.clear()
        for _ in range(count):
            dispatcher.release()

    # -- the *RegisterAny families --------------------------------------------
    def domainEventRegisterAny(self, dom: Any, eventID: int, cb: Callable[..., Any],
                               opaque: Any) -> int:
        """Call ``cb(conn, dom, ..., opaque)`` for event ``eventID`` of ``dom`` (None: any)."""
        return self._register("domain", dom, eventID, cb, opaque,
                              "virConnectDomainEventRegisterAny")

    def domainEventDeregisterAny(self, callbackID: int) -> None:
        self._deregister("domain", callbackID, "virConnectDomainEventDeregisterAny")

    def networkEventRegisterAny(self, net: Any, eventID: int, cb: Callable[..., Any],
                                opaque: Any) -> int:
        return self._register("network", net, eventID, cb, opaque,
                              "virConnectNetworkEventRegisterAny")

    def networkEventDeregisterAny(self, callbackID: int) -> None:
        self._deregister("network", callbackID, "virConnectNetworkEventDeregisterAny")

    def storagePoolEventRegisterAny(self, pool: Any, eventID: int, cb: Callable[..., Any],
                                    opaque: Any) -> int:
        return self._register("storage_pool", pool, eventID, cb, opaque,
                              "virConnectStoragePoolEventRegisterAny")

    def storagePoolEventDeregisterAny(self, callbackID: int) -> None:
        self._deregister("storage_pool", callbackID, "virConnectStoragePoolEventDeregisterAny")

    def nodeDeviceEventRegisterAny(self, dev: Any, eventID: int, cb: Callable[..., Any],
                                   opaque: Any) -> int:
        return self._register("node_device", dev, eventID, cb, opaque,
                              "virConnectNodeDeviceEventRegisterAny")

    def nodeDeviceEventDeregisterAny(self, callbackID: int) -> None:
        self._deregister("node_device", callbackID, "virConnectNodeDeviceEventDeregisterAny")

    def secretEventRegisterAny(self, secret: Any, eventID: int, cb: Callable[..., Any],
                               opaque: Any) -> int:
        return self._register("secret", secret, eventID, cb, opaque,
                              "virConnectSecretEventRegisterAny")

    def secretEventDeregisterAny(self, callbackID: int) -> None:
        self._deregister("secret", callbackID, "virConnectSecretEventDeregisterAny")

    # -- the legacy lifecycle API ----------------------------------------------
    def domainEventRegister(self, cb: Callable[..., Any], opaque: Any) -> None:
        """Legacy: ``cb(conn, dom, event, detail, opaque)`` for every lifecycle event."""
        if not callable(cb):
            raise TypeError("callback must be callable")
        with self._events_lock:
            self._legacy_callbacks[cb] = opaque
            first = self._legacy_id is None
            if first:
                self._legacy_id = -1  # claimed; set below
        if not first:
            return
        legacy = self._legacy_callbacks
        conn: Any = self

        def fan_out(_conn: Any, target: Any, event: int, detail: int, _opaque: Any) -> None:
            for callback, data in list(legacy.items()):
                callback(conn, target, event, detail, data)

        try:
            self._legacy_id = self._register("domain", None, 0, fan_out, None,
                                             "virConnectDomainEventRegister", legacy=True)
        except BaseException:
            with self._events_lock:
                self._legacy_id = None
                self._legacy_callbacks.pop(cb, None)
            raise

    def domainEventDeregister(self, cb: Callable[..., Any]) -> None:
        with self._events_lock:
            self._legacy_callbacks.pop(cb, None)
            last = not self._legacy_callbacks and self._legacy_id is not None
            legacy_id, self._legacy_id = (self._legacy_id, None) if last else (None,
                                                                              self._legacy_id)
        if last and legacy_id is not None and legacy_id >= 0:
            self._deregister("domain", legacy_id, "virConnectDomainEventDeregister")

    # -- connection state ------------------------------------------------------
    def registerCloseCallback(self, cb: Callable[..., Any], opaque: Any) -> int:
        """Call ``cb(conn, reason, opaque)`` when the connection closes."""
        if not callable(cb):
            raise TypeError("callback must be callable")
        if self._close_callback is not None:
            raise _rt.raise_error(_rt.VIR_ERR_OPERATION_INVALID, _rt.VIR_FROM_REMOTE,
                                  "Requested operation is not valid: A close callback is"
                                  " already registered", "virConnectRegisterCloseCallback")
        conn: Any = self

        def closed(event: Event) -> None:
            reason = int(event.fields.get("reason", 0))
            from virtrpc.libvirt._events import impl_registered

            if impl_registered():
                dispatcher.post(cb, conn, reason, opaque)
            else:
                cb(conn, reason, opaque)

        try:
            sub = self._c.subscribe("connection", callback=closed)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectRegisterCloseCallback") from None
        self._close_callback = (sub, cb, opaque)
        return 0

    def unregisterCloseCallback(self) -> None:
        entry, self._close_callback = self._close_callback, None
        if entry is None:
            raise _rt.raise_error(_rt.VIR_ERR_OPERATION_INVALID, _rt.VIR_FROM_REMOTE,
                                  "Requested operation is not valid: A different callback was"
                                  " requested", "virConnectUnregisterCloseCallback")
        try:
            entry[0].close()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectUnregisterCloseCallback") from None

    def setKeepAlive(self, interval: int, count: int) -> int:
        """libvirt-python needs an event loop for keepalive; virtrpc's client
        keeps the connection alive on its own, so with a loop this is 0."""
        from virtrpc.libvirt._events import impl_registered

        if not impl_registered():
            raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_REMOTE,
                                  "internal error: the caller doesn't support keepalive"
                                  " protocol; perhaps it's missing event loop implementation",
                                  "virConnectSetKeepAlive")
        return 0
