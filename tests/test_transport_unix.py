"""Tests of the asyncio socket transport (virtrpc.transport.unix) over real sockets."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator

import pytest

from tests.support.fdcount import open_fd_count
from virtrpc.errors import BadFileDescriptor, ConnectError, ConnectionLost, ProtocolError
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role
from virtrpc.transport.base import Transport
from virtrpc.transport.unix import SocketTransport, connect_unix, open_unix, start_unix_server

REMOTE = 0x20008086
DEADLINE = 10.0


class Endpoint:
    """A receiver that feeds an RPC Connection and queues its events."""

    def __init__(self, role: Role) -> None:
        self.conn = Connection(role)
        self.transport: Transport | None = None
        self.events: asyncio.Queue[ev.Event] = asyncio.Queue()
        self.lost: asyncio.Future[BaseException | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.lost_calls = 0
        self.eof_calls = 0
        self.raw: list[bytes] = []

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes, fds: list[int]) -> None:
        self.raw.append(data)
        for event in self.conn.receive_data(data, fds):
            self.events.put_nowait(event)

    def eof_received(self) -> None:
        self.eof_calls += 1
        for event in self.conn.receive_eof():
            self.events.put_nowait(event)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost_calls += 1
        if not self.lost.done():
            self.lost.set_result(exc)

    async def next_event(self) -> ev.Event:
        return await asyncio.wait_for(self.events.get(), DEADLINE)

    def close_all_event_fds(self) -> None:
        while not self.events.empty():
            event = self.events.get_nowait()
            if isinstance(event, ev.MessageEvent):
                event.close_fds()


@pytest.fixture
def fd_baseline() -> Iterator[None]:
    """Fail the test if it leaves more fds open than it found."""
    before = open_fd_count()
    yield
    after = open_fd_count()
    assert after <= before, f"fd leak: {before} open before, {after} after"


async def make_pair(
    write_high_water: int = 1024 * 1024,
) -> tuple[Endpoint, SocketTransport, Endpoint, SocketTransport]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    client = Endpoint(Role.CLIENT)
    server = Endpoint(Role.SERVER)
    ct = SocketTransport(a, client, write_high_water=write_high_water)
    st = SocketTransport(b, server, write_high_water=write_high_water)
    return client, ct, server, st


async def close_pair(ct: SocketTransport, st: SocketTransport, *eps: Endpoint) -> None:
    ct.abort()
    st.abort()
    for ep in eps:
        await asyncio.wait_for(ep.lost, DEADLINE)
        ep.close_all_event_fds()


async def test_call_and_reply_over_socketpair(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    serial, packet = client.conn.send_call(REMOTE, 1, 157, b"args")
    ct.write(packet)
    call = await server.next_event()
    assert isinstance(call, ev.Call) and call.payload == b"args"
    st.write(server.conn.send_reply(call.header, b"\0\0\0\7"))
    reply = await client.next_event()
    assert isinstance(reply, ev.Reply) and reply.header.serial == serial
    assert reply.payload == b"\0\0\0\7"
    assert ct.can_pass_fds
    creds = st.peer_credentials()
    assert creds is not None and creds.pid == os.getpid() and creds.uid == os.getuid()
    await close_pair(ct, st, client, server)


async def test_fd_passing_both_ways_fds_work(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    try:
        # client -> server: two pipe write ends
        _, packet = client.conn.send_call(REMOTE, 1, 1, b"x", fds=[w1, w2])
        ct.write(packet, [w1, w2])
        call = await server.next_event()
        assert isinstance(call, ev.Call) and len(call.fds) == 2
        got_w1, got_w2 = call.take_fds()
        assert {got_w1, got_w2}.isdisjoint({w1, w2})  # new descriptors
        os.write(got_w1, b"through one")
        os.write(got_w2, b"through two")
        os.close(got_w1)
        os.close(got_w2)
        assert os.read(r1, 100) == b"through one"
        assert os.read(r2, 100) == b"through two"
        # server -> client: a read end, in a reply; the caller may close its fd
        # right after write() because the transport sends a duplicate.
        st.write(server.conn.send_reply(call.header, b"", fds=[r1]), [r1])
        reply = await client.next_event()
        assert isinstance(reply, ev.Reply) and len(reply.fds) == 1
        (got_r1,) = reply.take_fds()
        os.write(w1, b"back")
        assert os.read(got_r1, 100) == b"back"
        os.close(got_r1)
    finally:
        for fd in (r1, w1, r2, w2):
            os.close(fd)
    await close_pair(ct, st, client, server)


async def test_dummy_bytes_follow_packet_one_fd_per_message(fd_baseline: None) -> None:
    """Raw check of libvirt's wire order: packet bytes, then one b'\\0' per fd,
    each fd in its own SCM_RIGHTS message."""
    a, b = socket.socketpair()
    client = Endpoint(Role.CLIENT)
    ct = SocketTransport(a, client)
    r, w = os.pipe()
    try:
        _, packet = client.conn.send_call(REMOTE, 1, 1, b"", fds=[r, w])
        ct.write(packet, [r, w])
        b.setblocking(True)
        b.settimeout(DEADLINE)
        got = b.recv(len(packet))
        assert got == packet
        for _ in range(2):
            data, anc, _flags, _addr = b.recvmsg(100, socket.CMSG_SPACE(4 * 4))
            assert data == b"\0"
            assert len(anc) == 1 and len(anc[0][2]) == 4
            os.close(int.from_bytes(anc[0][2], sys.byteorder))
    finally:
        os.close(r)
        os.close(w)
        b.close()
    ct.abort()
    await asyncio.wait_for(client.lost, DEADLINE)


async def test_partial_writes_and_backpressure(fd_baseline: None) -> None:
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client = Endpoint(Role.CLIENT)
    server = Endpoint(Role.SERVER)
    ct = SocketTransport(a, client, write_high_water=64 * 1024)
    server_transport = SocketTransport(b, server)
    server_transport.pause_reading()
    assert not server_transport.is_reading()
    payloads = [bytes([i % 251]) * (50_000 + i) for i in range(40)]
    for payload in payloads:
        _, packet = client.conn.send_call(REMOTE, 1, 5, payload)
        ct.write(packet)
    # The peer is not reading: most of it must be buffered.
    assert ct.get_write_buffer_size() > 1_000_000
    drained = asyncio.ensure_future(ct.drain())
    await asyncio.sleep(0)
    assert not drained.done()
    server_transport.resume_reading()
    await asyncio.wait_for(drained, DEADLINE)
    assert ct.get_write_buffer_size() <= 64 * 1024 // 4
    for payload in payloads:
        call = await server.next_event()
        assert isinstance(call, ev.Call) and call.payload == payload
    assert ct.get_write_buffer_size() == 0
    await close_pair(ct, server_transport, client, server)


async def test_fds_interleaved_with_large_partial_writes(fd_baseline: None) -> None:
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client = Endpoint(Role.CLIENT)
    server = Endpoint(Role.SERVER)
    ct = SocketTransport(a, client)
    st = SocketTransport(b, server)
    pipes = [os.pipe() for _ in range(5)]
    try:
        for i, (r, w) in enumerate(pipes):
            _, packet = client.conn.send_call(REMOTE, 1, i, bytes([i]) * 100_000, fds=[w, r])
            ct.write(packet, [w, r])
        for i, (r, _w) in enumerate(pipes):
            call = await server.next_event()
            assert isinstance(call, ev.Call) and call.header.proc == i
            assert len(call.payload) == 100_000 and len(call.fds) == 2
            got_w, got_r = call.take_fds()
            os.write(got_w, b"%d" % i)
            assert os.read(r, 10) == b"%d" % i
            os.close(got_w)
            os.close(got_r)
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
    await close_pair(ct, st, client, server)


async def test_eof_reported_once_and_write_after_close_fails(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    ct.close()
    assert await asyncio.wait_for(server.lost, DEADLINE) is None
    assert await asyncio.wait_for(client.lost, DEADLINE) is None
    event = await server.next_event()
    assert isinstance(event, ev.ConnectionClosed)
    assert server.eof_calls == 1
    await asyncio.sleep(0)
    assert server.lost_calls == 1 and client.lost_calls == 1
    with pytest.raises(ConnectionLost):
        ct.write(b"x")
    with pytest.raises(ConnectionLost):
        st.write(b"x")
    ct.close()
    st.abort()
    await asyncio.sleep(0)
    assert server.lost_calls == 1 and client.lost_calls == 1


async def test_close_flushes_queued_data(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    st.pause_reading()
    payload = b"z" * 3_000_000
    _, packet = client.conn.send_call(REMOTE, 1, 9, payload)
    ct.write(packet)
    assert ct.get_write_buffer_size() > 0
    ct.close()  # must still deliver the queued call
    st.resume_reading()
    call = await server.next_event()
    assert isinstance(call, ev.Call) and call.payload == payload
    closed = await server.next_event()
    assert isinstance(closed, ev.ConnectionClosed)
    await close_pair(ct, st, client, server)


async def test_abort_closes_queued_fds(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    st.pause_reading()
    r, w = os.pipe()
    try:
        big = b"q" * 4_000_000
        _, packet = client.conn.send_call(REMOTE, 1, 9, big, fds=[r])
        ct.write(packet, [r])  # the dup of r stays queued behind the big payload
        assert ct.get_write_buffer_size() > 1
        ct.abort()
    finally:
        os.close(r)
        os.close(w)
    await close_pair(ct, st, client, server)


async def test_peer_reset_reports_error_once(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    st.abort()
    await asyncio.wait_for(server.lost, DEADLINE)
    # Writing into a socket whose peer is gone fails: reported once, as ConnectionLost.
    with pytest.raises(ConnectionLost):
        for _ in range(100):
            ct.write(b"x" * 65536)
            await asyncio.sleep(0)
    exc = await asyncio.wait_for(client.lost, DEADLINE)
    assert exc is None or isinstance(exc, ConnectionLost)
    assert client.lost_calls == 1


async def test_drain_fails_when_connection_dies(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair(write_high_water=1024)
    st.pause_reading()
    ct.write(b"\0" * 2_000_000)
    waiter = asyncio.ensure_future(ct.drain())
    await asyncio.sleep(0)
    ct.abort()
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(waiter, DEADLINE)
    await close_pair(ct, st, client, server)


async def test_unannounced_fd_from_peer_is_closed(fd_baseline: None) -> None:
    a, b = socket.socketpair()
    server = Endpoint(Role.SERVER)
    SocketTransport(a, server)
    r, w = os.pipe()
    try:
        b.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, r.to_bytes(4, "little"))])
    finally:
        os.close(r)
        os.close(w)
    # One byte is not yet a header, so the fd might precede its message: the
    # violation shows once the peer closes (or sends a header that has no fds).
    b.close()
    event = await server.next_event()
    assert isinstance(event, ev.ProtocolViolation)
    await asyncio.wait_for(server.lost, DEADLINE)


async def test_too_many_fds_in_one_message_is_an_error(fd_baseline: None) -> None:
    a, b = socket.socketpair()
    server = Endpoint(Role.SERVER)
    SocketTransport(a, server)
    pipes = [os.pipe() for _ in range(30)]
    fds = [fd for pair in pipes for fd in pair]  # 60 fds in one SCM_RIGHTS
    try:
        raw = b"".join(fd.to_bytes(4, "little") for fd in fds)
        b.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, raw)])
    finally:
        for fd in fds:
            os.close(fd)
    exc = await asyncio.wait_for(server.lost, DEADLINE)
    assert isinstance(exc, ProtocolError)
    b.close()


async def test_receiver_exception_is_fatal(fd_baseline: None) -> None:
    class Exploding(Endpoint):
        def data_received(self, data: bytes, fds: list[int]) -> None:
            raise RuntimeError("boom")

    a, b = socket.socketpair()
    receiver = Exploding(Role.SERVER)
    st = SocketTransport(a, receiver)
    b.send(b"hello")
    exc = await asyncio.wait_for(receiver.lost, DEADLINE)
    assert isinstance(exc, RuntimeError)
    assert st.is_closing()
    b.close()


async def test_connect_unix_errors_name_the_path() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "missing-sock")
        with pytest.raises(ConnectError) as info:
            await connect_unix(path)
        assert path in str(info.value)
        assert info.value.errno == errno.ENOENT


async def test_unix_server_and_client(fd_baseline: None) -> None:
    servers: list[Endpoint] = []

    def factory() -> Endpoint:
        endpoint = Endpoint(Role.SERVER)
        servers.append(endpoint)
        return endpoint

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        listener = await start_unix_server(path, factory, mode=0o600)
        assert os.stat(path).st_mode & 0o777 == 0o600
        client = Endpoint(Role.CLIENT)
        ct = await open_unix(path, client)
        _, packet = client.conn.send_call(REMOTE, 1, 2)
        ct.write(packet)
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while not servers:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.001)
        call = await servers[0].next_event()
        assert isinstance(call, ev.Call)
        listener.close()
        assert not os.path.exists(path)
        ct.close()
        await asyncio.wait_for(servers[0].lost, DEADLINE)
        await asyncio.wait_for(client.lost, DEADLINE)


async def test_tcp_socket_without_fd_passing() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    client = Endpoint(Role.CLIENT)
    server = Endpoint(Role.SERVER)
    ct = SocketTransport(a, client)
    st = SocketTransport(b, server)
    assert not ct.can_pass_fds
    with pytest.raises(ProtocolError):
        ct.write(b"x", [0])
    _, packet = client.conn.send_call(REMOTE, 1, 3, b"tcp")
    ct.write(packet)
    call = await server.next_event()
    assert isinstance(call, ev.Call) and call.payload == b"tcp"
    assert ct.peer_credentials() is None
    await close_pair(ct, st, client, server)


async def test_open_tcp_and_connect_errors() -> None:
    from virtrpc.transport.tcp import connect_tcp, open_tcp

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    host, port = listener.getsockname()
    client = Endpoint(Role.CLIENT)
    ct = await open_tcp(host, port, client)
    accepted, _ = listener.accept()
    server = Endpoint(Role.SERVER)
    st = SocketTransport(accepted, server)
    assert ct.get_extra_info("peername") == (host, port)
    _, packet = client.conn.send_call(REMOTE, 1, 3, b"hello")
    ct.write(packet)
    call = await server.next_event()
    assert isinstance(call, ev.Call) and call.payload == b"hello"
    await close_pair(ct, st, client, server)
    listener.close()
    # Nothing listens there any more.
    with pytest.raises(ConnectError) as info:
        await connect_tcp(host, port)
    assert f"{host}:{port}" in str(info.value)
    assert info.value.errno == errno.ECONNREFUSED


async def test_stress_both_directions_random_sizes_and_fds(fd_baseline: None) -> None:
    """Many messages each way at once, random payload sizes and fd counts,
    tiny socket buffers: everything arrives intact, in order, with working fds."""
    import random

    rng = random.Random(1234)
    a, b = socket.socketpair()
    for sock in (a, b):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    client = Endpoint(Role.CLIENT)
    server = Endpoint(Role.SERVER)
    ct = SocketTransport(a, client, read_size=3000)
    st = SocketTransport(b, server, read_size=5000)
    r, w = os.pipe()
    try:
        sent_calls: list[tuple[bytes, int]] = []
        for i in range(60):
            payload = bytes([i]) * rng.choice([0, 1, 3, 100, 5000, 70_000])
            nfds = rng.choice([0, 0, 1, 2, 5])
            _, packet = client.conn.send_call(REMOTE, 1, i, payload, fds=[w] * nfds)
            ct.write(packet, [w] * nfds)
            sent_calls.append((payload, nfds))
        sent_events: list[bytes] = []
        for i in range(40):
            payload = bytes([i]) * rng.choice([0, 7, 9000, 130_000])
            st.write(server.conn.send_event(REMOTE, 1, 1000 + i, payload))
            sent_events.append(payload)
        for i, (payload, nfds) in enumerate(sent_calls):
            call = await server.next_event()
            assert isinstance(call, ev.Call) and call.header.proc == i
            assert call.payload == payload and len(call.fds) == nfds
            for fd in call.take_fds():
                os.write(fd, b"k")
                os.close(fd)
        for i, payload in enumerate(sent_events):
            event = await client.next_event()
            assert isinstance(event, ev.EventMessage) and event.header.proc == 1000 + i
            assert event.payload == payload
        total = sum(n for _, n in sent_calls)
        assert len(os.read(r, 10_000)) == total
    finally:
        os.close(r)
        os.close(w)
    await close_pair(ct, st, client, server)


async def test_start_tcp_server(fd_baseline: None) -> None:
    from virtrpc.transport.tcp import open_tcp, start_tcp_server

    servers: list[Endpoint] = []

    def factory() -> Endpoint:
        servers.append(Endpoint(Role.SERVER))
        return servers[-1]

    listener = await start_tcp_server("127.0.0.1", 0, factory)
    assert listener.socket is not None
    host, port = listener.socket.getsockname()
    client = Endpoint(Role.CLIENT)
    ct = await open_tcp(host, port, client)
    _, packet = client.conn.send_call(REMOTE, 1, 4, b"over tcp")
    ct.write(packet)
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while not servers:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.001)
    call = await servers[0].next_event()
    assert isinstance(call, ev.Call) and call.payload == b"over tcp"
    # The port is taken now.
    with pytest.raises(ConnectError) as info:
        await start_tcp_server("127.0.0.1", port, factory)
    assert str(port) in str(info.value)
    listener.close()
    ct.close()
    await asyncio.wait_for(servers[0].lost, DEADLINE)
    await asyncio.wait_for(client.lost, DEADLINE)


LISTENER_EMFILE_SCRIPT = r"""
import asyncio, os, resource, sys, time
from virtrpc.transport import unix

