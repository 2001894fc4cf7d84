"""The asyncio libvirt client.

::

    async with virtrpc.connect("test+unix:///default?socket=/tmp/s") as client:
        version = await client.connect_get_lib_version()
        dom = await client.domain_lookup_by_name(name="test")

:func:`connect` opens the socket and performs libvirt's handshake
(``doRemoteOpen`` in libvirt's ``remote_driver.c``):

1. ``REMOTE_PROC_AUTH_LIST``, then SASL or polkit if the daemon asks for
   them (:func:`virtrpc.auth.exchange.authenticate`);
2. ``connect_supports_feature(VIR_DRV_FEATURE_PROGRAM_KEEPALIVE)`` (only when
   keepalive is enabled: asking is what makes libvirtd start pinging us);
3. ``REMOTE_PROC_CONNECT_OPEN`` with the name libvirt derives from the URI
   (:meth:`~virtrpc.client.uri.LibvirtURI.remote_name`) and ``VIR_CONNECT_RO``
   when read-only;
4. ``connect_supports_feature`` for ``REMOTE_EVENT_CALLBACK`` and
   ``REMOTE_CLOSE_CALLBACK``, as libvirt does.

:meth:`Client.close` sends ``REMOTE_PROC_CONNECT_CLOSE`` and closes the socket.

Every generated method of the remote, qemu and lxc programs is available on
:class:`Client` (from the generated ``*AsyncCalls`` mixins); they all go
through :meth:`Client._call_procedure`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import os
import socket
import time
import types
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar

from virtrpc.auth.credentials import CredentialCallback
from virtrpc.auth.exchange import authenticate
from virtrpc.client.errors import LibvirtError
from virtrpc.client.events import (
    FAMILIES,
    Event,
    EventCallback,
    EventFamily,
    Subscription,
    family_of_procedure,
    flatten_message,
)
from virtrpc.client.stream import Stream
from virtrpc.client.uri import LibvirtURI, default_uri, parse_uri
from virtrpc.errors import (
    ConnectError,
    ConnectionLost,
    InvalidArguments,
    InvalidValue,
    ProtocolError,
    UsageError,
    VirtrpcError,
    XdrError,
)
from virtrpc.programs import all_programs, program_by_name, program_by_number
from virtrpc.protocols import remote as remote_protocol
from virtrpc.protocols.lxc_calls import LxcAsyncCalls
from virtrpc.protocols.qemu_calls import QemuAsyncCalls
from virtrpc.protocols.remote_calls import RemoteAsyncCalls
from virtrpc.rpc.connection import Connection, Role, decode_stream_hole
from virtrpc.rpc.events import (
    ConnectionClosed,
    ErrorReply,
    EventMessage,
    KeepalivePing,
    KeepalivePong,
    MessageEvent,
    ProtocolViolation,
    Reply,
    StreamAbort,
    StreamData,
    StreamEnd,
    StreamHole,
)
from virtrpc.rpc.events import Event as RpcEvent
from virtrpc.rpc.framing import close_fds
from virtrpc.rpc.keepalive import KeepaliveAction, KeepaliveMonitor
from virtrpc.rpc.packet import Header, MessageType, Status
from virtrpc.timers import CoarseTimer
from virtrpc.timers import call_later as coarse_call_later
from virtrpc.transport.network import NETWORK_TRANSPORTS, open_uri_transport
from virtrpc.transport.unix import SocketTransport, open_unix

if TYPE_CHECKING:
    from virtrpc.transport.base import Transport
    from virtrpc.xdr import Procedure, Program

__all__ = [
    "DEFAULT_KEEPALIVE",
    "CallResult",
    "Client",
    "ConnectOperation",
    "connect",
    "connect_socket",
]

#: libvirt's client default: a ping after 5 s of silence, dead after 5 of them.
DEFAULT_KEEPALIVE: Final = (5.0, 5)

# virDrvFeature values (libvirt 9.0's src/libvirt_internal.h).
FEATURE_PROGRAM_KEEPALIVE: Final = 10
FEATURE_REMOTE_EVENT_CALLBACK: Final = 14
FEATURE_REMOTE_CLOSE_CALLBACK: Final = 15

VIR_CONNECT_RO: Final = 1


@dataclass(frozen=True, slots=True)
class CallResult:
    """What :meth:`Client.call` returns: the reply value and the fds it carried
    (the caller owns and must close them)."""

    value: Any
    fds: list[int]


@dataclass(frozen=True, slots=True)
class _Plan:
    """Per-procedure precomputed encode/decode steps (the hot path)."""

    # Held so that the ``id(proc)`` the plans are keyed by stays this one's.
    proc: Procedure
    pack: Callable[[Any], bytes] | None
    unpack: Callable[[Any], Any] | None
    # The ret type's generated decoder (value, end offset), without the
    # checks and explanations of ``unpack`` (which runs if it fails).
    fast_unpack: Callable[[bytes, int], tuple[Any, int]] | None
    unwrap: str | None  # the single field of the ret struct, returned alone
    returns_fds: bool
    stream: bool


def _make_plan(proc: Procedure, *, unwrap: bool) -> _Plan:
    unwrap_field = None
    if unwrap and proc.ret_class is not None and dataclasses.is_dataclass(proc.ret_class):
        fields = dataclasses.fields(proc.ret_class)
        if len(fields) == 1:
            unwrap_field = fields[0].name
    returns_fds = proc.fds in ("recv", "both")
    return _Plan(
        proc=proc,
        pack=proc.args.pack if proc.args is not None else None,
        unpack=proc.ret.unpack if proc.ret is not None else None,
        # (fd-receiving procedures return (value, fds): they take the event path)
        fast_unpack=None if returns_fds or proc.ret is None else proc.ret.fast_unpack,
        unwrap=unwrap_field,
        returns_fds=returns_fds,
        stream=proc.stream is not None,
    )


_close_fds = close_fds


_PENDING: Final = 0
_DONE: Final = 1
_FAILED: Final = 2
_CANCELLED: Final = 3


def _current_task_probe() -> Callable[[asyncio.AbstractEventLoop], asyncio.Task[Any] | None]:
    """The cheapest way to ask which task runs on a loop: asyncio's C
    ``current_task`` where there is one (3.12+); on 3.11 that function is
    Python, and the C tasks' own registry is read directly instead (a dict
    lookup, no frame: it runs for every reply)."""
    if not isinstance(asyncio.current_task, types.BuiltinFunctionType):
        registry = getattr(asyncio.tasks, "_current_tasks", None)
        if isinstance(registry, dict):
            return registry.get
    return asyncio.current_task


_current_task = _current_task_probe()
_new = object.__new__
_REPLY_TYPE: Final = int(MessageType.REPLY)
_OK_STATUS: Final = int(Status.OK)
_REMOTE_CONNECT_CLOSE: Final = remote_protocol.PROGRAM.by_name["connect_close"]


class ReplyWaiter:
    """The future a call waits on: a minimal asyncio-compatible future that
    resumes its task *at once* when the reply is read.

    With an ``asyncio.Future``, ``set_result`` in the read callback only
    schedules the task's wake-up, so every call costs two loop iterations (two
    ``epoll_wait``): one to read the reply, one to resume the caller.  Here
    :meth:`set_result`, called from the transport's read callback (where no
    task runs), steps the waiting task directly, in the same iteration.  From
    inside a task (cancellation, failures raised by another caller) the
    wake-up is scheduled as asyncio does.  The caller's context is kept.

    Its result, like that of every waiter in ``RpcClient._waiters``, is
    either the payload (``bytes``) of a successful reply without fds, which
    the connection's fast path delivers, or the reply event (``Reply`` with
    fds, ``ErrorReply``); :func:`_as_reply_event` turns the former into a
    ``Reply`` where an event is needed.
    """

    # No __slots__: the defaults below are class attributes, so creating a
    # waiter is object.__new__ plus one store (see _new_reply_waiter), which
    # costs less than a call to __init__ at ~10k calls/s.
    _state = _PENDING
    _result: Any = None
    # The first done-callback (the waiting task's wake-up, usually the only
    # one) and its context are kept apart: no list and tuple per call.
    _callback: Callable[[Any], object] | None = None
    _context: Any = None
    # Further callbacks, in the order they were added.
    _callbacks: list[tuple[Callable[[Any], object], Any]] | None = None
    _asyncio_future_blocking = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    # The parts of the Future protocol that asyncio's Task uses.
    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._state != _PENDING

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def result(self) -> Any:
        state = self._state
        if state == _DONE:
            return self._result
        if state == _PENDING:
            raise asyncio.InvalidStateError("reply not received yet")
        raise self._result

    def exception(self) -> BaseException | None:
        state = self._state
        if state == _DONE:
            return None
        if state == _FAILED:
            return self._result  # type: ignore[no-any-return]
        if state == _CANCELLED:
            raise self._result
        raise asyncio.InvalidStateError("reply not received yet")

    def add_done_callback(self, callback: Callable[[Any], object], *, context: Any = None) -> None:
        if context is None:
            context = contextvars.copy_context()
        if self._state != _PENDING:
            self._loop.call_soon(callback, self, context=context)
        elif self._callback is None and self._callbacks is None:
            self._callback = callback
            self._context = context
        elif self._callbacks is None:
            self._callbacks = [(callback, context)]
        else:
            self._callbacks.append((callback, context))

    def _take_callbacks(self) -> list[tuple[Callable[[Any], object], Any]]:
        """All pending done-callbacks, in order; none are left registered."""
        callbacks = self._callbacks or []
        if self._callback is not None:
            callbacks.insert(0, (self._callback, self._context))
        self._callback = self._context = self._callbacks = None
        return callbacks

    def remove_done_callback(self, callback: Callable[[Any], object]) -> int:
        callbacks = self._take_callbacks()
        kept = [(cb, ctx) for cb, ctx in callbacks if cb != callback]
        if kept:
            self._callbacks = kept
        return len(callbacks) - len(kept)

    def cancel(self, msg: Any = None) -> bool:
        if self._state != _PENDING:
            return False
        self._state = _CANCELLED
        self._result = asyncio.CancelledError() if msg is None else asyncio.CancelledError(msg)
        self._schedule_callbacks()
        return True

    def set_result(self, result: bytes | MessageEvent) -> None:
        """Resolve with the reply; resumes the waiting task now when called
        from outside any task (the read callback)."""
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("reply already set")
        self._state = _DONE
        self._result = result
        callback = self._callback
        if callback is None or self._callbacks is not None or _current_task(self._loop) is not None:
            # None, more than one, or from inside a task: as asyncio does.
            self._schedule_callbacks()
            return
        context = self._context
        self._callback = self._context = None
        try:
            context.run(callback, self)
        except Exception as exc:  # what the loop would do with a Handle
            self._loop.call_exception_handler(
                {"message": "reply waiter callback failed", "exception": exc}
            )

    def set_exception(self, exc: BaseException) -> None:
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("reply already set")
        self._state = _FAILED
        self._result = exc
        self._schedule_callbacks()

    def _schedule_callbacks(self) -> None:
        for callback, context in self._take_callbacks():
            self._loop.call_soon(callback, self, context=context)

    def __await__(self) -> Generator[Any, None, bytes | MessageEvent]:
        # _ProcedureCall.__await__ repeats this wait, decoding inline after
        # it: the hot path has no room for one more frame.
        if self._state == _PENDING:
            self._asyncio_future_blocking = True
            try:
                yield self
            except asyncio.CancelledError:
                if self._state == _DONE:
                    # The reply came in the same loop iteration as the
                    # cancellation: nobody will take it.
                    _discard_result(self._result)
                raise
        if self._state == _DONE:
            return self._result  # type: ignore[no-any-return]
        return self.result()  # type: ignore[no-any-return]

    __iter__ = __await__


def _new_reply_waiter(loop: asyncio.AbstractEventLoop) -> ReplyWaiter:
    waiter: ReplyWaiter = _new(ReplyWaiter)
    waiter._loop = loop
    return waiter


def _as_reply_event(
    result: bytes | MessageEvent, prog: int, vers: int, proc: int, serial: int
) -> MessageEvent:
    """A waiter's result as an event (see :class:`ReplyWaiter`)."""
    if type(result) is bytes:
        return Reply(Header(prog, vers, proc, _REPLY_TYPE, serial, _OK_STATUS), result, [])
    assert isinstance(result, MessageEvent)
    return result


