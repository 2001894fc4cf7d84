"""Interop of the RPC core + Unix transport with a real (private) libvirtd.

Hand-built payloads only: this proves framing, serials, fd passing, error
replies and keepalive against the real peer without the XDR layer.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
import subprocess

import pytest

from tests.support.eventqueue import EventQueue
from tests.support.peers import PrivateLibvirtd, find_libvirtd, require_peer
from virtrpc.client.errors import LibvirtError
from virtrpc.errors import ConnectionLost
from virtrpc.protocols.virterror import ErrorDomain, ErrorNumber
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Role
from virtrpc.rpc.packet import KEEPALIVE_PROGRAM, MessageType, Status, encode_packet
from virtrpc.transport.unix import SocketTransport, open_unix

pytestmark = pytest.mark.libvirtd

REMOTE = 0x20008086
PROC_CONNECT_OPEN = 1
PROC_DOMAIN_LOOKUP_BY_NAME = 23
PROC_CONNECT_SUPPORTS_FEATURE = 60
PROC_CONNECT_GET_LIB_VERSION = 157
VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10  # libvirt_internal.h (not 12)
DEADLINE = 10.0


def xdr_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value + b"\0" * (-len(value) % 4)


def open_args(name: bytes) -> bytes:
    # remote_connect_open_args: remote_string name (optional), unsigned flags
    return b"\0\0\0\1" + xdr_string(name) + struct.pack(">I", 0)


class RawClient(EventQueue):
    """Client role Connection + SocketTransport, events in a queue."""

    def __init__(self) -> None:
        super().__init__(Role.CLIENT)

    async def call(self, proc: int, payload: bytes = b"", fds: list[int] | None = None) -> ev.Event:
        serial, packet = self.conn.send_call(REMOTE, 1, proc, payload, fds or ())
        self.write(packet, fds)
        event = await self.next_event()
        assert isinstance(event, ev.Reply | ev.ErrorReply), event
        assert event.header.serial == serial
        return event

    async def open(self) -> None:
        reply = await self.call(PROC_CONNECT_OPEN, open_args(b"test:///default"))
        assert isinstance(reply, ev.Reply), reply

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def connect(daemon: PrivateLibvirtd) -> tuple[RawClient, SocketTransport]:
    client = RawClient()
    transport = await open_unix(daemon.socket_path, client)
    return client, transport


def installed_libvirt_version() -> int:
    libvirtd = find_libvirtd()
    assert libvirtd is not None
    out = subprocess.run([libvirtd, "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", out.stdout)
    assert match, out.stdout
    major, minor, micro = (int(x) for x in match.groups())
    return major * 1_000_000 + minor * 1_000 + micro


async def test_open_lib_version_keepalive(libvirtd: PrivateLibvirtd) -> None:
    client, transport = await connect(libvirtd)
    await client.open()
    reply = await client.call(PROC_CONNECT_GET_LIB_VERSION)
    assert isinstance(reply, ev.Reply) and reply.header.status == Status.OK
    (lib_version,) = struct.unpack(">Q", reply.payload)
    assert lib_version == installed_libvirt_version()
    supported = await client.call(
        PROC_CONNECT_SUPPORTS_FEATURE, struct.pack(">iI", VIR_DRV_FEATURE_PROGRAM_KEEPALIVE, 0)
    )
    assert isinstance(supported, ev.Reply) and supported.payload == struct.pack(">i", 1)
    client.write(client.conn.send_keepalive_ping())
    pong = await client.next_event()
    assert isinstance(pong, ev.KeepalivePong)
    assert pong.header.prog == KEEPALIVE_PROGRAM and pong.header.type == MessageType.MESSAGE
    assert client.conn.pending_calls == 0
    transport.close()
    assert await asyncio.wait_for(client.lost, DEADLINE) is None


async def test_error_reply_decodes_to_libvirt_error(libvirtd: PrivateLibvirtd) -> None:
    client, _transport = await connect(libvirtd)
    await client.open()
    reply = await client.call(PROC_DOMAIN_LOOKUP_BY_NAME, xdr_string(b"no-such-domain"))
    assert isinstance(reply, ev.ErrorReply) and reply.header.status == Status.ERROR
    error = LibvirtError.from_wire(reply.payload)
    assert error.code == ErrorNumber.VIR_ERR_NO_DOMAIN
    assert error.domain == ErrorDomain.VIR_FROM_TEST
    assert error.code_name == "VIR_ERR_NO_DOMAIN" and error.message
    # Unknown procedure: an RPC error reply, and the connection stays usable.
    reply = await client.call(9999)
    assert isinstance(reply, ev.ErrorReply)
    rpc_error = LibvirtError.from_wire(reply.payload)
    assert rpc_error.code == ErrorNumber.VIR_ERR_RPC and "9999" in str(rpc_error)
    assert isinstance(await client.call(PROC_CONNECT_GET_LIB_VERSION), ev.Reply)
    client.close()


async def test_call_with_fds_framing_accepted_by_libvirtd(libvirtd: PrivateLibvirtd) -> None:
    """libvirtd reads our CALL_WITH_FDS (packet, then one dummy byte + fd per
    sendmsg) and stays in sync: the next call still works."""
    client, _transport = await connect(libvirtd)
    await client.open()
    r, w = os.pipe()
    try:
        reply = await client.call(PROC_CONNECT_GET_LIB_VERSION, b"", fds=[r, w])
    finally:
        os.close(r)
        os.close(w)
    assert isinstance(reply, ev.Reply)
    assert isinstance(await client.call(PROC_CONNECT_GET_LIB_VERSION), ev.Reply)
    client.close()


async def test_unexpected_message_types_are_ignored_by_libvirtd(libvirtd: PrivateLibvirtd) -> None:
    client, _transport = await connect(libvirtd)
    await client.open()
    for mtype, status in ((MessageType.REPLY, Status.OK), (MessageType.MESSAGE, Status.OK),
                          (MessageType.STREAM, Status.CONTINUE), (42, Status.OK)):
        client.write(encode_packet(REMOTE, 1, PROC_CONNECT_GET_LIB_VERSION, int(mtype), 999,
                                   int(status), b"junk"))
    # Nothing comes back for those; the next reply is our call's.
    assert isinstance(await client.call(PROC_CONNECT_GET_LIB_VERSION), ev.Reply)
    client.close()


@pytest.mark.parametrize(
    "garbage",
    [
        struct.pack(">I", 3) + b"\0" * 40,  # length word too small
        struct.pack(">I", 0x7FFFFFFF) + b"\0" * 40,  # too large
        struct.pack(">IIIiiIiI", 32, REMOTE, 1, 157, 4, 1, 0, 33),  # 33 fds announced
    ],
    ids=["length-too-small", "length-too-large", "too-many-fds"],
)
async def test_libvirtd_drops_connection_on_protocol_violation(
    libvirtd: PrivateLibvirtd, garbage: bytes
) -> None:
    client, _transport = await connect(libvirtd)
    client.write(garbage)
    exc = await asyncio.wait_for(client.lost, DEADLINE)
    assert exc is None or isinstance(exc, ConnectionLost)


async def test_libvirtd_keepalive_pings_and_gives_up() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd({"keepalive_interval": 1, "keepalive_count": 1}) as daemon:
        client, _transport = await connect(daemon)
        supported = await client.call(
            PROC_CONNECT_SUPPORTS_FEATURE,
            struct.pack(">iI", VIR_DRV_FEATURE_PROGRAM_KEEPALIVE, 0),
        )
        assert isinstance(supported, ev.Reply)
        loop = asyncio.get_running_loop()
        started = loop.time()
        # The daemon pings an idle client every interval...
        ping = await client.next_event()
        assert isinstance(ping, ev.KeepalivePing)
        # ...and, not answered, drops it after interval * (count + 1) seconds.
        closed = await client.next_event()
        assert isinstance(closed, ev.ConnectionClosed)
        assert 1.5 <= loop.time() - started <= DEADLINE


async def test_answering_pings_keeps_connection_alive() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd({"keepalive_interval": 1, "keepalive_count": 1}) as daemon:
        client, transport = await connect(daemon)
        await client.call(
            PROC_CONNECT_SUPPORTS_FEATURE,
            struct.pack(">iI", VIR_DRV_FEATURE_PROGRAM_KEEPALIVE, 0),
        )
        pings = 0
        while pings < 3:  # 3 s of idleness: more than interval * (count + 1)
            event = await client.next_event()
            assert isinstance(event, ev.KeepalivePing), event
            pings += 1
            client.write(client.conn.send_keepalive_pong())
        assert not transport.is_closing()
        await client.open()
        client.close()
