"""TLS for the blocking engine: :class:`TlsIO`, a TCP socket carrying an
:class:`ssl.SSLObject` over memory BIOs.

The engine reads with one thread (the token holder) while others write, and
an OpenSSL connection may not be used by two threads at once.  So the raw
socket I/O happens outside any lock, and only the SSLObject calls
(``read`` after feeding received bytes in, ``write`` and taking the
resulting records out) run under a short TLS lock that is never held
across a syscall.  Writes happen under the engine's send lock, so records
leave in the order they were made; anything the TLS layer wants to send
while reading (a TLS 1.3 key update) stays in the outgoing BIO and leaves
ahead of the next record written.

Handshake as libvirt's client and :func:`virtrpc.transport.tls.open_tls`:
TLS handshake (certificates from ``pkipath=``, checked unless
``no_verify=1``), then the daemon's one-byte ``\\x01`` verdict.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections.abc import Sequence
from typing import Final

from virtrpc.client.blocking_io import READ_SIZE, SocketIO
from virtrpc.errors import ProtocolError
from virtrpc.transport.tls import VERDICT_OK, TlsError, _ssl_reason

__all__ = ["TlsIO"]

_MSG_DONTWAIT: Final = getattr(socket, "MSG_DONTWAIT", 0)


class TlsIO(SocketIO):
    """A verified TLS session on a connected blocking TCP socket."""

    __slots__ = ("_incoming", "_lock", "_outgoing", "_plain", "_ssl")

    def __init__(
        self, sock: socket.socket, label: str, context: ssl.SSLContext, server_hostname: str
    ) -> None:
        super().__init__(sock, label, can_pass_fds=False)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(
            self._incoming, self._outgoing, server_hostname=server_hostname
        )
        self._lock = threading.Lock()
        # Plaintext read past the verdict byte (handed out by the next read).
        self._plain = b""
        self.recv = self._recv_plain
        self.sendall = self._send_plain

    # -------------------------------------------------------------- set-up
    def handshake(self) -> None:
        """Run the TLS handshake and wait for the verdict (blocking; the
        socket's timeout bounds it).  Raises :class:`TlsError`."""
        sock = self.sock
        while True:
            try:
                self._ssl.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._send_pending()
                data = sock.recv(READ_SIZE)
                if not data:
                    raise TlsError(
                        f"TLS handshake with {self.label} failed: connection closed"
                    ) from None
                self._incoming.write(data)
            except ssl.SSLCertVerificationError as exc:
                self._send_pending()
                raise TlsError(
                    f"TLS handshake with {self.label} failed: server certificate verify "
                    f"failed: {exc.verify_message or exc}"
                ) from None
            except ssl.SSLError as exc:
                self._send_pending()
                raise TlsError(
                    f"TLS handshake with {self.label} failed: {_ssl_reason(exc)}"
                ) from None
        self._send_pending()
        try:
            plain = self._recv_plain(READ_SIZE)
        except ssl.SSLError as exc:
            raise self._verdict_error(_ssl_reason(exc)) from None
        if not plain:
            raise self._verdict_error("connection closed before the verdict")
        if plain[:1] != VERDICT_OK:
            raise self._verdict_error(f"unexpected verdict byte {plain[:1]!r}")
        self._plain = plain[1:]

    def _verdict_error(self, cause: str) -> TlsError:
        return TlsError(
            f"server verification (of our certificate or IP address) failed "
            f"at {self.label}: {cause}"
        )

    def _send_pending(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self.sock.sendall(pending)

    # ------------------------------------------------------------- reading
    def _decrypt(self) -> tuple[bytes, bool]:
        """All plaintext that the received bytes make (TLS lock held)."""
        chunks: list[bytes] = []
        incoming = self._incoming
        sslobj = self._ssl
        while True:
            try:
                chunk = sslobj.read(READ_SIZE)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                return b"".join(chunks), True
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
            if not incoming.pending and not sslobj.pending():
                break  # all received is decoded: spare the read that raises
        if len(chunks) == 1:
            return chunks[0], False
        return b"".join(chunks), False

    def _recv_plain(self, size: int, flags: int = 0) -> bytes:
        """The next plaintext (``b""``: end of stream); ``flags`` as recv's
        (the watcher passes MSG_DONTWAIT: BlockingIOError if nothing came).
        TLS failures raise :class:`ssl.SSLError` (an OSError)."""
        if self._plain:
            plain, self._plain = self._plain, b""
            return plain
        while True:
            data = self.sock.recv(READ_SIZE, flags)
            with self._lock:
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                plain, eof = self._decrypt()
            if plain or eof or not data:
                return plain
            # A partial record: wait for the rest.
            flags &= ~_MSG_DONTWAIT

    def read_fds(self, flags: int = 0) -> tuple[bytes, list[int]]:
        return self._recv_plain(READ_SIZE, flags), []

    def read_nowait(self, with_fds: bool) -> tuple[bytes, list[int]] | None:
        if self._plain:
            return self._recv_plain(READ_SIZE), []
        try:
            return self._recv_plain(READ_SIZE, _MSG_DONTWAIT), []
        except (BlockingIOError, InterruptedError):
            return None

    def wait_readable(self, timeout: float) -> bool:
        if self._plain:
            return True
        poller = select.poll()
        poller.register(self.fileno, select.POLLIN)
        return bool(poller.poll(max(timeout, 0.0) * 1000))

    # ------------------------------------------------------------- writing
    def _send_plain(self, packet: bytes, flags: int = 0) -> None:
        """Encrypt and send (under the engine's send lock: records leave in
        the order they are made)."""
        with self._lock:
            self._ssl.write(packet)
            records = self._outgoing.read()
        self.sock.sendall(records, flags)

    def check_fds(self, fds: Sequence[int]) -> None:
        raise ProtocolError(f"the {self.label} transport cannot pass file descriptors")

    def write(self, packet: bytes, fds: Sequence[int] = ()) -> None:
        self._send_plain(packet)
