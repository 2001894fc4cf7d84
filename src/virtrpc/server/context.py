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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from virtrpc.errors import ConnectionLost, StreamError
from virtrpc.rpc.connection import decode_stream_hole
from virtrpc.rpc.events import MessageEvent, StreamAbort, StreamData, StreamEnd, StreamHole
from virtrpc.rpc.framing import close_fds as _close_all
from virtrpc.rpc.packet import LEGACY_PAYLOAD_MAX, NUM_FDS_MAX, Header
from virtrpc.server.errors import RpcFault, rpc_error

if TYPE_CHECKING:
    from virtrpc.server.client import ServerConnection
    from virtrpc.xdr import Procedure

#: Client-to-server stream packets queued before the server stops reading
#: from that client (back-pressure for uploads).
STREAM_QUEUE_HIGH = 16


@dataclass(frozen=True, slots=True)
class Hole:
    """A hole of ``length`` bytes in a sparse stream."""

    length: int


def close_fds(fds: list[int]) -> None:
    """Close and forget every fd in ``fds``."""
    taken = fds[:]
    fds.clear()
    _close_all(taken)


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
    """

    def __init__(self, client: ServerConnection, header: Header, *, sparse: bool) -> None:
        self.client = client
        self.header = header
        self.sparse = sparse
        self._incoming: asyncio.Queue[MessageEvent | BaseException] = asyncio.Queue()
        self.closed = False
        self.client_finished = False
        #: The client sent its finish or abort while we may still be sending.
        self.client_stopped = False
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.header.prog, self.header.proc, self.header.serial)

    # -- fed by the client dispatcher --------------------------------------

    def feed(self, event: MessageEvent) -> None:
        """Queue a stream packet the client sent for this stream."""
        event.close_fds()
        if isinstance(event, StreamAbort | StreamEnd):
            # Seen at once (not when the queue gets read): a transfer in
            # progress stops at its next send instead of pushing the rest.
            self.client_stopped = True
        self._incoming.put_nowait(event)
        if self._incoming.qsize() >= STREAM_QUEUE_HIGH:
            self.client.pause_reading(self)

    def connection_lost(self, error: BaseException) -> None:
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
        if isinstance(event, StreamData):
            self.bytes_received += len(event.payload)
            return event.payload
        if isinstance(event, StreamHole):
            if not self.sparse:
                await self.fail(rpc_error("Unexpected stream hole"))
                raise StreamError("client sent a hole on a non-sparse stream")
            try:
                length, _flags = decode_stream_hole(event.payload)
            except Exception as exc:
                await self.fail(rpc_error(f"invalid stream hole: {exc}"))
                raise StreamError(str(exc)) from exc
            return Hole(length)
        if isinstance(event, StreamEnd):
            self.client_finished = True
            return None
        if isinstance(event, StreamAbort):
            await self._confirm()
            raise StreamError("stream aborted by the client")
        raise StreamError(f"unexpected stream packet {event!r}")

    # -- outgoing data -----------------------------------------------------

    async def send(self, data: bytes | bytearray | memoryview) -> None:
        """Send data, in chunks of libvirt's stream packet size."""
        view = memoryview(data)
        for start in range(0, len(view), LEGACY_PAYLOAD_MAX):
            if self.client_stopped:
                await self._stopped_by_client()
            chunk = view[start : start + LEGACY_PAYLOAD_MAX]
            self.client.send_stream_data(self.header, chunk)
            self.bytes_sent += len(chunk)
            await self.client.drain()

    async def send_hole(self, length: int) -> None:
        """Send a hole (only on a sparse stream)."""
        if not self.sparse:
            raise StreamError("holes need a sparse stream")
        if self.client_stopped:
            await self._stopped_by_client()
        self.client.send_stream_hole(self.header, length)
        await self.client.drain()

    async def finish(self) -> None:
        """Signal end of data and wait for the client's finish handshake."""
        if self.closed:
            return
        # libvirt marks end of data with an *empty CONTINUE* packet; a STREAM
        # OK from the server only confirms the client's finish or abort.
        self.client.send_stream_data(self.header, b"")
        await self.client.drain()
        while True:
            event = await self._next_event()
            if isinstance(event, StreamEnd | StreamAbort):
                break
            # data the client sent after our EOF: libvirtd ignores it too
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
        self.closed = True
        self.client.send_stream_end(self.header)
        self.client.forget_stream(self)
        await self.client.drain()

    async def fail(self, fault: RpcFault) -> None:
        """Abort the stream with an error the client reports."""
        if self.closed:
            return
        self.closed = True
        self.client.send_stream_error(self.header, fault)
        self.client.forget_stream(self)
        await self.client.drain()

    def discard(self) -> None:
        """Forget the stream without telling the client (the connection is gone)."""
        self.closed = True
        self.client.forget_stream(self)


def describe(procedure: Any) -> str:
    """``name (number)`` of a procedure, for logs."""
    return f"{getattr(procedure, 'name', '?')} ({getattr(procedure, 'number', '?')})"
