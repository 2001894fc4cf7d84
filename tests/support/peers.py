"""Helpers for tests that talk to real libvirt peers (libvirtd, virsh, libvirt-python).

Shared by every test module that needs a real peer; keep it generic.

Rules (from the project's engineering standards):

* A test that needs a peer calls :func:`require_peer` (or uses a fixture from
  ``tests/conftest.py`` that does).  When the peer is missing the test is
  skipped with a message naming it, except when ``CI=true`` is set in the
  environment: then the test FAILS, so a CI machine without the peers cannot
  pass silently.
* :class:`PrivateLibvirtd` starts a private libvirtd (unix sockets in a
  temporary directory, no auth, no TCP/TLS, no hypervisor drivers loaded
  except the built-in test driver) and stops it again.  It never sleeps for a
  fixed time: it polls for the socket with a deadline.

Typical use::

    from tests.support.peers import PrivateLibvirtd

    with PrivateLibvirtd(extra_config={"keepalive_interval": 1}) as daemon:
        uri = daemon.uri            # test+unix:///default?socket=...
        ro_uri = daemon.readonly_uri
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

#: The Python interpreter that has libvirt-python (Debian's python3-libvirt).
SYSTEM_PYTHON = "/usr/bin/python3"

#: How long to wait for a freshly started libvirtd to create its socket.
DAEMON_START_TIMEOUT = 10.0


def in_ci() -> bool:
    """True when missing peers must fail tests instead of skipping them."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require_peer(available: bool, what: str) -> None:
    """Skip (or, under ``CI=true``, fail) the current test if a peer is missing.

    ``what`` names the missing peer in the message, e.g. ``"libvirtd"``.
    """
    if available:
        return
    message = f"needs {what}, which is not available on this machine"
    if in_ci():
        pytest.fail(message + " (CI=true: missing peers are failures)", pytrace=False)
    pytest.skip(message)


def find_libvirtd() -> str | None:
    """Path of the libvirtd binary, or None."""
    return shutil.which("libvirtd") or _first_existing(["/usr/sbin/libvirtd"])


def find_virsh() -> str | None:
    """Path of the virsh binary, or None."""
    return shutil.which("virsh") or _first_existing(["/usr/bin/virsh"])


def _first_existing(paths: Sequence[str]) -> str | None:
    return next((p for p in paths if os.access(p, os.X_OK)), None)


_libvirt_python_cache: bool | None = None


def has_libvirt_python() -> bool:
    """True if ``/usr/bin/python3`` can ``import libvirt`` (cached)."""
    global _libvirt_python_cache
    if _libvirt_python_cache is None:
        if not os.access(SYSTEM_PYTHON, os.X_OK):
            _libvirt_python_cache = False
        else:
            probe = subprocess.run(
                [SYSTEM_PYTHON, "-c", "import libvirt"],
                capture_output=True,
                timeout=30,
                check=False,
            )
            _libvirt_python_cache = probe.returncode == 0
    return _libvirt_python_cache


def run_libvirt_python(
    script: str, *args: str, timeout: float = 60.0, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with the system python that has libvirt-python.

    ``args`` become ``sys.argv[1:]``.  Raises ``CalledProcessError`` on a
    non-zero exit (with stderr attached) so that a failing oracle is loud.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )
    if result.returncode != 0:
        raise subprocess.CalledProcessError(
            result.returncode, result.args, output=result.stdout, stderr=result.stderr
        )
    return result


