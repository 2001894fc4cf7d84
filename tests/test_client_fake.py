"""The client against a scripted fake daemon on a socketpair.

The fake answers the handshake like libvirtd, then misbehaves on purpose:
garbage, oversized packets, too many fds, disconnects in the middle of a
message, silence (keepalive), late replies with fds.  Every case must end in
a typed error, fail pending calls, close received fds and never hang.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import os
import socket
import struct
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fdcount import open_fd_count
from tests.support.peek import open_streams, replies_awaited, transport_of
from virtrpc.client.client import Client, connect_socket
from virtrpc.client.errors import LibvirtError
from virtrpc.client.stream import STREAM_CHUNK_SIZE, Hole, Stream
from virtrpc.errors import ConnectError, ConnectionLost, ProtocolError, StreamError
from virtrpc.protocols import remote
from virtrpc.rpc.packet import KEEPALIVE_PROGRAM, Header, MessageType, Status
from virtrpc.rpc.stream import StreamState
from virtrpc.transport.unix import SocketTransport

REMOTE = 0x20008086
HEADER = struct.Struct(">IIIiiIi")
PROC_AUTH_LIST = 66
PROC_SUPPORTS_FEATURE = 60
PROC_OPEN = 1
PROC_CLOSE = 2
PROC_GET_LIB_VERSION = 157
PROC_OPEN_GRAPHICS_FD = 310


def packet(header: Header, payload: bytes = b"", nfds: int | None = None) -> bytes:
    extra = struct.pack(">I", nfds) if nfds is not None else b""
    return HEADER.pack(28 + len(extra) + len(payload), *header) + extra + payload


def reply_to(call: Header, payload: bytes = b"", status: int = Status.OK) -> bytes:
    return packet(
        Header(call.prog, call.vers, call.proc, MessageType.REPLY, call.serial, status), payload
    )


def _socket_transport(client: Client) -> SocketTransport:
    transport = transport_of(client)
    assert isinstance(transport, SocketTransport)
    return transport


class FakeDaemon:
    """The server end of a socketpair, driven from the test's event loop."""

    def __init__(self, sock: socket.socket, *, keepalive: bool = True) -> None:
        self.sock = sock
        self.sock.setblocking(False)
        self.keepalive = keepalive
        self.buffer = b""
        self.received_pongs = 0

    async def recv_exact(self, size: int) -> bytes:
        loop = asyncio.get_running_loop()
        while len(self.buffer) < size:
            chunk = await loop.sock_recv(self.sock, 65536)
            if not chunk:
                raise EOFError("client closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    async def recv_message(self) -> tuple[Header, bytes]:
        """Next message from the client (keepalive pongs are counted, skipped)."""
        while True:
            length = struct.unpack(">I", await self.recv_exact(4))[0]
            body = await self.recv_exact(length - 4)
            header = Header(*struct.unpack(">IIiiIi", body[:24]))
            if header.prog == KEEPALIVE_PROGRAM:
                if header.proc == 2:
                    self.received_pongs += 1
                continue
            return header, body[24:]

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    def send_with_fds(self, data: bytes, fds: list[int]) -> None:
        self.sock.setblocking(True)
        try:
            self.sock.sendmsg(
                [data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
            )
        finally:
            self.sock.setblocking(False)

    async def handshake(self) -> None:
        while True:
            call, _payload = await self.recv_message()
            if call.proc == PROC_AUTH_LIST:
                await self.send(reply_to(call, struct.pack(">Ii", 1, 0)))
            elif call.proc == PROC_SUPPORTS_FEATURE:
                await self.send(reply_to(call, struct.pack(">i", 1 if self.keepalive else 0)))
            elif call.proc == PROC_OPEN:
                await self.send(reply_to(call))
                # The two feature checks after open.
                for _ in range(2):
                    feature_call, _ = await self.recv_message()
                    await self.send(reply_to(feature_call, struct.pack(">i", 1)))
                return


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Client, FakeDaemon]]:
    client_sock, server_sock = socket.socketpair()
    fake = FakeDaemon(server_sock)
    handshake = asyncio.ensure_future(fake.handshake())
    client = await asyncio.wait_for(
        connect_socket(client_sock, uri="test:///default", keepalive=(30.0, 5)), timeout=5
    )
    await handshake
    try:
        yield client, fake
    finally:
        client.abort()
        server_sock.close()


