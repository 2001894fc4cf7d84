"""The client's reply waiter: a reply resumes its caller in the same loop
iteration (no second ``epoll_wait``), with asyncio's cancellation, context
and exception semantics intact."""

from __future__ import annotations

import asyncio
import contextvars
import os
import socket
import struct
from collections.abc import AsyncIterator

import pytest

from tests.support.peek import calls_in_flight, replies_awaited
from virtrpc.client.client import Client, ReplyWaiter, connect_socket
from virtrpc.client.errors import LibvirtError
from virtrpc.errors import ConnectionLost
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role

REMOTE = 0x20008086
PROC_RAW = 9999  # unknown to the tables: raw bytes in and out
DEADLINE = 5.0


class Daemon:
    """The far end of a socketpair: reads calls, builds replies (not sent)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.conn = Connection(Role.SERVER)
        self.calls: list[ev.Call] = []

    async def next_call(self) -> ev.Call:
        loop = asyncio.get_running_loop()
        while not self.calls:
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), DEADLINE)
            assert data, "client hung up"
            for event in self.conn.receive_data(data):
                assert isinstance(event, ev.Call)
                self.calls.append(event)
        return self.calls.pop(0)


@pytest.fixture
async def setup() -> AsyncIterator[tuple[Client, Daemon]]:
    client_sock, daemon_sock = socket.socketpair()
    daemon_sock.setblocking(False)
    client = await connect_socket(client_sock, keepalive=None, handshake=False)
    try:
        yield client, Daemon(daemon_sock)
    finally:
        client.abort()
        daemon_sock.close()


async def test_reply_resumes_the_caller_inside_the_read_callback(
    setup: tuple[Client, Daemon],
) -> None:
    client, daemon = setup
    task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"ping"))
    call = await daemon.next_call()
    reply = daemon.conn.send_reply(call.header, b"pong")
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[bool] = loop.create_future()

    def read_callback() -> None:  # like the transport's reader: no task running
        client.data_received(reply, [])
        seen.set_result(task.done())

    loop.call_soon(read_callback)
    assert await asyncio.wait_for(seen, DEADLINE) is True
    assert task.result().value == b"pong"


async def test_reply_fed_from_a_task_wakes_the_caller_later(
    setup: tuple[Client, Daemon],
) -> None:
    """Inside a running task the caller cannot be stepped (asyncio forbids
    nesting tasks): the wake-up is scheduled instead, as with a Future."""
    client, daemon = setup
    task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"x"))
    call = await daemon.next_call()
    client.data_received(daemon.conn.send_reply(call.header, b"y"), [])
    assert not task.done()
    assert (await asyncio.wait_for(task, DEADLINE)).value == b"y"


async def test_cancelled_call_drops_its_late_reply(setup: tuple[Client, Daemon]) -> None:
    client, daemon = setup
    task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"slow"))
    call = await daemon.next_call()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The serial stays pending so the late reply is recognised and dropped.
    assert calls_in_flight(client) == 1
    client.data_received(daemon.conn.send_reply(call.header, b"late"), [])
    assert calls_in_flight(client) == 0 and client.is_open
    follow = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"next"))
    call = await daemon.next_call()
    client.data_received(daemon.conn.send_reply(call.header, b"fine"), [])
    assert (await asyncio.wait_for(follow, DEADLINE)).value == b"fine"


async def test_generated_method_resumes_inside_the_read_callback(
    setup: tuple[Client, Daemon],
) -> None:
    """The generated methods await the waiter _call_procedure hands back
    (no coroutine of the client's in between): same one-iteration wake-up."""
    client, daemon = setup
    task = asyncio.ensure_future(client.connect_get_lib_version())
    call = await daemon.next_call()
    reply = daemon.conn.send_reply(call.header, struct.pack(">Q", 9_000_000))
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[bool] = loop.create_future()

    def read_callback() -> None:
        client.data_received(reply, [])
        seen.set_result(task.done())

    loop.call_soon(read_callback)
    assert await asyncio.wait_for(seen, DEADLINE) is True
    assert task.result() == 9_000_000


async def test_generated_method_raises_the_error_reply(setup: tuple[Client, Daemon]) -> None:
    client, daemon = setup
    task = asyncio.ensure_future(client.connect_get_lib_version())
    call = await daemon.next_call()
    error = LibvirtError("no such thing", code=42, domain=12)
    client.data_received(daemon.conn.send_error(call.header, error.to_wire()), [])
    with pytest.raises(LibvirtError, match="no such thing") as raised:
        await asyncio.wait_for(task, DEADLINE)
    assert raised.value.code == 42
    assert client.is_open


async def test_generated_method_cancelled_as_its_reply_arrives_closes_its_fds(
    setup: tuple[Client, Daemon],
) -> None:
    client, daemon = setup
    task = asyncio.ensure_future(client.connect_get_lib_version())
    call = await daemon.next_call()
    read_end, write_end = os.pipe()
    os.close(write_end)
    packet = daemon.conn.send_reply(call.header, struct.pack(">Q", 1), [read_end])
    # Fed from inside this task, the reply only schedules the caller's
    # wake-up: the cancellation then lands on a call whose reply is in.
    client.data_received(packet + b"\0", [read_end])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(OSError):
        os.fstat(read_end)  # closed by the client, not leaked
    assert client.is_open and not replies_awaited(client)


async def test_low_level_call_cancelled_as_its_reply_arrives_closes_its_fds(
    setup: tuple[Client, Daemon],
) -> None:
    """Client.call waits on a plain ReplyWaiter: the same rule holds there."""
    client, daemon = setup
    task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"x"))
    call = await daemon.next_call()
    read_end, write_end = os.pipe()
    os.close(write_end)
    packet = daemon.conn.send_reply(call.header, b"y", [read_end])
    client.data_received(packet + b"\0", [read_end])  # wake-up only scheduled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(OSError):
        os.fstat(read_end)  # closed by the client, not leaked
    assert client.is_open and not replies_awaited(client)


