"""The blocking client's streams and event subscriptions: the API of
:class:`virtrpc.client.stream.Stream` and
:class:`virtrpc.client.events.Subscription` without ``await``, fed by the
blocking engine (:mod:`virtrpc.client.blocking`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from virtrpc.client.events import Event, EventFamily
from virtrpc.client.stream import STREAM_CHUNK_SIZE, Hole
from virtrpc.errors import StreamError, VirtrpcError

if TYPE_CHECKING:
    from virtrpc.client.blocking import BlockingEngine
    from virtrpc.xdr import Procedure

__all__ = ["SyncStream", "SyncSubscription"]

_log = logging.getLogger("virtrpc.sync")
_monotonic = time.monotonic
_ZERO_CHUNK: Final = bytes(STREAM_CHUNK_SIZE)
_ABORT_REPLY_TIMEOUT: Final = 5.0


class SyncStream:
    """A data stream of the blocking client (see
    :class:`virtrpc.client.stream.Stream`, whose API this mirrors without
    ``await``)."""

    def __init__(self, engine: BlockingEngine, procedure: Procedure, serial: int) -> None:
        self._engine = engine
        self.procedure = procedure
        self.serial = serial
        #: The procedure's return value.
        self.reply: Any = None
        self._incoming: deque[bytes | Hole] = deque()
        self._peer_finished = False
        self._error: BaseException | None = None
        self._finish_sent = False
        self._closed = False
        # The opening call was abandoned (see BlockingEngine._open_stream).
        self._abandoned = False

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<SyncStream {self.procedure.name} serial={self.serial} {state}>"

    # -- fed by whichever thread reads (holding the token) ------------------
    def _feed_data(self, data: bytes) -> None:
        if self._closed or self._peer_finished:
            return
        if not data:
            self._peer_finished = True  # libvirtd's end of its side
        else:
            self._incoming.append(data)

    def _feed_hole(self, length: int) -> None:
        if not (self._closed or self._peer_finished):
            self._incoming.append(Hole(length))

    def _feed_end(self) -> None:
        if self._finish_sent:
            self._settle()
        else:
            self._peer_finished = True

    def _feed_error(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._settle()

    def _settle(self) -> None:
        if not self._closed:
            self._closed = True
            self._engine._stream_closed(self)

    def _has_item(self) -> bool:
        return (
            bool(self._incoming) or self._error is not None or self._peer_finished or self._closed
        )

    # -- receiving -------------------------------------------------------------
    def _next_item(self) -> bytes | Hole | None:
        while True:
            if self._incoming:
                return self._incoming.popleft()
            if self._error is not None:
                raise self._error
            if self._peer_finished or self._closed:
                return None
            if self._engine._error is not None:
                raise self._engine._dead_error()
            self._engine._wait_stream(self, self._has_item)

    def recv(self) -> bytes:
        """Next chunk (holes as zeros); ``b""`` at end of stream."""
        item = self._next_item()
        if item is None:
            return b""
        if isinstance(item, Hole):
            if item.length <= STREAM_CHUNK_SIZE:
                return _ZERO_CHUNK[: item.length]
            self._incoming.appendleft(Hole(item.length - STREAM_CHUNK_SIZE))
            return _ZERO_CHUNK
        return item

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.recv():
            yield chunk

    def iter_sparse(self) -> Iterator[bytes | Hole]:
        """Data chunks and :class:`Hole` objects as sent by the peer."""
        while (item := self._next_item()) is not None:
            yield item

    def read_all(self) -> bytes:
        return b"".join(self)

    # -- sending ---------------------------------------------------------------
    def _check_writable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed or self._finish_sent:
            raise StreamError(f"stream {self.procedure.name} is finished")

    def send(self, data: bytes | bytearray | memoryview) -> None:
        """Send data in packets of at most STREAM_CHUNK_SIZE (blocking writes:
        the flow control libvirt's client applies too)."""
        self._check_writable()
        view = memoryview(data).cast("B")
        for start in range(0, len(view), STREAM_CHUNK_SIZE):
            self._engine._stream_send(self, 2, bytes(view[start : start + STREAM_CHUNK_SIZE]))

    def send_hole(self, length: int, flags: int = 0) -> None:
        self._check_writable()
        if length < 0:
            raise StreamError(f"negative hole length {length}")
        self._engine._stream_send_hole(self, length, flags)

    def finish(self) -> None:
        """Send end-of-stream and wait for the peer's confirmation."""
        if self._closed:
            if self._error is not None and not isinstance(self._error, _AbortedByUs):
                raise self._error
            return
        if self._error is not None:
            raise self._error
        if not self._finish_sent:
            self._finish_sent = True
            self._engine._stream_send(self, 0, b"")
        self._engine._wait_stream(self, lambda: self._closed)
        if self._error is not None and not isinstance(self._error, _AbortedByUs):
            raise self._error

    def abort(self) -> None:
        """Abort the stream; the peer discards what it has not processed."""
        if self._closed:
            return
        if self._error is None:
            self._error = _AbortedByUs(f"stream {self.procedure.name} aborted")
        self._finish_sent = True
        try:
            self._engine._stream_send(self, 1, b"")
            # The daemon answers with a final STREAM packet: wait for it so
            # the serial is not reused while the daemon still knows it.
            self._engine._wait_stream(self, lambda: self._closed, _ABORT_REPLY_TIMEOUT)
        except VirtrpcError:
            pass
        finally:
            self._settle()

    def __enter__(self) -> SyncStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        else:
            self.abort()


class _AbortedByUs(StreamError):
    """Raised from receive calls after the local side aborted the stream."""


class SyncSubscription:
    """A registered event callback: iterate it, :meth:`get` the next event,
    or pass ``callback=`` (run on the connection's watcher thread)."""

    def __init__(
        self,
        engine: BlockingEngine | None,
        family: EventFamily,
        event_id: int,
        callback_id: int | None,
        callback: Callable[[Event], None] | None,
        max_queue: int = 10000,
    ) -> None:
        self._engine = engine
        self.family = family
        self.event_id = event_id
        self.callback_id = callback_id
        self.callback = callback
        self._queue: deque[Event] = deque(maxlen=max_queue)
        self._ready = threading.Condition(threading.Lock())
        self._closed = False
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return (
            f"<SyncSubscription {self.family.value} event={self.event_id} "
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
                self.callback(event)
            except Exception:
                _log.exception("event callback of %r failed", self)
        with self._ready:
            self._queue.append(event)
            self._ready.notify_all()

    def _fail(self, error: BaseException) -> None:
        with self._ready:
            if self._error is None and not self._closed:
                self._error = error
            self._ready.notify_all()

    def _wake(self) -> None:
        with self._ready:
            self._ready.notify_all()

    def get(self, timeout: float | None = None) -> Event:
        """The next event; TimeoutError after ``timeout`` seconds,
        ConnectionLost if the connection died, StopAsyncIteration once closed
        (as the asyncio subscription's ``get``)."""
        deadline = None if timeout is None else _monotonic() + timeout
        with self._ready:
            while True:
                if self._queue:
                    return self._queue.popleft()
                if self._error is not None:
                    raise self._error
                if self._closed:
                    raise StopAsyncIteration
                remaining = None if deadline is None else deadline - _monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("no event within the timeout")
                self._ready.wait(remaining)

    def __iter__(self) -> Iterator[Event]:
        while True:
            try:
                yield self.get()
            except StopAsyncIteration:
                return

    def close(self) -> None:
        """Deregister on the daemon (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        if self._engine is not None:
            self._engine._unsubscribe(self)

    def __enter__(self) -> SyncSubscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
