"""The client under faults, against a fake daemon built from the core
(server-role :class:`Connection` over a :class:`SocketTransport`).

Every test ends with the fds it started with (nothing leaked, nothing closed
twice) and nothing hangs: each wait has a deadline.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import Callable

import pytest

from tests.support.fdcount import FdLeakCheck
from tests.support.peek import calls_in_flight, replies_awaited, transport_of
from virtrpc.client.client import Client, connect_socket
from virtrpc.errors import BadFileDescriptor, ConnectionLost
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.packet import Header
from virtrpc.transport.base import Transport
from virtrpc.transport.unix import SocketTransport

REMOTE = 0x20008086
PROC_OPEN = 1
PROC_SUPPORTS_FEATURE = 60
PROC_AUTH_LIST = 66
#: A procedure number the tables do not know: raw bytes in, raw bytes out.
PROC_RAW = 9999
DEADLINE = 10.0

HANDSHAKE_REPLIES = {
    PROC_AUTH_LIST: struct.pack(">Ii", 1, 0),  # one auth type: none
    PROC_SUPPORTS_FEATURE: struct.pack(">i", 1),  # every feature, keepalive included
    PROC_OPEN: b"",
}


class FakeDaemon:
    """Answers the handshake; hands every other call to the test's ``on_call``.

    ``frozen``: stop reading and answering anything (pings included), like a
    stopped process whose socket stays open.
    """

    def __init__(self, on_call: Callable[[FakeDaemon, ev.Call], None]) -> None:
        self.conn = Connection(Role.SERVER)
        self.on_call = on_call
        self.transport: Transport | None = None
        self.held: list[Header] = []
        self.fds_received = 0
        self.calls_seen = 0
        self.lost = asyncio.get_running_loop().create_future()
        self.frozen = False

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def write(self, data: bytes, fds: list[int] | tuple[int, ...] = ()) -> None:
        assert self.transport is not None
        self.transport.write(data, fds)

    def data_received(self, data: bytes, fds: list[int]) -> None:
        for event in self.conn.receive_data(data, fds):
            if self.frozen:
                if isinstance(event, ev.MessageEvent):
                    event.close_fds()
                continue
            if isinstance(event, ev.KeepalivePing):
                self.write(self.conn.send_keepalive_pong())
            elif isinstance(event, ev.Call):
                self.fds_received += len(event.fds)
                event.close_fds()
                canned = HANDSHAKE_REPLIES.get(event.header.proc)
                if canned is not None:
                    self.write(self.conn.send_reply(event.header, canned))
                else:
                    self.calls_seen += 1
                    self.on_call(self, event)
            elif isinstance(event, ev.MessageEvent):
                event.close_fds()

    def eof_received(self) -> None:
        self.conn.receive_eof()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.conn.close()
        if not self.lost.done():
            self.lost.set_result(exc)


async def start(
    on_call: Callable[[FakeDaemon, ev.Call], None], keepalive: tuple[float, int] | None = None
) -> tuple[Client, FakeDaemon, SocketTransport]:
    client_sock, server_sock = socket.socketpair()
    daemon = FakeDaemon(on_call)
    transport = SocketTransport(server_sock, daemon)
    client = await asyncio.wait_for(
        connect_socket(client_sock, uri="test:///default", keepalive=keepalive), DEADLINE
    )
    return client, daemon, transport


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll the loop (not the clock) until ``predicate`` holds, with a deadline."""

    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0)  # yields to the loop; no timing assumption

    try:
        await asyncio.wait_for(loop(), DEADLINE)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def hold(daemon: FakeDaemon, call: ev.Call) -> None:
    daemon.held.append(call.header)


async def shut(client: Client, daemon: FakeDaemon, transport: SocketTransport) -> None:
    client.abort()
    transport.abort()
    await asyncio.wait_for(daemon.lost, DEADLINE)
    await wait_until(lambda: client.close_reason is not None, "client closed")


async def test_cancelled_calls_with_fds_in_flight(fd_leak_check: FdLeakCheck) -> None:
    """50 calls sending 2 fds each are cancelled while the daemon holds them;
    the daemon then answers each with an fd nobody waits for.  The client
    closes those fds, stays usable, and the process ends with no extra fd."""
    with fd_leak_check():
        client, daemon, transport = await start(hold)
        r, w = os.pipe()
        tasks = [
            asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"", fds=[r, w]))
            for _ in range(50)
        ]
        await wait_until(lambda: len(daemon.held) == 50, "50 calls at the daemon")
        os.close(r)  # the transport sent duplicates: ours may go now
        os.close(w)
        assert daemon.fds_received == 100
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert all(task.cancelled() for task in tasks)
        reply_r, reply_w = os.pipe()
        for header in daemon.held:
            daemon.write(daemon.conn.send_reply(header, b"late", fds=[reply_r]), [reply_r])
        os.close(reply_r)
        os.close(reply_w)
        daemon.held.clear()
        # The connection survived the late replies (their fds were closed)...
        daemon.on_call = lambda d, call: d.write(d.conn.send_reply(call.header, b"fine"))
        result = await asyncio.wait_for(client.call(REMOTE, 1, PROC_RAW, b""), DEADLINE)
        assert result.value == b"fine" and result.fds == []
        assert client.is_open
        await shut(client, daemon, transport)


