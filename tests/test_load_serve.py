"""Load: `virtrpc serve` with many concurrent virtrpc clients making mixed
calls (plain calls, calls returning fds, streams, events), while one client
pipelines calls and never reads its replies.

Every call's answer is checked (a lost reply would hang the gather, bounded
by a timeout; a duplicated one is a protocol violation that kills its
connection), the server's memory stays bounded and the slow reader holds
nobody up.

The full scale (200 clients x 1000 calls, about a minute) is the stress run
(``pytest -m stress``, deselected by default; tools/test.sh runs it once);
the main suite runs the same test on 100 clients x 100 calls, which still
has every kind of call in every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import virtrpc
import virtrpc.client
from tests.support.peers import serve_process
from virtrpc.protocols import remote
from virtrpc.rpc.packet import MessageType, Status, encode_packet

# Out of every 100 calls of a client: 2 return an fd, 1 downloads a stream.
FD_EVERY = 50
STREAM_EVERY = 100
SERVER_RSS_LIMIT_KIB = 160 * 1024


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    with serve_process(tmp_path) as (uri, process):
        yield uri, process.pid


def _slow_reader(path: str, calls: int) -> socket.socket:
    """A raw client that pipelines `calls` lib-version calls and never reads."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.setblocking(False)
    proc = remote.PROGRAM.by_name["connect_get_lib_version"].number
    burst = b"".join(
        encode_packet(remote.PROGRAM.number, 1, proc, MessageType.CALL, serial, Status.OK)
        for serial in range(calls)
    )
    with contextlib.suppress(BlockingIOError):
        sock.send(burst)  # as much as the socket takes; the rest is never sent
    return sock


async def _calls(client: virtrpc.client.Client, calls: int) -> int:
    dom = await client.domain_lookup_by_name(name="test")
    assert dom.name == "test"
    done = 0
    for number in range(calls):
        if number % STREAM_EVERY == STREAM_EVERY - 1:
            stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
            png = await stream.read_all()
            await stream.finish()
            assert png.startswith(b"\x89PNG"), png[:8]
        elif number % FD_EVERY == FD_EVERY - 1:
            _value, fds = await client.domain_open_graphics_fd(dom=dom, idx=0, flags=0)
            try:
                assert len(fds) == 1
                assert os.read(fds[0], 12) == b"RFB 003.008\n"
            finally:
                for fd in fds:
                    os.close(fd)
        elif number % 2:
            assert await client.connect_get_lib_version() == 9000000
        else:
            found = await client.domain_lookup_by_id(id=dom.id)
            assert found.name == "test" and found.uuid == dom.uuid
        done += 1
    return done


async def _sees_probe_event(subscription: virtrpc.client.Subscription) -> bool:
    async for event in subscription:
        if event.fields["dom"].name == "load-probe":
            return True
    return False


@pytest.mark.parametrize(
    ("clients_count", "calls_per_client", "bound_s"),
    [
        pytest.param(100, 100, 30, id="100_clients_100_calls"),
        pytest.param(200, 1000, 280, id="200_clients_1000_calls", marks=pytest.mark.stress),
    ],
)
async def test_many_clients_mixed_calls(
    served: tuple[str, int], clients_count: int, calls_per_client: int, bound_s: int
) -> None:
    assert calls_per_client % STREAM_EVERY == 0  # every client streams and passes fds
    uri, server_pid = served
    path = uri.split("socket=", 1)[1]
    slow = _slow_reader(path, 20000)
    clients = await asyncio.gather(
        *(virtrpc.connect(uri, keepalive=None) for _ in range(clients_count))
    )
    try:
        subscriptions = await asyncio.gather(
            *(client.subscribe("domain", "lifecycle") for client in clients)
        )
        # Every call's answer is checked inside _calls; a lost reply would hang here
        # (bounded), a duplicated one kills its connection (ConnectionLost fails the test).
        results = await asyncio.wait_for(
            asyncio.gather(*(_calls(client, calls_per_client) for client in clients)),
            timeout=bound_s,
        )
        assert results == [calls_per_client] * clients_count
        assert _rss_kib(server_pid) < SERVER_RSS_LIMIT_KIB

        # One state change reaches every one of the subscribers.
        xml = (
            "<domain type='test'><name>load-probe</name><memory>1024</memory>"
            "<os><type>hvm</type></os></domain>"
        )
        probe = await clients[0].domain_define_xml(xml=xml)
        await clients[0].domain_undefine(dom=probe)
        seen = await asyncio.wait_for(
            asyncio.gather(*(_sees_probe_event(sub) for sub in subscriptions)), timeout=60
        )
        assert all(seen)
    finally:
        slow.close()
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
    # The server is still healthy after the load and after the slow reader left.
    async with virtrpc.connect(uri) as client:
        assert await client.connect_get_lib_version() == 9000000
