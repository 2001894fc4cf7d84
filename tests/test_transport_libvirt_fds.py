"""fd passing against libvirt's own client code (libvirt-python as a subprocess).

A tiny stub server built only from the RPC core and the Unix transport answers
the few calls libvirt's remote driver makes, receives the fd that
``virDomainCreateWithFiles`` sends (libvirt's sender: packet, then one dummy
byte + fd per sendmsg) and sends one back for ``virDomainOpenGraphicsFD``
(libvirt's receiver: one-byte recvmsg per fd).  Both fds must work.
"""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import tempfile

import pytest

from virtrpc.client.errors import LibvirtError
from virtrpc.protocols.virterror import ErrorNumber
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role
from virtrpc.transport.base import Transport
from virtrpc.transport.unix import start_unix_server

pytestmark = pytest.mark.peers

PROC_CONNECT_OPEN = 1
PROC_CONNECT_CLOSE = 2
PROC_DOMAIN_LOOKUP_BY_NAME = 23
PROC_CONNECT_SUPPORTS_FEATURE = 60
PROC_AUTH_LIST = 66
PROC_DOMAIN_CREATE_WITH_FILES = 310
PROC_DOMAIN_OPEN_GRAPHICS_FD = 343
VIR_DRV_FEATURE_FD_PASSING = 8


def xdr_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value + b"\0" * (-len(value) % 4)


DOMAIN = xdr_string(b"vm") + b"U" * 16 + struct.pack(">i", 1)  # remote_nonnull_domain

CLIENT_SCRIPT = r"""
import libvirt, os, sys
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("vm")
r, w = os.pipe()
dom.createWithFiles([w], 0)
os.close(w)
print(os.read(r, 100).decode())
fd = dom.openGraphicsFD(0, 0)
print(os.read(fd, 100).decode())
conn.close()
"""


class StubServer:
    """Answers just enough of the remote program for the script above."""

    def __init__(self) -> None:
        self.conn = Connection(Role.SERVER)
        self.transport: Transport | None = None
        self.procs: list[int] = []
        self.fd_counts: dict[int, int] = {}

    def connection_made(self, transport: Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes, fds: list[int]) -> None:
        assert self.transport is not None
        for event in self.conn.receive_data(data, fds):
            if isinstance(event, ev.KeepalivePing):
                self.transport.write(self.conn.send_keepalive_pong())
            elif isinstance(event, ev.Call):
                self.handle(self.transport, event)
            elif isinstance(event, ev.MessageEvent):
                event.close_fds()

    def handle(self, transport: Transport, call: ev.Call) -> None:
        header = call.header
        self.procs.append(header.proc)
        self.fd_counts[header.proc] = len(call.fds)
        if header.proc == PROC_AUTH_LIST:
            transport.write(self.conn.send_reply(header, struct.pack(">II", 1, 0)))  # [NONE]
        elif header.proc == PROC_CONNECT_SUPPORTS_FEATURE:
            (feature,) = struct.unpack_from(">i", call.payload)
            supported = 1 if feature == VIR_DRV_FEATURE_FD_PASSING else 0
            transport.write(self.conn.send_reply(header, struct.pack(">i", supported)))
        elif header.proc in (PROC_CONNECT_OPEN, PROC_CONNECT_CLOSE):
            transport.write(self.conn.send_reply(header))
        elif header.proc == PROC_DOMAIN_LOOKUP_BY_NAME:
            transport.write(self.conn.send_reply(header, DOMAIN))
        elif header.proc == PROC_DOMAIN_CREATE_WITH_FILES:
            for fd in call.take_fds():
                os.write(fd, b"written by the server through the passed fd")
                os.close(fd)
            transport.write(self.conn.send_reply(header, DOMAIN))
        elif header.proc == PROC_DOMAIN_OPEN_GRAPHICS_FD:
            r, w = os.pipe()
            os.write(w, b"read by the client through the returned fd")
            os.close(w)
            try:
                transport.write(self.conn.send_reply(header, b"", fds=[r]), [r])
            finally:
                os.close(r)  # the transport sends its own duplicate
        else:
            call.close_fds()
            error = LibvirtError(f"stub: procedure {header.proc} not supported",
                                 code=ErrorNumber.VIR_ERR_NO_SUPPORT)
            transport.write(self.conn.send_error(header, error.to_wire()))

    def eof_received(self) -> None:
        self.conn.receive_eof()

    def connection_lost(self, exc: BaseException | None) -> None:
        pass


async def test_fds_both_ways_with_libvirt_client(libvirt_python: str) -> None:
    before = len(os.listdir("/proc/self/fd"))
    stubs: list[StubServer] = []

    def factory() -> StubServer:
        stub = StubServer()
        stubs.append(stub)
        return stub

    with tempfile.TemporaryDirectory(prefix="vrpc-") as tmp:
        path = os.path.join(tmp, "sock")
        listener = await start_unix_server(path, factory)
        try:
            process = await asyncio.create_subprocess_exec(
                libvirt_python, "-c", CLIENT_SCRIPT, f"test+unix:///default?socket={path}",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), 60)
        finally:
            listener.close()
    assert process.returncode == 0, err.decode()
    assert out.decode().splitlines() == [
        "written by the server through the passed fd",
        "read by the client through the returned fd",
    ]
    (stub,) = stubs
    assert stub.fd_counts[PROC_DOMAIN_CREATE_WITH_FILES] == 1
    assert PROC_DOMAIN_OPEN_GRAPHICS_FD in stub.procs
    assert len(os.listdir("/proc/self/fd")) <= before
