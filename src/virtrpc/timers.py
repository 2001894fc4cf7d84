"""Coarse timers that do not sit in the event loop's timer heap.

Keepalive needs one timer per connection, due every few seconds.  As an
asyncio timer (``loop.call_later``) it would make *every* loop iteration
dearer: with any timer pending, the loop computes a timeout on each
iteration and ``epoll_wait`` arms a kernel timer for it, which on a
virtual machine costs a few microseconds per wait.  Measured on the 2-core
development VM against libvirtd: sequential calls 9.8k/s without a pending
timer, 9.3k/s with one (interleaved runs, medians), 7.5 µs more CPU per call
(docs/client.md).

:func:`call_later` instead keeps the deadlines in one process-wide heap
served by one daemon thread, which hands each due callback to its loop with
``loop.call_soon_threadsafe``: one extra loop wake-up per timer expiry
(every few seconds) instead of a cost on every iteration.  The callback runs
in the loop's thread, as with ``loop.call_later``; a timer whose loop has
closed is dropped.  Precision is that of ``threading.Condition.wait``
(about a millisecond), plenty for keepalive.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable

__all__ = ["CoarseTimer", "call_later"]


class CoarseTimer:
    """A pending :func:`call_later` callback; :meth:`cancel` stops it."""

    __slots__ = ("_callback", "_loop", "when")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, when: float, callback: Callable[[], object]
    ) -> None:
        self._loop: asyncio.AbstractEventLoop | None = loop
        self._callback: Callable[[], object] | None = callback
        #: Due time on the ``time.monotonic()`` clock.
        self.when = when

    def cancel(self) -> None:
        """Stop the timer (it may already be on its way to the loop: then it
        is dropped there).  Releases the callback and loop at once."""
        self._callback = None
        self._loop = None

    def cancelled(self) -> bool:
        """Whether the timer was cancelled (or has fired)."""
        return self._callback is None

    def _fire(self) -> None:
        # In the loop's thread: the timer may have been cancelled after the
        # ticker thread handed it over.
        callback = self._callback
        if callback is not None:
            self._callback = None
            self._loop = None
            callback()

    def _hand_over(self) -> None:
        # In the ticker thread.
        loop = self._loop
        if loop is None or self._callback is None:
            return
        try:
            loop.call_soon_threadsafe(self._fire)
        except RuntimeError:
            self.cancel()  # the loop is closed: nobody to run it


class _Ticker:
    """The process-wide heap of coarse timers and the thread serving it."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, CoarseTimer]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, timer: CoarseTimer) -> None:
        with self._condition:
            heapq.heappush(self._heap, (timer.when, next(self._order), timer))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="virtrpc-timers", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is timer:
                self._condition.notify()  # a new earliest deadline

    def _serve(self) -> None:
        condition = self._condition
        heap = self._heap
        while True:
            with condition:
                while heap and heap[0][2].cancelled():
                    heapq.heappop(heap)  # cancelled timers leave the heap lazily
                if not heap:
                    condition.wait()
                    continue
                delay = heap[0][0] - time.monotonic()
                if delay > 0:
                    condition.wait(delay)
                    continue
                timer = heapq.heappop(heap)[2]
            timer._hand_over()

    def reset_after_fork(self) -> None:
        # The child has no ticker thread and must not inherit the parent's timers.
        self._condition = threading.Condition()
        self._heap = []
        self._thread = None


_TICKER = _Ticker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_TICKER.reset_after_fork)


def call_later(
    loop: asyncio.AbstractEventLoop, delay: float, callback: Callable[[], object]
) -> CoarseTimer:
    """Run ``callback()`` in ``loop`` after about ``delay`` seconds, without
    adding a timer to the loop (see the module docstring)."""
    timer = CoarseTimer(loop, time.monotonic() + max(delay, 0.0), callback)
    _TICKER.add(timer)
    return timer
