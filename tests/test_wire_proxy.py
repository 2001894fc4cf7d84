"""`virtrpc decode` and `virtrpc proxy`: decoding recorded traffic and relaying
real clients (virsh) to a real libvirtd, fds included."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.eventqueue import EventQueue
from tests.support.peers import PrivateLibvirtd
from virtrpc.cli import main
from virtrpc.client.errors import LibvirtError
from virtrpc.protocols import remote
from virtrpc.protocols.virterror import ErrorDomain, ErrorNumber
from virtrpc.rpc.connection import Role
from virtrpc.rpc.events import Call, Reply
from virtrpc.rpc.packet import MessageType, Status, encode_packet
from virtrpc.transport.unix import open_unix, start_unix_server
from virtrpc.wire import decode_packet, split_packets
from virtrpc.xdr import XdrType

PROG = remote.PROGRAM
LOOKUP = PROG.by_name["domain_lookup_by_name"]
FD_ASSOCIATE = PROG.by_name["domain_fd_associate"]
TEST_DOMAIN = remote.RemoteNonnullDomain(name="test", uuid=bytes(range(16)), id=1)


def _pack(xdr_type: XdrType[Any] | None, value: Any) -> bytes:
    assert xdr_type is not None
    return xdr_type.pack(value)


def _capture() -> bytes:
    """A call, its reply, a call carrying two fds (with its dummy bytes) and an error reply."""
    args = remote.RemoteDomainLookupByNameArgs(name="test")
    ret = remote.RemoteDomainLookupByNameRet(dom=TEST_DOMAIN)
    fd_args = remote.RemoteDomainFdAssociateArgs(dom=TEST_DOMAIN, name="x", flags=0)
    error = LibvirtError(
        "Domain not found", code=ErrorNumber.VIR_ERR_NO_DOMAIN, domain=ErrorDomain.VIR_FROM_DOM
    ).to_wire()
    return b"".join(
        [
            encode_packet(
                PROG.number,
                1,
                LOOKUP.number,
                MessageType.CALL,
                7,
                Status.OK,
                _pack(LOOKUP.args, args),
            ),
            encode_packet(
                PROG.number,
                1,
                LOOKUP.number,
                MessageType.REPLY,
                7,
                Status.OK,
                _pack(LOOKUP.ret, ret),
            ),
            encode_packet(
                PROG.number,
                1,
                FD_ASSOCIATE.number,
                MessageType.CALL_WITH_FDS,
                8,
                Status.OK,
                _pack(FD_ASSOCIATE.args, fd_args),
                nfds=2,
            )
            + b"\0\0",
            encode_packet(PROG.number, 1, LOOKUP.number, MessageType.REPLY, 9, Status.ERROR, error),
        ]
    )


def test_split_and_decode_capture() -> None:
    packets = [decode_packet(*item) for item in split_packets(_capture())]
    assert [p.procedure for p in packets] == [
        "domain_lookup_by_name",
        "domain_lookup_by_name",
        "domain_fd_associate",
        "domain_lookup_by_name",
    ]
    assert packets[0].body == {"name": "test"}
    assert packets[1].body == {"dom": {"name": "test", "uuid": bytes(range(16)).hex(), "id": 1}}
    assert packets[2].nfds == 2 and packets[2].body["name"] == "x"
    assert packets[3].body["code"] == "VIR_ERR_NO_DOMAIN"
    assert packets[3].body["domain"] == "VIR_FROM_DOM"
    assert packets[3].body["message"] == "Domain not found"
    assert all(p.problem is None for p in packets)


def test_decode_cli_text_json_and_hex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "cap.bin"
    capture.write_bytes(_capture())
    assert main(["decode", str(capture)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert (
        "CALL" in lines[0]
        and "remote.domain_lookup_by_name serial=7" in lines[0]
        and '{"name":"test"}' in lines[0]
    )
    assert "nfds=2" in lines[2]

    hex_file = tmp_path / "cap.hex"
    hex_file.write_text(_capture().hex(" ", 4))
    assert main(["decode", "--hex", "--json", str(hex_file)]) == 0
    records = capsys.readouterr().out.splitlines()
    assert len(records) == 4 and '"type": "CALL_WITH_FDS"' in records[2]


def test_decode_cli_reports_bad_payload_and_framing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A lookup call whose string length runs past the payload, then a truncated packet.
    bad = encode_packet(
        PROG.number, 1, LOOKUP.number, MessageType.CALL, 1, Status.OK, b"\0\0\0\x09abcd"
    )
    capture = tmp_path / "bad.bin"
    capture.write_bytes(bad + bad[:10])
    assert main(["decode", str(capture)]) == 1
    out = capsys.readouterr()
    assert "!! remote_domain_lookup_by_name_args.name" in out.out
    assert "truncated packet at offset" in out.err and "Traceback" not in out.err


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def daemon(libvirtd: PrivateLibvirtd) -> Iterator[PrivateLibvirtd]:
    yield libvirtd


async def test_proxy_relays_virsh_to_libvirtd(
    daemon: PrivateLibvirtd, virsh: str, tmp_path: Path
) -> None:
    from virtrpc.proxy import ProxyOptions, start_proxy

    log: list[str] = []
    listen = str(tmp_path / "proxy-sock")
    listener = await start_proxy(
        listen,
        daemon.socket_path,
        ProxyOptions(log=lambda n, d, text: log.append(f"{d} {text}"), record_dir=str(tmp_path)),
    )
    try:
        proc = await asyncio.create_subprocess_exec(
            virsh,
            "-c",
            f"test+unix:///default?socket={listen}",
            "list",
            "--all",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        listener.close()
    assert proc.returncode == 0, err.decode()
    assert "test" in out.decode() and "running" in out.decode()
    assert any(line.startswith("C>S CALL") and "remote.connect_open" in line for line in log)
    assert any(
        line.startswith("S>C REPLY") and "remote.connect_list_all_domains" in line for line in log
    )
    # The recordings decode cleanly, every packet with a known procedure.
    for suffix in ("c2s", "s2c"):
        data = (tmp_path / f"conn-1.{suffix}.bin").read_bytes()
        packets = [decode_packet(*item) for item in split_packets(data)]
        assert packets and all(p.problem is None for p in packets), packets


async def test_proxy_forwards_fds_both_ways_without_leaking(tmp_path: Path) -> None:
    """A call with a pipe fd goes through the proxy; the fake daemon answers with
    another pipe fd; both arrive working and the proxy keeps no fd."""
    from virtrpc.proxy import start_proxy

    upstream_side = EventQueue(Role.SERVER)
    upstream = await start_unix_server(str(tmp_path / "up"), lambda: upstream_side)
    before = _open_fds()
    listener = await start_proxy(str(tmp_path / "px"), str(tmp_path / "up"))
    client = EventQueue(Role.CLIENT)
    transport = await open_unix(str(tmp_path / "px"), client)
    read_end, write_end = os.pipe()
    reply_read, reply_write = os.pipe()
    try:
        serial, packet = client.conn.send_call(
            PROG.number, 1, FD_ASSOCIATE.number, b"args", fds=[write_end]
        )
        transport.write(packet, [write_end])
        call = await asyncio.wait_for(upstream_side.events.get(), 10)
        assert isinstance(call, Call) and call.payload == b"args" and len(call.fds) == 1
        (received,) = call.take_fds()
        os.write(received, b"through the proxy")
        os.close(received)
        assert os.read(read_end, 100) == b"through the proxy"

        assert upstream_side.transport is not None
        upstream_side.transport.write(
            upstream_side.conn.send_reply(call.header, b"", fds=[reply_write]), [reply_write]
        )
        reply = await asyncio.wait_for(client.events.get(), 10)
        assert isinstance(reply, Reply) and reply.serial == serial and len(reply.fds) == 1
        (got,) = reply.take_fds()
        os.close(reply_write)
        reply_write = -1
        os.write(got, b"back")
        os.close(got)
        assert os.read(reply_read, 10) == b"back"
    finally:
        transport.close()
        listener.close()
        for fd in (read_end, write_end, reply_read, reply_write):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
    # Let both pairs of transports finish closing, then nothing of the proxy's is left open.
    for _ in range(100):
        if _open_fds() <= before + 1:  # +1: our own client socket may still be closing
            break
        await asyncio.sleep(0.01)
    upstream.close()
    assert _open_fds() <= before, os.listdir("/proc/self/fd")