unix.ACCEPT_RETRY_DELAY = 0.05
path = sys.argv[1]
accepted = []

class Receiver:
    def connection_made(self, transport):
        accepted.append(transport)
    def data_received(self, data, fds):
        pass
    def eof_received(self):
        pass
    def connection_lost(self, exc):
        pass

async def main():
    listener = await unix.start_unix_server(path, Receiver)
    # Leave room for only a couple of accepted sockets.
    spare = len(os.listdir("/proc/self/fd")) + 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (spare, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    print("ready", flush=True)
    cpu = time.process_time()
    start = time.monotonic()
    while len(accepted) < 2 and time.monotonic() - start < 10:
        await asyncio.sleep(0.01)
    # Out of fds now: stay so for a while; the listener must not spin.
    await asyncio.sleep(0.5)
    busy = time.process_time() - cpu
    for transport in accepted[:2]:
        transport.abort()
    while len(accepted) < 4 and time.monotonic() - start < 10:
        await asyncio.sleep(0.01)
    print(len(accepted), round(busy, 3), flush=True)
    listener.close()

asyncio.run(main())
"""


async def test_listener_backs_off_when_out_of_fds() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LISTENER_EMFILE_SCRIPT, path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), DEADLINE)
        assert line.strip() == b"ready"
        clients = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(4)]
        try:
            for client in clients:
                client.connect(path)  # queued in the backlog even when not accepted
            out, err = await asyncio.wait_for(process.communicate(), DEADLINE)
        finally:
            for client in clients:
                client.close()
        assert process.returncode == 0, err.decode()
        accepted, busy = out.split()
        # All four got accepted once fds were free again...
        assert int(accepted) == 4
        # ...and while out of fds the listener slept instead of spinning on EMFILE.
        assert float(busy) < 0.25


SIGPIPE_SCRIPT = r"""
import asyncio, signal, socket
from virtrpc.errors import ConnectionLost
from virtrpc.transport.unix import SocketTransport

signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # what CLIs do for `| head`

class Receiver:
    def connection_made(self, transport): pass
    def data_received(self, data, fds): pass
    def eof_received(self): pass
    def connection_lost(self, exc): pass

async def main():
    a, b = socket.socketpair()
    transport = SocketTransport(a, Receiver())
    b.close()
    try:
        for _ in range(10):
            transport.write(b"x" * 1000)
    except ConnectionLost:
        print("ConnectionLost")

asyncio.run(main())
"""


async def test_writing_to_a_vanished_peer_never_raises_sigpipe() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SIGPIPE_SCRIPT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), DEADLINE)
    assert process.returncode == 0, (process.returncode, err.decode())
    assert out.strip() == b"ConnectionLost"


def _count_dups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every os.dup the transport makes."""
    made: list[int] = []
    real_dup = os.dup

    def counting_dup(fd: int) -> int:
        made.append(fd)
        return real_dup(fd)

    monkeypatch.setattr("virtrpc.transport.unix.os.dup", counting_dup)
    return made


async def test_fds_sent_at_once_are_not_duplicated(
    fd_baseline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing queued, the packet and its fds leave inside write():
    no duplicate, nothing buffered, and the caller may close its fds at once."""
    dups = _count_dups(monkeypatch)
    client, ct, server, st = await make_pair()
    r, w = os.pipe()
    _, packet = client.conn.send_call(REMOTE, 1, 1, b"fast", fds=[r, w])
    ct.write(packet, [r, w])
    assert ct.get_write_buffer_size() == 0
    os.close(w)
    call = await server.next_event()
    assert isinstance(call, ev.Call) and call.payload == b"fast" and len(call.fds) == 2
    got_r, got_w = call.take_fds()
    os.write(got_w, b"still works")
    os.close(got_w)
    assert os.read(r, 100) == b"still works"
    os.close(r)
    os.close(got_r)
    assert dups == []
    await close_pair(ct, st, client, server)


async def test_fds_behind_a_partial_write_are_duplicated_and_delivered(
    fd_baseline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket takes only part of a big packet: its fds are queued as
    duplicates, so the caller may close its fds right after write(), and they
    arrive after the packet's last byte once the peer reads again."""
    dups = _count_dups(monkeypatch)
    client, ct, server, st = await make_pair()
    st.pause_reading()
    r, w = os.pipe()
    payload = b"p" * 3_000_000
    _, packet = client.conn.send_call(REMOTE, 1, 2, payload, fds=[r, w])
    ct.write(packet, [r, w])
    buffered = ct.get_write_buffer_size()
    assert 2 < buffered < len(packet) + 2  # a partial write: some bytes and both fds left
    assert dups == [r, w]
    # A second call queues behind the first, fds and all.
    _, second = client.conn.send_call(REMOTE, 1, 3, b"second", fds=[w])
    ct.write(second, [w])
    assert dups == [r, w, w]
    os.close(w)  # the caller's copies may go; the queued duplicates stay
    st.resume_reading()
    first = await server.next_event()
    assert isinstance(first, ev.Call) and first.payload == payload and len(first.fds) == 2
    then = await server.next_event()
    assert isinstance(then, ev.Call) and then.payload == b"second" and len(then.fds) == 1
    got_w = first.fds[1]
    os.write(got_w, b"queued fd")
    assert os.read(r, 100) == b"queued fd"
    first.close_fds()
    then.close_fds()
    os.close(r)
    assert ct.get_write_buffer_size() == 0
    await close_pair(ct, st, client, server)


async def test_bad_fd_is_refused_before_anything_is_written(fd_baseline: None) -> None:
    client, ct, server, st = await make_pair()
    r, w = os.pipe()
    os.close(w)  # w is now a closed number (r stays open: nothing reuses w)
    try:
        for fds in ([w], [r, w]):
            _, packet = client.conn.send_call(REMOTE, 1, 4, b"never", fds=fds)
            with pytest.raises(BadFileDescriptor, match=f"fd {w}"):
                ct.write(packet, fds)
            assert ct.get_write_buffer_size() == 0 and not ct.is_closing()
        # Also when the call would have been queued (dup refuses it).
        st.pause_reading()
        ct.write(b"\0" * 3_000_000)
        assert ct.get_write_buffer_size() > 0
        queued = ct.get_write_buffer_size()
        with pytest.raises(BadFileDescriptor):
            ct.write(b"never", [r, w])
        assert ct.get_write_buffer_size() == queued and not ct.is_closing()
    finally:
        os.close(r)
    await close_pair(ct, st, client, server)


async def test_transports_on_one_loop_share_the_read_buffer(fd_baseline: None) -> None:
    """One read buffer per loop, whatever the number of connections; each
    receiver still gets its own bytes (copied out, not a view)."""
    first = await make_pair()  # the loop's shared buffer exists from here on
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        pairs = [await make_pair() for _ in range(50)]
        per_transport = (tracemalloc.get_traced_memory()[0] - before) / 100
    finally:
        tracemalloc.stop()
    assert per_transport < 16 * 1024  # it used to be 256 KiB each
    buffers = {id(t._read_buffer) for _, ct, _, st in pairs for t in (ct, st)}
    assert len(buffers) == 1
    for index, (client, ct, _, _) in enumerate(pairs):
        _, packet = client.conn.send_call(REMOTE, 1, 5, bytes([index]) * (1000 + index))
        ct.write(packet)
    for index, (_, _, server, _) in enumerate(pairs):
        call = await server.next_event()
        assert isinstance(call, ev.Call) and call.payload == bytes([index]) * (1000 + index)
        assert all(type(chunk) is bytes for chunk in server.raw)
    for client, ct, server, st in [first, *pairs]:
        await close_pair(ct, st, client, server)