def _discard_result(result: bytes | MessageEvent) -> None:
    """Drop a reply nobody will use, closing the fds it carried."""
    if type(result) is not bytes:
        assert isinstance(result, MessageEvent)
        result.close_fds()


def _error_from_payload(payload: bytes, proc: Procedure | None) -> VirtrpcError:
    """The error an ``ERROR`` reply's payload describes."""
    try:
        return LibvirtError.from_wire(payload)
    except (XdrError, ProtocolError) as exc:
        name = proc.name if proc is not None else "a call"
        return ProtocolError(f"undecodable error reply to {name}: {exc}")


def _reply_error(reply: MessageEvent, proc: Procedure | None) -> VirtrpcError:
    reply.close_fds()
    return _error_from_payload(reply.payload, proc)


def _decode_reply(result: bytes | MessageEvent, plan: _Plan) -> Any:
    """A successful reply's value by ``plan`` (the checking decoder, which
    names what is wrong); ``(value, fds)`` for fd-returning procedures."""
    reply = None if type(result) is bytes else result
    if reply is not None:
        assert isinstance(reply, MessageEvent)
        result = reply.payload
    try:
        value = plan.unpack(result) if plan.unpack is not None else None
    except XdrError as exc:
        if reply is not None:
            reply.close_fds()
        raise ProtocolError(f"undecodable reply to {plan.proc.name}: {exc}") from exc
    if plan.unwrap is not None:
        value = getattr(value, plan.unwrap)
    if plan.returns_fds:
        return value, (reply.take_fds() if reply is not None else [])
    if reply is not None and reply.fds:
        reply.close_fds()
    return value


