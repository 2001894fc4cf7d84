"""Data streams of ``@readstream`` / ``@writestream`` procedures.

A stream procedure (``domain_screenshot``, ``storage_vol_download``,
``storage_vol_upload``, ``domain_open_console``...) returns a :class:`Stream`.
Its :attr:`Stream.reply` holds the procedure's return value; the data then
flows as ``STREAM`` packets carrying the call's serial:

* receiving: ``async for chunk in stream`` yields ``bytes`` until the peer
  sends end-of-stream; holes of sparse streams are expanded to zero bytes
  (like ``virStreamRecv`` without ``VIR_STREAM_RECV_STOP_AT_HOLE``), or
  reported as :class:`Hole` by :meth:`Stream.iter_sparse`;
* sending: ``await stream.send(data)`` (split into chunks libvirt accepts,
  waiting while the socket's send buffer is full: that is the flow control
  libvirt's client applies too) and ``await stream.send_hole(length)``;
* ``await stream.finish()`` sends our end-of-stream and waits for the peer's
  confirmation; ``await stream.abort()`` tells the peer to abort.

``async with stream:`` finishes on normal exit and aborts on an exception.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from virtrpc.errors import ConnectionLost, LocalStreamError, StreamError
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
    from virtrpc.xdr import Procedure

# Hole and STREAM_CHUNK_SIZE live in virtrpc.rpc.stream; re-exported here,
# where the public API has always had them.
__all__ = ["STREAM_CHUNK_SIZE", "Hole", "Stream"]

#: Size of zero-filled chunks yielded when a hole is expanded.
_ZERO_CHUNK = bytes(STREAM_CHUNK_SIZE)
_DELIVER = Disposition.DELIVER
_ABORT = Disposition.ABORT


class StreamOwner(Protocol):
    """What a :class:`Stream` needs from the client that created it."""

    async def _stream_send(self, stream: Stream, status: int, payload: bytes) -> None: ...

    async def _stream_send_hole(self, stream: Stream, length: int, flags: int) -> None: ...

    def _stream_closed(self, stream: Stream) -> None: ...

    def _stream_abort_now(self, stream: Stream) -> None: ...


class Stream:
    """One data stream, bound to the serial of the call that opened it.

    Its rules are a client-role :class:`~virtrpc.rpc.stream.StreamMachine`
    (``machine``); this class keeps the received data and the waiting."""

    def __init__(self, owner: StreamOwner, procedure: Procedure, serial: int) -> None:
        self._owner = owner
        self.procedure = procedure
        self.serial = serial
        self._reply: Any = None
        #: The stream's state (see virtrpc.rpc.stream).
        self.machine = StreamMachine(StreamRole.CLIENT, label=f"stream {procedure.name}")
        self._incoming: collections.deque[bytes | Hole] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._confirmation: asyncio.Future[None] | None = None
        # Called (on the loop) after every arrival: data, a hole, the end or
        # an error.  See set_listener.
        self._listener: Callable[[], None] | None = None

    # -- state -------------------------------------------------------------
    @property
    def reply(self) -> Any:
        """The procedure's return value (set once the call's reply arrived)."""
        return self._reply

    @reply.setter
    def reply(self, value: Any) -> None:
        # The client sets it when the opening call's reply arrived: that is
        # the machine's open reply.
        self._reply = value
        self.machine.process(StreamInput.OPEN_OK)

    @property
    def closed(self) -> bool:
        """True once the stream finished, was aborted or failed."""
        return self.machine.ended

    def set_listener(self, listener: Callable[[], None] | None) -> None:
        """Have ``listener()`` called (on the loop) after every arrival (data,
        a hole, the end or an error), as :class:`SyncStream` has it: the
        compatible API's stream event callbacks use it.  ``None`` removes it."""
        self._listener = listener

    def ready(self) -> bool:
        """Whether a receive would return at once (data, a hole, the end or an error)."""
        return bool(self._incoming) or self._error is not None or self.machine.remote_done \
            or self.closed

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Stream {self.procedure.name} serial={self.serial} {state}>"

    # -- the opener gave up ---------------------------------------------------
    def _abandon(self) -> None:
        """The opening call was cancelled before its reply was taken.  The
        late reply comes to :meth:`_late_open_reply` (the client hands a
        reply nobody waits for to the stream of its serial): the machine
        answers it with an abort if the daemon opened the stream (an upload
        stream would otherwise stay open on the daemon until the connection
        closes: the daemon waits for our data and sends nothing)."""
        machine = self.machine
        if machine.ended or machine.state in (StreamState.ABANDONED, StreamState.ABORTING):
            return  # ended meanwhile, or the late reply was handled already
        if machine.state is not StreamState.OPENING:
            # Its first packets came already: the daemon opened it.
            machine.process(StreamInput.SEND_ABORT)
            self._act(Disposition.ABORT)
            return
        machine.process(StreamInput.ABANDON)

    def _late_open_reply(self, result: bytes | MessageEvent) -> None:
        """The reply to an opening call nobody waits for any more (its
        opener was cancelled): a payload, or a reply event."""
        failed = False
        if isinstance(result, MessageEvent):
            result.close_fds()
            failed = type(result) is not Reply
        if self.machine.state is StreamState.OPENING:
            # The opener's wait was cancelled, its task has not run yet.
            self.machine.process(StreamInput.ABANDON)
        if self.machine.state is StreamState.ABANDONED:
            self._act(
                self.machine.process(StreamInput.OPEN_FAILED if failed else StreamInput.OPEN_OK)
            )

    def _act(self, disposition: Disposition) -> None:
        """Carry out what the machine decided beyond queueing (for a stream
        nobody reads: an abandoned one)."""
        if disposition is Disposition.ABORT:
            # The daemon opened a stream nobody wants: abort it there, and
            # keep the stream registered for the daemon's last packet.
            self._owner._stream_abort_now(self)
        if self.machine.ended:
            self._owner._stream_closed(self)

    # -- called by the client's receive path -------------------------------
    def _feed_data(self, data: bytes) -> None:
        # libvirtd ends its side of a stream with an EMPTY STREAM/CONTINUE
        # packet ("read EOF"); STREAM/OK only confirms our finish or abort.
        disposition = self.machine.receive_data(data)
        if disposition is _DELIVER:
            if data:
                self._incoming.append(data)
            self._wake()
        elif disposition is _ABORT:
            self._act(disposition)

    def _feed_hole(self, length: int) -> None:
        disposition = self.machine.receive_hole()
        if disposition is _DELIVER:
            self._incoming.append(Hole(length))
            self._wake()
        elif disposition is _ABORT:
            self._act(disposition)

    def _feed_end(self) -> None:
        """The peer sent STREAM/OK: the confirmation of our finish (or, from
        peers that do so, its own end-of-stream)."""
        ended = self.machine.ended
        if self.machine.receive_ok() is _ABORT:
            self._act(_ABORT)
        self._after_input(ended, None)

    def _feed_error(self, error: BaseException) -> None:
        """The peer aborted (STREAM/ERROR) or the connection died."""
        if self._error is None:
            self._error = error
        ended = self.machine.ended
        self.machine.process(
            StreamInput.CONNECTION_LOST
            if isinstance(error, ConnectionLost)
            else StreamInput.RECV_ABORT
        )
        self._after_input(ended, error)

    def _after_input(self, was_ended: bool, error: BaseException | None) -> None:
        if self.machine.ended and not was_ended:
            self._settle(error)
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._listener is not None:
            self._listener()

    def _settle(self, error: BaseException | None) -> None:
        """The stream ended: leave the client's table, answer finish()/abort()."""
        self._owner._stream_closed(self)
        confirmation = self._confirmation
        if confirmation is not None and not confirmation.done():
            if error is None:
                confirmation.set_result(None)
            else:
                confirmation.set_exception(error)

    # -- receiving ------------------------------------------------------------
    async def _next_item(self) -> bytes | Hole | None:
        """The next data chunk or hole; None at end of stream."""
        while True:
            if self._incoming:
                return self._incoming.popleft()
            if self._error is not None:
                raise self._error
            if self.machine.remote_done:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    async def recv(self) -> bytes:
        """The next chunk of data (holes as zeros); ``b""`` at end of stream."""
        item = await self._next_item()
        if item is None:
            return b""
        if isinstance(item, Hole):
            return self._expand_hole(item)
        return item

    def _expand_hole(self, hole: Hole) -> bytes:
        if hole.length <= STREAM_CHUNK_SIZE:
            return _ZERO_CHUNK[: hole.length]
        # Give back one chunk now and keep the rest of the hole queued.
        self._incoming.appendleft(Hole(hole.length - STREAM_CHUNK_SIZE))
        return _ZERO_CHUNK

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter_bytes()

    async def _iter_bytes(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self.recv()
            if not chunk:
                return
            yield chunk

    async def iter_sparse(self) -> AsyncIterator[bytes | Hole]:
        """Yield data chunks and :class:`Hole` objects as the peer sent them."""
        while True:
            item = await self._next_item()
            if item is None:
                return
            yield item

    async def read_all(self) -> bytes:
        """Everything until end of stream (holes as zeros)."""
        return b"".join([chunk async for chunk in self])

    # -- sending ----------------------------------------------------------------
    def _start_send(self, event: StreamInput) -> None:
        """Move the machine for a send; the peer's error first, then our misuse."""
        if self._error is not None:
            raise StreamError(
                f"stream {self.procedure.name} failed: {self._error}"
            ) from self._error
        try:
            self.machine.process(event)
        except LocalStreamError as exc:
            raise LocalStreamError(f"stream {self.procedure.name} is already finished") from exc

    async def send(self, data: bytes | bytearray | memoryview) -> None:
        """Send data, split into packets of at most :data:`STREAM_CHUNK_SIZE`."""
        self._start_send(StreamInput.SEND_DATA)
        view = memoryview(data).cast("B")
        for start in range(0, len(view), STREAM_CHUNK_SIZE):
            await self._owner._stream_send(
                self, _CONTINUE, bytes(view[start : start + STREAM_CHUNK_SIZE])
            )

    async def send_hole(self, length: int, flags: int = 0) -> None:
        """Send a hole of ``length`` bytes (sparse streams only)."""
        self._start_send(StreamInput.SEND_HOLE)
        if length < 0:
            raise StreamError(f"negative hole length {length}")
        await self._owner._stream_send_hole(self, length, flags)

    async def finish(self) -> None:
        """Send end-of-stream and wait for the peer's confirmation.

        Raises the peer's error (``LibvirtError``) if it aborted the stream.
        """
        if self.machine.ended:
            if self._error is not None and not isinstance(self._error, _AbortedByUs):
                raise self._error
            return
        if self._error is not None:
            raise self._error
        if not self.machine.finish_sent:
            self.machine.process(StreamInput.SEND_FINISH)
            self._confirmation = asyncio.get_running_loop().create_future()
            await self._owner._stream_send(self, _OK, b"")
        assert self._confirmation is not None
        await self._confirmation

    async def abort(self) -> None:
        """Abort the stream; the peer discards what it has not processed."""
        if self.machine.ended:
            return
        aborted = _AbortedByUs(f"stream {self.procedure.name} aborted")
        if self._error is None:
            self._error = aborted
        if self.machine.state is not StreamState.ABORTING:
            self.machine.process(StreamInput.SEND_ABORT)
        self._confirmation = asyncio.get_running_loop().create_future()
        try:
            await self._owner._stream_send(self, _ERROR, b"")
            # The daemon answers an abort with a final STREAM packet; wait for it
            # so that the serial is not reused while the daemon still knows it.
            await asyncio.wait_for(asyncio.shield(self._confirmation), timeout=_ABORT_REPLY_TIMEOUT)
        except Exception:
            # The daemon answers an abort with an error by design; a timeout or
            # a dead connection leaves nothing more to do either.
            pass
        finally:
            self._wake()
            if not self.machine.ended:
                self.machine.process(StreamInput.FORGET)
                self._settle(aborted)
            confirmation = self._confirmation
            if confirmation is not None and confirmation.done() and not confirmation.cancelled():
                # Retrieve the exception so asyncio does not log it as unhandled.
                confirmation.exception()

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.finish()
        else:
            await self.abort()


class _AbortedByUs(StreamError):
    """Raised from receive calls after the local side aborted the stream."""


_OK = 0
_ERROR = 1
_CONTINUE = 2
_ABORT_REPLY_TIMEOUT = 5.0
