"""The blocking engine's stream calls: opening a stream, waiting for its
data, sending data and holes on it.

Split from :mod:`virtrpc.client.blocking` (whose :class:`BlockingEngine`
inherits this) to keep each module one job: here what a stream call does with
the engine's token, waiters and writes; there the engine's I/O driving.  The
engine's members this uses are declared below for the type checker only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from virtrpc.client.blocking_protocol import ClientProtocol, _Waiter
from virtrpc.client.blocking_streams import SyncStream
from virtrpc.client.client import _decode_reply, _Plan, _reply_error
from virtrpc.rpc.events import Reply
from virtrpc.xdr import Procedure

if TYPE_CHECKING:
    from virtrpc.client.blocking import BlockingEngine
    from virtrpc.client.blocking_io import SocketIO

__all__ = ["StreamCalls"]

_monotonic = time.monotonic


class StreamCalls(ClientProtocol):
    """Stream calls of the blocking engine (see the module docstring)."""

    if TYPE_CHECKING:
        _io: SocketIO
        _core_lock: threading.Lock
        _token: threading.Lock
        _token_waiters: dict[int, _Waiter]
        _closer: int | None

        def _release_token(self) -> None: ...
        def _hand_on(self) -> None: ...
        def _refuse(self) -> None: ...
        def _transmit(self, packet: bytes, fds: Sequence[int] = ()) -> None: ...
        def _wait_reply(self, serial: int, waiter: _Waiter, deadline: float | None) -> Any: ...
        def _read_reply(self, serial: int, deadline: float | None, data: bytes | None = None,
                        fast: tuple[int, bytes] | None = None) -> Any: ...
        def _pump(self, ready: Callable[[], bool], deadline: float | None = None) -> None: ...
        def _send_packet(self, make: Callable[[], bytes], *, wait: bool = False) -> None: ...

    def _open_stream(
        self, proc: Procedure, plan: _Plan, args: Any, fds: Sequence[int]
    ) -> SyncStream:
        payload = plan.pack(args) if plan.pack is not None else b""
        if self._error is not None:
            raise self._dead_error()
        if fds:
            self._io.check_fds(fds)
        stream = SyncStream(cast("BlockingEngine", self), proc, 0)
        # With the token free (the usual case) we read the reply ourselves,
        # as _call_procedure's hot path: no waiter to make and wake.
        holding = self._token.acquire(False)
        waiter = None if holding else _Waiter()
        try:
            # Registered before the call leaves: data may follow the reply in
            # the same read.
            with self._core_lock:
                if self._error is not None or self._closer is not None:
                    self._refuse()
                serial, packet = self._conn.send_call(
                    proc.program, proc.version, proc.number, payload, fds
                )
                stream.serial = serial
                self._streams[serial] = stream
                if waiter is not None:
                    self._waiters[serial] = waiter
            sent = False
            try:
                self._transmit(packet, fds)
                sent = True
                if waiter is None:
                    result = self._read_reply(serial, None)
                else:
                    result = self._wait_reply(serial, waiter, None)
            except BaseException:
                if holding:
                    holding = False
                    self._release_token()
                if waiter is not None:
                    self._waiters.pop(serial, None)
                if not sent and self._error is not None:
                    # The write failed (which kills the connection):
                    # nothing comes for the stream.
                    self._streams.pop(serial, None)
                    raise
                # Abandoned (Ctrl-C; if while writing, the call is out or
                # queued to leave): the stream's machine answers the late
                # reply (or the daemon's first packet) with an abort.
                stream._abandon(reply_pending=self._conn.is_pending(serial))
                raise
        finally:
            if holding:
                self._release_token()
        # (a plain payload decodes as the reply event's would)
        if type(result) is not bytes and type(result) is not Reply:
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
        # A waiter only once we must sleep: with the token free (the usual
        # case) we read ourselves and nobody has to wake us.
        waiter: _Waiter | None = None
        serial = stream.serial
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
                if waiter is None:
                    # Registered first, then the token tried again (the
                    # order _release_token relies on).
                    waiter = _Waiter()
                    self._stream_waiters[serial] = waiter
                    continue
                if deadline is None:
                    waiter.lock.acquire()
                else:
                    waiter.lock.acquire(timeout=max(deadline - _monotonic(), 0.0))
        finally:
            if waiter is not None:
                self._stream_waiters.pop(serial, None)
                if self._waiters or self._stream_waiters or self._token_waiters:
                    self._hand_on()  # we may have been woken to take the token

    def _stream_send(self, stream: SyncStream, status: int, payload: bytes) -> None:
        proc = stream.procedure
        conn = self._conn
        if status == 2:
            self._send_packet(
                lambda: conn.send_stream_data(
                    proc.program, proc.version, proc.number, stream.serial, payload
                ),
                wait=True,
            )
        elif status == 0:
            self._send_packet(
                lambda: conn.send_stream_end(
                    proc.program, proc.version, proc.number, stream.serial
                ),
                wait=True,
            )
        else:
            self._send_packet(
                lambda: conn.send_stream_abort(
                    proc.program, proc.version, proc.number, stream.serial
                ),
                wait=True,
            )

    def _stream_send_hole(self, stream: SyncStream, length: int, flags: int) -> None:
        proc = stream.procedure
        conn = self._conn
        self._send_packet(
            lambda: conn.send_stream_hole(
                proc.program, proc.version, proc.number, stream.serial, length, flags
            ),
            wait=True,
        )
