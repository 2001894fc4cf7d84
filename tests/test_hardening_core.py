"""Hardening of the sans-I/O core and the Unix transport: fd accounting under
churn and faults, fds announced but not sent, one-message-at-a-time delivery.

Every socket test ends with exactly the fds it started with
(``fd_leak_check``), which proves that each received fd was owned and closed
exactly once, whatever the peer did.
"""

from __future__ import annotations

import array
import asyncio
import os
import socket
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.connpair import ConnectionPair
from tests.support.fdcount import FdLeakCheck, fd_is_open
from virtrpc.errors import ProtocolError
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.packet import MessageType, Status, encode_packet
from virtrpc.transport.base import Transport
from virtrpc.transport.unix import SocketTransport

REMOTE = 0x20008086
DEADLINE = 10.0


def send_fd(sock: socket.socket, fd: int) -> None:
    """Send one fd the way libvirt does: one dummy byte, one SCM_RIGHTS."""
    sock.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])


class Endpoint:
    """A transport receiver that feeds a Connection and collects events.

    Events' fds are closed as soon as the test has looked at them (counted),
    so that the fd accounting at the end is exact.
    """

    def __init__(self, role: Role, *, max_events: int | None = None) -> None:
        self.conn = Connection(role)
        if max_events is not None:
            self.conn.set_max_events(max_events)
        self.transport: Transport | None = None
        self.messages: list[ev.MessageEvent] = []
        self.fds_received = 0
        self.violation: ProtocolError | None = None
        self.changed = asyncio.Event()
        self.lost: asyncio.Future[BaseException | None] = (
            asyncio.get_running_loop().create_future()
        )

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def _handle(self, events: list[ev.Event]) -> None:
        for event in events:
            if isinstance(event, ev.MessageEvent):
                self.fds_received += len(event.fds)
                event.close_fds()
                self.messages.append(event)
            elif isinstance(event, ev.ProtocolViolation):
                assert isinstance(event.error, ProtocolError)
                self.violation = event.error
                assert self.transport is not None
                self.transport.abort()
        self.changed.set()

    def data_received(self, data: bytes, fds: list[int]) -> None:
        self._handle(self.conn.receive_data(data, fds))

    def eof_received(self) -> None:
        self._handle(self.conn.receive_eof())

    def connection_lost(self, exc: BaseException | None) -> None:
        self.conn.close()
        if not self.lost.done():
            self.lost.set_result(exc)
        self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait (with a deadline) until ``predicate`` holds; re-checked after
        every transport callback."""

        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), DEADLINE)


# ------------------------------------------------- fds announced but not sent


def test_dummy_bytes_without_fds_are_a_violation_not_a_wedge() -> None:
    """H5's report: a CALL_WITH_FDS announcing 2 fds followed by ordinary bytes
    used to swallow them as dummy bytes and wait forever."""
    client, server = ConnectionPair()
    r, w = os.pipe()
    try:
        _, with_fds = client.send_call(REMOTE, 1, 1, b"", fds=[r, w])
        _, plain = client.send_call(REMOTE, 1, 157)
        out = server.receive_data(with_fds + plain)
        assert [type(e) for e in out] == [ev.ProtocolViolation]
        assert server.closed and "not received" in str(server.error)
    finally:
        os.close(r)
        os.close(w)


def test_fewer_fds_than_dummy_bytes_closes_the_fds_that_came() -> None:
    client, server = ConnectionPair()
    r, w = os.pipe()
    _, packet = client.send_call(REMOTE, 1, 1, b"", fds=[r, w, r])
    out = server.receive_data(packet + b"\0\0", [r])
    assert [type(e) for e in out] == [ev.ProtocolViolation]
    assert not fd_is_open(r)
    os.close(w)


def test_fds_for_dummy_bytes_seen_so_far_are_enough() -> None:
    """A read that ends between two dummy bytes is fine if the fds so far match."""
    client, server = ConnectionPair()
    r, w = os.pipe()
    _, packet = client.send_call(REMOTE, 1, 1, b"x" * 4, fds=[r, w])
    assert server.receive_data(packet + b"\0", [r]) == []
    (call,) = server.receive_data(b"\0", [w])
    assert isinstance(call, ev.Call) and call.fds == [r, w]
    call.close_fds()


async def test_fds_announced_but_not_sent_over_a_socket(fd_leak_check: FdLeakCheck) -> None:
    with fd_leak_check():
        ours, theirs = socket.socketpair()
        endpoint = Endpoint(Role.SERVER)
        transport = SocketTransport(ours, endpoint)
        client = Connection(Role.CLIENT)
        r, w = os.pipe()
        _, packet = client.send_call(REMOTE, 1, 1, b"", fds=[r, w])
        theirs.sendall(packet)
        send_fd(theirs, r)
        # The second dummy byte travels without its fd, then a normal call.
        theirs.sendall(b"\0" + client.send_call(REMOTE, 1, 157)[1])
        await endpoint.wait_for(lambda: endpoint.lost.done())
        assert endpoint.violation is not None and endpoint.messages == []
        assert transport.is_closing()
        theirs.close()
        os.close(r)
        os.close(w)


# ------------------------------------------------------------ churn with fds


async def test_many_messages_with_fds_through_the_transport(fd_leak_check: FdLeakCheck) -> None:
    """500 calls with 0..3 fds each, written as fast as the transport takes
    them: every fd arrives attached to its call, and nothing is left open."""
    with fd_leak_check():
        a, b = socket.socketpair()
        sender = Endpoint(Role.CLIENT)
        receiver = Endpoint(Role.SERVER)
        send_transport = SocketTransport(a, sender)
        recv_transport = SocketTransport(b, receiver)
        r, w = os.pipe()
        expected_fds = 0
        for i in range(500):
            fds = [r, w, r][: i % 4]
            _, packet = sender.conn.send_call(REMOTE, 1, i, b"p" * (i % 64), fds=fds)
            send_transport.write(packet, fds)
            expected_fds += len(fds)
            if i % 50 == 0:
                await send_transport.drain()
        os.close(r)
        os.close(w)
        await receiver.wait_for(lambda: len(receiver.messages) == 500)
        assert receiver.violation is None
        assert receiver.fds_received == expected_fds
        assert [m.header.proc for m in receiver.messages] == list(range(500))
        send_transport.close()
        await receiver.wait_for(lambda: receiver.lost.done())
        await sender.wait_for(lambda: sender.lost.done())
        recv_transport.close()


@pytest.mark.parametrize("fds_sent", [0, 1, 2])
async def test_peer_dies_after_announcing_fds(
    fd_leak_check: FdLeakCheck, fds_sent: int
) -> None:
    """EOF in the middle of an fd transfer: violation, held fds closed."""
    with fd_leak_check():
        ours, theirs = socket.socketpair()
        endpoint = Endpoint(Role.SERVER)
        SocketTransport(ours, endpoint)
        client = Connection(Role.CLIENT)
        r, w = os.pipe()
        _, packet = client.send_call(REMOTE, 1, 1, b"args", fds=[r, w, r])
        theirs.sendall(packet)
        for fd in [r, w][:fds_sent]:
            send_fd(theirs, fd)
        os.close(r)
        os.close(w)
        theirs.close()
        await endpoint.wait_for(lambda: endpoint.lost.done())
        assert endpoint.violation is not None
        assert "middle" in str(endpoint.violation)
        assert endpoint.messages == []


async def test_peer_dies_in_the_middle_of_a_packet_with_fds_ahead(
    fd_leak_check: FdLeakCheck,
) -> None:
    """fds attached to the first bytes of a packet whose rest never comes."""
    with fd_leak_check():
        ours, theirs = socket.socketpair()
        endpoint = Endpoint(Role.SERVER)
        SocketTransport(ours, endpoint)
        client = Connection(Role.CLIENT)
        r, w = os.pipe()
        _, packet = client.send_call(REMOTE, 1, 1, b"args", fds=[r, w])
        theirs.sendmsg(
            [packet[:10]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, w]))]
        )
        os.close(r)
        os.close(w)
        theirs.close()
        await endpoint.wait_for(lambda: endpoint.lost.done())
        assert endpoint.violation is not None


async def test_reply_with_fds_nobody_waits_for(fd_leak_check: FdLeakCheck) -> None:
    """A REPLY_WITH_FDS for a serial the client never used: fatal, fds closed."""
    with fd_leak_check():
        ours, theirs = socket.socketpair()
        endpoint = Endpoint(Role.CLIENT)
        SocketTransport(ours, endpoint)
        r, w = os.pipe()
        theirs.sendall(
            encode_packet(REMOTE, 1, 1, MessageType.REPLY_WITH_FDS, 99, Status.OK, b"", nfds=2)
        )
        send_fd(theirs, r)
        send_fd(theirs, w)
        os.close(r)
        os.close(w)
        await endpoint.wait_for(lambda: endpoint.lost.done())
        assert endpoint.violation is not None and "no pending call" in str(endpoint.violation)
        theirs.close()


async def test_33_fds_in_one_message_are_closed(fd_leak_check: FdLeakCheck) -> None:
    """More fds in one control message than the receiver has room for
    (MSG_CTRUNC): the kernel drops the excess, the transport closes the rest."""
    with fd_leak_check():
        ours, theirs = socket.socketpair()
        endpoint = Endpoint(Role.SERVER)
        SocketTransport(ours, endpoint)
        r, w = os.pipe()
        client = Connection(Role.CLIENT)
        _, packet = client.send_call(REMOTE, 1, 1, b"", fds=[r] * 32)
        theirs.sendmsg(
            [packet + b"\0" * 32],
            [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, w] * 20))],
        )
        os.close(r)
        os.close(w)
        await endpoint.wait_for(lambda: endpoint.lost.done())
        theirs.close()
        assert endpoint.messages == []


@settings(max_examples=40, deadline=None)
@given(
    plan=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=8),
    cut_after=st.integers(0, 200),
)
def test_random_fd_faults_never_leak(plan: list[tuple[int, int]], cut_after: int) -> None:
    """Calls announcing n fds and carrying k of them (k may be < n), fed as a
    libvirt sender would deliver them and cut off anywhere: whatever happens,
    fds end up either in delivered events or closed."""
    before = set(os.listdir("/proc/self/fd"))
    client, server = ConnectionPair()
    delivered: list[ev.MessageEvent] = []
    reads: list[tuple[bytes, list[int]]] = []
    for announced, carried in plan:
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(announced)]
        _, packet = client.send_call(REMOTE, 1, 1, b"", fds=fds) if fds else client.send_call(
            REMOTE, 1, 1
        )
        reads.append((packet, []))
        for index, fd in enumerate(fds):
            reads.append((b"\0", [fd] if index < carried else []))
            if index >= carried:
                os.close(fd)
    for data, fds in reads[:cut_after]:
        for event in server.receive_data(data, fds):
            if isinstance(event, ev.MessageEvent):
                delivered.append(event)
    for _, fds in reads[cut_after:]:
        for fd in fds:
            os.close(fd)  # never sent
    server.receive_eof()
    for event in delivered:
        event.close_fds()
    assert set(os.listdir("/proc/self/fd")) == before


# ------------------------------------------------ one message at a time (H5)


def calls(count: int) -> bytes:
    client = Connection(Role.CLIENT)
    return b"".join(client.send_call(REMOTE, 1, i, b"a" * i)[1] for i in range(count))


def test_max_events_returns_at_most_n_and_keeps_the_rest_in_order() -> None:
    server = Connection(Role.SERVER)
    server.set_max_events(1)
    assert server.max_events == 1
    first = server.receive_data(calls(5))
    assert [e.header.proc for e in first] == [0]  # type: ignore[attr-defined]
    assert server.queued_events == 4
    rest = [server.next_events() for _ in range(4)]
    assert [[e.header.proc for e in batch] for batch in rest] == [[1], [2], [3], [4]]  # type: ignore[attr-defined]
    assert server.next_events() == [] and server.queued_events == 0


def test_max_events_queue_keeps_wire_order_with_later_input_and_eof() -> None:
    server = Connection(Role.SERVER)
    server.set_max_events(2)
    data = calls(6)
    out = server.receive_data(data[:200])
    out += server.receive_data(data[200:])
    out += server.receive_eof()
    assert len(out) == 6  # 2 per call at most
    while server.queued_events:
        out += server.next_events(10)
    kinds = [type(e) for e in out]
    assert kinds == [ev.Call] * 6 + [ev.ConnectionClosed]
    assert [e.header.proc for e in out[:6]] == list(range(6))  # type: ignore[attr-defined]


def test_max_events_violation_waits_behind_earlier_calls() -> None:
    server = Connection(Role.SERVER)
    server.set_max_events(1)
    out = server.receive_data(calls(3) + struct.pack(">I", 3))
    assert [type(e) for e in out] == [ev.Call]
    assert server.closed  # the machine knows, the server learns it in wire order
    assert [type(e) for e in server.next_events(5)] == [ev.Call, ev.Call, ev.ProtocolViolation]


def test_max_events_close_closes_fds_of_queued_events() -> None:
    client, server = ConnectionPair()
    server.set_max_events(1)
    r, w = os.pipe()
    _, first = client.send_call(REMOTE, 1, 1)
    _, second = client.send_call(REMOTE, 1, 2, b"", fds=[r, w])
    out = server.receive_data(first + second + b"\0\0", [r, w])
    assert len(out) == 1 and server.queued_events == 1
    server.close()
    assert not fd_is_open(r) and not fd_is_open(w)
    assert server.next_events() == []


def test_max_events_none_restores_unlimited_delivery() -> None:
    server = Connection(Role.SERVER)
    server.set_max_events(1)
    server.receive_data(calls(3))
    server.set_max_events(None)
    assert server.max_events is None
    assert len(server.next_events()) == 2
    assert len(server.receive_data(calls(4))) == 4
    with pytest.raises(ValueError):
        server.set_max_events(0)


async def test_paused_server_dispatches_one_message_at_a_time(
    fd_leak_check: FdLeakCheck,
) -> None:
    """The server pattern: take one event, pause reading while it is being
    handled, resume when done.  Even when 20 calls arrive in one read, at most
    one is ever being handled."""
    with fd_leak_check():
        a, b = socket.socketpair()
        handled: list[int] = []
        busy = 0
        peak = 0

        class OneAtATime:
            def __init__(self) -> None:
                self.conn = Connection(Role.SERVER)
                self.conn.set_max_events(1)
                self.transport: Transport | None = None
                self.done = asyncio.get_running_loop().create_future()

            def connection_made(self, transport: Transport) -> None:
                self.transport = transport

            def handle(self, events: list[ev.Event]) -> None:
                nonlocal busy, peak
                for event in events:
                    if isinstance(event, ev.ConnectionClosed):
                        if not self.done.done():
                            self.done.set_result(None)
                        continue
                    assert isinstance(event, ev.Call)
                    busy += 1
                    peak = max(peak, busy)
                    assert self.transport is not None
                    self.transport.pause_reading()
                    asyncio.get_running_loop().call_soon(self.finish, event)

            def finish(self, event: ev.Call) -> None:
                nonlocal busy
                busy -= 1
                handled.append(event.header.proc)
                more = self.conn.next_events()
                if more:
                    self.handle(more)
                else:
                    assert self.transport is not None
                    self.transport.resume_reading()

            def data_received(self, data: bytes, fds: list[int]) -> None:
                self.handle(self.conn.receive_data(data, fds))

            def eof_received(self) -> None:
                self.handle(self.conn.receive_eof())

            def connection_lost(self, exc: BaseException | None) -> None:
                if not self.done.done():
                    self.done.set_result(None)

        server = OneAtATime()
        transport = SocketTransport(b, server)
        a.sendall(calls(20))
        a.shutdown(socket.SHUT_WR)
        await asyncio.wait_for(server.done, DEADLINE)
        assert handled == list(range(20)) and peak == 1
        transport.close()
        a.close()


async def test_call_with_fds_over_tcp_is_a_violation_not_a_wedge(
    fd_leak_check: FdLeakCheck,
) -> None:
    """TCP (and TLS, SSH) cannot carry fds: a CALL_WITH_FDS arriving there
    can never complete.  Its first dummy byte ends it instead of the
    connection waiting forever."""
    with fd_leak_check():
        listener = socket.create_server(("127.0.0.1", 0))
        peer = socket.create_connection(listener.getsockname())
        ours, _ = listener.accept()
        listener.close()
        endpoint = Endpoint(Role.SERVER)
        transport = SocketTransport(ours, endpoint)
        assert not transport.can_pass_fds
        client = Connection(Role.CLIENT)
        r, w = os.pipe()
        _, packet = client.send_call(REMOTE, 1, 1, b"", fds=[r])
        os.close(r)
        os.close(w)
        peer.sendall(packet + b"\0")
        await endpoint.wait_for(lambda: endpoint.lost.done())
        assert endpoint.violation is not None and endpoint.messages == []
        peer.close()
