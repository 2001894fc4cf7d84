"""Stream event callbacks of the asyncio twin (``await st.eventAddCallback(...)``).

libvirt's remote driver drives a stream callback from a timer that is due
(0) while the stream is readable or the callback wants writability, and off
(-1) otherwise (virnetclientstream.c); the blocking twin does the same on
the registered event loop (:class:`virtrpc.libvirt._objects.virStreamBase`).
Here the running asyncio loop is the event loop: a due timer is a
``loop.call_soon``, re-armed after every dispatch while there is still
something to report, and armed by the client's stream whenever something
arrives (``Stream.set_listener``).  The events are libvirt's: READABLE while
a receive would return at once (data, a hole, the end, or an error, which
the receive then raises), WRITABLE on every dispatch when asked for (virtrpc
queues what is sent, so a stream is always writable); libvirt's remote
streams never report ERROR or HANGUP, so neither does this.

A callback may be a coroutine function: the next dispatch waits until the
coroutine has finished (a writable stream would otherwise start one per loop
iteration).  Its exceptions are printed, as libvirt-python prints a failing
callback's.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virtrpc.libvirt import _runtime as _rt

if TYPE_CHECKING:
    from virtrpc.libvirt.aio._objects import virStreamBase

__all__ = ["add_callback", "remove_callback", "update_callback"]

VIR_STREAM_EVENT_READABLE = 1
VIR_STREAM_EVENT_WRITABLE = 2

StreamCallback = Callable[[Any, int, Any], object]


class _Registration:
    """One stream's callback: what it wants, and its pending dispatch."""

    def __init__(self, stream: virStreamBase, events: int, callback: StreamCallback,
                 opaque: Any) -> None:
        self.stream = stream
        self.events = events
        self.callback = callback
        self.opaque = opaque
        self.loop = asyncio.get_running_loop()
        self.scheduled: asyncio.Handle | None = None
        self.running: asyncio.Task[Any] | None = None  # a coroutine callback's
        self.active = True

    def ready(self) -> bool:
        """Whether a receive would return at once."""
        stream = self.stream
        if stream._pending is not None:
            return True
        client_stream = stream._stream
        return client_stream is None or client_stream.ready()

    def wanted(self) -> int:
        events = self.events & VIR_STREAM_EVENT_WRITABLE
        if self.events & VIR_STREAM_EVENT_READABLE and self.ready():
            events |= VIR_STREAM_EVENT_READABLE
        return events

    def arm(self) -> None:
        """The timer due now while there is something to report."""
        if (self.active and self.scheduled is None and self.running is None
                and self.wanted()):
            self.scheduled = self.loop.call_soon(self._dispatch)

    def cancel(self) -> None:
        self.active = False
        if self.scheduled is not None:
            self.scheduled.cancel()
            self.scheduled = None

    def _dispatch(self) -> None:
        self.scheduled = None
        events = self.wanted() if self.active else 0
        if not events:
            return
        try:
            result = self.callback(self.stream, events, self.opaque)
        except Exception:
            traceback.print_exc()
            result = None
        if inspect.isawaitable(result):
            self.running = asyncio.ensure_future(result)
            self.running.add_done_callback(self._finished)
            return
        self.arm()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.running = None
        if not task.cancelled() and task.exception() is not None:
            traceback.print_exception(task.exception())
        self.arm()


#: stream -> its callback (virStream has slots of its own; a stream that is
#: garbage takes its registration with it)
_registrations: weakref.WeakKeyDictionary[Any, _Registration] = weakref.WeakKeyDictionary()


def _unregistered(cname: str) -> _rt.libvirtError:
    return _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
                           "internal error: no stream callback registered", cname)


async def add_callback(stream: virStreamBase, events: int, callback: StreamCallback,
                       opaque: Any) -> None:
    """``virStream.eventAddCallback``: ``callback(stream, events, opaque)`` on the running loop."""
    cname = "virStreamEventAddCallback"
    if not callable(callback):
        raise TypeError("callback must be callable")
    if not isinstance(events, int):
        raise TypeError(f"events must be an int, not {type(events).__name__}")
    client_stream = stream._bound(cname)
    if stream in _registrations:
        raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_RPC,
                              "internal error: multiple stream callbacks not supported", cname)
    registration = _Registration(stream, events, callback, opaque)
    _registrations[stream] = registration
    client_stream.set_listener(registration.arm)
    registration.arm()


async def update_callback(stream: virStreamBase, events: int) -> None:
    """``virStream.eventUpdateCallback``: change the events the callback wants."""
    cname = "virStreamEventUpdateCallback"
    if not isinstance(events, int):
        raise TypeError(f"events must be an int, not {type(events).__name__}")
    stream._bound(cname)
    registration = _registrations.get(stream)
    if registration is None:
        raise _unregistered(cname)
    registration.events = events
    registration.arm()


async def remove_callback(stream: virStreamBase) -> None:
    """``virStream.eventRemoveCallback``: no more dispatches (a coroutine
    callback already running finishes: it may be the caller)."""
    cname = "virStreamEventRemoveCallback"
    client_stream = stream._bound(cname)
    registration = _registrations.pop(stream, None)
    if registration is None:
        raise _unregistered(cname)
    registration.cancel()
    client_stream.set_listener(None)
