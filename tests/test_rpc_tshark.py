"""Wireshark's libvirt dissector (tshark) reads the packets our core encodes.

An independent oracle of the framing: packets produced by client- and
server-role Connections are put in a pcap as a TCP stream on libvirt's port
16509 and tshark must decode every header field, the call arguments and the
error struct as we meant them.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.support.peers import require_peer
from virtrpc.client.errors import LibvirtError
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role

pytestmark = pytest.mark.peers

REMOTE = 0x20008086
PCAP_LINKTYPE_RAW_IP = 101


def xdr_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value + b"\0" * (-len(value) % 4)


def ip_tcp(src: int, sport: int, dst: int, dport: int, seq: int, payload: bytes) -> bytes:
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x18, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack(">BBHHHBBHII", 0x45, 0, total, 0, 0, 64, 6, 0, src, dst)
    return ip + tcp + payload


class Capture:
    """A client<->server TCP stream written as a pcap file."""

    CLIENT = (0x7F000001, 40000)
    SERVER = (0x7F000002, 16509)

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.seq = {self.CLIENT: 1, self.SERVER: 1}

    def add(self, sender: tuple[int, int], payload: bytes) -> None:
        receiver = self.SERVER if sender == self.CLIENT else self.CLIENT
        self.frames.append(ip_tcp(*sender, *receiver, self.seq[sender], payload))
        self.seq[sender] += len(payload)

    def write(self, path: Path) -> None:
        out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, PCAP_LINKTYPE_RAW_IP)
        for i, frame in enumerate(self.frames):
            out += struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame
        path.write_bytes(out)


def test_tshark_decodes_our_packets(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    require_peer(tshark is not None, "tshark")
    assert tshark is not None
    client = Connection(Role.CLIENT)
    server = Connection(Role.SERVER)
    capture = Capture()

    def call(proc: int, args: bytes) -> ev.Call:
        _, packet = client.send_call(REMOTE, 1, proc, args)
        capture.add(Capture.CLIENT, packet)
        (event,) = server.receive_data(packet)
        assert isinstance(event, ev.Call)
        return event

    def reply(packet: bytes) -> None:
        capture.add(Capture.SERVER, packet)
        client.receive_data(packet)

    open_call = call(1, b"\0\0\0\1" + xdr_string(b"test:///default") + struct.pack(">I", 0))
    reply(server.send_reply(open_call.header))
    lookup = call(23, xdr_string(b"nope"))
    error = LibvirtError("Domain not found: nope", code=42, domain=60, str1="Domain not found",
                         int1=-1, int2=-1)
    reply(server.send_error(lookup.header, error.to_wire()))
    capture.add(Capture.CLIENT, client.send_keepalive_ping())
    capture.add(Capture.SERVER, server.send_keepalive_pong())
    capture.add(Capture.SERVER, server.send_stream_data(REMOTE, 1, 209, 7, b"chunk of data"))
    capture.add(Capture.SERVER, server.send_stream_end(REMOTE, 1, 209, 7))
    pcap = tmp_path / "capture.pcap"
    capture.write(pcap)

    fields = ["libvirt.program", "libvirt.version", "libvirt.procedure", "libvirt.type",
              "libvirt.serial", "libvirt.status", "libvirt.length",
              "libvirt.remote_error.message", "libvirt.remote_error.code",
              "libvirt.remote_error.str1", "libvirt.remote_error.int2"]
    command = [tshark, "-r", str(pcap), "-T", "fields", "-E", "separator=|"]
    for field in fields:
        command += ["-e", field]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    rows = [line.split("|") for line in result.stdout.splitlines()]
    headers = [tuple(row[:7]) for row in rows]
    assert headers == [
        ("0x20008086", "1", "1", "0", "1", "0", "56"),
        ("0x20008086", "1", "1", "1", "1", "0", "28"),
        ("0x20008086", "1", "23", "0", "2", "0", "36"),
        ("0x20008086", "1", "23", "1", "2", "1", str(28 + len(error.to_wire()))),
        ("0x6b656570", "1", "1", "2", "0", "0", "28"),
        ("0x6b656570", "1", "2", "2", "0", "0", "28"),
        ("0x20008086", "1", "209", "3", "7", "2", str(28 + len(b"chunk of data"))),
        ("0x20008086", "1", "209", "3", "7", "0", "28"),
    ]
    assert rows[3][7:] == ["Domain not found: nope", "42", "Domain not found", "-1"]
    # The dissector also decoded the call arguments we hand-built.
    verbose = subprocess.run([tshark, "-r", str(pcap), "-V"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    assert "name: test:///default" in verbose
    assert "remote_domain_lookup_by_name_args" in verbose
