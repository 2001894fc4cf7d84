"""Transport over a child process' stdin/stdout (libvirt's ``+ext`` and, via
:mod:`virtrpc.transport.ssh`, ``+ssh``).

libvirt's ``virNetSocketNewConnectCommand`` runs the command with its stdin
and stdout connected to the RPC stream; so does :class:`ProcessTransport`
(asyncio subprocess pipes, no fds: ``can_pass_fds`` is False).  The child's
stderr is collected (the last few KiB) so that a failure such as
``ssh: connect to host ... Connection refused`` ends up in the error.

End of stream: when the child closes its stdout, the transport waits for the
child to exit; a zero exit status is a clean EOF (``eof_received`` then
``connection_lost(None)``), anything else is reported to ``connection_lost``
as a :class:`~virtrpc.errors.ConnectionLost` naming the command, the status
and the child's last stderr line.

Entry points: :func:`open_command` (``+ext``: ``command=`` is run as is, no
shell, no arguments, as libvirt does).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from virtrpc.errors import ConnectError, ConnectionLost, ProtocolError
from virtrpc.transport.base import DEFAULT_WRITE_HIGH_WATER, TransportReceiver

__all__ = ["ProcessTransport", "open_command"]

#: Bytes of the child's stderr kept for error messages.
STDERR_KEEP = 4096
#: How long :meth:`ProcessTransport.close` lets the child exit before killing it.
CLOSE_GRACE = 5.0


class _ChildProtocol(asyncio.SubprocessProtocol):
    def __init__(self, owner: ProcessTransport) -> None:
        self._owner = owner

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._owner._pipe_data(fd, data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self._owner._pipe_closed(fd, exc)

    def pause_writing(self) -> None:
        self._owner._writing_paused = True

    def resume_writing(self) -> None:
        self._owner._resume_writing()

    def process_exited(self) -> None:
        pass  # connection_lost follows once every pipe is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._child_finished(exc)


class ProcessTransport:
    """A :class:`~virtrpc.transport.base.Transport` over a child process'
    stdin/stdout (see the module docstring).  Create it with
    :func:`open_command` or :func:`virtrpc.transport.ssh.open_ssh`."""

    def __init__(
        self,
        argv: Sequence[str],
        receiver: TransportReceiver,
        *,
        label: str,
        write_high_water: int = DEFAULT_WRITE_HIGH_WATER,
    ) -> None:
        self.argv = list(argv)
        self.label = label
        self._receiver = receiver
        self._high_water = write_high_water
        self._process: asyncio.SubprocessTransport | None = None
        self._stdin: asyncio.WriteTransport | None = None
        self._stdout: asyncio.ReadTransport | None = None
        self._stderr = bytearray()
        self._reading = True
        self._closing = False
        self._closed = False
        self._stdout_eof = False
        self._writing_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._kill_handle: asyncio.TimerHandle | None = None
        self._failure: BaseException | None = None

    async def _start(self, env: Mapping[str, str] | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            process, _ = await loop.subprocess_exec(
                lambda: _ChildProtocol(self),
                *self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env) if env is not None else None,
            )
        except OSError as exc:
            error = ConnectError(
                f"cannot run {self.argv[0]!r} for {self.label}: {exc.strerror or exc}"
            )
            error.errno = exc.errno
            raise error from exc
        self._process = process
        stdin = process.get_pipe_transport(0)
        stdout = process.get_pipe_transport(1)
        assert isinstance(stdin, asyncio.WriteTransport)
        assert isinstance(stdout, asyncio.ReadTransport)
        stdin.set_write_buffer_limits(high=self._high_water)
        self._stdin, self._stdout = stdin, stdout
        self._receiver.connection_made(self)

    # ------------------------------------------------------------ queries
    @property
    def can_pass_fds(self) -> bool:
        """Always False: pipes do not carry fds."""
        return False

    def expect_fds(self, expected: bool) -> None:
        """Nothing to do: no fds travel through pipes."""

    @property
    def pid(self) -> int | None:
        """The child's process id."""
        return self._process.get_pid() if self._process is not None else None

    def stderr_text(self) -> str:
        """The end of what the child wrote to stderr."""
        return self._stderr.decode(errors="replace")

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``pid``, ``argv``, ``stderr``."""
        if name == "pid":
            return self.pid
        if name == "argv":
            return list(self.argv)
        if name == "stderr":
            return self.stderr_text()
        return default

    # ----------------------------------------------------- child callbacks
    def _pipe_data(self, fd: int, data: bytes) -> None:
        if fd == 2:
            self._stderr += data
            if len(self._stderr) > STDERR_KEEP:
                del self._stderr[: len(self._stderr) - STDERR_KEEP]
            return
        if self._closed:
            return
        try:
            self._receiver.data_received(data, [])
        except Exception as exc:
            self._failure = exc
            self.abort()

    def _pipe_closed(self, fd: int, exc: Exception | None) -> None:
        # stdin failing (EPIPE) or stdout ending both mean the child is going
        # away; its exit status, reported by connection_lost, says why.
        if fd == 1:
            self._stdout_eof = True

    def _child_finished(self, exc: Exception | None) -> None:
        if self._closed:
            return
        self._closed = True
        if self._kill_handle is not None:
            self._kill_handle.cancel()
        status = self._process.get_returncode() if self._process is not None else None
        failure = self._failure
        if failure is None and exc is not None:
            failure = ConnectionLost(f"{self.label}: {exc}")
        if failure is None and not self._closing and status not in (0, None):
            failure = ConnectionLost(self._exit_message(status))
        self._wake_drainers(ConnectionLost(f"{self.label}: connection closed"))
        if failure is None and not self._closing:
            with contextlib.suppress(Exception):
                self._receiver.eof_received()
        self._receiver.connection_lost(failure)

    def _exit_message(self, status: int) -> str:
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        lines = [line.strip() for line in self.stderr_text().splitlines() if line.strip()]
        detail = f": {lines[-1]}" if lines else ""
        return f"{self.label}: {os.path.basename(self.argv[0])} {how}{detail}"

    # ------------------------------------------------------------ writing
    def write(self, data: bytes | bytearray | memoryview, fds: Sequence[int] = ()) -> None:
        """Queue ``data`` for the child's stdin.  ``fds`` must be empty
        (:class:`ProtocolError` otherwise: pipes cannot carry fds)."""
        if fds:
            raise ProtocolError(
                f"cannot send file descriptors over {self.label} (only unix sockets carry fds)"
            )
        stdin = self._stdin
        if self._closing or self._closed or stdin is None:
            raise ConnectionLost(f"{self.label}: connection is closed")
        if stdin.is_closing():
            # The child stopped reading: it is exiting, and connection_lost
            # will report why (its status and stderr); a socket would also
            # accept this write and fail later.
            return
        stdin.write(bytes(data))

    async def drain(self) -> None:
        """Wait while the child's stdin buffer is above its high-water mark."""
        if self._closed:
            raise ConnectionLost(f"{self.label}: connection is closed")
        if not self._writing_paused:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drain_waiters.append(waiter)
        await waiter

    def _resume_writing(self) -> None:
        self._writing_paused = False
        self._wake_drainers(None)

    def _wake_drainers(self, exc: BaseException | None) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)

    def get_write_buffer_size(self) -> int:
        """Bytes queued for the child's stdin."""
        return self._stdin.get_write_buffer_size() if self._stdin is not None else 0

    # ------------------------------------------------------------ reading
    def pause_reading(self) -> None:
        """Stop reading the child's stdout."""
        if self._stdout is not None and self._reading and not self._stdout_eof:
            self._stdout.pause_reading()
        self._reading = False

    def resume_reading(self) -> None:
        """Resume reading the child's stdout."""
        if self._stdout is not None and not self._reading and not self._stdout_eof:
            self._stdout.resume_reading()
        self._reading = True

    def is_reading(self) -> bool:
        """Whether the child's stdout is being read."""
        return self._reading and not self._closed

    # ------------------------------------------------------------ closing
    def close(self) -> None:
        """Close the child's stdin (it should exit); kill it if it has not
        exited after a grace period.  ``connection_lost(None)`` follows."""
        if self._closing or self._closed:
            return
        self._closing = True
        if self._stdin is not None:
            self._stdin.close()
        self._kill_handle = asyncio.get_running_loop().call_later(CLOSE_GRACE, self._kill)

    def abort(self) -> None:
        """Kill the child now."""
        if self._closed:
            return
        self._closing = True
        self._kill()

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.get_returncode() is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        if process is not None:
            for fd in (0, 1, 2):
                pipe = process.get_pipe_transport(fd)
                if pipe is not None:
                    pipe.close()

    def is_closing(self) -> bool:
        """Whether the transport is closing or closed."""
        return self._closing or self._closed


async def open_command(
    argv: Sequence[str],
    receiver: TransportReceiver,
    *,
    label: str | None = None,
    env: Mapping[str, str] | None = None,
    **transport_options: Any,
) -> ProcessTransport:
    """Run ``argv`` and speak RPC over its stdin/stdout (``+ext``: pass
    ``[command]``).  Raises :class:`ConnectError` if it cannot be started."""
    if not argv or not argv[0]:
        raise ConnectError("no command given for the ext transport (use command=...)")
    transport = ProcessTransport(
        argv, receiver, label=label or f"command {argv[0]!r}", **transport_options
    )
    await transport._start(env)
    return transport
