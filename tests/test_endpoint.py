"""The endpoint base shared by both ends (virtrpc.endpoint): the event table,
keepalive rules, teardown exactly once, the core's queue for what a server
at its request limit cannot take yet."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from typing import Any

from tests.support.fdcount import fd_is_open
from virtrpc.client.blocking_protocol import ClientProtocol
from virtrpc.client.core import RpcClient
from virtrpc.endpoint import AsyncEndpoint, Endpoint
from virtrpc.errors import ConnectionLost, VirtrpcError
from virtrpc.protocols import remote
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.events import (
    Call,
    ConnectionClosed,
    ErrorReply,
    Event,
    EventMessage,
    KeepalivePing,
    KeepalivePong,
    MessageEvent,
    ProtocolViolation,
    Reply,
    StreamData,
    UnexpectedMessage,
)
from virtrpc.rpc.keepalive import KeepaliveMonitor
from virtrpc.rpc.packet import Header, MessageType, Status, encode_packet
from virtrpc.server import CallContext, ProgramService, Server, ServerLimits
from virtrpc.server.connection import ServerConnection

REMOTE = remote.PROGRAM.number
HOSTNAME = remote.PROGRAM.by_name["connect_get_hostname"].number


class Recorder(Endpoint[list[MessageEvent]]):
    """An endpoint that records what the base asks of its role."""

    _EVENT_HANDLERS = {**Endpoint._EVENT_HANDLERS}

    def __init__(self) -> None:
        super().__init__(Role.CLIENT)
        self.sent: list[bytes] = []
        self.dead: list[float] = []
        self.failed: list[VirtrpcError] = []
        self.lost: list[list[MessageEvent]] = []
        self.closed_by_peer = 0
        self.write_fails = False

    def _send_control(self, make: Callable[[], bytes]) -> None:
        if self.write_fails:
            raise ConnectionLost("gone")
        self.sent.append(make())

    def _feed_stream(self, stream: list[MessageEvent], event: MessageEvent) -> None:
        stream.append(event)

    def _on_peer_closed(self, event: ConnectionClosed) -> None:
        self.closed_by_peer += 1

    def _on_protocol_violation(self, event: ProtocolViolation) -> None:
        raise AssertionError("no violation expected")

    def _peer_dead(self, monitor: KeepaliveMonitor, now: float) -> None:
        self.dead.append(now)

    def _fail_pending(self, error: VirtrpcError) -> None:
        self.failed.append(error)

    def _stream_lost(self, stream: list[MessageEvent], error: VirtrpcError) -> None:
        self.lost.append(stream)


def _header(mtype: int, serial: int, proc: int = 1, status: int = Status.OK) -> Header:
    return Header(REMOTE, 1, proc, mtype, serial, status)


def test_each_role_resolves_its_event_kinds_to_its_own_handlers() -> None:
    """The table is resolved per class: shared kinds go to the base's
    handlers (or a role's override), each role adds its own kinds."""
    client_table = RpcClient._event_table
    server_table = ServerConnection._event_table
    blocking_table = ClientProtocol._event_table
    for table in (client_table, server_table, blocking_table):
        assert table[KeepalivePing] is Endpoint._on_keepalive_ping
        assert table[StreamData] is Endpoint._on_stream_packet
    assert client_table[Reply] is client_table[ErrorReply] is RpcClient._on_reply
    assert client_table[EventMessage] is RpcClient._on_event_message
    assert client_table[ConnectionClosed] is RpcClient._on_peer_closed
    assert server_table[Call] is ServerConnection._on_call
    assert server_table[UnexpectedMessage] is ServerConnection._unexpected
    assert server_table[ProtocolViolation] is ServerConnection._on_protocol_violation
    assert Call not in client_table and Reply not in server_table
    assert issubclass(RpcClient, AsyncEndpoint) and issubclass(ServerConnection, AsyncEndpoint)


def test_a_kind_without_handler_is_dropped_with_its_fds_closed() -> None:
    end = Recorder()
    read_end, write_end = os.pipe()
    os.close(write_end)
    end._dispatch(UnexpectedMessage(_header(MessageType.CALL, 3), b"", [read_end]))
    assert not fd_is_open(read_end)
    assert end.sent == [] and end.failed == []


def test_pings_are_answered_and_stream_packets_routed_by_serial() -> None:
    end = Recorder()
    end._dispatch(KeepalivePing(Header(0x6B656570, 1, 1, MessageType.MESSAGE, 0, 0), b"", []))
    end._dispatch(KeepalivePong(Header(0x6B656570, 1, 2, MessageType.MESSAGE, 0, 0), b"", []))
    assert end.keepalive_pings_received == 1 and end.keepalive_pongs_received == 1
    assert end.sent == [end._conn.send_keepalive_pong()]
    stream: list[MessageEvent] = []
    end._register_stream(7, stream)
    read_end, write_end = os.pipe()
    os.close(write_end)
    data = StreamData(_header(MessageType.STREAM, 7, status=Status.CONTINUE), b"x", [read_end])
    end._dispatch(data)
    other = StreamData(_header(MessageType.STREAM, 8, status=Status.CONTINUE), b"y", [])
    end._dispatch(other)  # no stream 8: dropped
    assert stream == [data] and not fd_is_open(read_end)
    end._forget_stream(7, [])  # not the registered object: kept
    assert end._streams == {7: stream}
    end._forget_stream(7, stream)
    assert end._streams == {}


def test_keepalive_step_pings_once_per_silent_interval_then_declares_death() -> None:
    end = Recorder()
    start = end._last_rx
    end._arm_keepalive(1.0, 2)
    assert end._keepalive_step(start + 0.5) == start + 1.0  # not silent long enough
    assert end.sent == []
    assert end._keepalive_step(start + 1.0) == start + 2.0
    assert end.keepalive_pings_sent == 1
    end._last_rx = start + 1.5  # the peer spoke: the count starts again
    assert end._keepalive_step(start + 2.0) == start + 2.5
    assert end._keepalive_step(start + 2.5) == start + 3.5
    end.write_fails = True  # a ping that cannot be written is not counted
    assert end._keepalive_step(start + 3.5) == start + 4.5
    assert end.keepalive_pings_sent == 2
    assert end._keepalive_step(start + 4.5) is None
    assert end.dead == [start + 4.5]


def test_teardown_runs_once_and_closes_what_the_core_still_holds() -> None:
    end = Recorder()
    stream: list[MessageEvent] = []
    end._register_stream(5, stream)
    end._arm_keepalive(1.0, 1)
    read_end, write_end = os.pipe()
    os.close(write_end)
    end._conn.put_back([Call(_header(MessageType.CALL_WITH_FDS, 9), b"", [read_end])])
    error = ConnectionLost("over")
    assert end._tear_down(error) is True
    assert end._tear_down(ConnectionLost("again")) is False
    assert end.failed == [error] and end.lost == [stream]
    assert not fd_is_open(read_end) and end._conn.closed and end._streams == {}
    assert end._keepalive_step(end._last_rx + 10) is None and end.dead == []
    # Held back after the close: closed, not kept.
    read_end, write_end = os.pipe()
    os.close(write_end)
    end._conn.put_back([Call(_header(MessageType.CALL_WITH_FDS, 10), b"", [read_end])])
    assert not fd_is_open(read_end) and end._conn.queued_events == 0


def test_put_back_goes_ahead_of_the_queue_in_wire_order() -> None:
    conn = Connection(Role.SERVER)
    conn.set_max_events(2)
    burst = b"".join(
        encode_packet(REMOTE, 1, HOSTNAME, MessageType.CALL, serial, Status.OK)
        for serial in range(1, 6)
    )
    first = conn.receive_data(burst)
    assert [e.header.serial for e in first if isinstance(e, Call)] == [1, 2]
    conn.put_back(first[1:])
    serials: list[int] = []
    while conn.queued_events:
        serials += [e.header.serial for e in conn.next_events(1) if isinstance(e, MessageEvent)]
    assert serials == [2, 3, 4, 5]


class Gated:
    """connect_get_hostname waits on a gate: calls stay in flight."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.three_started = asyncio.Event()
        self.started = 0

    async def connect_get_hostname(self, ctx: CallContext, args: None) -> Any:
        self.started += 1
        if self.started == 3:
            self.three_started.set()
        await self.gate.wait()
        return remote.RemoteConnectGetHostnameRet(hostname=f"h{ctx.header.serial}")


async def test_a_burst_beyond_the_request_limit_waits_in_the_cores_queue() -> None:
    """Eight calls in one write, three may be in flight: five wait in the
    core's queue (not read further), then all are answered, in order of start."""
    handlers = Gated()
    server = Server(ServerLimits(max_client_requests=3, shutdown_timeout=2.0))
    server.add_program(ProgramService(remote.PROGRAM, handlers))
    mine, theirs = socket.socketpair()
    mine.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        served = server.adopt(theirs, readonly=False, peer="burst")
        burst = b"".join(
            encode_packet(REMOTE, 1, HOSTNAME, MessageType.CALL, serial, Status.OK)
            for serial in range(1, 9)
        )
        await loop.sock_sendall(mine, burst)
        # The calls' tasks start after the read that dispatched them: by
        # then the rest of the burst is back in the core's queue.
        async with asyncio.timeout(5):
            await handlers.three_started.wait()
        assert served.conn.queued_events == 5
        assert handlers.started == 3 and served.in_flight == 3
        handlers.gate.set()
        reader = Connection(Role.CLIENT, track_calls=False)
        replies: list[Event] = []
        async with asyncio.timeout(10):
            while len(replies) < 8:
                replies += reader.receive_data(await loop.sock_recv(mine, 65536))
        assert sorted(r.header.serial for r in replies if isinstance(r, Reply)) == list(
            range(1, 9)
        )
        assert served.conn.queued_events == 0 and handlers.started == 8
    finally:
        mine.close()
        await server.shutdown()


class QuietTransport:
    """Enough of a transport for a ServerConnection that never writes back."""

    can_pass_fds = True

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes, fds: Any = ()) -> None:
        self.written.append(bytes(data))

    def get_write_buffer_size(self) -> int:
        return 0

    def is_reading(self) -> bool:
        return True

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