async def test_timeout_and_context_survive(setup: tuple[Client, Daemon]) -> None:
    client, daemon = setup
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def caller() -> tuple[bytes, str]:
        var.set("caller's")
        result = await client.call(REMOTE, 1, PROC_RAW, b"ctx")
        return result.value, var.get()

    task = asyncio.ensure_future(caller())
    call = await daemon.next_call()
    reply = daemon.conn.send_reply(call.header, b"ok")
    asyncio.get_running_loop().call_soon(client.data_received, reply, [])
    assert await asyncio.wait_for(task, DEADLINE) == (b"ok", "caller's")
    assert var.get() == "unset"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.call(REMOTE, 1, PROC_RAW, b"never"), 0.01)
    await daemon.next_call()


async def test_connection_loss_fails_the_waiting_call(setup: tuple[Client, Daemon]) -> None:
    client, daemon = setup
    task = asyncio.ensure_future(client.call(REMOTE, 1, PROC_RAW, b"x"))
    await daemon.next_call()
    daemon.sock.close()
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(task, DEADLINE)


async def test_waiter_future_protocol() -> None:
    loop = asyncio.get_running_loop()
    waiter = ReplyWaiter(loop)
    assert asyncio.isfuture(waiter) and waiter.get_loop() is loop
    assert not waiter.done() and not waiter.cancelled()
    with pytest.raises(asyncio.InvalidStateError):
        waiter.result()
    with pytest.raises(asyncio.InvalidStateError):
        waiter.exception()
    error = ConnectionLost("gone")
    calls: list[ReplyWaiter] = []
    waiter.add_done_callback(calls.append)
    waiter.add_done_callback(print)
    assert waiter.remove_done_callback(print) == 1
    waiter.set_exception(error)
    assert waiter.done() and waiter.exception() is error
    with pytest.raises(ConnectionLost):
        waiter.result()
    with pytest.raises(asyncio.InvalidStateError):
        waiter.set_exception(error)
    assert not waiter.cancel()
    await asyncio.sleep(0)  # callbacks of a failure are scheduled, not run inline
    assert calls == [waiter]

    cancelled = ReplyWaiter(loop)
    assert cancelled.cancel("why")
    assert cancelled.cancelled()
    with pytest.raises(asyncio.CancelledError, match="why"):
        cancelled.result()
    with pytest.raises(asyncio.CancelledError):
        cancelled.exception()
    late: list[ReplyWaiter] = []
    cancelled.add_done_callback(late.append)  # already done: scheduled
    await asyncio.sleep(0)
    assert late == [cancelled]


async def test_waiter_runs_every_callback_in_order() -> None:
    loop = asyncio.get_running_loop()
    seen: list[str] = []

    def first(_: object) -> None:
        seen.append("first")

    def second(_: object) -> None:
        seen.append("second")

    def third(_: object) -> None:
        seen.append("third")

    waiter = ReplyWaiter(loop)
    for callback in (first, second, third):
        waiter.add_done_callback(callback)
    assert waiter.remove_done_callback(first) == 1
    waiter.add_done_callback(first)
    done: asyncio.Future[None] = loop.create_future()
    waiter.add_done_callback(lambda _: done.set_result(None))
    loop.call_soon(waiter.set_result, b"")  # from the loop, outside any task
    await asyncio.wait_for(done, DEADLINE)
    assert seen == ["second", "third", "first"]

    lone = ReplyWaiter(loop)
    lone.add_done_callback(first)
    assert lone.remove_done_callback(first) == 1
    lone.set_result(b"")
    await asyncio.sleep(0)
    assert seen == ["second", "third", "first"]  # removed: never called