def run_virsh(
    uri: str, *command: str, timeout: float = 30.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``virsh -c URI COMMAND...`` and return the completed process."""
    virsh = find_virsh()
    if virsh is None:
        raise FileNotFoundError("virsh")
    return subprocess.run(
        [virsh, "-q", "-c", uri, *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def _format_conf_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format_conf_value(v) for v in value) + "]"
    raise TypeError(f"cannot put {value!r} in libvirtd.conf")


class TemporaryDaemon:
    """A daemon process run from a temporary directory: subclasses start it
    (setting ``process`` and ``_tmpdir``); this stops it (SIGTERM, then SIGKILL
    after 10 s), removes the directory, and makes it a context manager."""

    process: subprocess.Popen[bytes] | None = None
    _tmpdir: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the daemon and remove its directory (idempotent)."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()
        if self._tmpdir is not None:
            with contextlib.suppress(OSError):
                self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class PrivateLibvirtd(TemporaryDaemon):
    """A private libvirtd listening on unix sockets in a temporary directory.

    ``extra_config`` adds or overrides libvirtd.conf settings, e.g.
    ``{"keepalive_interval": 1, "keepalive_count": 2}``; ``extra_args`` adds
    command line arguments (``["--listen"]`` with ``listen_tcp = 1``).  Use as a context
    manager (``with PrivateLibvirtd() as daemon``) or call :meth:`start` and
    :meth:`stop`.  The daemon's log goes to ``<tmpdir>/libvirtd.log``.
    """

    def __init__(
        self,
        extra_config: Mapping[str, object] | None = None,
        *,
        libvirtd: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.extra_config = dict(extra_config or {})
        #: Extra command line arguments, e.g. ``["--listen"]`` for TCP/TLS.
        self.extra_args = list(extra_args)
        self.libvirtd = libvirtd or find_libvirtd()
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.directory = Path()

    # -- paths -------------------------------------------------------------
    @property
    def socket_path(self) -> str:
        """Read-write socket."""
        return str(self.directory / "libvirt-sock")

    @property
    def readonly_socket_path(self) -> str:
        """Read-only socket."""
        return str(self.directory / "libvirt-sock-ro")

    @property
    def admin_socket_path(self) -> str:
        """Admin socket (program ADMIN)."""
        return str(self.directory / "libvirt-admin-sock")

    @property
    def uri(self) -> str:
        """URI of the test driver on the read-write socket."""
        return f"test+unix:///default?socket={self.socket_path}"

    @property
    def readonly_uri(self) -> str:
        """URI of the test driver on the read-only socket."""
        return f"test+unix:///default?socket={self.readonly_socket_path}"

    @property
    def log_path(self) -> Path:
        return self.directory / "libvirtd.log"

    def log_text(self) -> str:
        """The daemon's log so far (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> PrivateLibvirtd:
        if self.libvirtd is None:
            raise FileNotFoundError("libvirtd")
        # unix socket paths are limited to 108 bytes: keep the directory short.
        self._tmpdir = tempfile.TemporaryDirectory(prefix="vrpc-", dir="/tmp")
        self.directory = Path(self._tmpdir.name)
        driver_dir = self.directory / "drivers"
        driver_dir.mkdir()
        config: dict[str, object] = {
            "unix_sock_dir": str(self.directory),
            "auth_unix_rw": "none",
            "auth_unix_ro": "none",
            "listen_tcp": 0,
            "listen_tls": 0,
            "log_outputs": f"3:file:{self.log_path}",
        }
        config.update(self.extra_config)
        conf_path = self.directory / "libvirtd.conf"
        conf_path.write_text(
            "".join(f"{key} = {_format_conf_value(value)}\n" for key, value in config.items())
        )
        env = dict(os.environ)
        # An empty driver directory: only the built-in test driver is available,
        # so the daemon starts fast and touches nothing on the host.
        env["LIBVIRT_DRIVER_DIR"] = str(driver_dir)
        self.process = subprocess.Popen(
            [
                self.libvirtd,
                "-p",
                str(self.directory / "pid"),
                "-f",
                str(conf_path),
                *self.extra_args,
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "stderr.log", "wb"),  # noqa: SIM115 (owned by Popen)
        )
        try:
            self._wait_for_socket()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_socket(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + DAEMON_START_TIMEOUT
        delay = 0.002
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"libvirtd exited with {self.process.returncode}: "
                    + (self.directory / "stderr.log").read_text(errors="replace")
                    + self.log_text()
                )
            # libvirtd binds its sockets one after another: all three before use
            # (the admin socket came last, and test_client_admin once raced it).
            if _socket_accepts(self.socket_path) and all(
                os.path.exists(path)
                for path in (self.readonly_socket_path, self.admin_socket_path)
            ):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"libvirtd did not create {self.socket_path}")
            # Polling, not synchronisation: bounded by the deadline above.
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def _socket_accepts(path: str) -> bool:
    if not os.path.exists(path):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


@contextlib.contextmanager
def private_libvirtd(extra_config: Mapping[str, object] | None = None) -> Iterator[PrivateLibvirtd]:
    """Start a private libvirtd for the duration of a ``with`` block.

    Skips (or fails under ``CI=true``) when libvirtd is not installed.
    """
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd(extra_config) as daemon:
        yield daemon


@contextlib.contextmanager
def serve_process(
    directory: Path, extra_args: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``virtrpc serve`` as its own process on ``directory/sock`` (with
    ``extra_args``, e.g. ``["--keep-state"]``); yield ``(uri, process)`` once
    it listens.  The process may be stopped or killed by the test; it is
    continued and terminated on exit."""
    sock = directory / "sock"
    stderr_path = directory / "serve.stderr"
    # Bytecode matters: without it every start recompiles the generated modules.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "virtrpc", "serve", "--socket", str(sock), *extra_args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    try:
        assert process.stdout is not None
        # serve prints its URI once it listens: a readiness signal, not a sleep.
        for line in process.stdout:
            if line.startswith("URI:"):
                break
        else:
            raise RuntimeError(f"virtrpc serve did not start: {stderr_path.read_text()}")
        yield f"test+unix:///default?socket={sock}", process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
