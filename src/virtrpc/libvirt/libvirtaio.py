"""libvirt-python's ``libvirtaio`` module on virtrpc: libvirt's event loop
implemented on an asyncio loop.

``virEventRegisterAsyncIOImpl(loop=None)`` registers it (through
``libvirt.virEventRegisterImpl``, looked up when called, so programs and tests
that patch it keep working); event callbacks then run on that loop.
``is_idle()`` is true when nothing is watched and no callback is pending;
``await drain()`` waits for the pending ones.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import virtrpc.libvirt as libvirt

__all__ = ["getCurrentImpl", "virEventAsyncIOImpl", "virEventRegisterAsyncIOImpl"]

_READABLE = 1
_WRITABLE = 2


class _Watch:
    """A watched fd or a timer: libvirt gives both ids from one counter."""

    def __init__(self, cb: Callable[..., object], opaque: Any) -> None:
        self.cb = cb
        self.opaque = opaque


class _HandleWatch(_Watch):
    def __init__(self, fd: int, events: int, cb: Callable[..., object], opaque: Any) -> None:
        super().__init__(cb, opaque)
        self.fd = fd
        self.events = events


class _TimerWatch(_Watch):
    def __init__(self, interval: int, cb: Callable[..., object], opaque: Any) -> None:
        super().__init__(cb, opaque)
        self.interval = interval
        self.handle: asyncio.TimerHandle | None = None


class virEventAsyncIOImpl:
    """libvirt's six event-loop functions on ``loop`` (the current loop by default)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop if loop is not None else asyncio.get_event_loop()
        self.callbacks: dict[int, _Watch] = {}
        self._ids = itertools.count(1)
        self._pending = 0  # free callbacks scheduled and not yet run
        self._drained: asyncio.Event | None = None

    def register(self) -> virEventAsyncIOImpl:
        """Register with libvirt (``libvirt.virEventRegisterImpl``)."""
        libvirt.virEventRegisterImpl(self._add_handle, self._update_handle, self._remove_handle,
                                     self._add_timeout, self._update_timeout,
                                     self._remove_timeout)
        return self

    def is_idle(self) -> bool:
        """Nothing watched, no timer, no callback pending."""
        return not self.callbacks and not self._pending

    async def drain(self) -> None:
        """Wait until the pending callbacks have run."""
        while self._pending:
            self._drained = asyncio.Event()
            await self._drained.wait()

    # -- running on the loop (libvirt may call from other threads) ------------
    def _soon(self, function: Callable[..., object], *args: Any) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            function(*args)
        else:  # another thread (or the loop is not running yet): hand it over
            self.loop.call_soon_threadsafe(function, *args)

    def _free_later(self, opaque: Any) -> None:
        self._pending += 1

        def free() -> None:
            try:
                libvirt.virEventInvokeFreeCallback(opaque)
            finally:
                self._pending -= 1
                if not self._pending and self._drained is not None:
                    self._drained.set()

        self.loop.call_soon_threadsafe(free)

    # -- handles ---------------------------------------------------------------
    def _add_handle(self, fd: int, event: int, cb: Callable[..., object], opaque: Any) -> int:
        watch = next(self._ids)
        self.callbacks[watch] = _HandleWatch(fd, event, cb, opaque)
        self._soon(self._watch_fd, watch)
        return watch

    def _watch_fd(self, watch: int) -> None:
        entry = self.callbacks.get(watch)
        if not isinstance(entry, _HandleWatch):
            return
        self._unwatch_fd(entry.fd)
        if entry.events & _READABLE:
            self.loop.add_reader(entry.fd, self._fd_ready, watch, _READABLE)
        if entry.events & _WRITABLE:
            self.loop.add_writer(entry.fd, self._fd_ready, watch, _WRITABLE)

    def _unwatch_fd(self, fd: int) -> None:
        self.loop.remove_reader(fd)
        self.loop.remove_writer(fd)

    def _fd_ready(self, watch: int, event: int) -> None:
        entry = self.callbacks.get(watch)
        if isinstance(entry, _HandleWatch):
            entry.cb(watch, entry.fd, event, entry.opaque)

    def _update_handle(self, watch: int, event: int) -> None:
        entry = self.callbacks.get(watch)
        if isinstance(entry, _HandleWatch):
            entry.events = event
            self._soon(self._watch_fd, watch)

    def _remove_handle(self, watch: int) -> int:
        entry = self.callbacks.pop(watch, None)
        if entry is None:
            return -1
        if isinstance(entry, _HandleWatch):
            self._soon(self._unwatch_fd, entry.fd)
        elif isinstance(entry, _TimerWatch) and entry.handle is not None:
            entry.handle.cancel()
        self._free_later(entry.opaque)
        return 0

    # -- timeouts --------------------------------------------------------------
    def _add_timeout(self, timeout: int, cb: Callable[..., object], opaque: Any) -> int:
        timer = next(self._ids)
        self.callbacks[timer] = _TimerWatch(timeout, cb, opaque)
        self._soon(self._arm, timer)
        return timer

    def _arm(self, timer: int) -> None:
        entry = self.callbacks.get(timer)
        if not isinstance(entry, _TimerWatch):
            return
        if entry.handle is not None:
            entry.handle.cancel()
            entry.handle = None
        if entry.interval >= 0:
            entry.handle = self.loop.call_later(entry.interval / 1000, self._fire, timer)

    def _fire(self, timer: int) -> None:
        entry = self.callbacks.get(timer)
        if not isinstance(entry, _TimerWatch):
            return
        entry.handle = None
        self._arm(timer)  # periodic, as libvirt's timeouts are
        entry.cb(timer, entry.opaque)

    def _update_timeout(self, timer: int, timeout: int) -> None:
        entry = self.callbacks.get(timer)
        if isinstance(entry, _TimerWatch):
            entry.interval = timeout
            self._soon(self._arm, timer)

    def _remove_timeout(self, timer: int) -> int:
        # One id space for handles and timers: removing either by id works.
        return self._remove_handle(timer)


_current: virEventAsyncIOImpl | None = None


def getCurrentImpl() -> virEventAsyncIOImpl | None:
    """The implementation registered by :func:`virEventRegisterAsyncIOImpl`, if any."""
    return _current


def virEventRegisterAsyncIOImpl(loop: asyncio.AbstractEventLoop | None = None
                                ) -> virEventAsyncIOImpl:
    """Run libvirt's events on ``loop`` (default: the current event loop)."""
    global _current
    _current = virEventAsyncIOImpl(loop).register()
    return _current
