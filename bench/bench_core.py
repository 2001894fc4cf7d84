"""Micro-benchmarks of the RPC core and the Unix socket transport.

Run: ``.venv/bin/python bench/bench_core.py [--libvirtd]``.  Prints
operations per second for the pure state machine (encode a call, parse a
reply), for round trips over a Unix socketpair with a trivial echo server built
from the same core in one process (both ends share one CPU: a conservative
number), and with ``--libvirtd`` for ``CONNECT_GET_LIB_VERSION`` round trips
to a private libvirtd using only the core and the transport (no XDR layer, no
client): the floor any client built on them can reach.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import struct
import sys
import time
from pathlib import Path

from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role
from virtrpc.transport.base import Transport
from virtrpc.transport.unix import SocketTransport, open_unix

REMOTE = 0x20008086


def bench_state_machine(n: int = 200_000) -> None:
    client = Connection(Role.CLIENT)
    server = Connection(Role.SERVER)
    payload = b"\0" * 40
    start = time.perf_counter()
    for _ in range(n):
        client.send_call(REMOTE, 1, 157, payload)
    elapsed = time.perf_counter() - start
    print(f"send_call:            {n / elapsed:12,.0f} /s")
    _, packet = client.send_call(REMOTE, 1, 157, payload)
    (call,) = server.receive_data(packet)
    assert isinstance(call, ev.Call)
    reply = server.send_reply(call.header, b"\0\0\0\1")
    client2 = Connection(Role.CLIENT, track_calls=False)
    start = time.perf_counter()
    for _ in range(n):
        client2.receive_data(reply)
    elapsed = time.perf_counter() - start
    print(f"receive_data(reply):  {n / elapsed:12,.0f} /s")


class EchoServer:
    """Replies to every call with its payload."""

    def __init__(self) -> None:
        self.conn = Connection(Role.SERVER)
        self.transport: Transport | None = None

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes, fds: list[int]) -> None:
        assert self.transport is not None
        for event in self.conn.receive_data(data, fds):
            if isinstance(event, ev.Call):
                self.transport.write(self.conn.send_reply(event.header, event.payload))

    def eof_received(self) -> None:
        self.conn.receive_eof()

    def connection_lost(self, exc: BaseException | None) -> None:
        pass


class Client:
    def __init__(self) -> None:
        self.conn = Connection(Role.CLIENT)
        self.transport: Transport | None = None
        self.waiters: dict[int, asyncio.Future[bytes]] = {}
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes, fds: list[int]) -> None:
        for event in self.conn.receive_data(data, fds):
            if isinstance(event, ev.Reply):
                self.waiters.pop(event.header.serial).set_result(event.payload)

    def eof_received(self) -> None:
        pass

    def connection_lost(self, exc: BaseException | None) -> None:
        pass

    async def call(self, payload: bytes, proc: int = 157) -> bytes:
        serial, packet = self.conn.send_call(REMOTE, 1, proc, payload)
        fut: asyncio.Future[bytes] = self.loop.create_future()
        self.waiters[serial] = fut
        assert self.transport is not None
        self.transport.write(packet)
        return await fut


async def bench_roundtrips(n: int = 20_000, in_flight: int = 16) -> None:
    a, b = socket.socketpair()
    server = EchoServer()
    SocketTransport(a, server)
    client = Client()
    ct = SocketTransport(b, client)
    payload = b"\0" * 40
    start = time.perf_counter()
    for _ in range(n):
        await client.call(payload)
    elapsed = time.perf_counter() - start
    print(f"sequential roundtrip: {n / elapsed:12,.0f} /s (client+server in one process)")

    async def worker(count: int) -> None:
        for _ in range(count):
            await client.call(payload)

    start = time.perf_counter()
    await asyncio.gather(*(worker(n // in_flight) for _ in range(in_flight)))
    elapsed = time.perf_counter() - start
    print(f"{in_flight} in flight:         {n / elapsed:12,.0f} /s")
    ct.close()
    assert server.transport is not None
    server.transport.close()


async def bench_libvirtd(socket_path: str, n: int = 20_000, in_flight: int = 16) -> None:
    client = Client()
    transport = await open_unix(socket_path, client)
    name = b"test:///default"
    open_args = struct.pack(">II", 1, len(name)) + name + b"\0" * (-len(name) % 4) + b"\0" * 4
    await client.call(open_args, proc=1)
    for _ in range(500):
        await client.call(b"")
    start = time.perf_counter()
    cpu = time.process_time()
    for _ in range(n):
        await client.call(b"")
    elapsed = time.perf_counter() - start
    cpu_per_call = (time.process_time() - cpu) / n * 1e6
    print(f"libvirtd sequential:  {n / elapsed:12,.0f} /s ({cpu_per_call:.0f} us CPU per call here)")

    async def worker(count: int) -> None:
        for _ in range(count):
            await client.call(b"")

    start = time.perf_counter()
    await asyncio.gather(*(worker(n // in_flight) for _ in range(in_flight)))
    elapsed = time.perf_counter() - start
    print(f"libvirtd {in_flight} in flight: {n / elapsed:12,.0f} /s")
    transport.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="RPC core / transport micro-benchmarks")
    parser.add_argument("--libvirtd", action="store_true",
                        help="also measure round trips to a private libvirtd")
    options = parser.parse_args()
    bench_state_machine()
    asyncio.run(bench_roundtrips())
    if options.libvirtd:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
        # The test helper that runs a private daemon (tests.support.peers).
        from tests.support.peers import PrivateLibvirtd  # type: ignore[import-not-found,unused-ignore]

        with PrivateLibvirtd() as daemon:
            asyncio.run(bench_libvirtd(daemon.socket_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
