"""A deliberately dumb asyncio client for the server's tests: it writes
whatever bytes and fds a test wants over a Unix socket and decodes what comes
back with a client-role sans-I/O connection (no reply tracking), so a test can
send malformed, out-of-order or forbidden messages and see the server's answer,
its silence, or its hang-up.  (tests/support/rawpeer.py is the blocking
counterpart used against libvirtd too.)"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable

import pytest

from virtrpc.protocols import remote
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.events import Event, MessageEvent
from virtrpc.rpc.packet import MessageType, Status, encode_packet

__all__ = ["DEADLINE", "PROC", "REMOTE", "RawClient", "decode_error", "wait_for_condition"]

REMOTE = remote.PROGRAM.number
PROC = remote.PROGRAM.by_name
DEADLINE = 5.0


async def wait_for_condition(check: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``check`` on the running loop until it holds (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def decode_error(payload: bytes) -> tuple[int, int, str | None]:
    """(code, domain, message) of a ``virNetMessageError`` payload."""
    code, domain, has_message = struct.unpack_from(">iiI", payload)
    message = None
    if has_message:
        (length,) = struct.unpack_from(">I", payload, 12)
        message = payload[16 : 16 + length].decode()
    return code, domain, message


class RawClient:
    """A deliberately dumb client: writes whatever bytes a test wants and
    decodes what comes back with a client-role state machine."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.conn = Connection(Role.CLIENT, track_calls=False)
        self.events: list[Event] = []
        self.eof = False

    @classmethod
    async def connect(cls, path: str, *, served: bool = True) -> RawClient:
        """Connect; with ``served`` also wait for one round trip, so the server
        has accepted the connection (and counts its fd) when this returns."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, path)
        client = cls(sock)
        if served:
            await client.call(PROC["connect_get_lib_version"].number, serial=0)
            reply = await client.next_message()
            assert (reply.header.serial, reply.header.status) == (0, Status.OK)
        return client

    async def send(self, data: bytes, fds: list[int] | None = None) -> None:
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(self.sock, data)
        for fd in fds or []:
            self.sock.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))])

    async def call(self, proc: int, payload: bytes = b"", *, serial: int = 1, prog: int = REMOTE,
                   vers: int = 1, mtype: int = MessageType.CALL, status: int = Status.OK,
                   fds: list[int] | None = None) -> None:
        packet = encode_packet(prog, vers, proc, mtype, serial, status, payload,
                               len(fds or []) if mtype == MessageType.CALL_WITH_FDS else 0)
        await self.send(packet, fds)

    async def _read_more(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()

        def readable() -> None:
            if not fut.done():
                fut.set_result(None)

        loop.add_reader(self.sock.fileno(), readable)
        try:
            await asyncio.wait_for(fut, timeout)
        finally:
            loop.remove_reader(self.sock.fileno())
        try:
            data, ancdata, _flags, _addr = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 40))
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionResetError:
            data, ancdata = b"", []
        fds: list[int] = []
        for level, kind, cdata in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.extend(struct.unpack(f"{len(cdata) // 4}i", cdata[: len(cdata) // 4 * 4]))
        if not data and not fds:
            self.eof = True
            return
        self.events.extend(self.conn.receive_data(data, fds))

    async def next_message(self, timeout: float = DEADLINE) -> MessageEvent:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for index, event in enumerate(self.events):
                if isinstance(event, MessageEvent):
                    del self.events[index]
                    return event
            if self.eof:
                raise EOFError("server closed the connection")
            await self._read_more(max(0.001, end - loop.time()))

    async def expect_error(self, serial: int) -> tuple[int, int, str | None]:
        message = await self.next_message()
        assert message.header.serial == serial
        assert message.header.status == Status.ERROR, message
        return decode_error(message.payload)

    async def expect_silence(self, timeout: float = 0.2) -> None:
        """Nothing arrives within ``timeout`` (and the connection stays up)."""
        with pytest.raises(asyncio.TimeoutError):
            await self.next_message(timeout)

    async def wait_closed(self, timeout: float = DEADLINE) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not self.eof:
            if loop.time() > end:
                raise AssertionError("server did not close the connection")
            try:
                await self._read_more(max(0.001, end - loop.time()))
            except TimeoutError:
                continue

    def close(self) -> None:
        self.sock.close()
