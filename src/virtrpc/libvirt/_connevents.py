"""virConnect's event registrations, as libvirt-python has them.

Per connection: callback IDs count from 0, shared by every ``*RegisterAny``
family; a second registration of the same event for the same object (or for
all objects) is refused, as libvirt-python refuses it (its C layer registers
one callback function per event); each event builds new objects; callbacks
run in the registered event loop (:mod:`virtrpc.libvirt._events`).  The
rules live in :mod:`virtrpc.libvirt._eventregistry`, shared with the asyncio
twin; this module subscribes on the blocking client and delivers through the
event loop.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virtrpc.client.events import Event
from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._eventregistry import (
    EVENT_ARGUMENTS,
    FAMILIES,
    EventRegistry,
    LegacyLifecycle,
    event_caller,
)
from virtrpc.libvirt._events import dispatcher

if TYPE_CHECKING:
    from virtrpc.sync import SyncClient, SyncSubscription

__all__ = ["EVENT_ARGUMENTS", "EventRegistrations"]


def _run_listeners(listeners: list[Callable[[Event], object]], event: Event) -> None:
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # libvirt-python prints a failing callback's error
            traceback.print_exc()


class EventRegistrations:
    """The event methods of virConnect (mixed into virConnectBase)."""

    __slots__ = ("_close_callback", "_events", "_legacy")

    _c: SyncClient
    #: the rules (ids, keys, shared subscriptions), shared with the asyncio twin
    _events: EventRegistry
    _legacy: LegacyLifecycle
    _close_callback: tuple[SyncSubscription, Callable[..., Any], Any] | None

    def _init_events(self) -> None:
        self._events = EventRegistry()
        self._legacy = LegacyLifecycle()
        self._close_callback = None

    # -- how this half subscribes and delivers --------------------------------
    def _register(self, family: str, target: Any, event_id: int,
                  cb: Callable[..., Any], opaque: Any, cname: str, legacy: bool = False,
                  qemu: tuple[str | None, int] | None = None) -> int:
        """``qemu``: the QMP event name (or None) and flags of a qemu_monitor
        registration."""
        keys = self._events.check(self, family, target, event_id, cb, cname, legacy=legacy,
                                  qemu=qemu is not None)
        # libvirt's qemu monitor events live in its domain event state
        dispatcher.acquire(cname, "could not initialize "
                           f"{'domain' if qemu is not None else FAMILIES[family][3]} event timer")
        deliver = event_caller(self, "virtrpc.libvirt._classes", family, event_id, cb, opaque)
        callback_id, listeners = self._events.add(keys, deliver)
        if listeners is None:  # an existing daemon subscription serves it
            return callback_id

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
            self._events.failed(callback_id, keys)
            dispatcher.release()
            raise _rt.translate(e, cname) from None
        self._events.subscribed(keys, sub)
        return callback_id

    def _deregister(self, family: str, callback_id: int, cname: str) -> None:
        outcome = self._events.deregister(family, callback_id, cname)
        try:
            if outcome.error is not None:
                raise outcome.error
            if outcome.subscription is not None:  # the last local callback
                outcome.subscription.close()
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, cname) from None
        finally:
            dispatcher.release()

    def _close_events(self) -> None:
        """The connection closes: its callbacks no longer hold the event loop."""
        count = len(self._events)
        self._events.clear()
        self._legacy.clear()
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
        if not self._legacy.add(cb, opaque):
            return
        callback_id = None
        try:
            callback_id = self._register("domain", None, 0, self._legacy.fan_out, None,
                                         "virConnectDomainEventRegister", legacy=True)
        finally:
            self._legacy.registered(cb, callback_id)

    def domainEventDeregister(self, cb: Callable[..., Any]) -> None:
        callback_id = self._legacy.remove(cb)
        if callback_id is not None:
            self._deregister("domain", callback_id, "virConnectDomainEventDeregister")

    # -- connection state ------------------------------------------------------
    def registerCloseCallback(self, cb: Callable[..., Any], opaque: Any) -> int:
        """Call ``cb(conn, reason, opaque)`` when the connection closes (as
        libvirt-python, no check that ``cb`` is callable: a failing call is printed)."""
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
                try:
                    cb(conn, reason, opaque)
                except Exception:  # libvirt-python prints a failing callback's error
                    traceback.print_exc()

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
