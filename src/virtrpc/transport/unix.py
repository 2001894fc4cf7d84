"""Asyncio transport over a connected stream socket, with fd passing on Unix sockets.

:class:`SocketTransport` drives a non-blocking socket with ``loop.add_reader``
/ ``loop.add_writer`` directly (no asyncio streams: fewer layers, fewer copies).
It is used by both the client and the server.

Unix sockets: reads always use ``recvmsg`` with room for ``SCM_RIGHTS``
(``MSG_CMSG_CLOEXEC``), so fds the peer sends are never lost or leaked; writes
send the packet bytes, then each fd in its own ``sendmsg`` carried by one
``\\0`` byte, exactly as libvirt's ``virNetSocketSendFD`` does (libvirt
receives each fd with a one-byte ``recvmsg`` and rejects anything else).
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextlib
import errno as errno_mod
import os
import socket
import stat
import struct
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from virtrpc.errors import BadFileDescriptor, ConnectError, ConnectionLost, ProtocolError
from virtrpc.rpc.framing import close_fds
from virtrpc.rpc.packet import NUM_FDS_MAX
from virtrpc.transport.base import (
    DEFAULT_READ_SIZE,
    DEFAULT_WRITE_HIGH_WATER,
    TransportReceiver,
)

__all__ = [
    "Listener",
    "PeerCredentials",
    "SocketTransport",
    "connect_unix",
    "open_unix",
    "start_unix_server",
]

# Room for more fds than a message may carry, so an over-sending peer shows up
# as too many fds (a protocol error we can name) rather than as truncation.
_ANC_SIZE = socket.CMSG_SPACE(4 * (NUM_FDS_MAX + 1))
# Plain ints: socket.MSG_* are IntFlag members, and `int & IntFlag` goes
# through enum's slow Python-level __and__ on every read.
_SOL_SOCKET = int(socket.SOL_SOCKET)
_SCM_RIGHTS = int(socket.SCM_RIGHTS)
_MSG_CTRUNC = int(socket.MSG_CTRUNC)
_MSG_CMSG_CLOEXEC = int(getattr(socket, "MSG_CMSG_CLOEXEC", 0))
# A peer that went away must give EPIPE, not kill a program that restored the
# default SIGPIPE action (CLIs often do, for `| head`).
_MSG_NOSIGNAL = int(getattr(socket, "MSG_NOSIGNAL", 0))
_DUMMY = [b"\0"]
# Most buffers handed to one sendmsg(); Linux IOV_MAX is 1024.
_MAX_IOV = 64
_INT_SIZE = array.array("i").itemsize
_ACCEPT_RESOURCE_ERRNOS = frozenset(
    {errno_mod.EMFILE, errno_mod.ENFILE, errno_mod.ENOBUFS, errno_mod.ENOMEM}
)
#: Seconds a listener stops accepting after running out of fds or memory.
ACCEPT_RETRY_DELAY = 0.5


class PeerCredentials:
    """``SO_PEERCRED`` of a Unix socket peer."""

    __slots__ = ("gid", "pid", "uid")

    def __init__(self, pid: int, uid: int, gid: int) -> None:
        self.pid = pid
        self.uid = uid
        self.gid = gid

    def __repr__(self) -> str:
        return f"PeerCredentials(pid={self.pid}, uid={self.uid}, gid={self.gid})"


_close_fds = close_fds


# One read buffer per (event loop, size), shared by every transport on that
# loop: a read is copied out of it (``tobytes``) before the receiver runs, and
# nothing else runs on the loop between ``recvmsg_into`` and that copy, so
# transports never see each other's bytes.  1000 idle server connections then
# cost one buffer, not 1000 x 256 KiB.
_SHARED_READ_BUFFERS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[int, memoryview]
] = weakref.WeakKeyDictionary()


#: Reads up to this size let recvmsg() allocate the bytes (below glibc's
#: mmap threshold, so no mmap/munmap per read); larger ones use the shared buffer.
_ALLOCATING_READ_MAX = 64 * 1024


def _shared_read_buffer(loop: asyncio.AbstractEventLoop, size: int) -> memoryview:
    by_size = _SHARED_READ_BUFFERS.get(loop)
    if by_size is None:
        by_size = _SHARED_READ_BUFFERS[loop] = {}
    buffer = by_size.get(size)
    if buffer is None:
        buffer = by_size[size] = memoryview(bytearray(size))
    return buffer


def _check_fds_open(fds: Sequence[int]) -> None:
    """Refuse fds that are not open, before any byte is written: once the
    packet is on the wire, a failing fd would leave the stream out of sync."""
    for fd in fds:
        try:
            os.get_inheritable(fd)  # one fcntl(F_GETFD)
        except (OSError, TypeError, ValueError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise BadFileDescriptor(f"fd {fd!r} cannot be sent: {reason}") from None


def _dup_fds(fds: Sequence[int]) -> list[int]:
    """Duplicates to queue (close-on-exec): the caller may close its fds once
    write() returns."""
    dups: list[int] = []
    try:
        for fd in fds:
            dups.append(os.dup(fd))
    except OSError as exc:
        _close_fds(dups)
        if exc.errno == errno_mod.EBADF:
            raise BadFileDescriptor(f"fd {fd} cannot be sent: {exc.strerror}") from None
        raise ConnectionLost(f"cannot duplicate fd {fd} to send: {exc.strerror}") from exc
    return dups


def _fds_from_ancdata(ancdata: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, cdata in ancdata:
        if level == _SOL_SOCKET and kind == _SCM_RIGHTS:
            arr = array.array("i")
            arr.frombytes(cdata[: len(cdata) - len(cdata) % _INT_SIZE])
            fds.extend(arr)
    return fds


class SocketTransport:
    """Asyncio transport over a connected stream socket (see module docstring).

    The transport takes ownership of ``sock`` (closes it).  Reading starts at
    once; ``receiver.connection_made(self)`` is called from the constructor.
    """

    def __init__(
        self,
        sock: socket.socket,
        receiver: TransportReceiver,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        read_size: int = DEFAULT_READ_SIZE,
        write_high_water: int = DEFAULT_WRITE_HIGH_WATER,
        write_low_water: int | None = None,
    ) -> None:
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._sock: socket.socket | None = sock
        self._fileno = sock.fileno()
        self._receiver = receiver
        # Shared by the loop's transports, reused for every read; see _on_readable.
        self._read_buffer = _shared_read_buffer(self._loop, read_size)
        self._read_size = read_size
        # Size of the next read when it may allocate its own bytes, 0 while
        # reading bulk data through the shared buffer (see _on_readable).
        self._small_read = min(read_size, _ALLOCATING_READ_MAX)
        self._read_views = [self._read_buffer]
        self._high_water = write_high_water
        self._low_water = write_high_water // 4 if write_low_water is None else write_low_water
        self._pass_fds = sock.family == socket.AF_UNIX
        # Whether reads leave room for fds (see expect_fds).
        self._receive_fds = self._pass_fds
        # Queue items: memoryview = bytes to write; int = a dup'ed fd to send
        # with one dummy byte.  Everything queued is owned by the transport.
        self._queue: collections.deque[memoryview | int] = collections.deque()
        self._buffered = 0
        self._writing = False
        self._reading = False
        self._read_paused = False
        self._closing = False
        self._closed = False
        self._lost_exc: BaseException | None = None
        self._drain_waiters: list[asyncio.Future[None]] = []
        sock.setblocking(False)
        receiver.connection_made(self)
        if not self._closing:
            self._start_reading()

    # --------------------------------------------------------------- queries

    @property
    def can_pass_fds(self) -> bool:
        """Whether this socket can carry fds (it is a Unix socket)."""
        return self._pass_fds

    @property
    def socket(self) -> socket.socket | None:
        """The underlying socket (None once closed).  Do not read or write it."""
        return self._sock

    def expect_fds(self, expected: bool) -> None:
        """See :meth:`Transport.expect_fds <virtrpc.transport.base.Transport.expect_fds>`:
        while fds are not expected, reads use ``recv`` instead of ``recvmsg``."""
        self._receive_fds = expected and self._pass_fds

    @property
    def expecting_fds(self) -> bool:
        """Whether reads currently leave room for fds."""
        return self._receive_fds

    def get_write_buffer_size(self) -> int:
        """Bytes (plus one per fd) queued but not yet written."""
        return self._buffered

    def is_reading(self) -> bool:
        """Whether the transport currently reads from the socket."""
        return self._reading

    def is_closing(self) -> bool:
        """Whether the transport is closing or closed."""
        return self._closing

    def peer_credentials(self) -> PeerCredentials | None:
        """``SO_PEERCRED`` of a Unix socket peer (None for other sockets / when closed)."""
        sock = self._sock
        if sock is None or not self._pass_fds or not hasattr(socket, "SO_PEERCRED"):
            return None
        raw = sock.getsockopt(_SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, gid = struct.unpack("3i", raw)
        return PeerCredentials(pid, uid, gid)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """asyncio-style extra info: ``socket``, ``sockname``, ``peername``."""
        sock = self._sock
        if sock is None:
            return default
        if name == "socket":
            return sock
        try:
            if name == "sockname":
                return sock.getsockname()
            if name == "peername":
                return sock.getpeername()
        except OSError:
            return default
        return default

    # --------------------------------------------------------------- reading

    def _start_reading(self) -> None:
        if not self._reading and not self._closing and not self._read_paused:
            self._loop.add_reader(self._fileno, self._on_readable)
            self._reading = True

    def _stop_reading(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fileno)
            self._reading = False

    def pause_reading(self) -> None:
        """Stop reading until :meth:`resume_reading` (e.g. too many calls in flight)."""
        self._read_paused = True
        self._stop_reading()

    def resume_reading(self) -> None:
        """Resume reading after :meth:`pause_reading`."""
        self._read_paused = False
        self._start_reading()

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        fds: list[int] = []
        # Small reads (calls and replies) take the bytes object recv/recvmsg
        # allocate (malloc, shrunk in place): cheaper than the shared buffer
        # plus a copy.  A read that fills that size means bulk data (a
        # stream): reads then use the shared buffer until one comes back small,
        # copying out of it at once (the next read of any transport reuses it).
        small = self._small_read
        try:
            if self._receive_fds:
                if small:
                    data, ancdata, flags, _ = sock.recvmsg(small, _ANC_SIZE, _MSG_CMSG_CLOEXEC)
                else:
                    nbytes, ancdata, flags, _ = sock.recvmsg_into(
                        self._read_views, _ANC_SIZE, _MSG_CMSG_CLOEXEC
                    )
                    data = self._read_buffer[:nbytes].tobytes()
                if ancdata:
                    fds = _fds_from_ancdata(ancdata)
                if flags & _MSG_CTRUNC:
                    _close_fds(fds)
                    self._fatal(ProtocolError("peer sent more fds than one message may carry"))
                    return
            elif small:
                data = sock.recv(small)
            else:
                nbytes = sock.recv_into(self._read_buffer)
                data = self._read_buffer[:nbytes].tobytes()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal(ConnectionLost(f"read failed: {exc.strerror or exc}"), cause=exc)
            return
        if small:
            if len(data) == small and small < self._read_size:
                self._small_read = 0
        elif len(data) < _ALLOCATING_READ_MAX:
            self._small_read = _ALLOCATING_READ_MAX  # the bulk is over
        if not data and not fds:
            self._on_eof()
            return
        try:
            self._receiver.data_received(data, fds)
        except BaseException as exc:  # the receiver owns fds now; report and die
            self._fatal(exc)
            if not isinstance(exc, Exception):
                raise

    def _on_eof(self) -> None:
        self._stop_reading()
        try:
            self._receiver.eof_received()
        except Exception as exc:
            self._fatal(exc)
            return
        self._finish(None)

    # --------------------------------------------------------------- writing

    def write(self, data: bytes | bytearray | memoryview, fds: Sequence[int] = ()) -> None:
        """Send ``data`` and then ``fds`` (libvirt's framing: each fd with one
        ``\\0`` byte); what the socket does not take now is queued.

        The caller keeps ownership of ``fds`` and may close them once
        ``write`` returns: fds sent at once are not duplicated, fds that must
        wait in the queue are (duplicates owned by the transport).  Raises
        :class:`~virtrpc.errors.BadFileDescriptor`, before writing anything,
        for an fd that is not open (the connection stays usable).
        """
        if self._closing:
            raise ConnectionLost(
                f"transport is closed: {self._lost_exc}" if self._lost_exc else "transport is closed"
            )
        if type(data) is not bytes:
            # Own an immutable copy: the caller may reuse a mutable buffer after
            # write() returns, and byte counts below assume a flat byte buffer.
            data = bytes(data)
        if fds:
            if not self._pass_fds:
                raise ProtocolError("this transport cannot pass file descriptors")
            # Check them all first: a dup of one could take the number of a
            # closed one that follows.
            _check_fds_open(fds)
            if self._queue:
                self._enqueue(data, _dup_fds(fds))
                return
        elif self._queue:
            self._enqueue(data, ())
            return
        # Fast path: nothing queued, write now.
        sock = self._sock
        assert sock is not None
        try:
            sent = sock.send(data, _MSG_NOSIGNAL) if data else 0
            if sent < len(data):
                self._enqueue(memoryview(data)[sent:], self._dup_or_die(fds))
                return
            if not fds:
                return
            for index, fd in enumerate(fds):
                try:
                    sock.sendmsg(
                        _DUMMY,
                        [(_SOL_SOCKET, _SCM_RIGHTS, array.array("i", (fd,)))],
                        _MSG_NOSIGNAL,
                    )
                except (BlockingIOError, InterruptedError):
                    self._enqueue(b"", self._dup_or_die(fds[index:]))
                    return
        except (BlockingIOError, InterruptedError):
            self._enqueue(data, self._dup_or_die(fds))
        except OSError as exc:
            self._fatal(ConnectionLost(f"write failed: {exc.strerror or exc}"), cause=exc)
            raise self._lost_error() from exc

    def _dup_or_die(self, fds: Sequence[int]) -> list[int]:
        """Duplicates of fds that must be queued behind bytes already sent:
        failing now would desynchronise the stream, so it is fatal."""
        if not fds:
            return []
        try:
            return _dup_fds(fds)
        except (BadFileDescriptor, ConnectionLost) as exc:
            self._fatal(ConnectionLost(f"write failed: {exc}"), cause=exc)
            raise self._lost_error() from exc

    def _enqueue(self, data: bytes | memoryview, dups: Sequence[int]) -> None:
        """Queue ``data`` (immutable, ours) then the (owned) ``dups``, and make
        sure they get written."""
        queue = self._queue
        was_idle = not queue
        if data:
            queue.append(memoryview(data))
            self._buffered += len(data)
        if dups:
            queue.extend(dups)
            self._buffered += len(dups)
        if was_idle and queue:
            self._start_writing()

    def writelines(self, packets: Sequence[bytes | bytearray | memoryview]) -> None:
        """Queue several packets (without fds) at once."""
        for packet in packets:
            self.write(packet)

    def _lost_error(self) -> ConnectionLost:
        exc = self._lost_exc
        if isinstance(exc, ConnectionLost):
            return exc
        return ConnectionLost(f"transport is closed: {exc}" if exc else "transport is closed")

    def _start_writing(self) -> None:
        if not self._writing and self._sock is not None:
            self._loop.add_writer(self._fileno, self._on_writable)
            self._writing = True

    def _stop_writing(self) -> None:
        if self._writing:
            self._loop.remove_writer(self._fileno)
            self._writing = False

    def _on_writable(self) -> None:
        self._flush()
        if not self._queue:
            self._stop_writing()
            if self._closing and not self._closed:
                self._finish(None)

    def _flush(self) -> None:
        """Write as much of the queue as the socket accepts now."""
        sock = self._sock
        queue = self._queue
        if sock is None:
            return
        try:
            while queue:
                item = queue[0]
                if isinstance(item, int):
                    sock.sendmsg(
                        _DUMMY,
                        [(_SOL_SOCKET, _SCM_RIGHTS, array.array("i", (item,)))],
                        _MSG_NOSIGNAL,
                    )
                    queue.popleft()
                    self._buffered -= 1
                    os.close(item)
                    continue
                if len(queue) > 1 and not isinstance(queue[1], int):
                    buffers: list[memoryview] = []
                    offered = 0
                    for candidate in queue:
                        if isinstance(candidate, int) or len(buffers) >= _MAX_IOV:
                            break
                        buffers.append(candidate)
                        offered += len(candidate)
                    sent = sock.sendmsg(buffers, (), _MSG_NOSIGNAL)
                else:
                    offered = len(item)
                    sent = sock.send(item, _MSG_NOSIGNAL)
                self._buffered -= sent
                complete = sent == offered
                while sent:
                    head = queue[0]
                    assert not isinstance(head, int)
                    if sent >= len(head):
                        sent -= len(head)
                        queue.popleft()
                    else:
                        queue[0] = head[sent:]
                        break
                if not complete:
                    break  # the socket is full
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            self._fatal(ConnectionLost(f"write failed: {exc.strerror or exc}"), cause=exc)
            return
        if self._drain_waiters and self._buffered <= self._low_water:
            self._wake_drainers(None)

    async def drain(self) -> None:
        """Wait until the write buffer is at or below its low-water mark."""
        if self._closing and self._lost_exc is not None:
            raise self._lost_error()
        if self._buffered <= self._high_water:
            return
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter

    def _wake_drainers(self, exc: BaseException | None) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if waiter.done():
                continue
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)

    # --------------------------------------------------------------- closing

    def close(self) -> None:
        """Stop reading, flush what is queued, then close and report ``connection_lost(None)``."""
        if self._closing:
            return
        self._closing = True
        self._stop_reading()
        if not self._queue:
            self._finish(None)
        else:
            self._start_writing()

    def abort(self) -> None:
        """Close immediately, dropping queued data and closing queued fds."""
        if self._closed:
            return
        self._closing = True
        self._finish(None)

    def _fatal(self, exc: BaseException, cause: BaseException | None = None) -> None:
        if cause is not None and exc.__cause__ is None:
            exc.__cause__ = cause
        if self._closed:
            return
        self._closing = True
        self._lost_exc = exc
        self._finish(exc)

    def _finish(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing = True
        self._stop_reading()
        self._stop_writing()
        queued = [item for item in self._queue if isinstance(item, int)]
        self._queue.clear()
        self._buffered = 0
        _close_fds(queued)
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        self._wake_drainers(
            ConnectionLost(f"connection lost: {exc}") if exc is not None else ConnectionLost(
                "transport closed"
            )
        )
        receiver = self._receiver
        self._loop.call_soon(receiver.connection_lost, exc)


async def connect_unix(path: str) -> socket.socket:
    """Connect a non-blocking Unix stream socket to ``path``.

    Raises :class:`~virtrpc.errors.ConnectError` naming the path (its
    ``errno`` is that of the failure, e.g. ``ENOENT`` or ``ECONNREFUSED``).
    """
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, path)
    except OSError as exc:
        sock.close()
        error = ConnectError(f"cannot connect to unix socket {path!r}: {exc.strerror or exc}")
        error.errno = exc.errno
        raise error from exc
    except BaseException:
        sock.close()
        raise
    return sock


async def open_unix(
    path: str, receiver: TransportReceiver, **transport_options: Any
) -> SocketTransport:
    """Connect to the Unix socket ``path`` and wrap it in a :class:`SocketTransport`."""
    sock = await connect_unix(path)
    return SocketTransport(sock, receiver, **transport_options)


class Listener:
    """A listening stream socket that wraps each accepted connection in a
    :class:`SocketTransport` with a receiver from ``receiver_factory``."""

    def __init__(
        self,
        sock: socket.socket,
        receiver_factory: Callable[[], TransportReceiver],
        *,
        unlink_path: str | None = None,
        **transport_options: Any,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock: socket.socket | None = sock
        self._factory = receiver_factory
        self._options = transport_options
        self._unlink_path = unlink_path
        sock.setblocking(False)
        self._loop.add_reader(sock.fileno(), self._on_accept)

    @property
    def socket(self) -> socket.socket | None:
        """The listening socket (None once closed)."""
        return self._sock

    def _on_accept(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(16):  # bounded so one busy listener cannot starve the loop
            try:
                conn, _addr = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno in _ACCEPT_RESOURCE_ERRNOS:
                    # Out of fds/memory: the pending connection stays queued and
                    # the socket stays readable, so stop watching it for a while
                    # instead of spinning.
                    self._loop.remove_reader(sock.fileno())
                    self._loop.call_later(ACCEPT_RETRY_DELAY, self._resume_accepting)
                    return
                raise
            if conn.family != socket.AF_UNIX:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                SocketTransport(conn, self._factory(), loop=self._loop, **self._options)
            except Exception:
                conn.close()
                raise

    def _resume_accepting(self) -> None:
        if self._sock is not None:
            self._loop.add_reader(self._sock.fileno(), self._on_accept)

    def close(self) -> None:
        """Stop accepting and close the listening socket (existing connections stay)."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        self._loop.remove_reader(sock.fileno())
        sock.close()
        if self._unlink_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._unlink_path)


async def start_unix_server(
    path: str,
    receiver_factory: Callable[[], TransportReceiver],
    *,
    backlog: int = 128,
    mode: int | None = None,
    **transport_options: Any,
) -> Listener:
    """Listen on the Unix socket ``path`` (a stale socket file there is replaced).

    ``mode`` sets the socket file's permissions (e.g. ``0o666`` for a read-only
    socket anyone may use).  Raises :class:`~virtrpc.errors.ConnectError` when
    the path cannot be bound.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    os.unlink(path)
            sock.bind(path)
            if mode is not None:
                os.chmod(path, mode)
            sock.listen(backlog)
        except OSError as exc:
            error = ConnectError(f"cannot listen on unix socket {path!r}: {exc.strerror or exc}")
            error.errno = exc.errno
            raise error from exc
        return Listener(sock, receiver_factory, unlink_path=path, **transport_options)
    except BaseException:
        sock.close()
        raise