class _ProcedureCall(ReplyWaiter):
    """What :meth:`RpcClient._call_procedure` returns for a sent call: its
    reply waiter, which decodes the reply when awaited.

    Awaiting it directly from the generated method, rather than through a
    coroutine of the client's, spares a coroutine per call and a frame on
    every resumption of the caller's task."""

    _plan: _Plan

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state == _PENDING:
            self._asyncio_future_blocking = True
            try:
                yield self
            except asyncio.CancelledError:
                if self._state == _DONE:
                    _discard_result(self._result)  # as ReplyWaiter.__await__
                raise
        if self._state != _DONE:
            return self.result()  # raises the failure or the cancellation
        result = self._result
        plan = self._plan
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
                return None  # a void reply (its payload is ignored, as libvirt does)
        elif type(result) is not Reply:
            assert isinstance(result, MessageEvent)
            raise _reply_error(result, plan.proc)
        # No fast decoder (fds to return), or it failed: the checking decoder.
        return _decode_reply(result, plan)

    __iter__ = __await__


def decode_event_message(event: EventMessage) -> Event | None:
    """The :class:`Event` an event message carries; None for an event this
    client does not know (a newer daemon's).  Raises :class:`ConnectionLost`
    (caused by the XdrError) for one that does not decode: the connection
    is then unusable.  Shared by the asyncio and the blocking client."""
    event.close_fds()  # events never carry fds
    header = event.header
    program = program_by_number(header[0])
    proc = program.procedures.get(header[2]) if program is not None else None
    if proc is None or proc.args is None:
        return None
    routed = family_of_procedure(proc)
    if routed is None:
        return None
    family, name = routed
    try:
        message = proc.args.unpack(event.payload)
    except XdrError as exc:
        raise ConnectionLost(f"undecodable {proc.name} event from the daemon: {exc}") from exc
    callback_id = getattr(message, "callbackID", None)
    return Event(family, name, callback_id, message, flatten_message(message), proc)


