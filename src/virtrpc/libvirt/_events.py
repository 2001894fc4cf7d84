"""libvirt-python's event model on virtrpc: the event-loop functions
(``virEventRegisterDefaultImpl``, ``virEventRunDefaultImpl``,
``virEventRegisterImpl``, ``virEventAddHandle``...) and the connection's
event registrations (``domainEventRegisterAny`` and friends).

virtrpc's client receives events on its own background loop.  libvirt-python
programs expect their callbacks to run inside *their* event loop (the thread
looping ``virEventRunDefaultImpl``, or the asyncio loop of libvirtaio), and
expect registrations to fail when no loop is registered.  So events received
by the client are queued, and a pipe whose read end is watched through the
registered implementation (``addHandle``) wakes that loop, which runs the
queued callbacks.  The pipe is watched only while some event callback is
registered, so an idle program's loop is idle (libvirtaio's ``is_idle``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from virtrpc.libvirt import _runtime as _rt

__all__ = ["DefaultLoop", "dispatcher", "impl_registered"]

VIR_EVENT_HANDLE_READABLE = 1
VIR_EVENT_HANDLE_WRITABLE = 2
VIR_EVENT_HANDLE_ERROR = 4
VIR_EVENT_HANDLE_HANGUP = 8

HandleCallback = Callable[[int, int, int, Any], object]
TimeoutCallback = Callable[[int, Any], object]


class _Impl:
    """The six functions of a registered event implementation."""

    def __init__(self, add_handle: Callable[..., Any], update_handle: Callable[..., Any],
                 remove_handle: Callable[..., Any], add_timeout: Callable[..., Any],
                 update_timeout: Callable[..., Any], remove_timeout: Callable[..., Any]
                 ) -> None:
        self.add_handle = add_handle
        self.update_handle = update_handle
        self.remove_handle = remove_handle
        self.add_timeout = add_timeout
        self.update_timeout = update_timeout
        self.remove_timeout = remove_timeout


_impl: _Impl | None = None
_default_loop: DefaultLoop | None = None


def _nonblocking_pipe() -> tuple[int, int]:
    """A wake-up pipe (os.pipe's fds are not inherited; os.pipe2 is Linux-only)."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    return read_end, write_end


def impl_registered() -> bool:
    return _impl is not None


def current_impl(cname: str) -> _Impl:
    if _impl is None:
        raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_NONE,
                              "internal error: no event loop implementation registered", cname)
    return _impl


