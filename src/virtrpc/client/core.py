"""The asyncio client's RPC core: :class:`RpcClient`, the
program-independent half of a client connection (calls, replies, streams,
event routing, keepalive, connection loss).  The session on top of it (the
handshake, authentication, event subscriptions) is
:class:`virtrpc.client.session.Client`; opening one is
:mod:`virtrpc.client.connecting`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from virtrpc.client.common import (
    CallResult,
    decode_event_message,
    encode_args,
    feed_client_stream,
    keepalive_death,
    resolve_procedure,
)
from virtrpc.client.events import (
    Event,
    EventFamily,
    Subscription,
)
from virtrpc.client.stream import Stream
from virtrpc.client.waiter import (
    PENDING,
    CallWaiter,
    Plan,
    ReplyWaiter,
    all_done,
    as_reply_event,
    consume_exception,
    decode_reply,
    make_plan,
    new_reply_waiter,
    reply_error,
)
from virtrpc.endpoint import AsyncEndpoint
from virtrpc.errors import (
    ConnectionLost,
    InvalidArguments,
    ProtocolError,
    UsageError,
    VirtrpcError,
    XdrError,
)
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

if TYPE_CHECKING:
    from virtrpc.client.uri import LibvirtURI
    from virtrpc.timers import CoarseTimer
    from virtrpc.transport.base import Transport
    from virtrpc.xdr import Procedure

__all__ = ["DEFAULT_KEEPALIVE", "RpcClient"]

#: libvirt's client default: a ping after 5 s of silence, dead after 5 of them.
DEFAULT_KEEPALIVE: Final = (5.0, 5)

_new = object.__new__


class RpcClient(AsyncEndpoint[Stream]):
    """The program-independent core of a client connection: calls, replies,
    streams, event routing, keepalive and connection loss, on the endpoint
    base shared with the server (:class:`virtrpc.endpoint.AsyncEndpoint`:
    the core, the stream registry, the event table, keepalive, teardown).

    Calls may be issued concurrently from many tasks; replies are matched by
    serial.  Cancelling a waiting call is safe: its late reply is dropped and
    the fds it carried are closed.
    """

    #: Gather the call packets sent in one loop iteration into one write
    #: (see :meth:`_call_procedure`); a class-wide switch for benchmarking.
    coalesce_calls = True

    _EVENT_HANDLERS = {
        **AsyncEndpoint._EVENT_HANDLERS,
        Reply: "_on_reply",
        ErrorReply: "_on_reply",
        EventMessage: "_on_event_message",
    }

    def __init__(
        self,
        uri: LibvirtURI | None,
        socket_path: str,
        *,
        readonly: bool = False,
        keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    ) -> None:
        if keepalive is not None:
            interval, count = keepalive
            if interval <= 0 or count < 1:
                raise ValueError(f"keepalive needs interval > 0 and count >= 1, got {keepalive!r}")
        super().__init__(Role.CLIENT, asyncio.get_running_loop())
        self.uri = uri
        self.socket_path = socket_path
        self.readonly = readonly
        self.keepalive = keepalive
        #: Whether the daemon agreed to the keepalive program.
        self.server_keepalive = False
        #: Whether the daemon supports callback-based event registration.
        self.server_event_callbacks = False
        #: Whether the daemon supports the connection-close callback.
        self.server_close_callback = False
        #: The URI the daemon chose when connecting without one.
        self.probed_uri: str | None = None
        # Every waiter is a ReplyWaiter: data_received reads its state directly.
        self._waiters: dict[int, ReplyWaiter] = {}
        self._subscriptions: dict[tuple[EventFamily, int], Subscription] = {}
        self._close_subscriptions: list[Subscription] = []
        self._plans: dict[int, Plan] = {}
        self._error: VirtrpcError | None = None  # why the connection died
        self._closed = asyncio.Event()
        self._closing = False
        # Set by close() once connect_close is sent: later calls are refused.
        self._refusing_calls = False
        self._close_reason: str | None = None
        # Serials of the calls in flight whose reply may carry fds: only
        # while there are any does the transport read with room for fds
        # (see Transport.expect_fds and _expect_fd_reply).
        self._fd_replies: set[int] = set()
        # Call packets gathered during one loop iteration (see _call_procedure).
        self._corked: list[bytes] | None = None

    # ------------------------------------------------------------------ state
    @property
    def is_open(self) -> bool:
        """True until the connection is closed or lost."""
        return not self._closed.is_set()

    @property
    def close_reason(self) -> str | None:
        """None while open; then ``client`` (we closed), ``eof``, ``keepalive``
        or ``error`` (libvirt's ``virConnectCloseReason`` names)."""
        return self._close_reason

    @property
    def error(self) -> VirtrpcError | None:
        """The error that killed the connection, if it died."""
        return self._error

    async def wait_closed(self) -> None:
        """Return once the connection is closed or lost."""
        await self._closed.wait()

    # ---------------------------------------------- introspection (read-only)
    # What a caller may want to watch (leak checks after cancellations,
    # monitoring); none of it changes anything.
    @property
    def transport(self) -> Transport | None:
        """The transport the connection runs on (None before it is made)."""
        return self._transport

    @property
    def replies_awaited(self) -> int:
        """How many calls the client still holds a reply slot for: callers
        waiting, and cancelled callers whose late reply has not come yet."""
        return len(self._waiters)

    @property
    def calls_in_flight(self) -> int:
        """How many calls sent are still unanswered (a cancelled caller's
        call stays here until its late reply is dropped)."""
        return self._conn.pending_calls

    @property
    def streams(self) -> Mapping[int, Stream]:
        """The streams the connection still tracks, by serial (a read-only
        snapshot; an abandoned stream open stays until the daemon's last
        packet for it)."""
        return MappingProxyType(dict(self._streams))

    @property
    def subscriptions(self) -> Mapping[tuple[EventFamily, int], Subscription]:
        """The event subscriptions still registered, by (family, callback
        id) (a read-only snapshot; the connection-close ones are not keyed
        by a callback id and are not in it)."""
        return MappingProxyType(dict(self._subscriptions))

    @property
    def keepalive_timer(self) -> CoarseTimer | None:
        """What schedules the next keepalive check (a coarse timer of
        :mod:`virtrpc.timers`, off the loop's timer heap); None while
        keepalive is off (not asked for, refused, or the connection ended)."""
        return self._keepalive_handle

    def __repr__(self) -> str:
        state = "open" if self.is_open else f"closed ({self._close_reason})"
        return f"<virtrpc.Client {self.uri or '(default)'} via {self.socket_path} {state}>"

    # ---------------------------------------------------- transport callbacks
    def connection_made(self, transport: Transport) -> None:
        self._transport = transport
        transport.expect_fds(False)  # until a call that may get fds back

    def data_received(self, data: bytes, fds: list[int]) -> None:
        if not fds and not self._fd_replies:
            # The hot path: one successful reply, its payload goes straight
            # to the waiter (no event objects).
            fast = self._conn.receive_reply(data)
            if fast is not None:
                waiter = self._waiters.pop(fast[0], None)
                # Else the caller was cancelled (or gave up): drop the late reply.
                if waiter is not None and waiter._state == PENDING:
                    # Runs the caller up to its next call's write.
                    waiter.set_result(fast[1])
                elif self._streams:
                    self._unclaimed_reply(fast[0], fast[1])
                # Stamped after the caller ran: off the round trip's path.
                self._last_rx = time.monotonic()
                return
        self._last_rx = time.monotonic()
        waiters = self._waiters
        for event in self._conn.receive_data(data, fds):
            kind = type(event)
            if kind is Reply or kind is ErrorReply:
                assert isinstance(event, MessageEvent)
                if self._fd_replies:
                    self._fd_reply_done(event.header[4])
                waiter = waiters.pop(event.header[4], None)
                if waiter is None or waiter.done():
                    self._unclaimed_reply(event.header[4], event)
                elif kind is Reply and not event.fds:
                    # As on the fast path (several replies in one read, with
                    # many calls in flight): the payload is all there is.
                    waiter.set_result(event.payload)
                else:
                    waiter.set_result(event)
            else:
                self._dispatch(event)

    def eof_received(self) -> None:
        for event in self._conn.receive_eof():
            self._dispatch(event)

    def connection_lost(self, exc: BaseException | None) -> None:
        if exc is not None and self._error is None:
            self._fail(ConnectionLost(f"connection to {self.socket_path} lost: {exc}"), "error")
        else:
            self._on_peer_closed(None)

    # ------------------------------------------- events (the endpoint's table)
    def _on_reply(self, event: MessageEvent) -> None:
        waiter = self._waiters.pop(event.header[4], None)
        if waiter is None or waiter.done():
            self._unclaimed_reply(event.header[4], event)
        else:
            waiter.set_result(event)

    def _unclaimed_reply(self, serial: int, result: bytes | MessageEvent) -> None:
        """A reply nobody waits for: a cancelled call's.  That of a cancelled
        stream open goes to its stream, whose machine aborts the stream if
        the daemon opened it; any other is dropped (its fds closed)."""
        stream = self._streams.get(serial)
        if stream is not None:
            stream._late_open_reply(result)
        elif isinstance(result, MessageEvent):
            result.close_fds()

    def _on_peer_closed(self, event: ConnectionClosed | None) -> None:
        """A clean end (``event``), or the transport's end without an error."""
        if self._closing:
            # The daemon hangs up after our connect_close: a normal close.
            self._fail(ConnectionLost("connection closed by the client"), "client")
        else:
            self._fail(
                ConnectionLost(f"connection to {self.socket_path} closed by the daemon"), "eof"
            )

    def _on_protocol_violation(self, event: ProtocolViolation) -> None:
        self._fail(
            ConnectionLost(f"protocol violation by the daemon at {self.socket_path}: {event.error}"),
            "error",
            cause=event.error,
        )

    def _feed_stream(self, stream: Stream, event: MessageEvent) -> None:
        feed_client_stream(stream, event)

    def _on_event_message(self, event: EventMessage) -> None:
        try:
            delivered = decode_event_message(event)
        except ConnectionLost as exc:
            self._fail(exc, "error", cause=exc.__cause__)
            return
        if delivered is None:
            return
        family, callback_id = delivered.family, delivered.callback_id
        if family is EventFamily.CONNECTION:
            for close_sub in list(self._close_subscriptions):
                close_sub._deliver(delivered)
            return
        if callback_id is None:
            return
        target = self._subscriptions.get((family, callback_id))
        if target is not None:
            target._deliver(delivered)

    def _send_control(self, make: Callable[[], bytes]) -> None:
        self._send(make())

    def _peer_dead(self, monitor: KeepaliveMonitor, now: float) -> None:
        self._fail(keepalive_death(self.socket_path, monitor, now), "keepalive")

    def _fail(
        self, error: VirtrpcError, reason: str, *, cause: BaseException | None = None
    ) -> None:
        """The connection is dead: fail everything pending, exactly once."""
        if self._torn_down:
            return
        if cause is not None:
            error.__cause__ = cause
        self._error = error
        self._close_reason = reason
        self._closed.set()
        self._tear_down(error)
        subscriptions, self._subscriptions = self._subscriptions, {}
        for sub in subscriptions.values():
            sub._fail(error)
        closed_event = Event(
            EventFamily.CONNECTION, "connection_closed", None, None, {"reason": reason}
        )
        for sub in self._close_subscriptions:
            sub._deliver(closed_event)
            if reason != "client":
                sub._fail(error)

    def _fail_pending(self, error: VirtrpcError) -> None:
        if self._transport is not None:
            self._transport.abort()
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            if not waiter.done():
                waiter.set_exception(error)
                # The caller may have been cancelled meanwhile; don't let asyncio
                # log "exception was never retrieved".
                waiter.add_done_callback(consume_exception)

    def _stream_lost(self, stream: Stream, error: VirtrpcError) -> None:
        stream._feed_error(error)

    # ---------------------------------------------------------------- calling
    def _send(self, packet: bytes, fds: Sequence[int] = ()) -> None:
        transport = self._transport
        if transport is None or self._error is not None:
            raise self._dead_error()
        if self._corked is not None:
            self._flush_cork()
        transport.write(packet, fds)

    def _flush_cork(self) -> None:
        corked, self._corked = self._corked, None
        if corked and self._transport is not None and self._error is None:
            try:
                self._transport.write(corked[0] if len(corked) == 1 else b"".join(corked))
            except VirtrpcError as exc:
                self._fail(
                    ConnectionLost(f"write to {self.socket_path} failed: {exc}"), "error", cause=exc
                )

    def _check_fds(self, fds: Sequence[int], what: str) -> None:
        """Fds need a unix socket: refuse before a serial is consumed."""
        if fds and self._transport is not None and not self._transport.can_pass_fds:
            raise UsageError(
                f"{what} passes file descriptors, which the {self.socket_path} transport "
                f"cannot carry (URI {self.uri or '(default)'}): use a unix socket"
            )

    def _abandon_unsent(self, serial: int) -> None:
        """The call packet was never written (a bad fd, a dead socket): no
        reply will come, so stop waiting for one and stop tracking the serial."""
        self._waiters.pop(serial, None)
        self._conn.forget_call(serial)
        if self._fd_replies:
            self._fd_reply_done(serial)

    def _expect_fd_reply(self, serial: int) -> None:
        """Call ``serial``'s reply may carry fds: make the transport read with
        room for them until it is in.  (Called before the call is written,
        so no read of its reply can come first.)"""
        if not self._fd_replies and self._transport is not None:
            self._transport.expect_fds(True)
        self._fd_replies.add(serial)

    def _fd_reply_done(self, serial: int) -> None:
        fd_replies = self._fd_replies
        fd_replies.discard(serial)
        if not fd_replies and self._transport is not None:
            self._transport.expect_fds(False)

    def _dead_error(self) -> ConnectionLost:
        if self._error is not None:
            return ConnectionLost(str(self._error))
        if self._refusing_calls:
            return ConnectionLost("connection closed by the client")
        return ConnectionLost("connection is not open")

    async def _roundtrip(
        self, prog: int, vers: int, proc: int, payload: bytes, fds: Sequence[int]
    ) -> MessageEvent:
        """Send one call and wait for its reply event (Reply or ErrorReply)."""
        if self._error is not None or self._refusing_calls:
            raise self._dead_error()
        self._check_fds(fds, f"procedure {proc}")
        serial, packet = self._conn.send_call(prog, vers, proc, payload, fds)
        waiter = new_reply_waiter(self._loop)
        self._waiters[serial] = waiter
        # Any procedure reached this way may return fds (Client.call hands
        # them over).
        self._expect_fd_reply(serial)
        try:
            self._send(packet, fds)
        except BaseException:
            self._abandon_unsent(serial)
            raise
        # (a reply that comes with a cancellation is discarded by the waiter)
        result = await waiter
        return as_reply_event(result, prog, vers, proc, serial)

    def _call_procedure(
        self, proc: Procedure, args: Any, fds: Sequence[int] = ()
    ) -> Awaitable[Any]:
        """Send a call of a generated procedure; awaiting the result gives
        its value by the return rule of docs/architecture.md: void -> None, a
        one-field ret struct -> that field, else the ret object;
        fd-receiving procedures give ``(value, fds)``; stream procedures give
        a :class:`Stream`.

        Not a coroutine: the call leaves at once (the generated methods,
        being coroutines themselves, call this when they are first run) and
        the reply waiter is handed back to be awaited."""
        # The hot path of every generated method, kept flat: at ~10k calls/s
        # each call layer, object and attribute lookup here shows in the rate.
        plan = self._plans.get(id(proc))
        if plan is None:
            plan = self._plans[id(proc)] = make_plan(proc, unwrap=True)
        if plan.stream:
            return self._open_stream(proc, plan, args, fds)
        pack = plan.pack
        payload = pack(args) if pack is not None else b""
        transport = self._transport
        if self._error is not None or transport is None or self._refusing_calls:
            raise self._dead_error()
        if fds:
            self._check_fds(fds, proc.name)
        serial, packet = self._conn.send_call(proc.program, proc.version, proc.number, payload, fds)
        if plan.returns_fds:
            self._expect_fd_reply(serial)
        # The packet leaves before the waiter is made: what follows the write
        # runs while the daemon works on the call instead of delaying it (no
        # transport reads from inside ``write``, so the reply cannot come
        # before the waiter is registered).
        corked = self._corked
        try:
            if fds:
                self._send(packet, fds)
            elif corked is not None:
                corked.append(packet)  # leaves with the others, see below
            else:
                transport.write(packet)
        except BaseException:
            self._abandon_unsent(serial)
            if self._error is not None:
                raise self._dead_error() from None
            raise
        waiters = self._waiters
        waiter: CallWaiter = _new(CallWaiter)
        waiter._loop = self._loop
        waiter._plan = plan
        waiters[serial] = waiter
        if corked is None and len(waiters) > 1 and self.coalesce_calls and not fds:
            # Other calls are in flight, so other tasks are about to be woken
            # by the same read and send their next call in this loop
            # iteration: gather those into one write at the start of the next
            # iteration (one syscall instead of many, and the daemon reads
            # them in one go).  A lone call is never delayed.
            self._corked = []
            self._loop.call_soon(self._flush_cork)
        return waiter

    async def invoke(
        self, proc: Procedure, args: Any, fds: Sequence[int] = (), *, unwrap: bool = True
    ) -> Any:
        """Like the generated methods, for a :class:`~virtrpc.xdr.Procedure`
        object; with ``unwrap=False`` a one-field ret struct is returned whole."""
        if unwrap:
            return await self._call_procedure(proc, args, fds)
        plan = make_plan(proc, unwrap=False)
        if plan.stream:
            return await self._open_stream(proc, plan, args, fds)
        payload = plan.pack(args) if plan.pack is not None else b""
        reply = await self._roundtrip(proc.program, proc.version, proc.number, payload, fds)
        if type(reply) is not Reply:
            raise reply_error(reply, proc)
        return decode_reply(reply, plan)

    async def call(
        self,
        program: int | str,
        version: int,
        procedure: int | str,
        args: Any = None,
        fds: Sequence[int] = (),
    ) -> CallResult:
        """Low-level call of any procedure.

        ``program``/``procedure`` are numbers or names (``"remote"``,
        ``"domain_get_info"``).  For a procedure in the generated tables,
        ``args`` is its args object, a ``dict`` of its fields, or ``None`` for
        void, and :attr:`CallResult.value` is the decoded ret object (not
        unwrapped).  ``args`` given as ``bytes`` is sent as the raw payload and
        the raw reply payload is returned, which also works for procedures the
        tables do not know.  Stream procedures must go through the typed
        methods.
        """
        prog_number, proc_obj, proc_number = self._resolve(program, version, procedure)
        raw = isinstance(args, (bytes, bytearray, memoryview))
        if proc_obj is not None and proc_obj.stream is not None:
            raise InvalidArguments(f"{proc_obj.name} opens a stream: call the typed method instead")
        if raw:
            payload = bytes(args)
        elif proc_obj is None:
            raise InvalidArguments(
                f"procedure {procedure} of program {program} is unknown: pass args as bytes"
            )
        else:
            payload = encode_args(proc_obj, args)
        reply = await self._roundtrip(prog_number, version, proc_number, payload, fds)
        if type(reply) is not Reply:
            raise reply_error(reply, proc_obj)
        if raw or proc_obj is None or proc_obj.ret is None:
            return CallResult(reply.payload if raw else None, reply.take_fds())
        try:
            value = proc_obj.ret.unpack(reply.payload)
        except XdrError as exc:
            reply.close_fds()
            raise ProtocolError(f"undecodable reply to {proc_obj.name}: {exc}") from exc
        return CallResult(value, reply.take_fds())

    def _resolve(
        self, program: int | str, version: int, procedure: int | str
    ) -> tuple[int, Procedure | None, int]:
        return resolve_procedure(program, version, procedure)

    # ---------------------------------------------------------------- streams
    async def _open_stream(
        self, proc: Procedure, plan: Plan, args: Any, fds: Sequence[int]
    ) -> Stream:
        payload = plan.pack(args) if plan.pack is not None else b""
        if self._error is not None or self._refusing_calls:
            raise self._dead_error()
        self._check_fds(fds, proc.name)
        serial, packet = self._conn.send_call(proc.program, proc.version, proc.number, payload, fds)
        stream = Stream(self, proc, serial)
        # Register before sending: data may follow the reply in the same read.
        self._register_stream(serial, stream)
        waiter = new_reply_waiter(self._loop)
        self._waiters[serial] = waiter
        try:
            self._send(packet, fds)
        except BaseException:
            self._streams.pop(serial, None)
            self._abandon_unsent(serial)
            raise

        def as_event(result: bytes | MessageEvent) -> MessageEvent:
            return as_reply_event(result, proc.program, proc.version, proc.number, serial)

        try:
            reply = as_event(await waiter)
        except BaseException:
            # The opener gave up (cancelled, timed out) or the connection died.
            # The stream stays registered through its machine's ABANDONED
            # path: the late reply, nobody's now (see _unclaimed_reply), or
            # the daemon's first packet is answered with an abort.
            if self._waiters.get(serial) is waiter:
                del self._waiters[serial]
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # The reply came in the same iteration as the cancellation.
                stream._abandon()
                stream._late_open_reply(waiter.result())
            elif not waiter.done() or waiter.cancelled():
                stream._abandon()
            else:
                # The connection died: its teardown told the stream.
                self._forget_stream(serial, stream)
            raise
        if type(reply) is not Reply:
            self._streams.pop(serial, None)
            raise reply_error(reply, proc)
        try:
            stream.reply = decode_reply(reply, plan)
        except BaseException:
            self._streams.pop(serial, None)
            raise
        return stream

    def _stream_abort_now(self, stream: Stream) -> None:
        """Abort ``stream`` on the wire now, for its machine (an abandoned
        open the daemon answered); a dead connection has nothing to abort."""
        if not self.is_open:
            return
        proc = stream.procedure
        with contextlib.suppress(VirtrpcError):
            self._send(
                self._conn.send_stream_abort(proc.program, proc.version, proc.number, stream.serial)
            )

    async def _stream_send(self, stream: Stream, status: int, payload: bytes) -> None:
        proc = stream.procedure
        if status == 2:
            packet = self._conn.send_stream_data(
                proc.program, proc.version, proc.number, stream.serial, payload
            )
        elif status == 0:
            packet = self._conn.send_stream_end(
                proc.program, proc.version, proc.number, stream.serial
            )
        else:
            packet = self._conn.send_stream_abort(
                proc.program, proc.version, proc.number, stream.serial
            )
        self._send(packet)
        assert self._transport is not None
        # Flow control: wait while the socket cannot keep up (libvirt's client
        # likewise blocks until a stream packet is written).
        await self._transport.drain()

    async def _stream_send_hole(self, stream: Stream, length: int, flags: int) -> None:
        proc = stream.procedure
        self._send(
            self._conn.send_stream_hole(
                proc.program, proc.version, proc.number, stream.serial, length, flags
            )
        )
        assert self._transport is not None
        await self._transport.drain()

    def _stream_closed(self, stream: Stream) -> None:
        self._forget_stream(stream.serial, stream)

    # -------------------------------------------------------------- keepalive
    def _start_keepalive(self) -> None:
        """Once the daemon agreed to keepalive (the handshake asks): the
        endpoint's driver runs libvirt's rules from now on."""
        if self.keepalive is None or not self.server_keepalive:
            return
        interval, count = self.keepalive
        self._arm_keepalive(interval, count)

    # -------------------------------------------------------------- lifecycle
    #: Bound (seconds) of each of close()'s three waits: for the replies to
    #: the calls in flight, for connect_close's reply, for the hang-up.
    close_timeout = 5.0

    async def close(self) -> None:
        """Close politely (idempotent): the calls already issued get their
        replies first, then ``connect_close`` is sent and the socket closed.

        "Already issued" includes calls in tasks created just before
        close() whose coroutines have not started yet
        (``asyncio.ensure_future(client.domain_get_info(dom=d))``); calls made
        once ``connect_close`` is sent fail with :class:`ConnectionLost`."""
        if self._closing or not self.is_open:
            await self._closed.wait()
            return
        self._closing = True
        # One pass of the loop before anything else: tasks that are already
        # scheduled send their calls now, ahead of connect_close.  (On 3.11
        # asyncio.wait_for happened to give that pass by running the goodbye
        # in a task of its own; from 3.12 it runs it inline, and the calls
        # came after connect_close, answered "connection not open".)
        await asyncio.sleep(0)
        subs = [*self._subscriptions.values(), *self._close_subscriptions]
        for sub in subs:
            sub._deregister = None  # connect_close drops them on the daemon anyway
            await sub.close()
        # A daemon answers calls concurrently: libvirtd closes the
        # connection once connect_close's reply is out, dropping replies
        # still being worked on.  So connect_close waits for them.
        await self._calls_answered(self.close_timeout)
        goodbye: Awaitable[Any] | None = None
        with contextlib.suppress(VirtrpcError):
            goodbye = self._send_goodbye()
        # Calls from now on would reach a daemon that is closing this
        # connection: refuse them here instead.
        self._refusing_calls = True
        if goodbye is not None:
            with contextlib.suppress(VirtrpcError, TimeoutError):
                async with asyncio.timeout(self.close_timeout):
                    await goodbye
        if self._transport is not None:
            self._transport.close()
        # connection_lost() fails whatever is still pending and sets _closed.
        try:
            async with asyncio.timeout(self.close_timeout):
                await self._closed.wait()
        except TimeoutError:
            self._fail(ConnectionLost("connection closed by the client"), "client")

    async def _calls_answered(self, timeout: float) -> None:
        """Return once no call waits for its reply (calls issued meanwhile
        included), the connection is lost, or after ``timeout`` seconds."""
        deadline = self._loop.time() + timeout
        while self._error is None:
            pending = [waiter for waiter in self._waiters.values() if not waiter.done()]
            remaining = deadline - self._loop.time()
            if not pending or remaining <= 0:
                return
            try:
                async with asyncio.timeout(remaining):
                    await all_done(self._loop, pending)
            except TimeoutError:
                return

    def _send_goodbye(self) -> Awaitable[Any] | None:
        """Send the program's polite close call (``connect_close``) now and
        return its reply waiter; None for a program without one."""
        return None

    def abort(self) -> None:
        """Close the socket at once, without ``connect_close``."""
        self._closing = True
        self._fail(ConnectionLost("connection aborted by the client"), "client")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
