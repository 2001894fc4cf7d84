"""Socket I/O of the blocking engine (:mod:`virtrpc.client.blocking`).

Two pieces, both free of protocol knowledge:

* :class:`SocketIO`: a connected *blocking* stream socket (Unix with fd
  passing, or TCP) read and written by whichever thread holds the engine's
  I/O token (reads) or its send lock (writes); libvirt's fd framing (each fd
  after the packet, with one ``\\0`` byte).
* :class:`Watcher`: the thread that watches the socket while no caller
  does.  It waits in ``epoll`` with the socket registered ``EPOLLONESHOT``:
  once it woke and found a caller reading, the socket stays unregistered,
  so replies read by callers never wake it.  While unregistered it looks
  again every :data:`IDLE_POLL` seconds and re-arms once callers have gone
  quiet.  It also runs the engine's periodic work (keepalive, event
  callbacks), which the engine asks for by :meth:`Watcher.wake`.
"""

from __future__ import annotations

import array
import contextlib
import logging
import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from virtrpc.errors import ConnectError, ProtocolError
from virtrpc.rpc.packet import NUM_FDS_MAX
from virtrpc.transport.unix import _check_fds_open, _close_fds, _fds_from_ancdata

__all__ = [
    "IDLE_POLL",
    "READ_SIZE",
    "ChildIO",
    "SocketIO",
    "Watcher",
    "connect_tcp",
    "connect_unix",
]

_log = logging.getLogger("virtrpc.sync")

#: Bytes asked for per read: a reply fits many times over, and it stays
#: below glibc's mmap threshold (recv allocates the bytes, then shrinks them).
READ_SIZE: Final = 64 * 1024
#: How often the watcher looks at a socket that callers are reading, to take
#: over once they stop (an event then waits at most this long).
IDLE_POLL: Final = 0.010

_ANC_SIZE: Final = socket.CMSG_SPACE(NUM_FDS_MAX * array.array("i").itemsize)
_MSG_NOSIGNAL: Final = getattr(socket, "MSG_NOSIGNAL", 0)
_MSG_DONTWAIT: Final = getattr(socket, "MSG_DONTWAIT", 0)
_MSG_CMSG_CLOEXEC: Final = getattr(socket, "MSG_CMSG_CLOEXEC", 0)
_MSG_CTRUNC: Final = getattr(socket, "MSG_CTRUNC", 0)
_DUMMY: Final = [b"\0"]

#: Whether this platform has what the blocking engine needs.
SUPPORTED: Final = hasattr(select, "epoll") and _MSG_DONTWAIT != 0