def resolve_procedure(
    program: int | str, version: int, procedure: int | str
) -> tuple[int, Procedure | None, int]:
    """``(program number, Procedure or None, procedure number)`` for
    :meth:`RpcClient.call`'s arguments (names or numbers)."""
    prog_obj: Program | None
    if isinstance(program, str):
        prog_obj = program_by_name(program)
        if prog_obj is None:
            raise InvalidValue(
                f"unknown program {program!r} "
                f"(known: {', '.join(sorted(p.name for p in all_programs()))})"
            )
    else:
        prog_obj = program_by_number(program)
    prog_number = prog_obj.number if prog_obj is not None else int(program)
    proc_obj: Procedure | None = None
    if prog_obj is not None and prog_obj.version == version:
        if isinstance(procedure, str):
            proc_obj = prog_obj.by_name.get(procedure)
            if proc_obj is None:
                raise InvalidValue(f"program {prog_obj.name} has no procedure {procedure!r}")
        else:
            proc_obj = prog_obj.procedures.get(procedure)
    elif isinstance(procedure, str):
        raise InvalidValue(f"cannot resolve procedure name {procedure!r} without its program")
    proc_number = proc_obj.number if proc_obj is not None else int(procedure)
    return prog_number, proc_obj, proc_number


class RpcClient:
    """The program-independent core of a client connection: calls, replies,
    streams, event routing, keepalive and connection loss.

    Calls may be issued concurrently from many tasks; replies are matched by
    serial.  Cancelling a waiting call is safe: its late reply is dropped and
    the fds it carried are closed.
    """

    #: Gather the call packets sent in one loop iteration into one write
    #: (see :meth:`_call_procedure`); a class-wide switch for benchmarking.
    coalesce_calls = True

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
        #: Keepalive statistics (pings the daemon sent us, pongs it sent back,
        #: pings we sent).
        self.keepalive_pings_received = 0
        self.keepalive_pongs_received = 0
        self.keepalive_pings_sent = 0
        self._loop = asyncio.get_running_loop()
        self._conn = Connection(Role.CLIENT)
        self._transport: Transport | None = None
        # Every waiter is a ReplyWaiter: data_received reads its state directly.
        self._waiters: dict[int, ReplyWaiter] = {}
        self._streams: dict[int, Stream] = {}
        self._subscriptions: dict[tuple[EventFamily, int], Subscription] = {}
        self._close_subscriptions: list[Subscription] = []
        self._plans: dict[int, _Plan] = {}
        self._error: VirtrpcError | None = None  # why the connection died
        self._closed = asyncio.Event()
        self._closing = False
        # Set by close() once connect_close is sent: later calls are refused.
        self._refusing_calls = False
        self._close_reason: str | None = None
        self._last_rx = time.monotonic()
        self._keepalive_handle: CoarseTimer | None = None
        self._keepalive: KeepaliveMonitor | None = None
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
                if waiter is not None and waiter._state == _PENDING:
                    # Runs the caller up to its next call's write.
                    waiter.set_result(fast[1])
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
                    # The caller was cancelled (or gave up): drop the late reply.
                    event.close_fds()
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
        elif self._closing:
            self._fail(ConnectionLost("connection closed by the client"), "client")
        else:
            self._fail(
                ConnectionLost(f"connection to {self.socket_path} closed by the daemon"), "eof"
            )

    def _dispatch(self, event: RpcEvent) -> None:
        """Everything but replies (the hot path handles those inline)."""
        if isinstance(event, (StreamData, StreamEnd, StreamAbort, StreamHole)):
            self._dispatch_stream(event)
        elif isinstance(event, KeepalivePing):
            event.close_fds()
            self.keepalive_pings_received += 1
            if self._transport is not None and not self._transport.is_closing():
                self._transport.write(self._conn.send_keepalive_pong())
        elif isinstance(event, KeepalivePong):
            event.close_fds()
            self.keepalive_pongs_received += 1
        elif isinstance(event, EventMessage):
            self._dispatch_event_message(event)
        elif isinstance(event, (Reply, ErrorReply)):
            waiter = self._waiters.pop(event.header[4], None)
            if waiter is None or waiter.done():
                event.close_fds()
            else:
                waiter.set_result(event)
        elif isinstance(event, ConnectionClosed):
            if self._closing:
                # The daemon hangs up after our connect_close: a normal close.
                self._fail(ConnectionLost("connection closed by the client"), "client")
            else:
                self._fail(
                    ConnectionLost(f"connection to {self.socket_path} closed by the daemon"), "eof"
                )
        elif isinstance(event, ProtocolViolation):
            self._fail(
                ConnectionLost(
                    f"protocol violation by the daemon at {self.socket_path}: {event.error}"
                ),
                "error",
                cause=event.error,
            )
        elif isinstance(event, MessageEvent):
            # Anything else a server should not send (e.g. an unknown message
            # kind the core tolerates): drop it, keep its fds closed.
            event.close_fds()

    def _dispatch_stream(self, event: MessageEvent) -> None:
        stream = self._streams.get(event.header[4])
        fds = event.take_fds()
        if fds:
            _close_fds(fds)
        if stream is None:
            return  # data for a stream we no longer track (aborted): drop
        if isinstance(event, StreamData):
            stream._feed_data(event.payload)
        elif isinstance(event, StreamHole):
            try:
                length, _flags = decode_stream_hole(event.payload)
            except ProtocolError as exc:
                stream._feed_error(exc)
                return
            stream._feed_hole(length)
        elif isinstance(event, StreamEnd):
            stream._feed_end()
        else:
            stream._feed_error(_error_from_payload(event.payload, stream.procedure))

    def _dispatch_event_message(self, event: EventMessage) -> None:
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

    def _fail(
        self, error: VirtrpcError, reason: str, *, cause: BaseException | None = None
    ) -> None:
        """The connection is dead: fail everything pending, exactly once."""
        if self._closed.is_set():
            return
        if cause is not None:
            error.__cause__ = cause
        self._error = error
        self._close_reason = reason
        self._closed.set()
        if self._keepalive_handle is not None:
            self._keepalive_handle.cancel()
            self._keepalive_handle = None
        self._conn.close()
        if self._transport is not None:
            self._transport.abort()
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            if not waiter.done():
                waiter.set_exception(error)
                # The caller may have been cancelled meanwhile; don't let asyncio
                # log "exception was never retrieved".
                waiter.add_done_callback(_consume_exception)
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            stream._feed_error(error)
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
        waiter = _new_reply_waiter(self._loop)
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
        return _as_reply_event(result, prog, vers, proc, serial)

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
            plan = self._plans[id(proc)] = _make_plan(proc, unwrap=True)
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
        waiter: _ProcedureCall = _new(_ProcedureCall)
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
        plan = _make_plan(proc, unwrap=False)
        if plan.stream:
            return await self._open_stream(proc, plan, args, fds)
        payload = plan.pack(args) if plan.pack is not None else b""
        reply = await self._roundtrip(proc.program, proc.version, proc.number, payload, fds)
        if type(reply) is not Reply:
            raise _reply_error(reply, proc)
        return _decode_reply(reply, plan)

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
            payload = _encode_args(proc_obj, args)
        reply = await self._roundtrip(prog_number, version, proc_number, payload, fds)
        if type(reply) is not Reply:
            raise _reply_error(reply, proc_obj)
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
        self, proc: Procedure, plan: _Plan, args: Any, fds: Sequence[int]
    ) -> Stream:
        payload = plan.pack(args) if plan.pack is not None else b""
        if self._error is not None or self._refusing_calls:
            raise self._dead_error()
        self._check_fds(fds, proc.name)
        serial, packet = self._conn.send_call(proc.program, proc.version, proc.number, payload, fds)
        stream = Stream(self, proc, serial)
        # Register before sending: data may follow the reply in the same read.
        self._streams[serial] = stream
        waiter = _new_reply_waiter(self._loop)
        self._waiters[serial] = waiter
        try:
            self._send(packet, fds)
        except BaseException:
            self._streams.pop(serial, None)
            self._abandon_unsent(serial)
            raise

        def as_event(result: bytes | MessageEvent) -> MessageEvent:
            return _as_reply_event(result, proc.program, proc.version, proc.number, serial)

        try:
            reply = as_event(await waiter)
        except BaseException as exc:
            self._streams.pop(serial, None)
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # The reply came in the same iteration as the cancellation.
                self._waiters.pop(serial, None)
                self._abandon_stream(proc, serial, as_event(waiter.result()))
            elif isinstance(exc, asyncio.CancelledError) and serial in self._waiters:
                # The daemon may still open the stream: abort it when the reply
                # arrives, so that it does not stay open on the daemon's side.
                follow = _new_reply_waiter(self._loop)
                follow.add_done_callback(
                    lambda done: (
                        self._abandon_stream(proc, serial, as_event(done.result()))
                        if not done.cancelled() and done.exception() is None
                        else None
                    )
                )
                self._waiters[serial] = follow
            else:
                self._waiters.pop(serial, None)
            raise
        if type(reply) is not Reply:
            self._streams.pop(serial, None)
            raise _reply_error(reply, proc)
        try:
            stream.reply = _decode_reply(reply, plan)
        except BaseException:
            self._streams.pop(serial, None)
            raise
        return stream

    def _abandon_stream(self, proc: Procedure, serial: int, reply: MessageEvent) -> None:
        """The caller gave up on a stream call whose reply has now arrived: if
        the daemon opened the stream, abort it (its data is dropped on arrival)."""
        reply.close_fds()
        if type(reply) is Reply and self.is_open:
            with contextlib.suppress(VirtrpcError):
                self._send(
                    self._conn.send_stream_abort(proc.program, proc.version, proc.number, serial)
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
        if self._streams.get(stream.serial) is stream:
            del self._streams[stream.serial]

    # -------------------------------------------------------------- keepalive
    def _start_keepalive(self) -> None:
        if self.keepalive is None or not self.server_keepalive:
            return
        interval, count = self.keepalive
        self._keepalive = KeepaliveMonitor(interval, count, self._last_rx)
        # Not loop.call_later: a pending loop timer makes every loop
        # iteration dearer (see virtrpc.timers).
        self._keepalive_handle = coarse_call_later(self._loop, interval, self._keepalive_tick)

    def _keepalive_tick(self) -> None:
        """libvirt's ``virKeepAliveTimerInternal``, via :class:`KeepaliveMonitor`:
        after ``interval`` s of silence send a ping, one per silent interval,
        ``count`` in all; one more silent interval after the last one and the
        daemon is dead (``interval * (count + 1)`` s of silence).  Each ping
        restarts the interval, so a timer that fires late never skips a ping."""
        self._keepalive_handle = None
        monitor = self._keepalive
        if monitor is None or not self.is_open:
            return
        # The read path only stamps _last_rx (cheaper than a method call per
        # read); catch the monitor up here.
        if self._last_rx > monitor.last_received:
            monitor.packet_received(self._last_rx)
        now = time.monotonic()
        action = monitor.check(now)
        if action is KeepaliveAction.DEAD:
            self._fail(
                ConnectionLost(
                    f"no data from the daemon at {self.socket_path} for "
                    f"{now - monitor.last_received:.1f} s after {monitor.count} unanswered "
                    f"keepalive pings (interval {monitor.interval:g} s): connection declared dead"
                ),
                "keepalive",
            )
            return
        if action is KeepaliveAction.SEND_PING:
            with contextlib.suppress(VirtrpcError):
                self._send(self._conn.send_keepalive_ping())
                self.keepalive_pings_sent += 1
        delay = max(monitor.next_check_time() - now, 0.001)
        self._keepalive_handle = coarse_call_later(self._loop, delay, self._keepalive_tick)

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
                    await _all_done(self._loop, pending)
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


class Client(RpcClient, RemoteAsyncCalls[Stream], QemuAsyncCalls, LxcAsyncCalls):
    """A connection to a libvirt daemon (remote, qemu and lxc programs).
    Create it with :func:`connect`."""

    def __init__(
        self,
        uri: LibvirtURI | None,
        socket_path: str,
        *,
        readonly: bool = False,
        keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
        credentials: CredentialCallback | None = None,
    ) -> None:
        super().__init__(uri, socket_path, readonly=readonly, keepalive=keepalive)
        self._credentials = credentials
        # For authentication: the host name auth.conf entries are looked up
        # by (libvirt's VIR_URI_SERVER) and whether the channel is already
        # confidential (unix, TLS, ssh), which decides the SASL mechanisms.
        self._auth_hostname = (uri.host if uri is not None else None) or "localhost"
        self._secure = True

    # ----------------------------------------------------------------- events
    async def migrate(
        self,
        domain: remote_protocol.RemoteNonnullDomain,
        destination: Client | None,
        flags: int = 0,
        params: Any = None,
        **options: Any,
    ) -> remote_protocol.RemoteNonnullDomain:
        """Migrate ``domain`` of this connection to ``destination`` (libvirt's v3
        sequence over both connections, or peer-to-peer): see
        :func:`virtrpc.client.migration.migrate` and docs/migration.md."""
        from virtrpc.client.migration import migrate

        return await migrate(self, domain, destination, flags, params, **options)

    async def subscribe(
        self,
        family: EventFamily | str,
        event: int | str = 0,
        *,
        target: Any = None,
        callback: EventCallback | None = None,
        qemu_event: str | None = None,
        qemu_flags: int = 0,
    ) -> Subscription:
        """Register for events of one family and kind.

        ``family``: ``domain``, ``network``, ``storage_pool``, ``node_device``,
        ``secret``, ``qemu_monitor`` or ``connection`` (close of this
        connection, by the daemon or detected locally).  ``event``: the event
        id or its name (``"lifecycle"``, ``"reboot"``...).  ``target``: the
        object to watch (a ``RemoteNonnull*`` struct) or None for all.  For
        ``qemu_monitor``, ``qemu_event`` filters by QMP event name.
        """
        family = EventFamily(family)
        if family is EventFamily.CONNECTION:
            return await self._subscribe_close(callback)
        rules = FAMILIES[family]
        if isinstance(event, str):
            try:
                event_id = rules.event_ids[event]
            except KeyError:
                raise InvalidValue(
                    f"unknown {family.value} event {event!r} (known: {', '.join(rules.event_ids)})"
                ) from None
        else:
            event_id = event
        program = program_by_name(rules.program)
        assert program is not None
        register = program.by_name[rules.register]
        assert register.args_class is not None
        if family is EventFamily.QEMU_MONITOR:
            args = register.args_class(dom=target, event=qemu_event, flags=qemu_flags)
        else:
            assert rules.target_field is not None
            args = register.args_class(eventID=event_id, **{rules.target_field: target})
        callback_id = await self._call_procedure(register, args)
        sub = Subscription(
            family, event_id, callback_id, callback=callback, deregister=self._deregister
        )
        self._subscriptions[(family, callback_id)] = sub
        return sub

    async def _deregister(self, sub: Subscription) -> None:
        if sub.family is EventFamily.CONNECTION:
            with contextlib.suppress(ValueError):
                self._close_subscriptions.remove(sub)
            if not self._close_subscriptions and self.is_open and self.server_close_callback:
                await self.connect_unregister_close_callback()
            return
        assert sub.callback_id is not None
        self._subscriptions.pop((sub.family, sub.callback_id), None)
        if not self.is_open:
            return
        rules = FAMILIES[sub.family]
        program = program_by_name(rules.program)
        assert program is not None
        deregister = program.by_name[rules.deregister]
        assert deregister.args_class is not None
        await self._call_procedure(deregister, deregister.args_class(callbackID=sub.callback_id))

    async def _subscribe_close(self, callback: EventCallback | None) -> Subscription:
        sub = Subscription(
            EventFamily.CONNECTION, 0, None, callback=callback, deregister=self._deregister
        )
        if not self._close_subscriptions and self.server_close_callback:
            await self.connect_register_close_callback()
        self._close_subscriptions.append(sub)
        return sub

    async def subscribe_all(
        self, callback: EventCallback | None = None, *, include_qemu: bool = False
    ) -> list[Subscription]:
        """Subscribe to every event of every family (what ``virtrpc events`` does).

        Event kinds the daemon rejects (older daemons) are skipped.
        """
        subs: list[Subscription] = []
        for family, rules in FAMILIES.items():
            if family is EventFamily.QEMU_MONITOR and not include_qemu:
                continue
            for event_id in rules.event_ids.values():
                try:
                    subs.append(await self.subscribe(family, event_id, callback=callback))
                except LibvirtError:
                    continue
        subs.append(await self.subscribe(EventFamily.CONNECTION, callback=callback))
        return subs

    # -------------------------------------------------------------- lifecycle
    async def _authenticate(self) -> None:
        """auth_list, then SASL or polkit when the daemon asks for them
        (:mod:`virtrpc.auth`, libvirt's ``remoteAuthenticate``)."""
        await authenticate(
            self,
            target=self.uri.raw if self.uri is not None else "(default)",
            hostname=self._auth_hostname,
            secure=self._secure,
            auth=self.uri.param("auth") if self.uri is not None else None,
            auth_file=self.uri.param("authfile") if self.uri is not None else None,
            credentials=self._credentials,
        )

    async def _handshake(self, remote_name: str) -> None:
        """Everything after authentication: keepalive, connect_open, features."""
        if self.keepalive is not None:
            # Asking is what makes libvirtd start its own keepalive for us.
            self.server_keepalive = await self._supports_feature(FEATURE_PROGRAM_KEEPALIVE)
        # libvirt sends the name even when empty ("" lets the daemon probe).
        await self.connect_open(name=remote_name, flags=VIR_CONNECT_RO if self.readonly else 0)
        if self.uri is None:
            #: The URI the daemon chose when none was given.
            self.probed_uri = await self.connect_get_uri()
        self.server_event_callbacks = await self._supports_feature(FEATURE_REMOTE_EVENT_CALLBACK)
        self.server_close_callback = await self._supports_feature(FEATURE_REMOTE_CLOSE_CALLBACK)
        self._start_keepalive()

    async def _open_session(self, remote_name: str) -> None:
        """Authenticate, then handshake: what :func:`connect` runs."""
        await self._authenticate()
        await self._handshake(remote_name)

    async def _supports_feature(self, feature: int) -> bool:
        # libvirt's client treats a failed feature query as "not supported".
        try:
            return bool(await self.connect_supports_feature(feature=feature))
        except LibvirtError:
            return False

    def _send_goodbye(self) -> Awaitable[Any]:
        return self._call_procedure(_REMOTE_CONNECT_CLOSE, None)


async def _all_done(loop: asyncio.AbstractEventLoop, waiters: list[ReplyWaiter]) -> None:
    """Return once every one of ``waiters`` is done, without awaiting them
    (their results are their callers')."""
    all_done: asyncio.Future[None] = loop.create_future()
    left = len(waiters)

    def one_done(_waiter: object) -> None:
        nonlocal left
        left -= 1
        if left == 0 and not all_done.done():
            all_done.set_result(None)

    for waiter in waiters:
        waiter.add_done_callback(one_done)
    try:
        await all_done
    finally:
        for waiter in waiters:
            waiter.remove_done_callback(one_done)


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _encode_args(proc: Procedure, args: Any) -> bytes:
    if proc.args is None:
        if args not in (None, {}):
            raise InvalidArguments(f"{proc.name} takes no arguments")
        return b""
    if isinstance(args, Mapping):
        assert proc.args_class is not None
        try:
            args = proc.args_class(**args)
        except TypeError as exc:
            raise InvalidArguments(f"bad arguments for {proc.name}: {exc}") from None
    return proc.args.pack(args)


def resolve_target(
    uri: str | LibvirtURI | None, readonly: bool
) -> tuple[LibvirtURI | None, str, str]:
    """``(parsed URI, socket path, name for connect_open)`` for a URI (None:
    ``$LIBVIRT_DEFAULT_URI`` or the daemon's default)."""
    if uri is None:
        uri = default_uri()
    if uri is None:
        # No URI at all: libvirt connects to the default daemon and lets it
        # probe (an empty name); unprivileged users get their session daemon.
        probe = parse_uri("remote:///session" if os.geteuid() != 0 else "remote:///system")
        return None, probe.unix_socket_path(readonly=readonly), ""
    parsed = uri if isinstance(uri, LibvirtURI) else parse_uri(uri)
    if parsed.transport in NETWORK_TRANSPORTS:
        # The endpoint label is replaced by the transport's once connected.
        return parsed, parsed.host or "localhost", parsed.remote_name()
    if parsed.transport != "unix":
        raise ConnectError(
            f"transport {parsed.transport!r} of URI {parsed.raw!r} is not supported "
            "(use unix, tcp, tls, ssh or ext)"
        )
    return parsed, parsed.unix_socket_path(readonly=readonly), parsed.remote_name()


async def connect_unix_socket(
    path: str, receiver: RpcClient, *, what: str, uri: str, timeout: float | None
) -> None:
    """Open the Unix socket ``path`` for ``receiver`` within ``timeout``.

    Failures raise :class:`ConnectError` naming ``what`` was tried, the path
    and the URI (with the socket's ``errno`` when there is one).
    """
    try:
        await asyncio.wait_for(open_unix(path, receiver), timeout)
    except TimeoutError:
        raise ConnectError(f"timed out connecting to {path} (URI {uri})") from None
    except OSError as exc:
        error = ConnectError(
            f"cannot connect to {what} {path} (URI {uri}): "
            f"{os.strerror(exc.errno) if exc.errno else exc}"
        )
        error.errno = exc.errno
        raise error from exc


async def _open(
    uri: str | LibvirtURI | None,
    readonly: bool,
    keepalive: tuple[float, int] | None,
    timeout: float | None,
    credentials: CredentialCallback | None = None,
) -> Client:
    parsed, endpoint, name = resolve_target(uri, readonly)
    shown = parsed.raw if parsed is not None else "(default)"
    client = Client(
        parsed, endpoint, readonly=readonly, keepalive=keepalive, credentials=credentials
    )
    if parsed is not None and parsed.transport in NETWORK_TRANSPORTS:
        try:
            opened = await asyncio.wait_for(
                open_uri_transport(parsed, client, readonly=readonly), timeout
            )
        except TimeoutError:
            raise ConnectError(f"timed out connecting to {endpoint} (URI {shown})") from None
        # ConnectError from open_uri_transport already names the URI.
        client.socket_path = opened.label
        client._auth_hostname = opened.hostname
        client._secure = opened.secure
    else:
        await connect_unix_socket(
            endpoint, client, what="libvirt socket", uri=shown, timeout=timeout
        )
    where = client.socket_path
    try:
        await asyncio.wait_for(client._open_session(name), timeout)
    except BaseException as exc:
        client.abort()
        if isinstance(exc, TimeoutError):
            raise ConnectError(f"handshake with {where} timed out (URI {shown})") from None
        if isinstance(exc, ConnectionLost):
            raise ConnectError(
                f"daemon at {where} dropped the connection during the handshake "
                f"(URI {shown}): {exc}"
            ) from exc
        raise
    return client


async def connect_socket(
    sock: socket.socket,
    *,
    uri: str | LibvirtURI | None = None,
    readonly: bool = False,
    keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    handshake: bool = True,
    timeout: float | None = 30.0,
) -> Client:
    """Run a client over an already connected stream socket (taken over and
    closed by the client).  Used for socketpairs (tests, fake servers) and as
    the basis of tunnelled transports.  ``uri`` only provides the name sent in
    ``connect_open``; ``handshake=False`` skips the handshake entirely."""
    parsed = uri if isinstance(uri, LibvirtURI) or uri is None else parse_uri(uri)
    try:
        peer = sock.getpeername()
    except OSError:
        peer = None
    label = peer if isinstance(peer, str) and peer else f"fd {sock.fileno()}"
    client = Client(parsed, label, readonly=readonly, keepalive=keepalive)
    SocketTransport(sock, client)
    if handshake:
        try:
            await asyncio.wait_for(
                client._open_session(parsed.remote_name() if parsed is not None else ""), timeout
            )
        except BaseException:
            client.abort()
            raise
    return client


ClientT = TypeVar("ClientT", bound=RpcClient)


class ConnectOperation(Generic[ClientT]):
    """What :func:`connect` returns: await it for a :class:`Client`, or use it
    as ``async with`` to close the client automatically."""

    def __init__(self, opener: Callable[[], Awaitable[ClientT]]) -> None:
        self._opener = opener
        self._client: ClientT | None = None

    def __await__(self) -> Generator[Any, None, ClientT]:
        return self._opener().__await__()

    async def __aenter__(self) -> ClientT:
        self._client = await self._opener()
        return self._client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


def connect(
    uri: str | LibvirtURI | None = None,
    *,
    readonly: bool = False,
    keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    timeout: float | None = 30.0,
    credentials: CredentialCallback | None = None,
) -> ConnectOperation[Client]:
    """Connect to a libvirt daemon.

    ``client = await connect(uri)`` or ``async with connect(uri) as client``.
    ``uri`` defaults to ``$LIBVIRT_DEFAULT_URI`` / the client config's
    ``uri_default`` / the daemon's default.  ``keepalive=(interval, count)``
    pings the daemon after ``interval`` seconds of silence, once per silent
    interval, and declares it dead when ``count`` pings went unanswered and one
    more interval passed (``interval * (count + 1)`` seconds without any data,
    as libvirt); ``None`` disables it.
    ``credentials`` answers SASL credential requests not covered by
    auth.conf (see :mod:`virtrpc.auth`).  Unix sockets, ``tcp``, ``tls``,
    ``ssh`` and ``ext`` URIs are supported.  Raises
    :class:`~virtrpc.errors.ConnectError` naming the URI and the endpoint.
    """
    return ConnectOperation(lambda: _open(uri, readonly, keepalive, timeout, credentials))
