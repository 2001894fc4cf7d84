"""The blocking client's streams and event subscriptions: the API of
:class:`virtrpc.client.stream.Stream` and
:class:`virtrpc.client.events.Subscription` without ``await``, fed by the
blocking engine (:mod:`virtrpc.client.blocking`)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from virtrpc.client.events import Event, EventFamily
from virtrpc.errors import ConnectionLost, LocalStreamError, StreamError, VirtrpcError
from virtrpc.rpc.events import MessageEvent, Reply
from virtrpc.rpc.stream import (
    STREAM_CHUNK_SIZE,
    Disposition,
    Hole,
    StreamInput,
    StreamMachine,
    StreamRole,
    StreamState,
)

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
    ``await``).  Its rules are a client-role
    :class:`~virtrpc.rpc.stream.StreamMachine` (``machine``)."""

    def __init__(self, engine: BlockingEngine, procedure: Procedure, serial: int) -> None:
        self._engine = engine
        self.procedure = procedure
        self.serial = serial
        self._reply: Any = None
        #: The stream's state (see virtrpc.rpc.stream).
        self.machine = StreamMachine(StreamRole.CLIENT, label=f"stream {procedure.name}")
        self._incoming: deque[bytes | Hole] = deque()
        self._error: BaseException | None = None
        # Called (in the reading thread) after every arrival: data, a hole,
        # the end or an error.  See set_listener.
        self._listener: Callable[[], None] | None = None

    @property
    def reply(self) -> Any:
        """The procedure's return value."""
        return self._reply

    @reply.setter
    def reply(self, value: Any) -> None:
        # Set by the engine once the opening call's reply arrived: the
        # machine's open reply.
        self._reply = value
        self.machine.process(StreamInput.OPEN_OK)

    def set_listener(self, listener: Callable[[], None] | None) -> None:
        """Have ``listener()`` called after every arrival (data, a hole, the
        end or an error), in whichever thread read it; it must not block (the
        compatible API's stream event callbacks post to their event loop).
        ``None`` removes it."""
        self._listener = listener

    def ready(self) -> bool:
        """Whether a receive would return at once (data, a hole, the end,
        or an error of the stream or its connection)."""
        return self._has_item() or self._engine._error is not None

    def _arrived(self) -> None:
        listener = self._listener
        if listener is not None:
            listener()

    @property
    def closed(self) -> bool:
        return self.machine.ended

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<SyncStream {self.procedure.name} serial={self.serial} {state}>"

    # -- the opener gave up ---------------------------------------------------
    def _abandon(self, *, reply_pending: bool) -> None:
        """The opening call was abandoned (Ctrl-C) before its reply was
        taken.  The late reply, whichever thread reads it, comes to
        :meth:`_late_open_reply` (the engine hands replies nobody waits for
        to the stream of their serial): an abort answers it if the daemon
        opened the stream (an upload stream would otherwise stay open on the
        daemon until the connection closes: the daemon waits for our data
        and sends nothing).  ``reply_pending``: whether the core still
        expects the reply."""
        machine = self.machine
        if machine.ended:
            return  # it ended meanwhile (the connection died, the daemon aborted)
        if machine.state is not StreamState.OPENING:
            # Its first packets came already: the daemon opened it.
            machine.process(StreamInput.SEND_ABORT)
            self._act(Disposition.ABORT)
            return
        machine.process(StreamInput.ABANDON)
        if not reply_pending:
            # The reply came and went with the interrupted opener: whether the
            # daemon opened the stream is unknown, so abort it anyway (the
            # daemon drops stream packets of streams it does not have) and
            # forget it.
            self._late_open_reply(None)
            if not self.machine.ended:
                self.machine.process(StreamInput.FORGET)
                self._engine._stream_closed(self)

    def _abandoned(self) -> bool:
        """Abandoned and still waiting for the late reply (another thread
        may have handed it over meanwhile)."""
        return self.machine.state is StreamState.ABANDONED

    def _late_open_reply(self, result: Any) -> None:
        """The reply to an abandoned opening call: a payload or a reply
        event, or None when it is known to have come but not what it said."""
        if isinstance(result, MessageEvent):
            result.close_fds()
        failed = isinstance(result, MessageEvent) and type(result) is not Reply
        if self._abandoned():
            self._act(
                self.machine.process(
                    StreamInput.OPEN_FAILED if failed else StreamInput.OPEN_OK
                )
            )

    def _act(self, disposition: Disposition) -> None:
        """Carry out what the machine decided beyond queueing."""
        if disposition is Disposition.ABORT:
            # The daemon opened a stream nobody wants: abort it there, and
            # keep the stream registered for the daemon's last packet.
            engine = self._engine
            proc = self.procedure
            with contextlib.suppress(VirtrpcError, OSError):
                engine._send_packet(
                    lambda: engine._conn.send_stream_abort(
                        proc.program, proc.version, proc.number, self.serial
                    )
                )
        if self.machine.ended:
            self._engine._stream_closed(self)

    # -- fed by whichever thread reads (holding the token) ------------------
    def _feed_data(self, data: bytes) -> None:
        disposition = self.machine.receive_data(data)
        if disposition is Disposition.DELIVER:
            if data:
                self._incoming.append(data)  # (empty: libvirtd's end of its side)
            listener = self._listener  # (_arrived, inline: once per packet)
            if listener is not None:
                listener()
        else:
            self._act(disposition)

    def _feed_hole(self, length: int) -> None:
        disposition = self.machine.receive_hole()
        if disposition is Disposition.DELIVER:
            self._incoming.append(Hole(length))
            self._arrived()
        else:
            self._act(disposition)

    def _feed_end(self) -> None:
        self._act(self.machine.receive_ok())
        self._arrived()

    def _feed_error(self, error: BaseException) -> None:
        if self._error is None and self.machine.state is not StreamState.ABANDONED:
            self._error = error
        self._act(
            self.machine.process(
                StreamInput.CONNECTION_LOST
                if isinstance(error, ConnectionLost)
                else StreamInput.RECV_ABORT
            )
        )
        self._arrived()

    def _has_item(self) -> bool:
        return bool(self._incoming) or self._error is not None or self.machine.remote_done

    # -- receiving -------------------------------------------------------------
    def _next_item(self) -> bytes | Hole | None:
        incoming = self._incoming
        while True:
            if incoming:
                return incoming.popleft()
            if self._error is not None:
                raise self._error
            if self.machine.remote_done:
                return None
            if self._engine._error is not None:
                raise self._engine._dead_error()
            self._engine._wait_stream(self, self._has_item)

    def recv(self) -> bytes:
        """Next chunk (holes as zeros); ``b""`` at end of stream."""
        item = self._next_item()
        if type(item) is bytes:
            return item
        if item is None:
            return b""
        assert isinstance(item, Hole)
        if item.length <= STREAM_CHUNK_SIZE:
            return _ZERO_CHUNK[: item.length]
        self._incoming.appendleft(Hole(item.length - STREAM_CHUNK_SIZE))
        return _ZERO_CHUNK

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
    def _start_send(self, event: StreamInput) -> None:
        """Move the machine for a send: the peer's error first, then our misuse."""
        if self._error is not None:
            raise self._error
        try:
            self.machine.process(event)
        except LocalStreamError as exc:
            raise LocalStreamError(f"stream {self.procedure.name} is finished") from exc

    def send(self, data: bytes | bytearray | memoryview) -> None:
        """Send data in packets of at most STREAM_CHUNK_SIZE (blocking writes:
        the flow control libvirt's client applies too)."""
        self._start_send(StreamInput.SEND_DATA)
        view = memoryview(data).cast("B")
        for start in range(0, len(view), STREAM_CHUNK_SIZE):
            self._engine._stream_send(self, 2, bytes(view[start : start + STREAM_CHUNK_SIZE]))

    def send_hole(self, length: int, flags: int = 0) -> None:
        self._start_send(StreamInput.SEND_HOLE)
        if length < 0:
            raise StreamError(f"negative hole length {length}")
        self._engine._stream_send_hole(self, length, flags)

    def finish(self) -> None:
        """Send end-of-stream and wait for the peer's confirmation."""
        if self.machine.ended:
            if self._error is not None and not isinstance(self._error, _AbortedByUs):
                raise self._error
            return
        if self._error is not None:
            raise self._error
        if not self.machine.finish_sent:
            self.machine.process(StreamInput.SEND_FINISH)
            self._engine._stream_send(self, 0, b"")
        self._engine._wait_stream(self, self._ended)
        if self._error is not None and not isinstance(self._error, _AbortedByUs):
            raise self._error

    def _ended(self) -> bool:
        return self.machine.ended

    def abort(self) -> None:
        """Abort the stream; the peer discards what it has not processed."""
        if self.machine.ended:
            return
        if self._error is None:
            self._error = _AbortedByUs(f"stream {self.procedure.name} aborted")
        if self.machine.state is not StreamState.ABORTING:
            self.machine.process(StreamInput.SEND_ABORT)
        try:
            self._engine._stream_send(self, 1, b"")
            # The daemon answers with a final STREAM packet: wait for it so
            # the serial is not reused while the daemon still knows it.
            self._engine._wait_stream(self, lambda: self.machine.ended, _ABORT_REPLY_TIMEOUT)
        except VirtrpcError:
            pass
        finally:
            if not self.machine.ended:
                self.machine.process(StreamInput.FORGET)
                self._engine._stream_closed(self)

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