class SocketIO:
    """One connected blocking socket."""

    __slots__ = ("can_pass_fds", "fileno", "label", "recv", "sendall", "sock")

    def __init__(self, sock: socket.socket, label: str, *, can_pass_fds: bool) -> None:
        sock.setblocking(True)
        self.sock = sock
        self.label = label
        self.can_pass_fds = can_pass_fds
        self.fileno = sock.fileno()
        #: The hot read and write (``recv(READ_SIZE)``, ``sendall(packet,
        #: flags)``), bound once; TLS replaces them.
        self.recv: Callable[..., bytes] = sock.recv
        self.sendall: Callable[..., None] = sock.sendall

    def read_fds(self, flags: int = 0) -> tuple[bytes, list[int]]:
        """A read with room for fds (while replies that carry them are due)."""
        data, ancdata, msg_flags, _ = self.sock.recvmsg(
            READ_SIZE, _ANC_SIZE, _MSG_CMSG_CLOEXEC | flags
        )
        fds = _fds_from_ancdata(ancdata) if ancdata else []
        if msg_flags & _MSG_CTRUNC:
            _close_fds(fds)
            raise ProtocolError("peer sent more fds than one message may carry")
        return data, fds

    def read_nowait(self, with_fds: bool) -> tuple[bytes, list[int]] | None:
        """What is readable now; None if nothing is (the watcher's read)."""
        try:
            if with_fds:
                return self.read_fds(_MSG_DONTWAIT)
            return self.sock.recv(READ_SIZE, _MSG_DONTWAIT), []
        except (BlockingIOError, InterruptedError):
            return None

    def wait_readable(self, timeout: float) -> bool:
        """Whether the socket became readable within ``timeout`` seconds
        (for calls with a deadline; plain calls just block in recv)."""
        poller = select.poll()
        poller.register(self.fileno, select.POLLIN)
        return bool(poller.poll(max(timeout, 0.0) * 1000))

    def check_fds(self, fds: Sequence[int]) -> None:
        """Refuse fds that cannot be sent, before anything is written."""
        if not self.can_pass_fds:
            raise ProtocolError(f"the {self.label} transport cannot pass file descriptors")
        _check_fds_open(fds)

    def write(self, packet: bytes, fds: Sequence[int] = ()) -> None:
        """Write the packet, then each fd with its dummy byte (blocking).
        Check fds with :meth:`check_fds` first: an exception here may leave
        a partial packet on the wire, which the caller must treat as fatal."""
        sock = self.sock
        sock.sendall(packet, _MSG_NOSIGNAL)
        for fd in fds:
            sock.sendmsg(
                _DUMMY,
                [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", (fd,)))],
                _MSG_NOSIGNAL,
            )

    def end_detail(self) -> str:
        """More about why the stream ended (a child's exit), or ""."""
        return ""

    def shutdown(self) -> None:
        """Wake every thread blocked on the socket (their reads return EOF);
        the descriptor stays open until :meth:`close`, so it cannot be reused
        under them."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


#: How long closing a child transport lets the child exit before killing it.
CHILD_CLOSE_GRACE: Final = 5.0
#: Bytes of the child's stderr kept for error messages.
_STDERR_KEEP: Final = 4096


class ChildIO(SocketIO):
    """A child process (``+ext``, ``+ssh``) whose stdin and stdout are one
    end of a socketpair: the other end is driven like any socket (no fds
    pass: the child would not forward them).  Its stderr is kept for
    messages (``ssh: connect to host ... Connection refused``)."""

    __slots__ = ("_stderr", "argv", "child")

    def __init__(
        self, argv: Sequence[str], label: str, env: Mapping[str, str] | None = None
    ) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            child = subprocess.Popen(
                list(argv),
                stdin=theirs.fileno(),
                stdout=theirs.fileno(),
                stderr=subprocess.PIPE,
                env=dict(env) if env is not None else None,
            )
        except OSError as exc:
            ours.close()
            error = ConnectError(f"cannot run {argv[0]!r} for {label}: {exc.strerror or exc}")
            error.errno = exc.errno
            raise error from exc
        finally:
            theirs.close()
        assert child.stderr is not None
        os.set_blocking(child.stderr.fileno(), False)
        super().__init__(ours, label, can_pass_fds=False)
        self.argv = list(argv)
        self.child = child
        self._stderr = bytearray()

    def _collect_stderr(self) -> None:
        stream = self.child.stderr
        if stream is None or stream.closed:
            return
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(stream.fileno(), 65536):
                self._stderr += chunk
                del self._stderr[:-_STDERR_KEEP]

    def end_detail(self) -> str:
        """Why the stream ended, as the child tells: its exit status and last
        stderr line (waiting a moment for it to exit)."""
        try:
            status = self.child.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return ""
        self._collect_stderr()
        lines = [line.strip() for line in self._stderr.decode(errors="replace").splitlines()]
        lines = [line for line in lines if line]
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        detail = f": {lines[-1]}" if lines else ""
        return f"{os.path.basename(self.argv[0])} {how}{detail}"

    def close(self) -> None:
        """Close our end (the child sees EOF and exits), then reap the child
        (killed if it does not exit within CHILD_CLOSE_GRACE)."""
        super().close()
        try:
            self.child.wait(timeout=CHILD_CLOSE_GRACE)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        if self.child.stderr is not None:
            self.child.stderr.close()


def connect_unix(path: str, timeout: float | None) -> socket.socket:
    """A blocking Unix stream socket connected to ``path``; ConnectError names it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except OSError as exc:
        sock.close()
        if isinstance(exc, TimeoutError):
            raise ConnectError(f"timed out connecting to unix socket {path!r}") from None
        error = ConnectError(f"cannot connect to unix socket {path!r}: {exc.strerror or exc}")
        error.errno = exc.errno
        raise error from exc
    except BaseException:
        sock.close()
        raise
    return sock


def connect_tcp(host: str, port: int, timeout: float | None) -> socket.socket:
    """A blocking TCP socket (``TCP_NODELAY``) connected to ``host:port``."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        if isinstance(exc, TimeoutError):
            raise ConnectError(f"timed out connecting to {host}:{port}") from None
        error = ConnectError(f"cannot connect to {host}:{port}: {exc.strerror or exc}")
        error.errno = exc.errno
        raise error from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Watcher:
    """The thread that keeps an idle connection current.

    ``take_and_read()`` (the engine's) tries to take the I/O token and read
    what is there without blocking: it returns False when a caller holds the
    token.  ``activity()`` changes whenever a caller read something (the
    engine's last-receipt stamp).  ``tick()`` runs the engine's periodic work
    and returns the next time it wants to run (``time.monotonic()`` clock)
    or None."""

    def __init__(
        self,
        fileno: int,
        *,
        take_and_read: Callable[[], bool],
        activity: Callable[[], float],
        tick: Callable[[], float | None],
        name: str,
    ) -> None:
        self._fileno = fileno
        self._take_and_read = take_and_read
        self._activity = activity
        self._tick = tick
        self._stopping = False
        # Guards the wake-up pipe's descriptors, which the thread closes
        # when it ends (so that wake() never writes to a reused number).
        self._fds_lock = threading.Lock()
        self._epoll = select.epoll()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._epoll.register(fileno, select.EPOLLIN | select.EPOLLONESHOT)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def wake(self) -> None:
        """Make the watcher run ``tick()`` soon (from any thread)."""
        with self._fds_lock, contextlib.suppress(OSError):
            if self._wake_w >= 0:
                os.write(self._wake_w, b"!")

    def request_stop(self) -> None:
        """Make the thread finish (its last tick delivers what is queued)."""
        self._stopping = True
        self.wake()

    def stop(self) -> None:
        """Stop the thread and wait for it (unless called from it)."""
        self._stopping = True
        self.wake()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)

    def _release(self) -> None:
        """Close the epoll and the wake-up pipe (the thread, as it ends)."""
        with self._fds_lock:
            self._epoll.close()
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def _run(self) -> None:
        try:
            while not self._stopping:
                try:
                    self._watch()
                except Exception:
                    # A bug must not silently end keepalive and events.
                    _log.exception("virtrpc connection watcher failed; restarting it")
        finally:
            self._release()

    def _arm(self) -> None:
        with contextlib.suppress(OSError):
            self._epoll.modify(self._fileno, select.EPOLLIN | select.EPOLLONESHOT)

    def _watch(self) -> None:
        armed = True
        seen = self._activity()
        next_tick = self._tick()
        while True:
            if self._stopping:
                self._tick()  # deliver what is queued (the close event)
                return
            now = time.monotonic()
            timeout = -1.0 if next_tick is None else max(next_tick - now, 0.0)
            if not armed:
                timeout = IDLE_POLL if timeout < 0 else min(timeout, IDLE_POLL)
            try:
                ready = self._epoll.poll(timeout)
            except OSError:
                _log.exception("virtrpc connection watcher cannot poll; stopping")
                self._stopping = True
                return
            if self._stopping:
                continue
            socket_ready = False
            for fd, _mask in ready:
                if fd == self._fileno:
                    socket_ready = True  # and disarmed (one-shot)
                    armed = False
                else:
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, 4096)
            if socket_ready or not armed:
                # While callers read (their receipts move the activity stamp)
                # the token is theirs: look again later.  Once they were quiet
                # for a whole poll, or the socket woke us, take over.
                if (socket_ready or self._activity() == seen) and self._take_and_read():
                    armed = True
                    self._arm()
                seen = self._activity()
            next_tick = self._tick()
