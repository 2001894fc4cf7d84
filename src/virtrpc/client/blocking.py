"""The blocking engine: a libvirt connection driven from the calling threads.

Libvirt's own client design (``virNetClientIOEventLoop`` in libvirt's
``src/rpc/virnetclient.c``, "passing the buck") on virtrpc's sans-I/O core
(:class:`~virtrpc.rpc.connection.Connection`):

* A caller that can take the **I/O token** (the right to read the socket;
  one holder at a time) encodes and writes its call and reads the socket
  itself until its reply arrives, handing other threads' replies to their
  waiters, stream data to the streams and event messages to the dispatcher
  on the way.  When it has its reply it returns
  the token and, if other threads wait, wakes one of them to take it over.
* A caller that cannot take the token registers a **waiter** (a lock used
  as a binary semaphore), writes its call and sleeps until its reply is
  delivered or it is woken to take the token.
* Writes go through an outbox (see :meth:`BlockingEngine._transmit`): no
  thread sleeps on the send lock to write a call.
* While no thread calls, the :class:`~virtrpc.client.blocking_io.Watcher`
  thread reads the socket: it answers the daemon's keepalive pings, sends
  ours and declares a silent daemon dead, and runs event callbacks (always
  on that thread, never while holding the token: a callback may make calls).

A lone caller therefore runs its whole call on its own thread: the hot path
is uncontended acquires of the token, the core lock and the send lock, a
write and a read.  The protocol logic (what each message means, keepalive,
fd disposal) is :class:`~virtrpc.client.blocking_protocol.ClientProtocol`;
this module is the I/O driving over it (the stream calls in
:mod:`~virtrpc.client.blocking_streamcalls`; :meth:`_read_reply`, :meth:`_pump`,
:meth:`_idle_read`, the watcher), so that the logic can move into a shared
endpoint base later.

Abandoned calls (Ctrl-C, a ``timeout``) stay pending in the core: their
late reply is recognised, dropped and its fds closed.  A connection used in
a child process after ``os.fork()`` raises :class:`ConnectionLost`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final

from virtrpc.client.blocking_io import _MSG_NOSIGNAL, READ_SIZE, SocketIO, Watcher
from virtrpc.client.blocking_protocol import (
    PENDING,
    _discard,
    _Waiter,
    _wake,
    decode_result,
)
from virtrpc.client.blocking_streamcalls import StreamCalls
from virtrpc.client.blocking_streams import SyncStream, SyncSubscription
from virtrpc.client.client import (
    _make_plan,
    _Plan,
)
from virtrpc.client.events import FAMILIES, EventFamily
from virtrpc.errors import ConnectionLost, ProtocolError, VirtrpcError
from virtrpc.programs import program_by_name
from virtrpc.rpc.keepalive import KeepaliveMonitor
from virtrpc.rpc.packet import LENGTH_STRUCT, MessageType
from virtrpc.xdr import Procedure

__all__ = ["BlockingEngine", "SyncStream", "SyncSubscription"]

_monotonic = time.monotonic
#: Calls whose packet is larger than this are written before taking the
#: token, so that someone keeps reading while a long write blocks.
_LARGE_CALL: Final = 64 * 1024
#: A read at least this long may hold several replies (see _feed_replies).
_TWO_REPLIES: Final = 2 * 28
_LENGTH: Final = LENGTH_STRUCT
#: Where a packet's message type is (after its length, program, version and
#: procedure words), and the type of replies.
_TYPE_OFFSET: Final = 16
_REPLY_TYPE: Final = int(MessageType.REPLY)

# Engines of this process, marked unusable in a forked child.
_ENGINES: weakref.WeakSet[BlockingEngine] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for engine in list(_ENGINES):
        engine._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)


class BlockingEngine(StreamCalls):
    """A client connection driven by its callers' threads (see the module
    docstring): the I/O side over :class:`ClientProtocol`'s logic.
    :class:`virtrpc.client.sync.SyncClient` adds the generated methods and
    the session set-up."""

    def __init__(self, io: SocketIO, *, keepalive: tuple[float, int] | None) -> None:
        super().__init__(io.label, keepalive)
        self._io = io
        self._recv = io.recv
        self._sendall = io.sendall
        # Encoding (the core's serials, registrations): never held across
        # a syscall.  Writing: see _transmit.
        self._core_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._outbox: deque[bytes] = deque()
        # The I/O token: the right to read the socket.
        self._token = threading.Lock()
        # Threads that must hold the token to send (fd-receiving calls).
        self._token_waiters: dict[int, _Waiter] = {}
        self._plans: dict[int, _Plan] = {}
        self._watcher: Watcher | None = None
        # The thread running close(): calls of other threads are refused.
        self._closer: int | None = None
        self._pid = os.getpid()
        _ENGINES.add(self)

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

    # ---------------------------------------------------------- the token
    def _release_token(self) -> None:
        self._token.release()
        # Released first, then looked for takers: a waiter registers first,
        # then tries the token, so one of the two always sees the other.
        # A woken ready waiter hands the token on as it takes its reply
        # (_leave_ready) if nobody took it by then: usually its own next
        # call or ours has, and a reader woken now would sleep again.
        if self._ready and self._wake_ready():
            return
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

    # ------------------------------------------------------------ calling
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
                    if self._error is not None or self._closer is not None:
                        self._refuse()
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
                if self._ready:
                    self._wake_ready()  # as we block in recv
                if self._fd_replies:
                    data: bytes | None = None
                else:
                    try:
                        data = self._recv(READ_SIZE)
                    except OSError:
                        data = None  # _read_reply reads again and reports it
                try:
                    fast = self._conn.receive_reply(data) if data else None
                except Exception as exc:  # as in _read_reply
                    raise self._parse_failed(exc) from exc
                if fast is not None and fast[0] == serial:
                    self._last_rx = _monotonic()
                    result = fast[1]
                else:
                    result = self._read_reply(serial, None, data, fast)
            finally:
                self._token.release()
                # (as _release_token)
                if not (self._ready and self._wake_ready()) and (
                    self._waiters or self._stream_waiters or self._token_waiters
                ):
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

    def _refuse(self) -> None:
        """A call may not leave: the connection is dead, or closing (only
        the closing thread's connect_close still goes)."""
        if self._error is not None:
            raise self._dead_error()
        if self._closer is not None and self._closer != threading.get_ident():
            raise ConnectionLost("connection is closing")

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
                if self._ready:
                    self._wake_ready()  # as we sleep
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
            if self._error is not None or self._closer is not None:
                self._refuse()
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

    # ------------------------------------------------------------ writing
    # Packets are encoded under the core lock (the core's serials; never
    # held across a syscall) and written under the send lock.  A thread that
    # finds the send lock taken leaves its packet in the outbox: the writing
    # thread sends it right after its own (it looks again after releasing
    # the lock), so no thread ever sleeps on the send lock to write a call,
    # and packets queued meanwhile leave in one write.
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
        detail = self._end_detail()
        self._fail(
            ConnectionLost(
                f"write to {self.socket_path} failed: {exc!r}" + (f" ({detail})" if detail else "")
            ),
            "error",
        )
        if isinstance(exc, OSError):
            raise self._dead_error() from exc

    # ------------------------------------------------ waiting and reading
    def _wait_reply(self, serial: int, waiter: _Waiter, deadline: float | None) -> Any:
        """Sleep until the reply is delivered, or read it ourselves once the
        token is free (we are woken when it is handed on)."""
        try:
            while True:
                if waiter.result is not PENDING:
                    self._leave_ready(waiter)
                    return waiter.result
                if waiter.error is not None:
                    raise waiter.error
                if self._token.acquire(False):
                    try:
                        if waiter.result is PENDING and waiter.error is None:
                            # From now on only we read: our reply comes to us.
                            self._waiters.pop(serial, None)
                            return self._read_reply(serial, deadline)
                    finally:
                        self._release_token()
                    continue
                if self._ready:
                    self._wake_ready()  # as we sleep
                if deadline is None:
                    waiter.lock.acquire()
                elif (
                    not waiter.lock.acquire(timeout=max(deadline - _monotonic(), 0.0))
                    and waiter.result is PENDING
                    and waiter.error is None
                ):
                    raise TimeoutError("virtrpc call timed out")
        except BaseException:
            # Abandoned (Ctrl-C, timeout, connection lost): a late reply is
            # dropped; one delivered meanwhile is discarded here.
            self._waiters.pop(serial, None)
            self._leave_ready(waiter)
            if waiter.result is not PENDING:
                _discard(waiter.result)
                waiter.result = PENDING
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
        try:
            return self._read_until(serial, deadline, data, fast)
        except (ConnectionLost, TimeoutError):
            raise
        except Exception as exc:
            # A parse interrupted by the connection's death (another thread
            # failed it meanwhile) or a fault in it: the stream is no longer
            # known, so the connection is lost, whatever the exception was.
            raise self._parse_failed(exc) from exc

    def _parse_failed(self, exc: Exception) -> ConnectionLost:
        """Fail the connection (if it is not dead already) for an exception
        out of the read path; the ConnectionLost to raise."""
        if self._error is None:
            error = ConnectionLost(f"reading from {self.socket_path} failed: {exc!r}")
            error.__cause__ = exc
            self._fail(error, "error")
        return self._dead_error()

    def _read_until(
        self,
        serial: int,
        deadline: float | None,
        data: bytes | None,
        fast: tuple[int, bytes] | None,
    ) -> Any:
        conn = self._conn
        recv = self._recv
        waiters = self._waiters
        ready = self._ready
        fds: list[int] = []
        while True:
            if data is None:
                if self._error is not None:
                    raise self._dead_error()
                if ready:
                    self._wake_ready()  # as we block in the read
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
                    waiter.queued = True  # (see _deliver)
                    ready.append(waiter)
                    waiter.result = fast[1]
                    if not waiter.queued:
                        _wake(waiter)
                elif self._streams:
                    self._unclaimed_reply(got, fast[1])
            else:
                if fds or self._fd_replies or len(data) < _TWO_REPLIES:
                    mine = self._feed(data, fds, serial)
                else:
                    mine = self._feed_replies(data, serial)
                if mine is not PENDING:
                    return mine
            data = fast = None

    def _feed_replies(self, data: bytes, serial: int) -> Any:
        """:meth:`_feed` for a read of several packets: with many threads
        calling, a read usually brings several replies, and each whole plain
        reply at its start goes through the core's ``receive_reply``
        shortcut (half the cost of ``receive_data`` per reply); the rest,
        from the first packet that is not one, through ``receive_data``."""
        conn = self._conn
        waiters = self._waiters
        mine: Any = PENDING
        offset = 0
        size = len(data)
        while offset + 4 <= size:
            end = offset + _LENGTH.unpack_from(data, offset)[0]
            if end > size or end - offset < 28:
                break
            if _LENGTH.unpack_from(data, offset + _TYPE_OFFSET)[0] != _REPLY_TYPE:
                break  # (not sliced off to ask: a stream's data packet is big)
            fast = conn.receive_reply(data[offset:end])
            if fast is None:
                break
            offset = end
            if fast[0] == serial:
                mine = fast[1]
            else:
                waiter = waiters.pop(fast[0], None)
                if waiter is not None:
                    waiter.queued = True  # (see _deliver)
                    self._ready.append(waiter)
                    waiter.result = fast[1]
                    if not waiter.queued:
                        _wake(waiter)
                elif self._streams:
                    self._unclaimed_reply(fast[0], fast[1])
        if offset < size:
            # (a view: the rest is often a stream's data packet, whose payload
            # the core copies out anyway)
            rest = self._feed(memoryview(data)[offset:] if offset else data, [], serial)
            if rest is not PENDING:
                mine = rest
        return mine

    def _send_packet(self, make: Callable[[], bytes], *, wait: bool = False) -> None:
        """Encode (under the core lock) and write one packet that expects
        no reply.  ``wait``: until it is written (stream data: the flow
        control of a blocking write, instead of a growing outbox)."""
        with self._core_lock:
            if self._error is not None:
                raise self._dead_error()
            packet = make()
        if wait:
            with self._send_lock:
                self._write_out(packet)
            self._flush()
        else:
            self._transmit(packet)

    # --------------------------------- reading for streams and while idle
    def _pump(self, ready: Callable[[], bool], deadline: float | None = None) -> None:
        """Read (holding the token) until ``ready()`` (streams, close)."""
        while not ready():
            if self._error is not None:
                return
            if self._ready:
                self._wake_ready()  # (other threads' replies: as we block)
            if deadline is not None and not self._io.wait_readable(deadline - _monotonic()):
                return
            try:
                data, fds = self._io.read_fds() if self._fd_replies else (self._recv(READ_SIZE), [])
            except (OSError, ProtocolError) as exc:
                self._read_failed(exc)
                return
            self._last_rx = _monotonic()
            try:
                self._feed(data, fds, 0)
            except Exception as exc:  # as in _read_reply
                self._parse_failed(exc)
                return

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
                try:
                    self._feed(got[0], got[1], 0)
                except Exception as exc:  # as in _read_reply
                    self._parse_failed(exc)
                    break
                if not got[0]:
                    break
        finally:
            self._release_token()
        return True

    # ------------------------------------------------------------- events
    # (SyncClient.subscribe registers them.)
    def _call_by_name(self, program: str, name: str, args: Any) -> Any:
        prog = program_by_name(program)
        assert prog is not None
        return self._call_procedure(prog.by_name[name], args)

    def _unsubscribe(self, sub: SyncSubscription) -> None:
        """Deregister a subscription on the daemon (SyncSubscription.close)."""
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

    # ---------------------------------------------------------- lifecycle
    #: Bound of each of close()'s waits (the replies to calls in flight,
    #: then connect_close's), as the asyncio client's ``close_timeout``.
    close_timeout = 5.0

    def _goodbye(self, timeout: float) -> None:
        """The program's polite close call (``connect_close``)."""

    def close(self) -> None:
        """Send ``connect_close``, stop the watcher and close the socket
        (idempotent).  Calls made before ``close()`` leave before it."""
        if self._closing:
            return
        self._closing = True
        if os.getpid() != self._pid:
            # A forked child: the socket is shared with the parent, so no
            # goodbye and no shutdown; our copy of the descriptor goes (a
            # transport's child process is the parent's to reap).
            self._io.sock.close()
            return
        if self._error is None:
            for sub in [*self._subscriptions.values(), *self._close_subscriptions]:
                sub._closed = True
                sub._wake()
            self._closer = threading.get_ident()
            with contextlib.suppress(VirtrpcError, OSError, TimeoutError):
                # libvirtd hangs up once connect_close is answered: the calls
                # already sent get their replies first.
                self._await_calls_in_flight(_monotonic() + self.close_timeout)
                self._goodbye(self.close_timeout)
        self._shut_down(ConnectionLost("connection closed by the client"))

    def _await_calls_in_flight(self, deadline: float) -> None:
        """Read (holding the token) until every call sent has its reply, or
        until ``deadline``."""
        conn = self._conn
        if conn.pending_calls == 0:
            return
        self._take_token(deadline)
        try:
            self._pump(lambda: conn.pending_calls == 0 or self._error is not None, deadline)
        finally:
            self._release_token()

    def abort(self) -> None:
        """Close at once, without ``connect_close``."""
        if self._closing:
            return
        self._closing = True
        if os.getpid() != self._pid:
            self._io.sock.close()
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

    # ------------------------------------------------- hooks of the protocol
    def _events_queued(self) -> None:
        watcher = self._watcher
        if watcher is not None and threading.current_thread() is not watcher.thread:
            watcher.wake()

    def _end_detail(self) -> str:
        return self._io.end_detail()

    def _connection_dead(self) -> None:
        self._io.shutdown()  # wakes a reader blocked in recv
        for waiter in list(self._token_waiters.values()):
            _wake(waiter)  # they see the error
        watcher = self._watcher
        if watcher is not None:
            watcher.request_stop()
