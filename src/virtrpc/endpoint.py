"""One endpoint base for both ends of a connection.

The asyncio client (:class:`virtrpc.client.core.RpcClient`), the server's
per-client connection (:class:`virtrpc.server.connection.ServerConnection`)
and the blocking engine's protocol half
(:class:`virtrpc.client.blocking_protocol.ClientProtocol`) are one kind of
thing: an end of a libvirt RPC connection.  What they share lives here, the
way asyncssh's ``SSHConnection`` carries both its client and server
connections and libvirt's ``virNetMessage`` / ``virKeepAlive`` serve both
ends; the role classes keep only what differs (which calls they make or
answer, how they wait).

:class:`Endpoint` (no I/O, no event loop) owns:

- the sans-I/O core (``_conn``, a :class:`~virtrpc.rpc.connection.Connection`);
- the stream registry (``_streams``: serial -> stream object, the same key
  on every end: a connection's serials are unique, libvirt's client numbers
  every call of every program from one counter);
- the event-kind -> handler table (:attr:`Endpoint._EVENT_HANDLERS`, extended
  by each role, resolved once per class) instead of if-chains;
- keepalive: answering pings, counting, and libvirt's timer rules on top of
  :class:`~virtrpc.rpc.keepalive.KeepaliveMonitor` (:meth:`Endpoint._keepalive_step`,
  fed with the time by whatever drives it);
- teardown, exactly once (:meth:`Endpoint._tear_down`): the core closed
  (with it every fd it still holds, queued events' included), pending work
  failed, streams told;
- fd disposal: :func:`~virtrpc.rpc.framing.close_fds`, the one helper (in the
  lowest layer that needs it), is what every end closes fds with.

:class:`AsyncEndpoint` adds what both asyncio ends share: the transport and
the one keepalive driver, a coarse timer (:func:`virtrpc.timers.call_later`:
no entry in the loop's timer heap, which would make every loop iteration
dearer) that runs :meth:`Endpoint._keepalive_step`.  The blocking engine
drives the same step from its watcher thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from virtrpc.errors import VirtrpcError
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.events import (
    ConnectionClosed,
    Event,
    KeepalivePing,
    KeepalivePong,
    MessageEvent,
    ProtocolViolation,
    StreamAbort,
    StreamData,
    StreamEnd,
    StreamHole,
)
from virtrpc.rpc.framing import close_fds
from virtrpc.rpc.keepalive import KeepaliveAction, KeepaliveMonitor
from virtrpc.timers import CoarseTimer
from virtrpc.timers import call_later as coarse_call_later

if TYPE_CHECKING:
    import asyncio

    from virtrpc.transport.base import Transport

__all__ = ["AsyncEndpoint", "Endpoint", "close_fds"]

StreamT = TypeVar("StreamT")

#: A resolved entry of the event table: the (unbound) method and the event.
EventHandler = Callable[[Any, Any], None]

_monotonic = time.monotonic


class Endpoint(Generic[StreamT]):
    """The role-independent half of one end of a connection (no I/O).

    A role class supplies :meth:`_send_control` (write one packet that
    expects no reply), :meth:`_feed_stream`, :meth:`_on_peer_closed`,
    :meth:`_on_protocol_violation`, :meth:`_peer_dead` and, for teardown,
    :meth:`_fail_pending` and :meth:`_stream_lost`; it adds its own event
    kinds to :attr:`_EVENT_HANDLERS`.
    """

    #: Event kind -> name of the method that handles it.  Role classes
    #: extend it (``{**Endpoint._EVENT_HANDLERS, Reply: "_on_reply"}``); a
    #: kind missing from it goes to :meth:`_on_unhandled`.
    _EVENT_HANDLERS: ClassVar[Mapping[type[Event], str]] = {
        KeepalivePing: "_on_keepalive_ping",
        KeepalivePong: "_on_keepalive_pong",
        StreamData: "_on_stream_packet",
        StreamEnd: "_on_stream_packet",
        StreamAbort: "_on_stream_packet",
        StreamHole: "_on_stream_packet",
        ConnectionClosed: "_on_peer_closed",
        ProtocolViolation: "_on_protocol_violation",
    }
    # _EVENT_HANDLERS with the names resolved on each class (overrides
    # included), so that dispatch is one dict lookup and one call.
    _event_table: ClassVar[dict[type[Event], EventHandler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._event_table = {kind: getattr(cls, name) for kind, name in cls._EVENT_HANDLERS.items()}

    def __init__(self, role: Role) -> None:
        self._conn = Connection(role)
        self._streams: dict[int, StreamT] = {}
        # Stamped by the read path (cheaper than a method call per read);
        # the keepalive step catches the monitor up from it.
        self._last_rx = _monotonic()
        self._keepalive: KeepaliveMonitor | None = None
        self._torn_down = False
        #: Keepalive statistics: pings the peer sent us, pongs it sent back,
        #: pings we sent.
        self.keepalive_pings_received = 0
        self.keepalive_pongs_received = 0
        self.keepalive_pings_sent = 0

    # ------------------------------------------------------------ role hooks
    def _send_control(self, make: Callable[[], bytes]) -> None:
        """Encode (``make``) and write one packet that expects no reply (a
        keepalive ping or pong).  May raise when the connection is gone."""
        raise NotImplementedError

    def _feed_stream(self, stream: StreamT, event: MessageEvent) -> None:
        """Hand one stream packet (its fds already closed) to ``stream``."""
        raise NotImplementedError

    def _on_peer_closed(self, event: ConnectionClosed) -> None:
        raise NotImplementedError

    def _on_protocol_violation(self, event: ProtocolViolation) -> None:
        raise NotImplementedError

    def _peer_dead(self, monitor: KeepaliveMonitor, now: float) -> None:
        """Keepalive declared the peer dead (``count`` pings unanswered)."""
        raise NotImplementedError

    def _fail_pending(self, error: VirtrpcError) -> None:
        """Teardown: fail or cancel the role's pending work."""

    def _stream_lost(self, stream: StreamT, error: VirtrpcError) -> None:
        """Teardown: tell one registered stream the connection is gone."""

    # ------------------------------------------------------------- dispatch
    def _dispatch(self, event: Event) -> None:
        """Handle one event by the table (the hot paths handle their one
        kind, replies or calls, inline before coming here)."""
        handler = self._event_table.get(type(event))
        if handler is None:
            self._on_unhandled(event)
        else:
            handler(self, event)

    def _on_unhandled(self, event: Event) -> None:
        # Nothing this role acts on (e.g. a message kind the core tolerates):
        # dropped, its fds closed.
        if isinstance(event, MessageEvent):
            event.close_fds()

    def _on_keepalive_ping(self, event: KeepalivePing) -> None:
        event.close_fds()
        self.keepalive_pings_received += 1
        # (a connection going away has nobody to answer)
        with contextlib.suppress(VirtrpcError, OSError):
            self._send_control(self._conn.send_keepalive_pong)

    def _on_keepalive_pong(self, event: KeepalivePong) -> None:
        # Its arrival (stamped by the read path) is the proof of life.
        event.close_fds()
        self.keepalive_pongs_received += 1

    # -------------------------------------------------------------- streams
    def _on_stream_packet(self, event: MessageEvent) -> None:
        stream = self._streams.get(event.header[4])
        event.close_fds()  # stream packets carry no fds
        if stream is not None:
            self._feed_stream(stream, event)
        # else: a stream no longer tracked (ended, aborted): dropped, as
        # libvirt does on both ends.

    def _register_stream(self, serial: int, stream: StreamT) -> None:
        self._streams[serial] = stream

    def _forget_stream(self, serial: int, stream: StreamT) -> None:
        """Drop ``stream`` from the registry (only if it is the one there)."""
        if self._streams.get(serial) is stream:
            del self._streams[serial]

    # ------------------------------------------------------------ keepalive
    def _arm_keepalive(self, interval: float, count: int) -> None:
        """Start libvirt's keepalive rules; the driver then runs
        :meth:`_keepalive_step` at the times it returns."""
        self._keepalive = KeepaliveMonitor(interval, count, self._last_rx)

    def _keepalive_step(self, now: float) -> float | None:
        """libvirt's ``virKeepAliveTimerInternal``, via :class:`KeepaliveMonitor`:
        after ``interval`` s of silence send a ping, one per silent interval,
        ``count`` in all; one more silent interval after the last one and the
        peer is dead (``interval * (count + 1)`` s of silence).  Each ping
        restarts the interval, so a timer that fires late never skips a ping.
        Returns when to run next (on the ``time.monotonic()`` clock), None
        once keepalive is over."""
        monitor = self._keepalive
        if monitor is None or self._torn_down:
            return None
        if self._last_rx > monitor.last_received:
            monitor.packet_received(self._last_rx)
        action = monitor.check(now)
        if action is KeepaliveAction.DEAD:
            self._peer_dead(monitor, now)
            return None
        if action is KeepaliveAction.SEND_PING:
            try:
                self._send_control(self._conn.send_keepalive_ping)
            except (VirtrpcError, OSError):
                pass  # the connection is going: the next step sees it
            else:
                self.keepalive_pings_sent += 1
        return monitor.next_check_time()

    def _stop_keepalive(self) -> None:
        self._keepalive = None

    # ------------------------------------------------------------- teardown
    def _tear_down(self, error: VirtrpcError) -> bool:
        """The connection is over: keepalive stopped, the core closed (every
        fd it holds, queued events' included), the role's pending work
        failed, every registered stream told.  Exactly once: False (and
        nothing done) on later calls."""
        if self._torn_down:
            return False
        self._torn_down = True
        self._stop_keepalive()
        self._conn.close()
        self._fail_pending(error)
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            self._stream_lost(stream, error)
        return True


class AsyncEndpoint(Endpoint[StreamT]):
    """:class:`Endpoint` on an asyncio transport: the transport and the one
    keepalive driver of both asyncio ends (a coarse timer, see
    :mod:`virtrpc.timers`)."""

    def __init__(self, role: Role, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(role)
        self._loop = loop
        self._transport: Transport | None = None
        self._keepalive_handle: CoarseTimer | None = None

    def _arm_keepalive(self, interval: float, count: int) -> None:
        super()._arm_keepalive(interval, count)
        # Not loop.call_later: a pending loop timer makes every loop
        # iteration dearer (see virtrpc.timers).
        self._keepalive_handle = coarse_call_later(self._loop, interval, self._keepalive_tick)

    def _keepalive_tick(self) -> None:
        self._keepalive_handle = None
        now = _monotonic()
        when = self._keepalive_step(now)
        if when is not None and not self._torn_down:
            self._keepalive_handle = coarse_call_later(
                self._loop, max(when - now, 0.001), self._keepalive_tick
            )

    def _stop_keepalive(self) -> None:
        super()._stop_keepalive()
        if self._keepalive_handle is not None:
            self._keepalive_handle.cancel()
            self._keepalive_handle = None
