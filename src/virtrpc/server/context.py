"""What a handler sees of one call: :class:`CallContext` and :class:`ServerStream`.

File descriptor ownership (the rule handlers must follow):

* fds that came with a ``CALL_WITH_FDS`` are in ``ctx.fds``.  A handler that
  keeps some calls :meth:`CallContext.take_fds` and from then on owns them
  (must close them eventually).  Whatever is still in ``ctx.fds`` when the
  handler returns or raises is closed by the framework, as libvirtd does.
* fds a handler returns go through :meth:`CallContext.reply_with_fds`: the
  framework owns them from that call on, sends them with ``REPLY_WITH_FDS``
  and closes its copies once sent (or if the reply fails).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from virtrpc.errors import ConnectionLost, RemoteStreamError, StreamError
from virtrpc.rpc.connection import decode_stream_hole
from virtrpc.rpc.events import MessageEvent, StreamAbort, StreamData, StreamEnd, StreamHole
from virtrpc.rpc.framing import close_fds
from virtrpc.rpc.packet import NUM_FDS_MAX, Header
from virtrpc.rpc.stream import (
    STREAM_CHUNK_SIZE,
    Disposition,
    Hole,
    StreamInput,
    StreamMachine,
    StreamRole,
    StreamState,
)
from virtrpc.server.errors import RpcFault, rpc_error

if TYPE_CHECKING:
    from virtrpc.server.client import ServerConnection
    from virtrpc.xdr import Procedure

#: Client-to-server stream packets queued before the server stops reading
#: from that client (back-pressure for uploads).
STREAM_QUEUE_HIGH = 16


__all__ = ["STREAM_QUEUE_HIGH", "CallContext", "Hole", "ServerStream", "close_fds", "describe"]

class CallContext:
    """One call being served: who called, what, with which fds."""

    __slots__ = ("_after_reply", "_reply_fds", "client", "fds", "header", "procedure", "stream")

    def __init__(
        self,
        client: ServerConnection,
        procedure: Procedure,
        header: Header,
        fds: list[int],
        stream: ServerStream | None,
    ) -> None:
        self.client = client
        self.procedure = procedure
        self.header = header
        #: fds received with the call (see the module docstring for ownership).
        self.fds = fds
        #: the stream of a ``@readstream``/``@writestream`` procedure, else None.
        self.stream = stream
        self._reply_fds: list[int] = []
        self._after_reply: Callable[[], Awaitable[None]] | None = None

    @property
    def readonly(self) -> bool:
        """Whether the client connected through a read-only socket."""
        return self.client.readonly

    def take_fds(self) -> list[int]:
        """Take ownership of the fds received with the call."""
        fds, self.fds = self.fds, []
        return fds

    def reply_with_fds(self, fds: list[int]) -> None:
        """Send ``fds`` with the reply (``REPLY_WITH_FDS``); the framework owns
        them from now on and closes them after sending."""
        if len(self._reply_fds) + len(fds) > NUM_FDS_MAX:
            close_fds(fds)
            fds.clear()  # ownership moved here: the caller must not close them again
            raise rpc_error(f"cannot send more than {NUM_FDS_MAX} file descriptors")
        self._reply_fds.extend(fds)

    @property
    def has_reply_fds(self) -> bool:
        """Whether :meth:`reply_with_fds` was called."""
        return bool(self._reply_fds)

    def take_reply_fds(self) -> list[int]:
        fds, self._reply_fds = self._reply_fds, []
        return fds

    def after_reply(self, body: Callable[[], Awaitable[None]]) -> None:
        """Run ``body`` (typically the stream transfer) once the reply is sent.

        If the body raises :class:`RpcFault` the stream is aborted with it.
        """
        self._after_reply = body

    def take_after_reply(self) -> Callable[[], Awaitable[None]] | None:
        body, self._after_reply = self._after_reply, None
        return body


class ServerStream:
    """The server end of a data stream opened by a stream procedure.

    Outgoing (``@readstream``: server to client): :meth:`send`,
    :meth:`send_hole`, then :meth:`finish` (end of data, waits for the
    client's confirmation).  Incoming (``@writestream``): :meth:`receive`
    until it returns ``None`` (client finished), then :meth:`close`
    to confirm; or :meth:`fail` to refuse with an error.  A console uses both
    directions.  A client abort or disconnect makes :meth:`receive` raise
    :class:`~virtrpc.errors.StreamError` and :meth:`send` raise
    :class:`~virtrpc.errors.ConnectionLost`.

    The rules are a server-role :class:`~virtrpc.rpc.stream.StreamMachine`
    (``machine``), moved as packets arrive (so a transfer in progress sees a
    client's finish or abort at its next send); this class queues what
    arrived for :meth:`receive`.
    """

    def __init__(self, client: ServerConnection, header: Header, *, sparse: bool) -> None:
        self.client = client
        self.header = header
        self.sparse = sparse
        self.machine = StreamMachine(
            StreamRole.SERVER, sparse=sparse, label=f"stream of proc {header.proc}"
        )
        # What arrived, for receive(): events the machine delivered, the
        # peer's rule breaks (RemoteStreamError) and the connection's loss.
        self._incoming: asyncio.Queue[MessageEvent | BaseException] = asyncio.Queue()
        #: The client finished its side and receive() has returned None.
        self.client_finished = False
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.header.prog, self.header.proc, self.header.serial)

    @property
    def closed(self) -> bool:
        """Confirmed, failed or forgotten: the client hears nothing more."""
        return self.machine.ended

    @property
    def client_stopped(self) -> bool:
        """The client sent its finish or abort while we may still be sending."""
        return self.machine.state in (StreamState.REMOTE_FINISHED, StreamState.REMOTE_ABORTED)

    # -- fed by the client dispatcher --------------------------------------

    def feed(self, event: MessageEvent) -> None:
        """Take a stream packet the client sent for this stream."""
        event.close_fds()
        machine = self.machine
        try:
            if isinstance(event, StreamData):
                disposition = machine.receive_data(event.payload)
            elif isinstance(event, StreamHole):
                disposition = machine.receive_hole()
            elif isinstance(event, StreamEnd):
                disposition = machine.receive_ok()
            else:
                disposition = machine.receive_error()
        except RemoteStreamError as exc:
            # The client broke the stream's rules: receive() fails the stream.
            self._incoming.put_nowait(exc)
            return
        if disposition is not Disposition.DELIVER:
            return
        self._incoming.put_nowait(event)
        if self._incoming.qsize() >= STREAM_QUEUE_HIGH:
            self.client.pause_reading(self)

    def connection_lost(self, error: BaseException) -> None:
        self.machine.process(StreamInput.CONNECTION_LOST)
        self._incoming.put_nowait(error)

    async def _next_event(self) -> MessageEvent:
        if self._incoming.qsize() <= STREAM_QUEUE_HIGH // 2:
            self.client.resume_reading(self)
        item = await self._incoming.get()
        if isinstance(item, BaseException):
            self._incoming.put_nowait(item)  # later calls see it too
            raise item
        return item

    # -- incoming data -----------------------------------------------------

    async def receive(self) -> bytes | Hole | None:
        """The next piece the client sent: bytes, a :class:`Hole`, or ``None``
        once the client finished its side."""
        if self.client_finished:
            return None
        try:
            event = await self._next_event()
        except ConnectionLost as exc:
            raise StreamError(f"client went away: {exc}") from exc
        except RemoteStreamError as exc:
            # (a hole on a stream that is not sparse, in libvirt's words)
            await self.fail(rpc_error(str(exc)))
            raise StreamError(f"client broke the stream's rules: {exc}") from exc
        if isinstance(event, StreamData):
            self.bytes_received += len(event.payload)
            return event.payload
        if isinstance(event, StreamHole):
            try:
                length, _flags = decode_stream_hole(event.payload)
            except Exception as exc:
                await self.fail(rpc_error(f"invalid stream hole: {exc}"))
                raise StreamError(str(exc)) from exc
            return Hole(length)
        if isinstance(event, StreamEnd):
            self.client_finished = True
            return None
        await self._confirm()  # StreamAbort: libvirtd confirms it too
        raise StreamError("stream aborted by the client")

    # -- outgoing data -----------------------------------------------------

    async def send(self, data: bytes | bytearray | memoryview) -> None:
        """Send data, in chunks of libvirt's stream packet size."""
        view = memoryview(data)
        for start in range(0, len(view), STREAM_CHUNK_SIZE):
            if self.client_stopped:
                await self._stopped_by_client()
            self.machine.process(StreamInput.SEND_DATA)
            chunk = view[start : start + STREAM_CHUNK_SIZE]
            self.client.send_stream_data(self.header, chunk)
            self.bytes_sent += len(chunk)
            await self.client.drain()

    async def send_hole(self, length: int) -> None:
        """Send a hole (only on a sparse stream)."""
        if not self.sparse:
            raise StreamError("holes need a sparse stream")
        if self.client_stopped:
            await self._stopped_by_client()
        self.machine.process(StreamInput.SEND_HOLE)
        self.client.send_stream_hole(self.header, length)
        await self.client.drain()

    async def finish(self) -> None:
        """Signal end of data and wait for the client's finish handshake."""
        if self.closed:
            return
        # libvirt marks end of data with an *empty CONTINUE* packet; a STREAM
        # OK from the server only confirms the client's finish or abort.
        self.machine.process(StreamInput.SEND_FINISH)
        self.client.send_stream_data(self.header, b"")
        await self.client.drain()
        while True:
            event = await self._next_event()
            if isinstance(event, StreamEnd | StreamAbort):
                break
            # data the client sent before our EOF reached it: libvirtd ignores it too
        await self._confirm()

    async def _stopped_by_client(self) -> None:
        """The client finished or aborted mid-transfer: confirm, then stop the sender."""
        await self._confirm()
        raise StreamError("the client ended the stream before the server did")

    async def close(self) -> None:
        """Confirm the client's finish (after :meth:`receive` returned ``None``)."""
        await self._confirm()

    async def _confirm(self) -> None:
        if self.closed:
            return
        self.machine.process(StreamInput.SEND_CLOSE)
        self.client.send_stream_end(self.header)
        self.client.forget_stream(self)
        await self.client.drain()

    async def fail(self, fault: RpcFault) -> None:
        """Abort the stream with an error the client reports."""
        if self.closed:
            return
        self.machine.process(StreamInput.SEND_ABORT)
        self.client.send_stream_error(self.header, fault)
        self.client.forget_stream(self)
        await self.client.drain()

    def discard(self) -> None:
        """Forget the stream without telling the client (the connection is gone)."""
        self.machine.process(StreamInput.FORGET)
        self.client.forget_stream(self)


def describe(procedure: Any) -> str:
    """``name (number)`` of a procedure, for logs."""
    return f"{getattr(procedure, 'name', '?')} ({getattr(procedure, 'number', '?')})"
