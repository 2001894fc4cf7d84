"""Interfaces shared by every virtrpc transport.

A transport moves bytes (and, on Unix sockets, file descriptors) between a
connected socket and a :class:`TransportReceiver`.  It knows nothing about RPC
packets: the receiver typically feeds what it gets into a
:class:`virtrpc.rpc.connection.Connection` and writes back what that produces.

Callback order seen by a receiver::

    connection_made(transport)
    data_received(data, fds) *           # zero or more
    eof_received()                       # only if the peer closed cleanly
    connection_lost(exc)                 # exactly once; exc is None for EOF/close()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["DEFAULT_READ_SIZE", "DEFAULT_WRITE_HIGH_WATER", "Transport", "TransportReceiver"]

#: Bytes asked for per read.  Large enough that one read usually returns every
#: pipelined reply that is waiting, small enough to stay cheap to allocate.
DEFAULT_READ_SIZE = 256 * 1024
#: Buffered outgoing bytes above which :meth:`Transport.drain` waits.
DEFAULT_WRITE_HIGH_WATER = 1024 * 1024


class TransportReceiver(Protocol):
    """What a transport calls.  Exceptions raised by these callbacks are fatal:
    the transport closes and reports them through :meth:`connection_lost`."""

    def connection_made(self, transport: Transport) -> None:
        """The transport is ready; called once, before any data."""

    def data_received(self, data: bytes, fds: list[int]) -> None:
        """Bytes read from the socket and the fds that arrived with them.

        The receiver owns ``fds`` and must close or hand them on.  The fds are
        attached after the last byte of ``data`` (that is how the kernel
        delivers ``SCM_RIGHTS``).
        """

    def eof_received(self) -> None:
        """The peer closed the connection cleanly."""

    def connection_lost(self, exc: BaseException | None) -> None:
        """The transport is closed; ``exc`` says why (None: EOF or local close)."""


class Transport(Protocol):
    """What a receiver (client or server connection) may do with its transport."""

    def write(self, data: bytes | bytearray | memoryview, fds: Sequence[int] = ()) -> None:
        """Queue ``data`` then ``fds`` (each fd sent with one dummy byte after the data).

        The caller keeps ownership of the fds it passed and may close them as
        soon as ``write`` returns (fds that cannot be sent at once are queued
        as duplicates).  Raises :class:`~virtrpc.errors.BadFileDescriptor`,
        before writing anything, for an fd that is not open (the connection
        stays usable), :class:`~virtrpc.errors.ConnectionLost` if the
        transport is closed.
        """

    async def drain(self) -> None:
        """Wait until the write buffer is below its high-water mark.

        Raises :class:`~virtrpc.errors.ConnectionLost` if the connection dies first.
        """

    def get_write_buffer_size(self) -> int:
        """Bytes (plus one per fd) queued but not yet written."""

    def pause_reading(self) -> None:
        """Stop reading from the socket until :meth:`resume_reading`."""

    def resume_reading(self) -> None:
        """Undo :meth:`pause_reading`."""

    def is_reading(self) -> bool:
        """Whether the transport currently reads from the socket."""

    def close(self) -> None:
        """Stop reading, flush queued writes, then close (idempotent)."""

    def abort(self) -> None:
        """Close now, dropping queued writes and their fds (idempotent)."""

    def is_closing(self) -> bool:
        """Whether :meth:`close` / :meth:`abort` ran or the connection was lost."""

    @property
    def can_pass_fds(self) -> bool:
        """Whether :meth:`write` accepts fds (Unix sockets only)."""

    def expect_fds(self, expected: bool) -> None:
        """Say whether the peer may legitimately send fds from now on
        (initially it may).

        A transport that can receive fds reads with room for them only while
        they are expected.  Otherwise it reads plainly, which costs less per
        read, and the kernel discards (closes) any fds the peer attaches
        anyway: their dummy bytes arrive without them, a violation that the
        protocol layer reports.  Transports without fds ignore this."""