async def test_the_server_routes_stream_packets_by_serial_and_procedure() -> None:
    """A stream packet with an open stream's serial but another procedure is
    not that stream's (libvirtd ignores it); after teardown the keepalive
    timer is gone and the stream was told."""
    from virtrpc.server.context import ServerStream

    server = Server(ServerLimits(keepalive_interval=30, shutdown_timeout=2.0))
    served = server.new_client(readonly=False, peer="streams")
    served.connection_made(QuietTransport())  # type: ignore[arg-type]
    screenshot = remote.PROGRAM.by_name["domain_screenshot"].number
    header = Header(REMOTE, 1, screenshot, MessageType.CALL, 4, Status.OK)
    stream = ServerStream(served, header, sparse=False)
    served._register_stream(4, stream)
    wrong = StreamData(Header(REMOTE, 1, HOSTNAME, MessageType.STREAM, 4, Status.CONTINUE), b"x", [])
    right = StreamData(Header(REMOTE, 1, screenshot, MessageType.STREAM, 4, Status.CONTINUE), b"y", [])
    served._dispatch(wrong)
    served._dispatch(right)
    assert stream._incoming.qsize() == 1 and stream._incoming.get_nowait() is right
    served.start_keepalive()
    assert served._keepalive_handle is not None
    served.connection_lost(None)
    assert served._keepalive_handle is None and served.open_streams == 0
    assert isinstance(stream._incoming.get_nowait(), ConnectionLost)
    assert served.closed.done()
    await server.shutdown()