@pytest.mark.parametrize("how", ["mid-packet", "mid-fd-transfer", "clean-eof"])
async def test_100_pending_calls_fail_promptly_when_the_daemon_dies(
    fd_leak_check: FdLeakCheck, how: str
) -> None:
    with fd_leak_check():
        client, daemon, transport = await start(hold)
        tasks = [
            asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"x" * 8)) for _ in range(100)
        ]
        await wait_until(lambda: len(daemon.held) == 100, "100 calls at the daemon")
        first = daemon.held[0]
        if how == "mid-packet":
            daemon.write(daemon.conn.send_reply(first, b"y" * 100)[:50])
        elif how == "mid-fd-transfer":
            r, w = os.pipe()
            packet = daemon.conn.send_reply(first, b"", fds=[r, w])
            # The packet and one of its two fds; then the daemon dies.
            daemon.write(packet, [r])
            os.close(r)
            os.close(w)
        transport.close()
        results = await asyncio.wait_for(
            asyncio.gather(*tasks, return_exceptions=True), DEADLINE
        )
        assert all(isinstance(result, ConnectionLost) for result in results), {
            type(result) for result in results
        }
        assert not client.is_open
        await shut(client, daemon, transport)


async def test_frozen_daemon_is_caught_by_keepalive(fd_leak_check: FdLeakCheck) -> None:
    """A daemon that stops answering (pings included) is declared dead after
    about interval x (count + 1); the pending call fails with ConnectionLost."""
    with fd_leak_check():
        client, daemon, transport = await start(hold, keepalive=(0.05, 2))
        assert client.server_keepalive
        task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b""))
        await wait_until(lambda: len(daemon.held) == 1, "the call at the daemon")
        daemon.frozen = True
        loop = asyncio.get_running_loop()
        frozen_at = loop.time()
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(task, DEADLINE)
        elapsed = loop.time() - frozen_at
        assert client.close_reason == "keepalive"
        assert client.keepalive_pings_sent >= 1
        assert elapsed < 2.0, elapsed
        await shut(client, daemon, transport)


async def test_frozen_daemon_gets_count_pings_like_libvirt(fd_leak_check: FdLeakCheck) -> None:
    with fd_leak_check():
        client, daemon, transport = await start(hold, keepalive=(0.05, 2))
        task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b""))
        await wait_until(lambda: len(daemon.held) == 1, "the call at the daemon")
        daemon.frozen = True
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(task, DEADLINE)
        pings = client.keepalive_pings_sent
        await shut(client, daemon, transport)
        assert pings == 2


async def test_fd_churn_through_the_client(fd_leak_check: FdLeakCheck) -> None:
    """300 calls, each sending 0-2 fds and receiving 0-2 fds back, all fds
    returned to the caller are closed by the test: the totals balance."""
    with fd_leak_check():
        r, w = os.pipe()

        def answer(daemon: FakeDaemon, call: ev.Call) -> None:
            count = call.payload[0]
            daemon.write(daemon.conn.send_reply(call.header, b"ok", fds=[r] * count), [r] * count)

        client, daemon, transport = await start(answer)
        received = 0
        for i in range(300):
            sent_fds = [r, w][: i % 3]
            result = await asyncio.wait_for(
                client.call(REMOTE, 1, PROC_RAW, bytes([(i + 1) % 3]), fds=sent_fds), DEADLINE
            )
            received += len(result.fds)
            for fd in result.fds:
                os.close(fd)
        assert received == sum((i + 1) % 3 for i in range(300))
        assert daemon.fds_received == sum(i % 3 for i in range(300))
        os.close(r)
        os.close(w)
        await shut(client, daemon, transport)


def _closed_fd() -> int:
    """An fd number that is not open in this process (high enough that the
    pipes the test opens afterwards do not reuse it)."""
    for fd in range(987, 2000):
        try:
            os.fstat(fd)
        except OSError:
            return fd
    raise AssertionError("no free fd number")


async def test_bad_caller_fd_is_a_typed_error_and_the_connection_survives(
    fd_leak_check: FdLeakCheck,
) -> None:
    """A call with an fd that is not open fails before anything is written,
    with BadFileDescriptor (a ValueError), leaves no pending serial behind,
    and the connection keeps working, also while calls are queued."""

    def answer(daemon: FakeDaemon, call: ev.Call) -> None:
        daemon.write(daemon.conn.send_reply(call.header, call.payload[:8]))

    with fd_leak_check():
        client, daemon, transport = await start(answer)
        bad = _closed_fd()
        r, w = os.pipe()
        try:
            for fds in ([bad], [r, bad]):
                with pytest.raises(BadFileDescriptor, match=f"fd {bad}") as caught:
                    await asyncio.wait_for(client.call(REMOTE, 1, PROC_RAW, b"", fds=fds), DEADLINE)
                assert isinstance(caught.value, ValueError)
                assert calls_in_flight(client) == 0
                assert not replies_awaited(client)
                assert client.is_open
            # The typed path of the generated methods behaves the same.
            with pytest.raises(BadFileDescriptor):
                await client.call("remote", 1, "connect_get_lib_version", None, fds=[bad])
            assert calls_in_flight(client) == 0
            # Nothing reached the daemon; the next calls (with a good fd) work.
            assert daemon.fds_received == 0
            result = await asyncio.wait_for(
                client.call(REMOTE, 1, PROC_RAW, b"after", fds=[r]), DEADLINE
            )
            assert result.value == b"after"
            assert daemon.fds_received == 1
            # Behind a queued call (the socket is full), the bad fd is refused too.
            transport.pause_reading()
            big = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"x" * 4_000_000))
            assert transport_of(client) is not None
            await wait_until(lambda: calls_in_flight(client) == 1, "the big call sent")
            assert transport_of(client).get_write_buffer_size() > 0
            with pytest.raises(BadFileDescriptor):
                await client.call(REMOTE, 1, PROC_RAW, b"", fds=[bad])
            assert calls_in_flight(client) == 1
            transport.resume_reading()
            assert (await asyncio.wait_for(big, DEADLINE)).value == b"x" * 8
            assert client.is_open and calls_in_flight(client) == 0
        finally:
            os.close(r)
            os.close(w)
        await shut(client, daemon, transport)
