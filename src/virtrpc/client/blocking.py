"""The blocking engine: a libvirt connection driven from the calling threads.

Libvirt's own client design (``virNetClientIOEventLoop`` in libvirt's
``src/rpc/virnetclient.c``, "passing the buck") on virtrpc's sans-I/O core
(:class:`~virtrpc.rpc.connection.Connection`):

* A caller encodes its call and writes it under the **send lock**.  Then, if
  it can take the **I/O token** (the right to read the socket; one holder at
  a time) it reads the socket itself until its reply arrives, handing other
  threads' replies to their waiters, stream data to the streams and event
  messages to the dispatcher on the way.  When it has its reply it returns
  the token and, if other threads wait, wakes one of them to take it over.
* A caller that cannot take the token sleeps on its **waiter** (a lock used
  as a binary semaphore) until its reply is delivered or it is woken to
  take the token.
* While no thread calls, the :class:`~virtrpc.client.blocking_io.Watcher`
  thread reads the socket: it answers the daemon's keepalive pings, sends
  ours and declares a silent daemon dead, and runs event callbacks (always
  on that thread, never while holding the token: a callback may make calls).

A lone caller therefore runs its whole call on its own thread: the hot path
is one uncontended acquire of the token, one of the send lock, a write and a
read.  The protocol logic (what each message means: :meth:`_deliver`,
:meth:`_dispatch`, keepalive, fd disposal) is kept apart from the I/O
driving (:meth:`_read_reply`, :meth:`_pump`, the watcher), so that it can
move into a shared endpoint base later.

Abandoned calls (Ctrl-C, a ``timeout``) stay pending in the core: their
late reply is recognised, dropped and its fds closed.  A connection used in
a child process after ``os.fork()`` raises :class:`ConnectionLost`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Final

from virtrpc.client.blocking_io import _MSG_NOSIGNAL, READ_SIZE, SocketIO, Watcher
from virtrpc.client.client import (
    CallResult,
    _decode_reply,
    _encode_args,
    _error_from_payload,
    _make_plan,
    _Plan,
    _reply_error,
    decode_event_message,
    resolve_procedure,
)
from virtrpc.client.events import FAMILIES, Event, EventFamily
from virtrpc.client.stream import STREAM_CHUNK_SIZE, Hole
from virtrpc.errors import (
    ConnectionLost,
    ProtocolError,
    StreamError,
    VirtrpcError,
)
from virtrpc.programs import program_by_name
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
from virtrpc.rpc.keepalive import KeepaliveAction, KeepaliveMonitor
from virtrpc.rpc.packet import Header, MessageType, Status
from virtrpc.xdr import Procedure

__all__ = ["BlockingEngine", "SyncStream", "SyncSubscription"]

_log = logging.getLogger("virtrpc.sync")
_monotonic = time.monotonic
_PENDING: Final[Any] = object()
#: Calls whose packet is larger than this are written before taking the
#: token, so that someone keeps reading while a long write blocks.
_LARGE_CALL: Final = 64 * 1024
_ZERO_CHUNK: Final = bytes(STREAM_CHUNK_SIZE)
_ABORT_REPLY_TIMEOUT: Final = 5.0
_REPLY: Final = int(MessageType.REPLY)
_OK: Final = int(Status.OK)

# Engines of this process, marked unusable in a forked child.
_ENGINES: weakref.WeakSet[BlockingEngine] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for engine in list(_ENGINES):
        engine._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Waiter:
    """What a thread waiting for a reply (or stream data) sleeps on: its
    lock is held from creation; :func:`_wake` releases it."""

    __slots__ = ("error", "lock", "result")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.result: Any = _PENDING
        self.error: BaseException | None = None


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


class BlockingEngine:
    """A client connection driven by its callers' threads (see the module
    docstring).  :class:`virtrpc.client.sync.SyncClient` adds the generated
    methods and the session set-up."""

    def __init__(self, io: SocketIO, *, keepalive: tuple[float, int] | None) -> None:
        if keepalive is not None and (keepalive[0] <= 0 or keepalive[1] < 1):
            raise ValueError(f"keepalive needs interval > 0 and count >= 1, got {keepalive!r}")
        self._io = io
        self.socket_path = io.label
        self.keepalive = keepalive
        self.server_keepalive = False
        self.keepalive_pings_received = 0
        self.keepalive_pongs_received = 0
        self.keepalive_pings_sent = 0
        self._conn = Connection(Role.CLIENT)
        self._recv = io.recv
        self._sendall = io.sock.sendall
        self._core_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._outbox: deque[bytes] = deque()
        self._token = threading.Lock()
        self._waiters: dict[int, _Waiter] = {}
        self._streams: dict[int, SyncStream] = {}
        self._stream_waiters: dict[int, _Waiter] = {}
        # Threads that must hold the token to send (fd-receiving calls).
        self._token_waiters: dict[int, _Waiter] = {}
        # Serials of calls whose reply may carry fds: reads have room for
        # fds while there are any (an abandoned one stays until its reply).
        self._fd_replies: set[int] = set()
        self._plans: dict[int, _Plan] = {}
        self._subscriptions: dict[tuple[EventFamily, int], SyncSubscription] = {}
        self._close_subscriptions: list[SyncSubscription] = []
        # Event messages read by callers, for the watcher thread to deliver.
        self._events: deque[EventMessage | Event] = deque()
        self._error: ConnectionLost | None = None
        self._close_reason: str | None = None
        self._closing = False
        self._last_rx = _monotonic()
        self._keepalive: KeepaliveMonitor | None = None
        self._watcher: Watcher | None = None
        self._pid = os.getpid()
        _ENGINES.add(self)

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

    def _forked(self) -> None:
        """In a child after ``os.fork()``: the socket is the parent's."""
        self._error = ConnectionLost(
            f"this connection to {self.socket_path} was opened by process {self._pid}; "
            f"it cannot be used in the child process {os.getpid()} after os.fork() "
            "(connect again in the child)"
        )
        self._close_reason = "error"
        self._watcher = None

    def start_watcher(self) -> None:
        """Start the watcher thread (after the handshake; keepalive with it)."""
        if self.keepalive is not None and self.server_keepalive:
            interval, count = self.keepalive
            self._keepalive = KeepaliveMonitor(interval, count, self._last_rx)
        self._watcher = Watcher(
            self._io.fileno,
            take_and_read=self._idle_read,
            activity=self._activity,
            tick=self._tick,
            name=f"virtrpc-watch {self.socket_path}",
        )

    def _activity(self) -> float:
        return self._last_rx

    # ------------------------------------------------------------- the token
    def _release_token(self) -> None:
        self._token.release()
        # Released first, then looked for takers: a waiter registers first,
        # then tries the token, so one of the two always sees the other.
        if self._waiters or self._stream_waiters or self._token_waiters:
            self._hand_on()

    def _hand_on(self) -> None:
        """Wake one waiting thread to take the token (it re-checks its state)."""
        waiter = next(iter(self._token_waiters.values()), None)
        if waiter is None:
            waiter = next(iter(self._waiters.values()), None)
        if waiter is None:
            waiter = next(iter(self._stream_waiters.values()), None)
        if waiter is not None:
            _wake(waiter)

    # ---------------------------------------------------------------- calling
    def _call_procedure(self, proc: Procedure, args: Any, fds: Sequence[int] = ()) -> Any:
        """A generated method's call; its value by the return rule.

        The hot path (one thread, no fds, the reply in one read) is kept
        flat: each call layer, attribute lookup and allocation here shows in
        the rate, which is within a few microseconds of the daemon's own."""
        plan = self._plans.get(id(proc))
        if plan is None:
            plan = self._plans[id(proc)] = _make_plan(proc, unwrap=True)
        if plan.stream:
            return self._open_stream(proc, plan, args, fds)
        pack = plan.pack
        payload = pack(args) if pack is not None else b""
        if fds or plan.returns_fds or self._error is not None or len(payload) >= _LARGE_CALL:
            result = self._roundtrip(
                proc.program, proc.version, proc.number, payload, fds, plan.returns_fds
            )
        elif not self._token.acquire(False):
            # Another thread reads: sleep until it hands us the reply or the token.
            waiter = _Waiter()
            serial = self._send_call(
                proc.program, proc.version, proc.number, payload, (), False, waiter
            )
            result = self._wait_reply(serial, waiter, None)
        else:
            try:
                with self._core_lock:
                    if self._error is not None:
                        raise self._dead_error()
                    serial, packet = self._conn.send_call(
                        proc.program, proc.version, proc.number, payload
                    )
                if self._send_lock.acquire(False):
                    try:
                        if self._outbox:
                            self._write_out(packet)
                        else:
                            self._sendall(packet, _MSG_NOSIGNAL)
                    except BaseException as exc:
                        self._write_failed(exc)
                        raise
                    finally:
                        self._send_lock.release()
                    if self._outbox:
                        self._flush()
                else:
                    self._outbox.append(packet)
                    self._flush()
                # (Plain reads only while no reply may carry fds: those calls
                # send and read holding the token, see _roundtrip.)
                if self._fd_replies:
                    data: bytes | None = None
                else:
                    try:
                        data = self._recv(READ_SIZE)
                    except OSError:
                        data = None  # _read_reply reads again and reports it
                fast = self._conn.receive_reply(data) if data else None
                if fast is not None and fast[0] == serial:
                    self._last_rx = _monotonic()
                    result = fast[1]
                else:
                    result = self._read_reply(serial, None, data, fast)
            finally:
                self._token.release()
                if self._waiters or self._stream_waiters or self._token_waiters:
                    self._hand_on()
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
        return decode_result(result, plan)

    def call(
        self,
        program: int | str,
        version: int,
        procedure: int | str,
        args: Any = None,
        fds: Sequence[int] = (),
        *,
        timeout: float | None = None,
    ) -> CallResult:
        """Low-level call (see :meth:`virtrpc.client.client.RpcClient.call`);
        ``timeout`` (seconds) abandons the call with ``TimeoutError``."""
        prog_number, proc_obj, proc_number = resolve_procedure(program, version, procedure)
        raw = isinstance(args, (bytes, bytearray, memoryview))
        if proc_obj is not None and proc_obj.stream is not None:
            raise VirtrpcError(f"{proc_obj.name} opens a stream: call the typed method instead")
        if raw:
            payload = bytes(args)
        elif proc_obj is None:
            raise VirtrpcError(
                f"procedure {procedure} of program {program} is unknown: pass args as bytes"
            )
        else:
            payload = _encode_args(proc_obj, args)
        deadline = None if timeout is None else _monotonic() + timeout
        result = self._roundtrip(prog_number, version, proc_number, payload, fds, True, deadline)
        if type(result) is bytes:
            result = Reply(proc_header(prog_number, version, proc_number), result, [])
        if type(result) is not Reply:
            raise _reply_error(result, proc_obj)
        if raw or proc_obj is None or proc_obj.ret is None:
            return CallResult(result.payload if raw else None, result.take_fds())
        try:
            value = proc_obj.ret.unpack(result.payload)
        except Exception as exc:
            result.close_fds()
            raise ProtocolError(f"undecodable reply to {proc_obj.name}: {exc}") from exc
        return CallResult(value, result.take_fds())

    def _roundtrip(
        self,
        prog: int,
        vers: int,
        proc: int,
        payload: bytes,
        fds: Sequence[int],
        returns_fds: bool,
        deadline: float | None = None,
    ) -> Any:
        """Send a call and return its reply: the payload (plain success) or
        the reply event."""
        if self._error is not None:
            raise self._dead_error()
        if fds:
            self._io.check_fds(fds)
        if returns_fds:
            # Its reply may carry fds: reads must have room for them from
            # the moment it is sent, so send it holding the token (no other
            # thread is then in a plain read).
            self._take_token(deadline)
            try:
                serial = self._send_call(prog, vers, proc, payload, fds, True, None)
                return self._read_reply(serial, deadline)
            finally:
                self._release_token()
        if len(payload) < _LARGE_CALL and self._token.acquire(False):
            # The hot path: we read our reply ourselves.
            try:
                serial = self._send_call(prog, vers, proc, payload, fds, False, None)
                return self._read_reply(serial, deadline)
            finally:
                self._release_token()
        waiter = _Waiter()
        serial = self._send_call(prog, vers, proc, payload, fds, False, waiter)
        return self._wait_reply(serial, waiter, deadline)

    def _take_token(self, deadline: float | None) -> None:
        """Wait for the token (woken when it is handed on)."""
        if self._token.acquire(False):
            return
        waiter = _Waiter()
        key = id(waiter)
        self._token_waiters[key] = waiter
        try:
            while not self._token.acquire(False):
                if self._error is not None:
                    raise self._dead_error()
                if deadline is None:
                    waiter.lock.acquire()
                elif not waiter.lock.acquire(timeout=max(deadline - _monotonic(), 0.0)):
                    raise TimeoutError("virtrpc call timed out")
        except BaseException:
            del self._token_waiters[key]
            if self._waiters or self._stream_waiters or self._token_waiters:
                self._hand_on()  # we may have been woken to take it
            raise
        del self._token_waiters[key]

    def _send_call(
        self,
        prog: int,
        vers: int,
        proc: int,
        payload: bytes,
        fds: Sequence[int],
        returns_fds: bool,
        waiter: _Waiter | None,
    ) -> int:
        with self._core_lock:
            if self._error is not None:
                raise self._dead_error()
            serial, packet = self._conn.send_call(prog, vers, proc, payload, fds)
            if returns_fds:
                self._fd_replies.add(serial)
            if waiter is not None:
                self._waiters[serial] = waiter
            if not fds:
                self._outbox.append(packet)
        if fds:
            self._transmit(packet, fds)
        else:
            self._flush()
        return serial

    # ---------------------------------------------------------------- writing
    # Packets are encoded under the core lock (the core's serials; never
    # held across a syscall) and written under the send lock.  A thread that
    # finds the send lock taken leaves its packet in the outbox: the writing
    # thread sends it right after its own (it looks again after releasing
    # the lock), so no thread ever sleeps on the send lock to write a
    # call, and packets queued meanwhile leave in one write.
    def _transmit(self, packet: bytes, fds: Sequence[int] = ()) -> None:
        if fds:
            # A packet and its fds leave together, after what is queued.
            with self._send_lock:
                self._write_out(packet, fds)
        else:
            self._outbox.append(packet)
        self._flush()

    def _flush(self) -> None:
        outbox = self._outbox
        while outbox and self._send_lock.acquire(False):
            try:
                self._write_out(b"")
            finally:
                self._send_lock.release()

    def _write_out(self, packet: bytes, fds: Sequence[int] = ()) -> None:
        """Write what is queued, then ``packet`` and its fds (send lock held)."""
        outbox = self._outbox
        if outbox:
            parts = []
            while outbox:
                parts.append(outbox.popleft())
            if packet:
                parts.append(packet)
            packet = parts[0] if len(parts) == 1 else b"".join(parts)
        if not packet:
            return
        try:
            if fds:
                self._io.write(packet, fds)
            else:
                self._sendall(packet, _MSG_NOSIGNAL)
        except BaseException as exc:
            self._write_failed(exc)
            raise

    def _write_failed(self, exc: BaseException) -> None:
        """A write failed or was interrupted: part of a packet may be out, so
        the stream is out of sync and the connection is dead.  (OSError
        becomes ConnectionLost; the caller re-raises the rest.)"""
        self._fail(ConnectionLost(f"write to {self.socket_path} failed: {exc!r}"), "error")
        if isinstance(exc, OSError):
            raise self._dead_error() from exc

    def _wait_reply(self, serial: int, waiter: _Waiter, deadline: float | None) -> Any:
        """Sleep until the reply is delivered, or read it ourselves once the
        token is free (we are woken when it is handed on)."""
        try:
            while True:
                if waiter.result is not _PENDING:
                    return waiter.result
                if waiter.error is not None:
                    raise waiter.error
                if self._token.acquire(False):
                    try:
                        if waiter.result is _PENDING and waiter.error is None:
                            # From now on only we read: our reply comes to us.
                            self._waiters.pop(serial, None)
                            return self._read_reply(serial, deadline)
                    finally:
                        self._release_token()
                    continue
                if deadline is None:
                    waiter.lock.acquire()
                elif (
                    not waiter.lock.acquire(timeout=max(deadline - _monotonic(), 0.0))
                    and waiter.result is _PENDING
                    and waiter.error is None
                ):
                    raise TimeoutError("virtrpc call timed out")
        except BaseException:
            # Abandoned (Ctrl-C, timeout, connection lost): a late reply is
            # dropped; one delivered meanwhile is discarded here.
            self._waiters.pop(serial, None)
            if waiter.result is not _PENDING:
                _discard(waiter.result)
                waiter.result = _PENDING
            if self._waiters or self._stream_waiters or self._token_waiters:
                self._hand_on()  # we may have been woken to take the token
            raise

    def _read_reply(
        self,
        serial: int,
        deadline: float | None,
        data: bytes | None = None,
        fast: tuple[int, bytes] | None = None,
    ) -> Any:
        """Read (holding the token) until the reply to ``serial`` is in.
        ``data``: bytes already read (by the hot path), not yet fed to the
        core unless ``fast`` is what the core's fast path made of them."""
        conn = self._conn
        recv = self._recv
        waiters = self._waiters
        fds: list[int] = []
        while True:
            if data is None:
                if self._error is not None:
                    raise self._dead_error()
                if deadline is not None and not self._io.wait_readable(deadline - _monotonic()):
                    raise TimeoutError("virtrpc call timed out")
                try:
                    if self._fd_replies:
                        data, fds = self._io.read_fds()
                    else:
                        data = recv(READ_SIZE)
                        fds = []
                except (OSError, ProtocolError) as exc:
                    self._read_failed(exc)
                    continue
                fast = None if fds or self._fd_replies else conn.receive_reply(data)
            self._last_rx = _monotonic()
            if fast is not None:
                got = fast[0]
                if got == serial:
                    return fast[1]
                waiter = waiters.pop(got, None)
                if waiter is not None:
                    waiter.result = fast[1]
                    _wake(waiter)
            else:
                mine = self._feed(data, fds, serial)
                if mine is not _PENDING:
                    return mine
            data = fast = None

    def _read_failed(self, exc: BaseException) -> None:
        error = ConnectionLost(f"read from {self.socket_path} failed: {exc}")
        error.__cause__ = exc
        self._fail(error, "error")

    def _feed(self, data: bytes, fds: list[int], serial: int) -> Any:
        """Hand what was read to the core and deliver its events; the reply
        to ``serial`` (if among them) is returned, else ``_PENDING``."""
        if not data and not fds:
            events = self._conn.receive_eof()
        else:
            events = self._conn.receive_data(data, fds)
        mine = _PENDING
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
            _discard(result)  # an abandoned call's late reply
        else:
            waiter.result = result
            _wake(waiter)

    def _dispatch(self, event: RpcEvent) -> None:
        """Everything but replies (protocol logic; any token holder runs it)."""
        if isinstance(event, (StreamData, StreamEnd, StreamAbort, StreamHole)):
            self._dispatch_stream(event)
        elif isinstance(event, KeepalivePing):
            event.close_fds()
            self.keepalive_pings_received += 1
            with contextlib.suppress(VirtrpcError, OSError):
                self._send_packet(self._conn.send_keepalive_pong)
        elif isinstance(event, KeepalivePong):
            event.close_fds()
            self.keepalive_pongs_received += 1
        elif isinstance(event, EventMessage):
            # Callbacks run on the watcher thread, never under the token.
            self._events.append(event)
            watcher = self._watcher
            if watcher is not None and threading.current_thread() is not watcher.thread:
                watcher.wake()
        elif isinstance(event, ConnectionClosed):
            if self._closing:
                self._fail(ConnectionLost("connection closed by the client"), "client")
            else:
                self._fail(
                    ConnectionLost(f"connection to {self.socket_path} closed by the daemon"), "eof"
                )
        elif isinstance(event, ProtocolViolation):
            error = ConnectionLost(
                f"protocol violation by the daemon at {self.socket_path}: {event.error}"
            )
            error.__cause__ = event.error
            self._fail(error, "error")
        elif isinstance(event, MessageEvent):
            event.close_fds()  # nothing a server should send: dropped

    def _dispatch_stream(self, event: MessageEvent) -> None:
        stream = self._streams.get(event.header[4])
        event.close_fds()
        if stream is None:
            return  # data of a stream we gave up on
        if stream._abandoned:
            # The caller gave up while the stream was being opened: the
            # daemon opened it, so abort it there.
            self._streams.pop(stream.serial, None)
            if not isinstance(event, (StreamEnd, StreamAbort)):
                proc = stream.procedure
                with contextlib.suppress(VirtrpcError, OSError):
                    self._send_packet(
                        lambda: self._conn.send_stream_abort(
                            proc.program, proc.version, proc.number, stream.serial
                        )
                    )
            return
        if isinstance(event, StreamData):
            stream._feed_data(event.payload)
        elif isinstance(event, StreamHole):
            try:
                length, _flags = decode_stream_hole(event.payload)
            except ProtocolError as exc:
                stream._feed_error(exc)
            else:
                stream._feed_hole(length)
        elif isinstance(event, StreamEnd):
            stream._feed_end()
        else:
            stream._feed_error(_error_from_payload(event.payload, stream.procedure))
        waiter = self._stream_waiters.get(stream.serial)
        if waiter is not None:
            _wake(waiter)

    def _send_packet(self, make: Callable[[], bytes]) -> None:
        """Encode (under the core lock) and write one packet that expects
        no reply."""
        with self._core_lock:
            if self._error is not None:
                raise self._dead_error()
            packet = make()
        self._transmit(packet)

    # ---------------------------------------------------- reading while idle
    def _pump(self, ready: Callable[[], bool], deadline: float | None = None) -> None:
        """Read (holding the token) until ``ready()`` (streams, close)."""
        while not ready():
            if self._error is not None:
                return
            if deadline is not None and not self._io.wait_readable(deadline - _monotonic()):
                return
            try:
                data, fds = self._io.read_fds() if self._fd_replies else (self._recv(READ_SIZE), [])
            except (OSError, ProtocolError) as exc:
                self._read_failed(exc)
                return
            self._last_rx = _monotonic()
            self._feed(data, fds, 0)

    def _idle_read(self) -> bool:
        """The watcher's read: take the token if free, read what is there."""
        if not self._token.acquire(False):
            return False
        try:
            while self._error is None:
                try:
                    got = self._io.read_nowait(bool(self._fd_replies))
                except (OSError, ProtocolError) as exc:
                    self._read_failed(exc)
                    break
                if got is None:
                    break
                self._last_rx = _monotonic()
                self._feed(got[0], got[1], 0)
                if not got[0]:
                    break
        finally:
            self._release_token()
        return True

    def _tick(self) -> float | None:
        """The watcher's periodic work: event callbacks, then keepalive.
        Returns when it wants to run next."""
        while self._events:
            self._run_event(self._events.popleft())
        monitor = self._keepalive
        if monitor is None or self._error is not None:
            return None
        if self._last_rx > monitor.last_received:
            monitor.packet_received(self._last_rx)
        now = _monotonic()
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
            return None
        if action is KeepaliveAction.SEND_PING:
            with contextlib.suppress(VirtrpcError, OSError):
                self._send_packet(self._conn.send_keepalive_ping)
                self.keepalive_pings_sent += 1
        return monitor.next_check_time()

    # ----------------------------------------------------------------- events
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

    def subscribe(
        self,
        family: EventFamily | str,
        event: int | str = 0,
        *,
        target: Any = None,
        callback: Callable[[Event], None] | None = None,
        qemu_event: str | None = None,
        qemu_flags: int = 0,
    ) -> SyncSubscription:
        """Register for events (as :meth:`virtrpc.client.client.Client.subscribe`);
        ``callback`` runs on the connection's watcher thread."""
        family = EventFamily(family)
        if family is EventFamily.CONNECTION:
            sub = SyncSubscription(self, family, 0, None, callback)
            if not self._close_subscriptions and self.server_close_callback:
                self._call_by_name("remote", "connect_register_close_callback", None)
            self._close_subscriptions.append(sub)
            return sub
        rules = FAMILIES[family]
        if isinstance(event, str):
            try:
                event_id = rules.event_ids[event]
            except KeyError:
                raise VirtrpcError(
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
        # Registered under the token's protection from delivery: events for
        # the new callback id are only delivered by the watcher, after this.
        callback_id = self._call_procedure(register, args)
        sub = SyncSubscription(self, family, event_id, callback_id, callback)
        self._subscriptions[(family, callback_id)] = sub
        return sub

    server_close_callback = False

    def _call_by_name(self, program: str, name: str, args: Any) -> Any:
        prog = program_by_name(program)
        assert prog is not None
        return self._call_procedure(prog.by_name[name], args)

    def _unsubscribe(self, sub: SyncSubscription) -> None:
        if sub.family is EventFamily.CONNECTION:
            with contextlib.suppress(ValueError):
                self._close_subscriptions.remove(sub)
            if not self._close_subscriptions and self.is_open and self.server_close_callback:
                self._call_by_name("remote", "connect_unregister_close_callback", None)
            return
        assert sub.callback_id is not None
        self._subscriptions.pop((sub.family, sub.callback_id), None)
        if not self.is_open or self._closing:
            return
        rules = FAMILIES[sub.family]
        program = program_by_name(rules.program)
        assert program is not None
        deregister = program.by_name[rules.deregister]
        assert deregister.args_class is not None
        self._call_procedure(deregister, deregister.args_class(callbackID=sub.callback_id))

    # ---------------------------------------------------------------- streams
    def _open_stream(
        self, proc: Procedure, plan: _Plan, args: Any, fds: Sequence[int]
    ) -> SyncStream:
        payload = plan.pack(args) if plan.pack is not None else b""
        if self._error is not None:
            raise self._dead_error()
        if fds:
            self._io.check_fds(fds)
        stream = SyncStream(self, proc, 0)
        waiter = _Waiter()
        # Registered before the call leaves: data may follow the reply in
        # the same read.
        with self._core_lock:
            if self._error is not None:
                raise self._dead_error()
            serial, packet = self._conn.send_call(
                proc.program, proc.version, proc.number, payload, fds
            )
            stream.serial = serial
            self._streams[serial] = stream
            self._waiters[serial] = waiter
        try:
            self._transmit(packet, fds)
        except BaseException:
            self._streams.pop(serial, None)
            raise
        try:
            result = self._wait_reply(serial, waiter, None)
        except BaseException:
            # Abandoned (Ctrl-C): if the daemon opened the stream, its first
            # packet makes us abort it (see _dispatch_stream).
            stream._abandoned = True
            raise
        if type(result) is bytes:
            result = Reply(proc_header(proc.program, proc.version, proc.number, serial), result, [])
        if type(result) is not Reply:
            self._streams.pop(serial, None)
            raise _reply_error(result, proc)
        try:
            stream.reply = _decode_reply(result, plan)
        except BaseException:
            self._streams.pop(serial, None)
            raise
        return stream

    def _wait_stream(
        self, stream: SyncStream, ready: Callable[[], bool], timeout: float | None = None
    ) -> None:
        """Block until ``ready()`` (data, end or error on ``stream``), reading
        the socket ourselves whenever the token is free."""
        deadline = None if timeout is None else _monotonic() + timeout
        waiter = _Waiter()
        self._stream_waiters[stream.serial] = waiter
        try:
            while not ready() and self._error is None:
                if deadline is not None and _monotonic() >= deadline:
                    return
                if self._token.acquire(False):
                    try:
                        self._pump(ready, deadline)
                    finally:
                        self._release_token()
                    continue
                if deadline is None:
                    waiter.lock.acquire()
                else:
                    waiter.lock.acquire(timeout=max(deadline - _monotonic(), 0.0))
        finally:
            self._stream_waiters.pop(stream.serial, None)
            if self._waiters or self._stream_waiters or self._token_waiters:
                self._hand_on()

    def _stream_send(self, stream: SyncStream, status: int, payload: bytes) -> None:
        proc = stream.procedure
        conn = self._conn
        if status == 2:
            self._send_packet(
                lambda: conn.send_stream_data(
                    proc.program, proc.version, proc.number, stream.serial, payload
                )
            )
        elif status == 0:
            self._send_packet(
                lambda: conn.send_stream_end(proc.program, proc.version, proc.number, stream.serial)
            )
        else:
            self._send_packet(
                lambda: conn.send_stream_abort(
                    proc.program, proc.version, proc.number, stream.serial
                )
            )

    def _stream_send_hole(self, stream: SyncStream, length: int, flags: int) -> None:
        proc = stream.procedure
        conn = self._conn
        self._send_packet(
            lambda: conn.send_stream_hole(
                proc.program, proc.version, proc.number, stream.serial, length, flags
            )
        )

    def _stream_closed(self, stream: SyncStream) -> None:
        if self._streams.get(stream.serial) is stream:
            del self._streams[stream.serial]

    # -------------------------------------------------------------- lifecycle
    def _fail(self, error: ConnectionLost, reason: str) -> None:
        """The connection is dead: fail everything pending, exactly once."""
        if self._error is not None:
            return
        self._error = error
        self._close_reason = reason
        self._io.shutdown()  # wakes a reader blocked in recv
        self._conn.close()
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            waiter.error = error
            _wake(waiter)
        for waiter in list(self._stream_waiters.values()):
            _wake(waiter)
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            stream._feed_error(error)
        subscriptions, self._subscriptions = self._subscriptions, {}
        for sub in subscriptions.values():
            sub._fail(error)
        closed_event = Event(
            EventFamily.CONNECTION, "connection_closed", None, None, {"reason": reason}
        )
        if self._close_subscriptions:
            # Delivered by the watcher (callbacks run there), or by close().
            self._events.append(closed_event)
        watcher = self._watcher
        if watcher is not None:
            watcher.request_stop()

    def _goodbye(self) -> None:
        """The program's polite close call (``connect_close``)."""

    def close(self) -> None:
        """Send ``connect_close``, stop the watcher and close the socket
        (idempotent).  Calls made before ``close()`` leave before it."""
        if self._closing:
            return
        self._closing = True
        if os.getpid() != self._pid:
            # A forked child: the socket is shared with the parent, so no
            # goodbye and no shutdown; our copy of the descriptor goes.
            self._io.close()
            return
        if self._error is None:
            for sub in [*self._subscriptions.values(), *self._close_subscriptions]:
                sub._closed = True
                sub._wake()
            with contextlib.suppress(VirtrpcError, OSError, TimeoutError):
                self._goodbye()
        self._shut_down(ConnectionLost("connection closed by the client"))

    def abort(self) -> None:
        """Close at once, without ``connect_close``."""
        if self._closing:
            return
        self._closing = True
        if os.getpid() != self._pid:
            self._io.close()
            return
        self._shut_down(ConnectionLost("connection aborted by the client"))

    def _shut_down(self, error: ConnectionLost) -> None:
        self._fail(error, "client")
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        while self._events:  # what the watcher left (the close event)
            self._run_event(self._events.popleft())
        # Close the descriptor once no thread reads it (shutdown woke them).
        if self._token.acquire(timeout=10):
            self._io.close()
            self._token.release()


def proc_header(prog: int, vers: int, proc: int, serial: int = 0) -> Header:
    """The header of a successful reply (for a payload the fast path gave)."""
    return Header(prog, vers, proc, _REPLY, serial, _OK)


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