async def start_call(client: Client, fake: FakeDaemon) -> tuple[asyncio.Future[int], Header]:
    task = asyncio.ensure_future(client.connect_get_lib_version())
    call, _ = await asyncio.wait_for(fake.recv_message(), timeout=5)
    assert call.proc == PROC_GET_LIB_VERSION
    return task, call


async def test_normal_reply_and_error_reply(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    task, call = await start_call(client, fake)
    await fake.send(reply_to(call, struct.pack(">Q", 9000000)))
    assert await asyncio.wait_for(task, 5) == 9000000

    task, call = await start_call(client, fake)
    error = LibvirtError("nope", code=42, domain=12)
    await fake.send(reply_to(call, error.to_wire(), Status.ERROR))
    with pytest.raises(LibvirtError) as info:
        await asyncio.wait_for(task, 5)
    assert info.value.code == 42 and info.value.message == "nope"
    assert client.is_open


@pytest.mark.parametrize(
    ("garbage", "what"),
    [
        (b"\xff" * 64, "length"),
        (struct.pack(">I", 0x7FFFFFFF) + b"\0" * 24, "invalid packet length 2147483647"),
        (struct.pack(">I", 8) + b"\0" * 24, "invalid packet length 8"),
        (HEADER.pack(28, REMOTE, 1, PROC_GET_LIB_VERSION, 99, 1, 0), "unknown message type"),
    ],
)
async def test_garbage_kills_connection_and_fails_pending_calls(
    pair: tuple[Client, FakeDaemon], garbage: bytes, what: str
) -> None:
    client, fake = pair
    task, _call = await start_call(client, fake)
    other = asyncio.ensure_future(client.connect_get_capabilities())
    await fake.recv_message()
    await fake.send(garbage)
    for pending in (task, other):
        with pytest.raises(ConnectionLost) as info:
            await asyncio.wait_for(pending, 5)
        assert "protocol violation" in str(info.value)
    assert isinstance(info.value.__cause__, ProtocolError)
    assert what in str(info.value.__cause__)
    assert not client.is_open and client.close_reason == "error"
    with pytest.raises(ConnectionLost):
        await client.connect_get_lib_version()


async def test_undecodable_reply_is_a_typed_error(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    task, call = await start_call(client, fake)
    await fake.send(reply_to(call, b"\x01\x02"))  # 2 bytes where a hyper is expected
    with pytest.raises(ProtocolError, match="undecodable reply"):
        await asyncio.wait_for(task, 5)


async def test_disconnect_mid_message(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    task, call = await start_call(client, fake)
    full = reply_to(call, struct.pack(">Q", 1))
    await fake.send(full[:10])
    fake.sock.close()
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(task, 5)
    assert not client.is_open


async def test_eof_fails_every_pending_call(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    tasks = [asyncio.ensure_future(client.connect_get_lib_version()) for _ in range(10)]
    for _ in range(10):
        await fake.recv_message()
    fake.sock.shutdown(socket.SHUT_RDWR)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
    assert all(isinstance(r, ConnectionLost) for r in results)
    assert client.close_reason == "eof"


async def test_too_many_fds_are_closed(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    baseline = open_fd_count()
    task = asyncio.ensure_future(
        client.domain_open_graphics_fd(
            dom=remote.RemoteNonnullDomain(name="x", uuid=bytes(16), id=1), idx=0, flags=0
        )
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    reply = packet(
        Header(REMOTE, 1, call.proc, MessageType.REPLY_WITH_FDS, call.serial, 0), b"", nfds=1
    )
    # Announce one fd, deliver three.
    extra = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]
    try:
        fake.send_with_fds(reply + b"\0", extra)
    finally:
        for fd in extra:
            os.close(fd)
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(task, 5)
    await asyncio.wait_for(client.wait_closed(), 5)
    # Exactly the client's socket is gone; the three fds received were closed.
    assert open_fd_count() == baseline - 1


async def test_fd_reply_is_returned_and_owned_by_caller(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    task = asyncio.ensure_future(
        client.domain_open_graphics_fd(
            dom=remote.RemoteNonnullDomain(name="x", uuid=bytes(16), id=1), idx=0, flags=0
        )
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    reply = packet(
        Header(REMOTE, 1, call.proc, MessageType.REPLY_WITH_FDS, call.serial, 0), b"", nfds=1
    )
    read_end, write_end = os.pipe()
    try:
        fake.send_with_fds(reply, [])
        fake.send_with_fds(b"\0", [write_end])
    finally:
        os.close(write_end)
    value = await asyncio.wait_for(task, 5)
    assert value[0] is None
    (received,) = value[1]
    os.write(received, b"hi")
    os.close(received)
    assert os.read(read_end, 2) == b"hi"
    os.close(read_end)


async def test_late_reply_of_cancelled_call_closes_its_fds(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    baseline = open_fd_count()
    task = asyncio.ensure_future(
        client.domain_open_graphics_fd(
            dom=remote.RemoteNonnullDomain(name="x", uuid=bytes(16), id=1), idx=0, flags=0
        )
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        reply = packet(
            Header(REMOTE, 1, call.proc, MessageType.REPLY_WITH_FDS, call.serial, 0), b"", nfds=1
        )
        fake.send_with_fds(reply + b"\0", [fd])
    finally:
        os.close(fd)
    # The connection keeps working and the late fd was closed by the client.
    next_task, next_call = await start_call(client, fake)
    await fake.send(reply_to(next_call, struct.pack(">Q", 7)))
    assert await asyncio.wait_for(next_task, 5) == 7
    assert open_fd_count() == baseline


async def test_stray_fd_on_a_plain_reply_never_reaches_the_client(
    pair: tuple[Client, FakeDaemon],
) -> None:
    """No call in flight may get fds back, so the transport reads without
    room for fds (as libvirt's own client does): the kernel closes a stray fd
    and the reply is an ordinary one."""
    client, fake = pair
    assert not _socket_transport(client).expecting_fds
    baseline = open_fd_count()
    task, call = await start_call(client, fake)
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        fake.send_with_fds(reply_to(call, struct.pack(">Q", 1)), [fd])
    finally:
        os.close(fd)
    assert await asyncio.wait_for(task, 5) == 1
    assert client.is_open and open_fd_count() == baseline
    task, call = await start_call(client, fake)
    await fake.send(reply_to(call, struct.pack(">Q", 2)))
    assert await asyncio.wait_for(task, 5) == 2


async def test_fds_on_a_reply_to_a_plain_call_are_a_protocol_error(
    pair: tuple[Client, FakeDaemon],
) -> None:
    """A REPLY_WITH_FDS to a procedure that returns none, fds sent as libvirt
    sends them: read without room for fds, the dummy bytes arrive alone,
    which is a violation; the kernel closed the fds."""
    client, fake = pair
    baseline = open_fd_count()
    task, call = await start_call(client, fake)
    header = Header(call.prog, call.vers, call.proc, MessageType.REPLY_WITH_FDS, call.serial, 0)
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        await fake.send(packet(header, struct.pack(">Q", 1), nfds=1))
        fake.send_with_fds(b"\0", [fd])
    finally:
        os.close(fd)
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(task, 5)
    await asyncio.wait_for(client.wait_closed(), 5)
    assert client.close_reason == "error"
    assert "fd announced but not received" in str(client.error.__cause__ if client.error else "")
    assert open_fd_count() == baseline - 1  # the client's socket; no fd leaked


async def test_unannounced_fd_is_a_protocol_error_while_fds_are_expected(
    pair: tuple[Client, FakeDaemon],
) -> None:
    """A low-level call may get fds back: reads make room for them, and an
    fd no message announced kills the connection."""
    client, fake = pair
    baseline = open_fd_count()
    task = asyncio.ensure_future(client.call("remote", 1, PROC_GET_LIB_VERSION))
    call, _ = await asyncio.wait_for(fake.recv_message(), timeout=5)
    assert _socket_transport(client).expecting_fds
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        # The kernel attaches the fd to the last byte of the reply: the reply
        # itself completes, then the stray fd kills the connection.
        fake.send_with_fds(reply_to(call, struct.pack(">Q", 1)), [fd])
    finally:
        os.close(fd)
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 5)
    await asyncio.wait_for(client.wait_closed(), 5)
    assert client.close_reason == "error"
    assert "no message announced" in str(client.error.__cause__ if client.error else "")
    assert open_fd_count() == baseline - 1  # the client's socket; the stray fd was closed


async def test_reads_make_room_for_fds_only_while_an_fd_reply_is_due(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    transport = _socket_transport(client)
    assert not transport.expecting_fds
    task = asyncio.ensure_future(client.call("remote", 1, PROC_GET_LIB_VERSION))
    call, _ = await asyncio.wait_for(fake.recv_message(), timeout=5)
    assert transport.expecting_fds
    await fake.send(reply_to(call, struct.pack(">Q", 3)))
    assert (await asyncio.wait_for(task, 5)).value.lib_ver == 3
    assert not transport.expecting_fds


async def test_daemon_ping_is_answered(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    ping = packet(Header(KEEPALIVE_PROGRAM, 1, 1, MessageType.MESSAGE, 0, 0))
    await fake.send(ping)
    await fake.send(ping)
    deadline = asyncio.get_running_loop().time() + 5
    while client.keepalive_pings_received < 2:  # polling with a deadline
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    task, call = await start_call(client, fake)  # the pongs precede the call
    assert fake.received_pongs == 2
    await fake.send(reply_to(call, struct.pack(">Q", 1)))
    await asyncio.wait_for(task, 5)


async def test_silent_daemon_declared_dead_by_keepalive() -> None:
    client_sock, server_sock = socket.socketpair()
    fake = FakeDaemon(server_sock)
    handshake = asyncio.ensure_future(fake.handshake())
    interval, count = 0.1, 3
    client = await asyncio.wait_for(
        connect_socket(client_sock, uri="test:///default", keepalive=(interval, count)), 5
    )
    await handshake
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        pending = asyncio.ensure_future(client.connect_get_lib_version())
        with pytest.raises(ConnectionLost, match="keepalive"):
            await asyncio.wait_for(pending, 5)
        elapsed = loop.time() - started
        # Dead after `count` unanswered pings plus one more silent interval,
        # interval x (count + 1), as libvirt (the call itself was data we sent,
        # the silence counts from the last byte *received*).
        assert interval * (count + 1) * 0.8 <= elapsed <= interval * (count + 1) + 1.0
        assert client.close_reason == "keepalive"
        assert client.keepalive_pings_sent == count
    finally:
        client.abort()
        server_sock.close()


async def test_events_with_unknown_callback_ids_are_ignored(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    proc = remote.PROGRAM.by_name["domain_event_callback_reboot"]
    assert proc.args is not None and proc.args_class is not None
    msg = proc.args_class(
        callbackID=99,
        msg=remote.RemoteDomainEventRebootMsg(
            dom=remote.RemoteNonnullDomain(name="x", uuid=bytes(16), id=1)
        ),
    )
    await fake.send(
        packet(Header(REMOTE, 1, proc.number, MessageType.MESSAGE, 0, 0), proc.args.pack(msg))
    )
    # Garbage in an event payload is a protocol violation.
    task, call = await start_call(client, fake)
    await fake.send(reply_to(call, struct.pack(">Q", 3)))
    assert await asyncio.wait_for(task, 5) == 3


async def test_subscription_receives_routed_event(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    seen: list[str] = []

    def callback(event: object) -> None:
        return seen.append(getattr(event, "name", ""))

    subscribe = asyncio.ensure_future(client.subscribe("domain", "reboot", callback=callback))
    call, payload = await asyncio.wait_for(fake.recv_message(), 5)
    proc = remote.PROGRAM.procedures[call.proc]
    assert proc.name == "connect_domain_event_callback_register_any"
    assert proc.args is not None
    args = proc.args.unpack(payload)
    assert args.eventID == 1 and args.dom is None
    await fake.send(reply_to(call, struct.pack(">i", 5)))
    sub = await asyncio.wait_for(subscribe, 5)
    assert sub.callback_id == 5
    event_proc = remote.PROGRAM.by_name["domain_event_callback_reboot"]
    assert event_proc.args is not None and event_proc.args_class is not None
    dom = remote.RemoteNonnullDomain(name="vm", uuid=bytes(range(16)), id=3)
    msg = event_proc.args_class(callbackID=5, msg=remote.RemoteDomainEventRebootMsg(dom=dom))
    await fake.send(
        packet(
            Header(REMOTE, 1, event_proc.number, MessageType.MESSAGE, 0, 0),
            event_proc.args.pack(msg),
        )
    )
    event = await asyncio.wait_for(sub.get(), 5)
    assert event.name == "reboot" and event.fields == {"dom": dom}
    assert seen == ["reboot"]
    # The connection dies: the iterator raises ConnectionLost.
    fake.sock.close()
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(sub.get(), 5)


def stream_packet(call: Header, status: int, payload: bytes = b"", hole: bool = False) -> bytes:
    kind = MessageType.STREAM_HOLE if hole else MessageType.STREAM
    return packet(Header(call.prog, call.vers, call.proc, kind, call.serial, status), payload)


VOL = remote.RemoteNonnullStorageVol(pool="p", name="v", key="k")


async def test_sparse_download_holes_and_finish(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_download(vol=VOL, offset=0, length=0, flags=1)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    await fake.send(reply_to(call))
    stream = await asyncio.wait_for(opening, 5)
    await fake.send(stream_packet(call, Status.CONTINUE, b"abc"))
    await fake.send(stream_packet(call, Status.CONTINUE, struct.pack(">qI", 5, 0), hole=True))
    await fake.send(stream_packet(call, Status.CONTINUE, b"xyz"))
    await fake.send(stream_packet(call, Status.CONTINUE, b""))  # libvirtd: empty CONTINUE = EOF
    items = [item async for item in stream.iter_sparse()]
    assert items == [b"abc", Hole(5), b"xyz"]
    finishing = asyncio.ensure_future(stream.finish())
    finish_msg, payload = await asyncio.wait_for(fake.recv_message(), 5)
    assert (finish_msg.type, finish_msg.status, finish_msg.serial, payload) == (
        MessageType.STREAM,
        Status.OK,
        call.serial,
        b"",
    )
    await fake.send(stream_packet(call, Status.OK))  # confirmation
    await asyncio.wait_for(finishing, 5)
    assert stream.closed and call.serial not in open_streams(client)


async def test_holes_expand_to_zeros_by_default(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_download(vol=VOL, offset=0, length=0, flags=1)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    await fake.send(reply_to(call))
    stream = await asyncio.wait_for(opening, 5)
    big_hole = 600_000
    await fake.send(
        stream_packet(call, Status.CONTINUE, struct.pack(">qI", big_hole, 0), hole=True)
    )
    await fake.send(stream_packet(call, Status.CONTINUE, b"tail"))
    await fake.send(stream_packet(call, Status.OK))
    assert await asyncio.wait_for(stream.read_all(), 5) == bytes(big_hole) + b"tail"


async def test_upload_sends_data_holes_and_finish(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(client.storage_vol_upload(vol=VOL, offset=0, length=0, flags=1))
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    await fake.send(reply_to(call))
    stream = await asyncio.wait_for(opening, 5)
    big = os.urandom(STREAM_CHUNK_SIZE + 10)
    await stream.send(big)
    await stream.send_hole(4096)
    finishing = asyncio.ensure_future(stream.finish())
    received = b""
    while True:
        message, payload = await asyncio.wait_for(fake.recv_message(), 5)
        assert message.serial == call.serial
        if message.type == MessageType.STREAM_HOLE:
            assert struct.unpack(">qI", payload) == (4096, 0)
            continue
        if message.status == Status.OK:
            break
        assert message.status == Status.CONTINUE and len(payload) <= STREAM_CHUNK_SIZE
        received += payload
    assert received == big
    await fake.send(stream_packet(call, Status.OK))
    await asyncio.wait_for(finishing, 5)
    with pytest.raises(StreamError):
        await stream.send(b"more")


async def test_stream_error_from_daemon(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_download(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    await fake.send(reply_to(call))
    stream = await asyncio.wait_for(opening, 5)
    await fake.send(stream_packet(call, Status.CONTINUE, b"part"))
    await fake.send(
        stream_packet(call, Status.ERROR, LibvirtError("disk on fire", code=38).to_wire())
    )
    assert await stream.recv() == b"part"
    with pytest.raises(LibvirtError, match="disk on fire"):
        await asyncio.wait_for(stream.recv(), 5)
    assert stream.closed
    # The connection itself is unaffected.
    task, next_call = await start_call(client, fake)
    await fake.send(reply_to(next_call, struct.pack(">Q", 1)))
    assert await asyncio.wait_for(task, 5) == 1


async def test_connection_loss_fails_open_stream(pair: tuple[Client, FakeDaemon]) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_download(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    await fake.send(reply_to(call))
    stream = await asyncio.wait_for(opening, 5)
    fake.sock.close()
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(stream.read_all(), 5)


async def _fuzz_once(garbage: bytes, close_after: bool) -> None:
    client_sock, server_sock = socket.socketpair()
    fake = FakeDaemon(server_sock)
    handshake = asyncio.ensure_future(fake.handshake())
    client = await asyncio.wait_for(
        connect_socket(client_sock, uri="test:///default", keepalive=(0.1, 2)), 5
    )
    await handshake
    baseline_waiters = replies_awaited(client)
    try:
        task = asyncio.ensure_future(client.connect_get_lib_version())
        await asyncio.wait_for(fake.recv_message(), 5)
        await fake.send(garbage)
        if close_after:
            server_sock.close()
        # Whatever the bytes, the call ends: a value, a libvirt error, a protocol
        # error, or a lost connection (the keepalive bounds the silent cases).
        with contextlib.suppress(LibvirtError, ProtocolError, ConnectionLost):
            await asyncio.wait_for(task, 5)
        assert replies_awaited(client) <= baseline_waiters
    finally:
        client.abort()
        server_sock.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", HEADER.pack(36, REMOTE, 1, PROC_GET_LIB_VERSION, 1, 1, 0)]),
    garbage=st.binary(max_size=80),
    close_after=st.booleans(),
)
def test_fuzzed_replies_never_hang(prefix: bytes, garbage: bytes, close_after: bool) -> None:
    fds_before = open_fd_count()
    asyncio.run(_fuzz_once(prefix + garbage, close_after))
    assert open_fd_count() <= fds_before


async def test_unknown_auth_type_is_a_clear_connect_error() -> None:
    client_sock, server_sock = socket.socketpair()
    fake = FakeDaemon(server_sock)

    async def answer_auth_list() -> None:
        call, _ = await fake.recv_message()
        assert call.proc == PROC_AUTH_LIST
        await fake.send(reply_to(call, struct.pack(">Ii", 1, 7)))  # no such auth type

    serving = asyncio.ensure_future(answer_auth_list())
    try:
        with pytest.raises(ConnectError, match="unsupported authentication type 7"):
            await asyncio.wait_for(connect_socket(client_sock, uri="test:///default"), 5)
        await serving
    finally:
        server_sock.close()


async def test_cancelled_stream_open_is_aborted_when_its_reply_arrives(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_download(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    await fake.send(reply_to(call))  # the daemon opened the stream after all
    await fake.send(stream_packet(call, Status.CONTINUE, b"ignored"))
    abort, payload = await asyncio.wait_for(fake.recv_message(), 5)
    assert (abort.type, abort.status, abort.serial, payload) == (
        MessageType.STREAM,
        Status.ERROR,
        call.serial,
        b"",
    )
    assert replies_awaited(client) == 0
    # The aborted stream waits for the daemon's last packet, as libvirt's does.
    await fake.send(stream_packet(call, Status.OK))
    task, next_call = await start_call(client, fake)
    await fake.send(reply_to(next_call, struct.pack(">Q", 2)))
    assert await asyncio.wait_for(task, 5) == 2
    assert not open_streams(client)


def state_of(stream: Stream) -> StreamState:
    """The stream's machine state, read afresh (each read is a new observation)."""
    return stream.machine.state


async def _abort_of(fake: FakeDaemon, call: Header) -> None:
    """The fake's next message must be the client's abort of ``call``'s stream."""
    abort, payload = await asyncio.wait_for(fake.recv_message(), 5)
    assert (abort.type, abort.status, abort.serial, payload) == (
        MessageType.STREAM,
        Status.ERROR,
        call.serial,
        b"",
    )


async def test_cancelled_stream_open_goes_through_the_machines_abandoned_path(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    # An upload: the daemon sends nothing after its reply, so only the
    # client's abort keeps the stream from staying open there.
    opening = asyncio.ensure_future(
        client.storage_vol_upload(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    stream = open_streams(client)[call.serial]
    assert state_of(stream) is StreamState.ABANDONED
    assert replies_awaited(client) == 0
    await fake.send(reply_to(call))  # the daemon opened it after all
    await _abort_of(fake, call)
    assert state_of(stream) is StreamState.ABORTING
    await fake.send(stream_packet(call, Status.OK))  # the daemon's last packet
    task, next_call = await start_call(client, fake)
    await fake.send(reply_to(next_call, struct.pack(">Q", 2)))
    assert await asyncio.wait_for(task, 5) == 2
    assert state_of(stream) is StreamState.ABORTED
    assert not open_streams(client)


async def test_reply_read_between_the_cancellation_and_the_opener_still_aborts(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_upload(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    opening.cancel()
    # The reply is read before the cancelled opener runs again (as when the
    # read and the cancellation fall into one loop iteration): nobody takes
    # it, so it goes to the stream's machine.
    client.data_received(reply_to(call), [])
    with pytest.raises(asyncio.CancelledError):
        await opening
    await _abort_of(fake, call)
    await fake.send(stream_packet(call, Status.OK))
    task, next_call = await start_call(client, fake)
    await fake.send(reply_to(next_call, struct.pack(">Q", 2)))
    assert await asyncio.wait_for(task, 5) == 2
    assert not open_streams(client)


async def test_cancelled_stream_open_refused_late_is_not_aborted(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    opening = asyncio.ensure_future(
        client.storage_vol_upload(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    await fake.send(reply_to(call, LibvirtError("no such volume", code=50).to_wire(), Status.ERROR))
    # No abort: the next thing the daemon hears is the next call.
    task, next_call = await start_call(client, fake)
    await fake.send(reply_to(next_call, struct.pack(">Q", 2)))
    assert await asyncio.wait_for(task, 5) == 2
    assert not open_streams(client)


async def test_introspection_is_read_only_and_follows_the_calls(
    pair: tuple[Client, FakeDaemon],
) -> None:
    client, fake = pair
    assert isinstance(client.transport, SocketTransport)
    assert client.keepalive_timer is not None  # the fake agreed to keepalive
    assert (client.replies_awaited, client.calls_in_flight) == (0, 0)
    before = client.streams
    opening = asyncio.ensure_future(
        client.storage_vol_download(vol=VOL, offset=0, length=0, flags=0)
    )
    call, _ = await asyncio.wait_for(fake.recv_message(), 5)
    assert (client.replies_awaited, client.calls_in_flight) == (1, 1)
    assert list(client.streams) == [call.serial] and not before  # a snapshot
    with pytest.raises(TypeError):
        client.streams[call.serial] = client.streams[call.serial]  # type: ignore[index]
    with pytest.raises(TypeError):
        del client.streams[call.serial]  # type: ignore[attr-defined]
    await fake.send(reply_to(call))
    stream = await asyncio.wait_for(opening, 5)
    assert (client.replies_awaited, client.calls_in_flight) == (0, 0)
    assert client.streams == {call.serial: stream}
    client.abort()
    assert client.transport is not None and client.keepalive_timer is None
    assert not client.streams and not client.subscriptions
