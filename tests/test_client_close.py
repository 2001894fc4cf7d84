"""``close()`` comes after the calls issued before it, on every Python.

The calls a program issued before ``close()`` are sent and answered before
``connect_close``: both the calls whose tasks were created but had not run yet
(on 3.12+ ``asyncio.wait_for`` runs its coroutine inline, and ``close()`` used
to write ``connect_close`` ahead of them) and the calls still being worked on
by the daemon (libvirtd hangs up once connect_close's reply is out).  Checked
against the in-process test server, which logs what it receives, against a
real libvirtd (its remote and admin programs) and through ``virtrpc.sync``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import virtrpc
import virtrpc.sync
from tests.support.peers import PrivateLibvirtd
from virtrpc.client import connect_admin
from virtrpc.server import CallContext, Server, ServerLimits
from virtrpc.testdriver import TestDriver
from virtrpc.testdriver import host as test_host

# How long a held call waits for a connect_close that must not come while it
# is unanswered.  Only an absence is waited for: a close that comes early
# ends the wait at once (and the test fails), a slow machine cannot make a
# correct client fail.
HOLD_WINDOW = 0.2


@dataclass
class LoggingServer:
    """The test server, logging the procedures it receives and holding
    ``connect_get_hostname`` calls (see :data:`HOLD_WINDOW`)."""

    server: Server
    uri: str
    log: list[str] = field(default_factory=list)
    hostname_received: asyncio.Event = field(default_factory=asyncio.Event)
    close_received: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def logging_server(tmp_path: Path) -> AsyncIterator[LoggingServer]:
    driver = TestDriver()
    service = driver.service()
    server = Server(ServerLimits(shutdown_timeout=2.0))
    served = LoggingServer(server, f"test+unix:///default?socket={tmp_path / 'sock'}")

    def lib_version(ctx: CallContext, args: None) -> Any:
        served.log.append("connect_get_lib_version")
        return driver.connect_get_lib_version(ctx, args)

    async def held_hostname(ctx: CallContext, args: None) -> Any:
        served.log.append("connect_get_hostname")
        served.hostname_received.set()
        try:
            async with asyncio.timeout(HOLD_WINDOW):
                await served.close_received.wait()
        except TimeoutError:
            pass
        served.log.append("connect_get_hostname answered")
        return driver.connect_get_hostname(ctx, args)

    def logged_close(ctx: CallContext, args: None) -> None:
        served.log.append("connect_close")
        served.close_received.set()
        driver.connect_close(ctx, args)

    service.add("connect_get_lib_version", lib_version)
    service.add("connect_get_hostname", held_hostname)
    service.add("connect_close", logged_close)
    server.add_program(service)
    server.on_client_closed(driver.client_closed)
    server.on_shutdown(driver.close)
    await server.listen_unix(str(tmp_path / "sock"))
    try:
        yield served
    finally:
        await server.shutdown()


async def test_calls_in_tasks_not_yet_run_go_before_connect_close(
    logging_server: LoggingServer,
) -> None:
    """Five calls in tasks created just before close() (their coroutines not
    started): all answered, and the server sees them before connect_close."""
    client = await virtrpc.connect(logging_server.uri, keepalive=None)
    logging_server.log.clear()
    pending = [asyncio.ensure_future(client.connect_get_lib_version()) for _ in range(5)]
    await client.close()
    assert await asyncio.gather(*pending, return_exceptions=True) == [9000000] * 5
    assert logging_server.log == ["connect_get_lib_version"] * 5 + ["connect_close"]
    assert client.close_reason == "client"


async def test_close_waits_for_the_reply_to_a_call_in_flight(
    logging_server: LoggingServer,
) -> None:
    """A call the server is still working on when close() starts is answered
    before connect_close is sent."""
    client = await virtrpc.connect(logging_server.uri, keepalive=None)
    logging_server.log.clear()
    in_flight = asyncio.ensure_future(client.connect_get_hostname())
    await logging_server.hostname_received.wait()
    await client.close()
    assert await in_flight == test_host.HOSTNAME
    assert logging_server.log == [
        "connect_get_hostname", "connect_get_hostname answered", "connect_close",
    ]


async def test_calls_after_close_are_refused_without_reaching_the_server(
    logging_server: LoggingServer,
) -> None:
    """A call made once connect_close is on its way fails with ConnectionLost
    at once: it is not sent to a server that is closing the connection."""
    client = await virtrpc.connect(logging_server.uri, keepalive=None)
    logging_server.log.clear()
    closing = asyncio.ensure_future(client.close())
    await logging_server.close_received.wait()
    with pytest.raises(virtrpc.ConnectionLost, match="closed by the client"):
        await client.connect_get_lib_version()
    await closing
    assert logging_server.log == ["connect_close"]


async def test_sync_close_waits_for_a_call_of_another_thread(
    logging_server: LoggingServer,
) -> None:
    """virtrpc.sync: a call in flight in one thread while another thread
    closes the connection gets its reply; connect_close comes after it."""
    client = await asyncio.to_thread(virtrpc.sync.connect, logging_server.uri, keepalive=None)
    logging_server.log.clear()
    result: list[object] = []
    caller = threading.Thread(target=lambda: result.append(client.connect_get_hostname()))
    caller.start()
    await logging_server.hostname_received.wait()
    await asyncio.to_thread(client.close)
    await asyncio.to_thread(caller.join, 10)
    assert result == [test_host.HOSTNAME]
    assert logging_server.log == [
        "connect_get_hostname", "connect_get_hostname answered", "connect_close",
    ]
    assert not client.is_open


@pytest.mark.libvirtd
async def test_libvirtd_answers_calls_issued_just_before_close(
    libvirtd: PrivateLibvirtd,
) -> None:
    """The same against a real libvirtd, remote and admin programs: calls in
    tasks created just before close() all get their answers (before the fix,
    on 3.12+ they got "connection not open" or a lost connection)."""
    for _round in range(5):
        client = await virtrpc.connect(libvirtd.uri, keepalive=None)
        calls = [asyncio.ensure_future(client.connect_get_lib_version()) for _ in range(5)]
        await client.close()
        assert await asyncio.gather(*calls, return_exceptions=True) == [9000000] * 5
    admin_uri = f"libvirtd:///system?socket={libvirtd.admin_socket_path}"
    admin = await connect_admin(admin_uri)
    admin_calls = [asyncio.ensure_future(admin.connect_get_lib_version()) for _ in range(5)]
    await admin.close()
    assert await asyncio.gather(*admin_calls, return_exceptions=True) == [9000000] * 5
    assert not admin.is_open