class DefaultLoop:
    """libvirt's default event loop, in Python: handles (fds) and timeouts,
    dispatched by :meth:`run_once` in the thread that calls it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # watch -> [fd, events, callback, opaque]; timer -> [interval ms, due, callback, opaque]
        self._handles: dict[int, list[Any]] = {}
        self._timers: dict[int, list[Any]] = {}
        self._next_watch = 1
        self._next_timer = 1
        self._wake_read, self._wake_write = _nonblocking_pipe()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending already
            os.write(self._wake_write, b"\0")

    def add_handle(self, fd: int, events: int, cb: HandleCallback, opaque: Any) -> int:
        with self._lock:
            watch, self._next_watch = self._next_watch, self._next_watch + 1
            self._handles[watch] = [fd, events, cb, opaque]
        self._wake()
        return watch

    def update_handle(self, watch: int, events: int) -> None:
        with self._lock:
            if watch in self._handles:
                self._handles[watch][1] = events
        self._wake()

    def remove_handle(self, watch: int) -> int:
        with self._lock:
            found = self._handles.pop(watch, None)
        self._wake()
        return 0 if found is not None else -1

    def add_timeout(self, timeout: int, cb: TimeoutCallback, opaque: Any) -> int:
        with self._lock:
            timer, self._next_timer = self._next_timer, self._next_timer + 1
            self._timers[timer] = [timeout, time.monotonic() + max(timeout, 0) / 1000, cb, opaque]
        self._wake()
        return timer

    def update_timeout(self, timer: int, timeout: int) -> None:
        with self._lock:
            entry = self._timers.get(timer)
            if entry is not None:
                entry[0] = timeout
                entry[1] = time.monotonic() + max(timeout, 0) / 1000
        self._wake()

    def remove_timeout(self, timer: int) -> int:
        with self._lock:
            found = self._timers.pop(timer, None)
        self._wake()
        return 0 if found is not None else -1

    def run_once(self) -> None:
        """Wait for the first fd event or due timeout, then dispatch what is ready."""
        with self._lock:
            handles = {w: list(h) for w, h in self._handles.items()}
            timers = {t: list(e) for t, e in self._timers.items() if e[0] >= 0}
        now = time.monotonic()
        wait = min((max(e[1] - now, 0.0) for e in timers.values()), default=None)
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        by_fd: dict[int, list[int]] = {}
        for watch, (fd, events, _cb, _opaque) in handles.items():
            mask = (select.POLLIN if events & VIR_EVENT_HANDLE_READABLE else 0) | (
                select.POLLOUT if events & VIR_EVENT_HANDLE_WRITABLE else 0)
            if mask:
                by_fd.setdefault(fd, []).append(watch)
                poller.register(fd, mask)
        ready = poller.poll(None if wait is None else wait * 1000)
        for fd, revents in ready:
            if fd == self._wake_read:
                while True:
                    try:
                        if not os.read(self._wake_read, 4096):
                            break
                    except BlockingIOError:
                        break
                continue
            vir_events = ((VIR_EVENT_HANDLE_READABLE if revents & select.POLLIN else 0)
                          | (VIR_EVENT_HANDLE_WRITABLE if revents & select.POLLOUT else 0)
                          | (VIR_EVENT_HANDLE_ERROR if revents & select.POLLERR else 0)
                          | (VIR_EVENT_HANDLE_HANGUP if revents & select.POLLHUP else 0))
            for watch in by_fd.get(fd, []):
                if watch in self._handles:  # not removed by an earlier callback
                    _fd, _events, cb, opaque = handles[watch]
                    cb(watch, fd, vir_events, opaque)
        now = time.monotonic()
        for timer, (interval, due, cb, opaque) in timers.items():
            if due <= now and timer in self._timers:
                with self._lock:
                    entry = self._timers.get(timer)
                    if entry is not None:
                        entry[1] = now + max(interval, 0) / 1000
                cb(timer, opaque)


def register_default_impl() -> int:
    global _default_loop, _impl
    if _default_loop is None:
        _default_loop = DefaultLoop()
    loop = _default_loop
    _impl = _Impl(loop.add_handle, loop.update_handle, loop.remove_handle,
                  loop.add_timeout, loop.update_timeout, loop.remove_timeout)
    return 0


def run_default_impl() -> int:
    if _default_loop is None:
        raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_NONE,
                              "internal error: the default event loop is not registered")
    _default_loop.run_once()
    return 0


def register_impl(*functions: Callable[..., Any]) -> None:
    global _impl
    if len(functions) != 6 or not all(callable(f) for f in functions):
        raise TypeError("virEventRegisterImpl takes six callables")
    _impl = _Impl(*functions)


class _Dispatcher:
    """Runs event callbacks in the registered event loop (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: collections.deque[tuple[Callable[..., object], tuple[Any, ...]]] = (
            collections.deque())
        self._users = 0
        self._watch: int | None = None
        self._pipe: tuple[int, int] | None = None
        self._watched_by: _Impl | None = None

    def acquire(self, cname: str, message: str, domain: int = _rt.VIR_FROM_NONE) -> None:
        """One more event callback needs the loop; fails like libvirt without one."""
        if _impl is None:
            raise _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, domain,
                                  f"internal error: {message}", cname)
        with self._lock:
            self._users += 1
            if self._watch is not None:
                return
            if self._pipe is None:
                self._pipe = _nonblocking_pipe()
            self._watched_by = _impl
        watch = _impl.add_handle(self._pipe[0], VIR_EVENT_HANDLE_READABLE, self._readable, None)
        with self._lock:
            self._watch = watch

    def release(self) -> None:
        with self._lock:
            self._users = max(self._users - 1, 0)
            if self._users or self._watch is None or self._watched_by is None:
                return
            watch, impl, self._watch = self._watch, self._watched_by, None
        impl.remove_handle(watch)

    def post(self, function: Callable[..., object], *args: Any) -> None:
        """Run ``function(*args)`` in the event loop (called from virtrpc's thread)."""
        with self._lock:
            self._pending.append((function, args))
            pipe = self._pipe
        if pipe is not None:
            with contextlib.suppress(BlockingIOError):
                os.write(pipe[1], b"\0")

    def _readable(self, watch: int, fd: int, events: int, opaque: Any) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(fd, 4096):
                pass
        # One event per wake-up, as libvirt dispatches one message per loop
        # iteration: a program running the loop N times sees N events.
        with self._lock:
            if not self._pending:
                return
            function, args = self._pending.popleft()
            rearm = self._pipe[1] if self._pending and self._pipe is not None else None
        if rearm is not None:
            with contextlib.suppress(BlockingIOError):
                os.write(rearm, b"\0")
        try:
            function(*args)
        except Exception:  # libvirt-python prints a failing callback's error
            traceback.print_exc()


dispatcher = _Dispatcher()
