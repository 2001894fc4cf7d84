"""One connected client of a :class:`~virtrpc.server.server.Server`.

:class:`ServerConnection` is the transport receiver of an accepted socket,
the server's role on the endpoint base shared with the client
(:class:`virtrpc.endpoint.AsyncEndpoint`: the server-role core, the stream
registry, the event table, keepalive, teardown).  What is the server's own:
dispatching calls to the registered programs, answering them, and the
per-client limits the way libvirtd applies them (at ``max_client_requests``
calls in flight it stops reading; what one read brought beyond that waits
in the core's queue, see :meth:`~virtrpc.rpc.connection.Connection.put_back`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from virtrpc.endpoint import AsyncEndpoint, close_fds
from virtrpc.errors import ConnectionLost, ProtocolError, StreamError, VirtrpcError
from virtrpc.rpc.connection import Connection, Role, encode_reply
from virtrpc.rpc.events import (
    Call,
    ConnectionClosed,
    Event,
    MessageEvent,
    ProtocolViolation,
    UnexpectedMessage,
)
from virtrpc.rpc.keepalive import KeepaliveMonitor
from virtrpc.rpc.packet import Header, MessageType, Status, encode_packet
from virtrpc.server.context import CallContext, ServerStream
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault, rpc_error
from virtrpc.server.program import readonly_denied

if TYPE_CHECKING:
    from virtrpc.server.server import Server
    from virtrpc.transport.base import Transport
    from virtrpc.xdr import Procedure

log = logging.getLogger("virtrpc.server")

_monotonic = time.monotonic

# What decoding peer-supplied args may raise.
_DECODE_ERRORS = (VirtrpcError, ValueError, UnicodeDecodeError, struct.error)


def encode_error(fault: RpcFault) -> bytes:
    """Encode ``virNetMessageError`` (== ``remote_error``) for a fault: the one
    codec, :meth:`virtrpc.errors.LibvirtError.to_wire` (it needs no generated
    tables, so error replies work for any program)."""
    return fault.to_wire()


class ServerConnection(AsyncEndpoint[ServerStream]):
    """The server's end of one client connection (a transport receiver)."""

    _EVENT_HANDLERS = {
        **AsyncEndpoint._EVENT_HANDLERS,
        Call: "_on_call",
        UnexpectedMessage: "_unexpected",
    }

    def __init__(self, server: Server, *, readonly: bool, peer: str) -> None:
        super().__init__(Role.SERVER, asyncio.get_running_loop())
        self.server = server
        self.readonly = readonly
        self.peer = peer
        #: Free for programs to keep per-client state (e.g. the test driver's
        #: open connection and event registrations).
        self.data: dict[str, Any] = {}
        self.authenticated = True  # the server only offers auth "none"
        #: The DN of a TLS client's verified certificate (libvirtd's
        #: x509dname identity), e.g. ``C=GB,O=Example,CN=client1``; None for
        #: other transports.
        self.peer_dn: str | None = None
        self.closed = self._loop.create_future()
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stream_tasks: set[asyncio.Task[None]] = set()
        self._calls_done = asyncio.Event()
        self._calls_done.set()
        self._pausers: set[object] = set()
        self._closing = False
        self._max_requests = server.limits.max_client_requests
        # The core hands out at most this many events per read; the rest of
        # a read (pipelined calls) waits in its queue (libvirtd reads one
        # message at a time and stops reading at the limit).
        self._conn.set_max_events(self._max_requests)

    @property
    def conn(self) -> Connection:
        """The sans-I/O core of this connection."""
        return self._conn

    @property
    def transport(self) -> Transport | None:
        return self._transport

    # -- transport callbacks ---------------------------------------------------

    def connection_made(self, transport: Transport) -> None:
        self._transport = transport
        extra_info = getattr(transport, "get_extra_info", None)
        if extra_info is None:
            return
        peer_dn = extra_info("peer_dn")
        if isinstance(peer_dn, str):
            # A TLS session: its listener could only label the client "tls"
            # before the session existed; name the address and certificate now.
            self.peer_dn = peer_dn
            address = extra_info("peername")
            if isinstance(address, tuple) and len(address) >= 2:
                self.peer = f"{self.peer} {address[0]}:{address[1]}"
            log.info("client %s: TLS certificate %s", self.peer, peer_dn)

    def data_received(self, data: bytes, fds: list[int]) -> None:
        if self._keepalive is not None:
            # Only while keepalive runs (a clock read per call shows in the
            # call rate); start_keepalive stamps the start.
            self._last_rx = _monotonic()
        if not fds and self._in_flight < self._max_requests:
            # The hot path: one plain call per read (nothing queued in the
            # core, which receive_call checks), dispatched without an event.
            fast = self._conn.receive_call(data)
            if fast is not None:
                self._dispatch_call(fast[0], fast[1], [])
                return
        self._handle_events(self._conn.receive_data(data, fds))

    def eof_received(self) -> None:
        self._handle_events(self._conn.receive_eof())

    def connection_lost(self, exc: BaseException | None) -> None:
        self._teardown(exc)

    # -- events ---------------------------------------------------------------

    def _handle_events(self, events: list[Event]) -> None:
        """Dispatch events in wire order while calls may start; at the limit
        the rest goes back to the core's queue until a call finishes."""
        conn = self._conn
        limit = self._max_requests
        while events:
            for index, event in enumerate(events):
                if self._in_flight >= limit:
                    conn.put_back(events[index:])
                    return
                self._dispatch(event)
            if self._closing:
                return  # the core's teardown closes what is still queued
            events = conn.next_events()

    def _drain_queue(self) -> None:
        if not self._closing:
            self._handle_events(self._conn.next_events())
        if not self._conn.queued_events:
            if self._in_flight == 0:
                self._calls_done.set()
            if self._in_flight < self._max_requests:
                self.resume_reading(self)

    # -- the endpoint's event table: what is the server's own ------------------

    def _on_call(self, event: Call) -> None:
        self._dispatch_call(event.header, event.payload, event.take_fds())

    def _on_protocol_violation(self, event: ProtocolViolation) -> None:
        log.info("client %s: protocol violation: %s", self.peer, event.error)
        self.close(immediately=True)

    def _on_peer_closed(self, event: ConnectionClosed) -> None:
        self.close()

    def _feed_stream(self, stream: ServerStream, event: MessageEvent) -> None:
        header = event.header
        stream_header = stream.header
        # Stream packets may still arrive after a stream ended, and one that
        # names another procedure is not this stream's: libvirtd ignores both.
        if stream.closed or header[0] != stream_header[0] or header[2] != stream_header[2]:
            return
        stream.feed(event)

    def _send_control(self, make: Callable[[], bytes]) -> None:
        self._write(make())

    def _unexpected(self, event: UnexpectedMessage) -> None:
        header = event.header
        event.close_fds()
        if header.type in (MessageType.CALL, MessageType.CALL_WITH_FDS):
            # Only a call with a status other than OK ends up here.
            self._send_fault(header, rpc_error(f"Unexpected message status {header.status}"))
        else:
            # libvirtd drops replies, events and unknown types from a client
            # without answering and keeps the connection.
            log.info("client %s: dropping unexpected message type %d proc %d",
                     self.peer, header.type, header.proc)

    # -- calls ----------------------------------------------------------------

    def _dispatch_call(self, header: Header, payload: bytes, fds: list[int]) -> None:
        """Serve one call; ``fds`` (received with it) are owned from here on."""
        plan = self.server.plan_for(header[0], header[1], header[2])
        if plan is None:
            close_fds(fds)
            fault = self._refusal(header, payload)
            # Logged so that tracing what a new client needs is easy (-v).
            log.info("client %s: prog %#x vers %d proc %d refused: %s", self.peer, header[0],
                     header[1], header[2], fault.message)
            self._send_fault(header, fault)
            return
        procedure = plan.procedure
        # libvirtd's order: decode the args, then (in libvirt's public API)
        # refuse writes on a read-only connection, then ask the driver.
        try:
            args = plan.unpack(payload) if plan.unpack is not None else None
        except _DECODE_ERRORS:
            close_fds(fds)
            self._send_fault(header, rpc_error("Unable to decode message payload"))
            return
        if self.readonly and not plan.readonly_ok:
            close_fds(fds)
            self._send_fault(header, readonly_denied(procedure.name))
            return
        stream: ServerStream | None = None
        if procedure.stream is not None:
            stream = ServerStream(self, header, sparse=self._wants_sparse(procedure, args))
            self._register_stream(header[4], stream)
        ctx = CallContext(self, procedure, header, fds, stream)
        try:
            result = plan.handler(ctx, args)
        except BaseException as exc:
            self._finish_call(ctx, None, exc)
            return
        # (hasattr on the instance: on the type, a miss formats an AttributeError,
        # ~0.4 us per call)
        if plan.is_async or (result is not None and hasattr(result, "__await__")):
            # Only calls that really wait count against max_client_requests:
            # a plain handler has answered before the next message is read.
            self._in_flight += 1
            self._calls_done.clear()
            if self._in_flight >= self._max_requests:
                self.pause_reading(self)
            self._spawn(self._await_call(ctx, result))
            return
        if stream is None and not ctx.fds and not ctx.has_reply_fds and not self._closing:
            # The hot path: encode and write the reply right here.
            try:
                reply = plan.pack(result) if plan.pack is not None else b""
            except Exception as exc:
                log.exception("handler %s returned a value that does not encode", procedure.name)
                self._send_fault(header, self._fault_for(exc, procedure))
                return
            transport = self._transport
            if transport is not None:
                # The core's encoder (the one for replies of both ends; it
                # does not look at the machine's state, the call was
                # received whole); not contextlib.suppress: a context manager per reply
                # shows in the call rate.
                try:
                    transport.write(encode_reply(header, reply))
                except ConnectionLost:
                    pass  # a gone client needs no answer
                except ProtocolError as exc:  # a reply over the size limit
                    self._send_fault(header, self._fault_for(exc, procedure))
            return
        self._finish_call(ctx, result, None)

    def _refusal(self, header: Header, payload: bytes) -> RpcFault:
        """The error for a call without a handler, in libvirtd's order: args
        that do not decode, then a write on a read-only connection, then
        "unknown procedure" / "not supported" (the server's dispatch error)."""
        service = self.server.program_for(header.prog, header.vers)
        procedure = service.procedure(header.proc) if service is not None else None
        if service is not None and procedure is not None:
            if procedure.args is not None:
                try:
                    procedure.args.unpack(payload)
                except _DECODE_ERRORS:
                    return rpc_error("Unable to decode message payload")
            if self.readonly and not service.readonly_policy(procedure):
                return readonly_denied(procedure.name)
        return self.server.dispatch_error(header)

    @staticmethod
    def _wants_sparse(procedure: Procedure, args: Any) -> bool:
        if procedure.sparseflag is None:
            return False
        flags = getattr(args, "flags", 0)
        # Both libvirt sparse flags (VIR_STORAGE_VOL_{UP,DOWN}LOAD_SPARSE_STREAM) are 1.
        return bool(flags & 1)

    async def _await_call(self, ctx: CallContext, pending: Awaitable[Any]) -> None:
        try:
            try:
                result = await pending
            except asyncio.CancelledError:
                self._finish_call(ctx, None, ConnectionLost("call cancelled"))
                raise
            except BaseException as exc:
                self._finish_call(ctx, None, exc)
                return
            self._finish_call(ctx, result, None)
        finally:
            self._call_done()

    def _finish_call(self, ctx: CallContext, result: Any, error: BaseException | None) -> None:
        close_fds(ctx.take_fds())
        header = ctx.header
        procedure = ctx.procedure
        reply_fds = ctx.take_reply_fds()
        try:
            if error is None:
                try:
                    payload = procedure.ret.pack(result) if procedure.ret is not None else b""
                except Exception as exc:
                    log.exception("handler %s returned a value that does not encode",
                                  procedure.name)
                    error = exc
                else:
                    if not self._closing:
                        self._write(self._conn.send_reply(header, payload, reply_fds), reply_fds)
            if error is not None:
                if ctx.stream is not None:
                    ctx.stream.discard()
                self._send_fault(header, self._fault_for(error, procedure))
                return
        except ConnectionLost:
            return
        finally:
            close_fds(reply_fds)
        body = ctx.take_after_reply()
        if body is not None:
            self._spawn(self._run_after_reply(ctx, body), self._stream_tasks)
        elif ctx.stream is not None and procedure.stream is not None:
            ctx.stream.discard()

    def _call_done(self) -> None:
        self._in_flight -= 1
        if self._conn.queued_events:
            self._loop.call_soon(self._drain_queue)
            return
        if self._in_flight == 0:
            self._calls_done.set()
        if self._in_flight < self._max_requests and self._pausers:
            self.resume_reading(self)

    async def _run_after_reply(self, ctx: CallContext, body: Any) -> None:
        stream = ctx.stream
        try:
            await body()
        except RpcFault as fault:
            if stream is not None:
                await self._fail_stream(stream, fault)
        except (ConnectionLost, StreamError) as exc:
            log.debug("client %s: stream of %s ended: %s", self.peer, ctx.procedure.name, exc)
            if stream is not None:
                stream.discard()
        except asyncio.CancelledError:
            if stream is not None:
                stream.discard()
            raise
        except Exception as exc:
            log.exception("stream body of %s failed", ctx.procedure.name)
            if stream is not None:
                await self._fail_stream(stream, self._fault_for(exc, ctx.procedure))
        else:
            if stream is not None and not stream.closed:
                stream.discard()

    async def _fail_stream(self, stream: ServerStream, fault: RpcFault) -> None:
        try:
            await stream.fail(fault)
        except ConnectionLost:
            stream.discard()

    @staticmethod
    def _fault_for(error: BaseException, procedure: Procedure) -> RpcFault:
        if isinstance(error, RpcFault):
            return error
        if isinstance(error, ConnectionLost):
            return RpcFault(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, f"internal error: {error}")
        log.error("handler %s failed", procedure.name, exc_info=error)
        return RpcFault(
            ErrorCode.INTERNAL_ERROR,
            ErrorDomain.RPC,
            f"internal error: {procedure.name} failed: {type(error).__name__}: {error}",
        )

    def _send_fault(self, header: Header, fault: RpcFault) -> None:
        if self._closing:
            return
        mtype = MessageType.STREAM if header.type == MessageType.STREAM else MessageType.REPLY
        packet = encode_packet(header.prog, header.vers, header.proc, mtype, header.serial,
                               Status.ERROR, encode_error(fault))
        with contextlib.suppress(ConnectionLost):  # a gone client needs no answer
            self._write(packet)

    def _spawn(self, coroutine: Any, tasks: set[asyncio.Task[None]] | None = None) -> None:
        task: asyncio.Task[None] = self._loop.create_task(coroutine)
        bucket = self._tasks if tasks is None else tasks
        bucket.add(task)
        task.add_done_callback(bucket.discard)

    # -- sending --------------------------------------------------------------

    def _write(self, data: bytes, fds: Sequence[int] = ()) -> None:
        transport = self._transport
        if transport is None or self._closing:
            raise ConnectionLost("client connection is closed")
        transport.write(data, fds)
        if transport.get_write_buffer_size() > self.server.limits.max_output_buffer:
            # A client that never reads (while we keep sending events or
            # stream data) must not make the server buffer without bound.
            log.warning("client %s: too much unread output, disconnecting", self.peer)
            self.close(immediately=True)

    async def drain(self) -> None:
        """Wait until the client has read most of what was sent to it."""
        transport = self._transport
        if transport is None or self._closing:
            raise ConnectionLost("client connection is closed")
        await transport.drain()

    def send_event(self, procedure: Procedure, message: Any) -> bool:
        """Send an event message (``procedure`` is an event procedure, ``message``
        its args object).  Returns False if the client is gone."""
        if self._closing:
            return False
        payload = procedure.args.pack(message) if procedure.args is not None else b""
        try:
            self._write(self._conn.send_event(procedure.program, procedure.version,
                                             procedure.number, payload))
        except ConnectionLost:
            return False
        return True

    def send_stream_data(self, header: Header, data: bytes | memoryview) -> None:
        self._write(self._conn.send_stream_data(header.prog, header.vers, header.proc,
                                               header.serial, data))

    def send_stream_hole(self, header: Header, length: int) -> None:
        self._write(self._conn.send_stream_hole(header.prog, header.vers, header.proc,
                                               header.serial, length))

    def send_stream_end(self, header: Header) -> None:
        self._write(self._conn.send_stream_end(header.prog, header.vers, header.proc,
                                              header.serial))

    def send_stream_error(self, header: Header, fault: RpcFault) -> None:
        self._write(self._conn.send_stream_abort(header.prog, header.vers, header.proc,
                                                header.serial, encode_error(fault)))

    def forget_stream(self, stream: ServerStream) -> None:
        self._forget_stream(stream.header.serial, stream)
        self.resume_reading(stream)

    # -- flow control -----------------------------------------------------------

    def pause_reading(self, reason: object) -> None:
        """Stop reading from the client while ``reason`` holds (libvirtd stops
        reading from a client with too many requests in flight)."""
        self._pausers.add(reason)
        transport = self._transport
        if transport is not None and transport.is_reading():
            transport.pause_reading()

    def resume_reading(self, reason: object) -> None:
        self._pausers.discard(reason)
        transport = self._transport
        if (not self._pausers and transport is not None and not self._closing
                and not transport.is_reading()):
            transport.resume_reading()

    @property
    def in_flight(self) -> int:
        """Calls received whose reply is not sent yet."""
        return self._in_flight

    # -- keepalive ----------------------------------------------------------------

    def start_keepalive(self) -> None:
        """Ping this client when it goes quiet and drop it when it stops
        answering (libvirtd does this once the client asked for keepalive);
        the endpoint's driver runs libvirt's rules."""
        limits = self.server.limits
        if self._keepalive is not None or limits.keepalive_interval <= 0:
            return
        self._last_rx = _monotonic()  # the read path stamps it from now on
        self._arm_keepalive(limits.keepalive_interval, limits.keepalive_count)

    def _peer_dead(self, monitor: KeepaliveMonitor, now: float) -> None:
        log.info("client %s: no answer to %d keepalive pings, disconnecting",
                 self.peer, monitor.count)
        self.close(immediately=True)

    # -- closing --------------------------------------------------------------------

    def close(self, *, immediately: bool = False) -> None:
        """Close the connection (flushing queued replies unless ``immediately``)."""
        if self._closing:
            return
        self._closing = True
        transport = self._transport
        if transport is not None:
            if immediately:
                transport.abort()
            else:
                transport.close()
        else:
            self._teardown(None)

    def _teardown(self, exc: BaseException | None) -> None:
        self._closing = True
        lost = ConnectionLost(f"client disconnected: {exc}" if exc else "client disconnected")
        self._tear_down(lost)
        if not self.closed.done():
            self.closed.set_result(None)
            self.server.client_closed(self)

    def _stream_lost(self, stream: ServerStream, error: VirtrpcError) -> None:
        stream.connection_lost(error)

    def _fail_pending(self, error: VirtrpcError) -> None:
        for task in list(self._tasks) + list(self._stream_tasks):
            task.cancel()
        self._calls_done.set()

    async def wait_calls(self) -> None:
        """Wait until every call of this client has been answered."""
        await self._calls_done.wait()

    async def end_streams(self, fault: RpcFault) -> None:
        """Abort every open stream with ``fault`` and stop their transfers."""
        for stream in list(self._streams.values()):
            try:
                await stream.fail(fault)
            except ConnectionLost:
                stream.discard()
        for task in list(self._stream_tasks):
            task.cancel()
        if self._stream_tasks:
            await asyncio.wait(list(self._stream_tasks))

    @property
    def open_streams(self) -> int:
        """Streams currently open on this client."""
        return len(self._streams)

    def __repr__(self) -> str:
        mode = "ro" if self.readonly else "rw"
        return f"<ServerConnection {self.peer} {mode} in_flight={self._in_flight}>"


__all__ = ["ServerClient", "ServerConnection", "encode_error"]


#: The old name (it is a connection, not a client), kept for code that imports it.
ServerClient = ServerConnection
