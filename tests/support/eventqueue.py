"""A transport receiver that feeds a sans-I/O Connection and queues its
events: the far end (or a bare client) in tests that drive the RPC core over
real transports."""

from __future__ import annotations

import asyncio

from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.events import Event
from virtrpc.transport.base import Transport

DEADLINE = 10.0


class EventQueue:
    """``Connection(role)`` behind a transport; its events in :attr:`events`,
    the reason the transport was lost in :attr:`lost`."""

    def __init__(self, role: Role) -> None:
        self.conn = Connection(role)
        self.transport: Transport | None = None
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.lost: asyncio.Future[BaseException | None] = (
            asyncio.get_running_loop().create_future()
        )

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes, fds: list[int]) -> None:
        for event in self.conn.receive_data(data, fds):
            self.events.put_nowait(event)

    def eof_received(self) -> None:
        for event in self.conn.receive_eof():
            self.events.put_nowait(event)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.conn.close()
        if not self.lost.done():
            self.lost.set_result(exc)

    def write(self, data: bytes, fds: list[int] | None = None) -> None:
        assert self.transport is not None
        self.transport.write(data, fds or ())

    async def next_event(self, timeout: float = DEADLINE) -> Event:
        return await asyncio.wait_for(self.events.get(), timeout)
