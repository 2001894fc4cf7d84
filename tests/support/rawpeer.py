"""A raw, blocking libvirt RPC client for probing how a server treats bad input.

It speaks just enough of the protocol (through the sans-I/O core and the
generated codecs) to open a connection, then lets a test write arbitrary
bytes and fds and observe the server's reaction: error replies, EOF, or
silence.  Used against libvirtd (to record what the reference does) and
against virtrpc's server (to check it does the same).
"""

from __future__ import annotations

import array
import select
import socket
import struct
import time
from dataclasses import dataclass

from virtrpc.protocols import remote
from virtrpc.rpc.packet import Header, MessageType, Status, decode_header, encode_packet

REMOTE = 0x20008086
PROC_OPEN = 1
PROC_GET_LIB_VERSION = 157


@dataclass
class Received:
    """One packet read back from the server."""

    header: Header
    payload: bytes

    @property
    def error_message(self) -> str | None:
        """The message of a ``virNetMessageError`` reply, if this is one."""
        if self.header.type == MessageType.REPLY and self.header.status == Status.ERROR:
            error = remote.TYPES["remote_error"].unpack(self.payload)
            return str(error.message)
        return None


class RawPeer:
    """A blocking Unix socket to a server, with helpers to misbehave on it."""

    def __init__(self, path: str, *, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.timeout = timeout
        self.buffer = b""
        self.serial = 1000

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_fds(self, data: bytes, fds: list[int]) -> None:
        """``data`` with all ``fds`` in one control message (not libvirt's way)."""
        self.sock.sendmsg(
            [data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
        )

    def send_fd_libvirt_style(self, fd: int) -> None:
        self.send_fds(b"\0", [fd])

    def call_packet(
        self,
        proc: int,
        payload: bytes = b"",
        *,
        prog: int = REMOTE,
        vers: int = 1,
        mtype: int = MessageType.CALL,
        status: int = Status.OK,
        nfds: int = 0,
    ) -> bytes:
        self.serial += 1
        if mtype in (MessageType.CALL_WITH_FDS, MessageType.REPLY_WITH_FDS):
            # Written by hand: encode_packet refuses more than 32 fds.
            return (
                struct.pack(">IIIiiIiI", 32 + len(payload), prog, vers, proc, mtype,
                            self.serial, status, nfds)
                + payload
            )
        return encode_packet(prog, vers, proc, mtype, self.serial, status, payload)

    def call(self, proc: int, payload: bytes = b"", **kwargs: int) -> int:
        """Send a call; return its serial."""
        self.send(self.call_packet(proc, payload, **kwargs))
        return self.serial

    def open_test_driver(self) -> None:
        args = remote.TYPES["remote_connect_open_args"].pack(
            remote.RemoteConnectOpenArgs(name="test:///default", flags=0)
        )
        self.call(PROC_OPEN, args)
        reply = self.receive()
        assert isinstance(reply, Received) and reply.error_message is None, reply

    # -- receiving -----------------------------------------------------------

    def _fill(self, deadline: float) -> bool:
        """Read more; False on EOF / reset.  Raises TimeoutError at deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
            raise TimeoutError
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def receive(self, timeout: float | None = None) -> Received | str:
        """The next packet, or ``"eof"`` when the server closed the connection,
        or ``"silence"`` when nothing came within ``timeout``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while len(self.buffer) < 4:
                if not self._fill(deadline):
                    return "eof"
            length = struct.unpack(">I", self.buffer[:4])[0]
            while len(self.buffer) < length:
                if not self._fill(deadline):
                    return "eof"
        except TimeoutError:
            return "silence"
        packet, self.buffer = self.buffer[:length], self.buffer[length:]
        return Received(decode_header(packet, 4), packet[28:])

    def still_works(self) -> bool:
        """Whether a fresh GET_LIB_VERSION call is answered successfully."""
        try:
            serial = self.call(PROC_GET_LIB_VERSION)
        except OSError:
            return False
        while True:
            got = self.receive()
            if not isinstance(got, Received):
                return False
            if got.header.serial == serial:
                return got.error_message is None
