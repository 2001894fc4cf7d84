"""The protocol logic of the blocking engine (:mod:`virtrpc.client.blocking`):
what each message from the daemon means for the connection, apart from how
the socket is driven.

:class:`ClientProtocol` holds the connection's protocol state (the
sans-I/O core, the calls waiting for replies, streams, subscriptions, the
keepalive monitor) and implements: delivering replies to their waiters
(:meth:`_deliver`, dropping and closing the fds of abandoned calls' late
replies), routing everything else (:meth:`_dispatch`: keepalive pings
answered, stream packets to their stream, event messages queued for the
dispatcher thread), delivering events (:meth:`_run_event`), libvirt's
keepalive rules (:meth:`_tick`) and connection death (:meth:`_fail`).
Whoever reads the socket calls :meth:`_feed`; the I/O side provides
:meth:`_send_packet`, :meth:`_events_queued` and :meth:`_connection_dead`.

It stands on the endpoint base shared with the asyncio client and the
server (:class:`virtrpc.endpoint.Endpoint`): the core, the stream registry,
the event table, the keepalive step and teardown are the base's; the
watcher thread is this engine's keepalive driver.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from virtrpc.client.client import (
    _decode_reply,
    _Plan,
    _reply_error,
    decode_event_message,
)
from virtrpc.client.common import feed_client_stream, keepalive_death
from virtrpc.client.events import Event, EventFamily
from virtrpc.endpoint import Endpoint
from virtrpc.errors import ConnectionLost, VirtrpcError
from virtrpc.rpc.connection import Role
from virtrpc.rpc.events import (
    ConnectionClosed,
    ErrorReply,
    EventMessage,
    MessageEvent,
    ProtocolViolation,
    Reply,
)
from virtrpc.rpc.keepalive import KeepaliveMonitor
from virtrpc.rpc.packet import Header, MessageType, Status

if TYPE_CHECKING:
    from virtrpc.client.blocking_streams import SyncStream, SyncSubscription

__all__ = ["ClientProtocol", "decode_result", "reply_header"]

_monotonic = time.monotonic
#: A waiter's result before there is one.
PENDING: Final[Any] = object()
_REPLY: Final = int(MessageType.REPLY)
_OK: Final = int(Status.OK)


class _Waiter:
    """What a thread waiting for a reply (or stream data) sleeps on: its
    lock is held from creation; :func:`_wake` releases it."""

    __slots__ = ("error", "lock", "queued", "result")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.result: Any = PENDING
        self.error: BaseException | None = None
        # In the connection's ready queue: its result is set, its wake-up
        # is still to come (see ClientProtocol._wake_ready).
        self.queued = False


def _wake(waiter: _Waiter) -> None:
    # (not contextlib.suppress: this runs for every reply handed over)
    try:  # noqa: SIM105
        waiter.lock.release()
    except RuntimeError:
        pass  # woken already: it re-checks its state in a loop


def _discard(result: Any) -> None:
    """Drop a reply nobody takes, closing the fds it carried."""
    if isinstance(result, MessageEvent):
        result.close_fds()


def decode_result(result: Any, plan: _Plan) -> Any:
    """A reply's value by the return rule (as the asyncio client's
    ``_ProcedureCall``): ``result`` is the payload of a plain successful
    reply or the reply event."""
    if type(result) is bytes:
        fast_unpack = plan.fast_unpack
        if fast_unpack is not None:
            try:
                value, end = fast_unpack(result, 0)
            except Exception:
                end = -1
            if end == len(result):
                unwrap = plan.unwrap
                return getattr(value, unwrap) if unwrap is not None else value
        elif plan.unpack is None and not plan.returns_fds:
            return None  # a void reply
    elif type(result) is not Reply:
        raise _reply_error(result, plan.proc)
    return _decode_reply(result, plan)


def reply_header(prog: int, vers: int, proc: int, serial: int = 0) -> Header:
    """The header of a successful reply (for a payload the fast path gave)."""
    return Header(prog, vers, proc, _REPLY, serial, _OK)


class ClientProtocol(Endpoint["SyncStream"]):
    """The protocol state and logic of a blocking client connection."""

    _EVENT_HANDLERS = {**Endpoint._EVENT_HANDLERS, EventMessage: "_on_event_message"}

    #: Whether the daemon supports the connection-close callback.
    server_close_callback = False
    #: The I/O token (the engine's: the right to read the socket) and the
    #: threads that wait for it to send (the engine's too).
    _token: threading.Lock
    _token_waiters: dict[int, _Waiter]

    def __init__(self, label: str, keepalive: tuple[float, int] | None) -> None:
        if keepalive is not None and (keepalive[0] <= 0 or keepalive[1] < 1):
            raise ValueError(f"keepalive needs interval > 0 and count >= 1, got {keepalive!r}")
        super().__init__(Role.CLIENT)
        self.socket_path = label
        self.keepalive = keepalive
        #: Whether the daemon agreed to the keepalive program.
        self.server_keepalive = False
        # Calls waiting for their reply, by serial (threads asleep on them).
        self._waiters: dict[int, _Waiter] = {}
        # Threads waiting for data on a stream, by its serial.
        self._stream_waiters: dict[int, _Waiter] = {}
        # Waiters whose reply is in, woken one at a time (_wake_ready).
        self._ready: deque[_Waiter] = deque()
        # Serials of calls whose reply may carry fds: reads have room for
        # fds while there are any (an abandoned one stays until its reply).
        self._fd_replies: set[int] = set()
        self._subscriptions: dict[tuple[EventFamily, int], SyncSubscription] = {}
        self._close_subscriptions: list[SyncSubscription] = []
        # Event messages read by whoever reads, for the dispatcher thread.
        self._events: deque[EventMessage | Event] = deque()
        self._error: ConnectionLost | None = None
        self._close_reason: str | None = None
        self._closing = False

    # ---------------------------------------------- introspection (read-only)
    # The asyncio client's names; snapshots, safe to take from any thread.
    @property
    def replies_awaited(self) -> int:
        """How many calls the client still holds a reply slot for (threads
        waiting for their reply)."""
        return len(self._waiters)

    @property
    def calls_in_flight(self) -> int:
        """How many calls sent are still unanswered (an interrupted caller's
        call stays here until its late reply is dropped)."""
        return self._conn.pending_calls

    @property
    def streams(self) -> Mapping[int, SyncStream]:
        """The streams the connection still tracks, by serial (a read-only
        snapshot; an abandoned stream open stays until the daemon's last
        packet for it)."""
        return MappingProxyType(dict(self._streams))

    @property
    def subscriptions(self) -> Mapping[tuple[EventFamily, int], SyncSubscription]:
        """The event subscriptions still registered, by (family, callback
        id) (a read-only snapshot, without the connection-close ones)."""
        return MappingProxyType(dict(self._subscriptions))

    # -------------------------------------------------- what the I/O provides
    def _send_packet(self, make: Callable[[], bytes]) -> None:
        """Encode (``make``) and write one packet that expects no reply."""
        raise NotImplementedError

    def _events_queued(self) -> None:
        """Event messages wait in ``_events``: make the dispatcher run."""
        raise NotImplementedError

    def _end_detail(self) -> str:
        """More about an end of stream (a child process' exit), or ""."""
        return ""

    def _connection_dead(self) -> None:
        """After :meth:`_fail`: wake blocked readers, stop the watcher."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    @property
    def is_open(self) -> bool:
        return self._error is None

    @property
    def close_reason(self) -> str | None:
        return self._close_reason

    @property
    def error(self) -> ConnectionLost | None:
        return self._error

    def _dead_error(self) -> ConnectionLost:
        if self._error is not None:
            return ConnectionLost(str(self._error))
        return ConnectionLost("connection is not open")

    # ------------------------------------------------------------- receiving
    def _read_failed(self, exc: BaseException) -> None:
        detail = self._end_detail()
        error = ConnectionLost(
            f"read from {self.socket_path} failed: {exc}" + (f" ({detail})" if detail else "")
        )
        error.__cause__ = exc
        self._fail(error, "error")

    def _feed(self, data: bytes | memoryview, fds: list[int], serial: int) -> Any:
        """Hand what was read to the core and deliver its events; the reply
        to ``serial`` (if among them) is returned, else ``PENDING``."""
        if not data and not fds:
            events = self._conn.receive_eof()
        else:
            events = self._conn.receive_data(data, fds)
        mine = PENDING
        for event in events:
            kind = type(event)
            if kind is Reply or kind is ErrorReply:
                assert isinstance(event, MessageEvent)
                got = event.header[4]
                if self._fd_replies:
                    self._fd_replies.discard(got)
                result: Any = event.payload if kind is Reply and not event.fds else event
                if got == serial:
                    mine = result
                else:
                    self._deliver(got, result)
            else:
                self._dispatch(event)
        return mine

    def _deliver(self, serial: int, result: Any) -> None:
        waiter = self._waiters.pop(serial, None)
        if waiter is None:
            self._unclaimed_reply(serial, result)
        else:
            # Queued before its result shows, so that a waiter that sees its
            # result finds itself queued (_leave_ready); woken here if a
            # waker took it from the queue before the result was there.
            waiter.queued = True
            self._ready.append(waiter)
            waiter.result = result
            if not waiter.queued:
                _wake(waiter)

    # Replies for other threads are not handed over as they are read: their
    # waiters join the ready queue, and each thread wakes the next one only
    # as it is about to block or leave (the reader before each read and when
    # it releases the token, a woken waiter as it next sleeps, or as it
    # returns if no call is left for a reader to read).  So at most one
    # or two woken threads contend for the GIL at a time instead of all the
    # replies of a read at once, each of which would sleep a second time on
    # the GIL after its lock.
    def _wake_ready(self) -> bool:
        """Wake the first waiter of the ready queue (it wakes the next);
        whether there was one."""
        try:
            waiter = self._ready.popleft()
        except IndexError:
            return False
        waiter.queued = False
        _wake(waiter)
        return True

    def _leave_ready(self, waiter: _Waiter) -> None:
        """A waiter takes its result without having been woken for it (it
        was awake already): out of the queue, and the next one is woken."""
        if waiter.queued:
            waiter.queued = False
            try:  # noqa: SIM105 (not contextlib.suppress: the hot path)
                self._ready.remove(waiter)
            except ValueError:
                pass  # just taken by a waker
        if self._ready and not self._waiters:
            # (While calls wait for replies, a reader will wake it as it
            # blocks or leaves, or we do when we next sleep: not now, while
            # we still run and it would wait for the GIL.)
            self._wake_ready()
        if (
            self._waiters or self._stream_waiters or self._token_waiters
        ) and not self._token.locked():
            # Whoever released the token woke us instead of a reader (see
            # _release_token): hand it on now if nobody took it since.
            self._hand_on()

    def _unclaimed_reply(self, serial: int, result: Any) -> None:
        """A reply nobody waits for: an abandoned call's.  That of an
        abandoned stream open goes to its stream, whose machine aborts the
        stream if the daemon opened it; any other is dropped."""
        stream = self._streams.get(serial)
        if stream is not None:
            stream._late_open_reply(result)
        else:
            _discard(result)

    # ------------------------------------ events (the endpoint's event table)
    def _send_control(self, make: Callable[[], bytes]) -> None:
        self._send_packet(make)

    def _on_event_message(self, event: EventMessage) -> None:
        # Callbacks run on the dispatcher (watcher) thread, never under
        # the token: a callback may make calls.
        self._events.append(event)
        self._events_queued()

    def _on_peer_closed(self, event: ConnectionClosed) -> None:
        if self._closing:
            self._fail(ConnectionLost("connection closed by the client"), "client")
        else:
            detail = self._end_detail()
            self._fail(
                ConnectionLost(
                    f"connection to {self.socket_path} closed by the daemon"
                    + (f" ({detail})" if detail else "")
                ),
                "eof",
            )

    def _on_protocol_violation(self, event: ProtocolViolation) -> None:
        error = ConnectionLost(
            f"protocol violation by the daemon at {self.socket_path}: {event.error}"
        )
        error.__cause__ = event.error
        self._fail(error, "error")

    def _feed_stream(self, stream: SyncStream, event: MessageEvent) -> None:
        # (an abandoned open's stream is aborted by its machine: _unclaimed_reply)
        feed_client_stream(stream, event)
        waiter = self._stream_waiters.get(stream.serial)
        if waiter is not None:
            _wake(waiter)

    def _stream_closed(self, stream: SyncStream) -> None:
        self._forget_stream(stream.serial, stream)

    # ------------------------------------------------- keepalive and events
    def _tick(self) -> float | None:
        """The watcher's periodic work: event callbacks, then keepalive.
        Returns when it wants to run next."""
        while self._events:
            self._run_event(self._events.popleft())
        return self._keepalive_step(_monotonic())

    def _peer_dead(self, monitor: KeepaliveMonitor, now: float) -> None:
        self._fail(keepalive_death(self.socket_path, monitor, now), "keepalive")

    def _run_event(self, item: EventMessage | Event) -> None:
        """Deliver one event (on the watcher thread)."""
        if isinstance(item, Event):
            delivered: Event | None = item
        else:
            try:
                delivered = decode_event_message(item)
            except ConnectionLost as exc:
                self._fail(exc, "error")
                return
        if delivered is None:
            return
        if delivered.family is EventFamily.CONNECTION:
            for close_sub in list(self._close_subscriptions):
                close_sub._deliver(delivered)
                if delivered.name == "connection_closed" and self._close_reason != "client":
                    assert self._error is not None
                    close_sub._fail(self._error)
            return
        if delivered.callback_id is None:
            return
        target = self._subscriptions.get((delivered.family, delivered.callback_id))
        if target is not None:
            target._deliver(delivered)

    # ---------------------------------------------------------------- death
    def _hand_on(self) -> None:
        """Wake one waiting thread to take the token (the engine's)."""
        raise NotImplementedError

    def _fail_pending(self, error: VirtrpcError) -> None:
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            waiter.error = error
            _wake(waiter)
        ready = self._ready
        while ready:
            try:
                waiter = ready.popleft()
            except IndexError:
                break
            waiter.queued = False
            _wake(waiter)
        for waiter in list(self._stream_waiters.values()):
            _wake(waiter)

    def _stream_lost(self, stream: SyncStream, error: VirtrpcError) -> None:
        stream._feed_error(error)

    def _fail(self, error: ConnectionLost, reason: str) -> None:
        """The connection is dead: fail everything pending, exactly once."""
        if self._error is not None:
            return
        self._error = error
        self._close_reason = reason
        self._tear_down(error)
        subscriptions, self._subscriptions = self._subscriptions, {}
        for sub in subscriptions.values():
            sub._fail(error)
        closed_event = Event(
            EventFamily.CONNECTION, "connection_closed", None, None, {"reason": reason}
        )
        if self._close_subscriptions:
            # Delivered by the watcher (callbacks run there), or by close().
            self._events.append(closed_event)
        self._connection_dead()
