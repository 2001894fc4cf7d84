"""In-process servers for tests: the built-in test hypervisor (or any
:class:`~virtrpc.server.Server`) listening on a read-write and a read-only Unix
socket in a temporary folder, on the test's own event loop, shut down when
the test ends.

Tests use the ``served_hypervisor`` fixture (tests/conftest.py); its options
come from a ``served`` marker on the test, class or module::

    pytestmark = pytest.mark.served(extras=True)

    async def test_x(served_hypervisor: ServedHypervisor) -> None:
        async with await virtrpc.connect(served_hypervisor.uri) as client: ...

A test that needs several servers, or one with custom programs, calls
:func:`serve_test_hypervisor` / :func:`serve_in_process` itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from virtrpc.server import Server, ServerLimits
from virtrpc.testdriver import Hypervisor, TestDriver, build_test_server

__all__ = [
    "SERVE_OPTIONS",
    "Served",
    "ServedHypervisor",
    "serve_in_process",
    "serve_test_hypervisor",
    "short_limits",
    "unix_uri",
]

#: The keyword arguments the ``served`` marker takes (those of
#: :func:`serve_test_hypervisor` after the folder).
SERVE_OPTIONS = frozenset({"limits", "hypervisor", "extras", "reset_when_unused", "default_node"})


def short_limits(**overrides: Any) -> ServerLimits:
    """Server limits for tests: a short shutdown bound (a test that leaves a
    call hanging must not wait libvirtd's default for it), plus ``overrides``."""
    return ServerLimits(**{"shutdown_timeout": 2.0, **overrides})


def unix_uri(socket_path: Path | str, node: str = "/default") -> str:
    """The test-driver URI of a server listening on ``socket_path``."""
    return f"test+unix://{node}?socket={socket_path}"


@dataclass(frozen=True)
class Served:
    """A server listening in ``folder`` on ``socket`` (read-write) and
    ``readonly_socket``."""

    server: Server
    folder: Path
    socket: Path
    readonly_socket: Path

    @property
    def uri(self) -> str:
        """``test+unix:///default?socket=...`` for the read-write socket."""
        return unix_uri(self.socket)

    @property
    def readonly_uri(self) -> str:
        """The same URI for the read-only socket."""
        return unix_uri(self.readonly_socket)


@dataclass(frozen=True)
class ServedHypervisor(Served):
    """A served test hypervisor; ``driver`` holds its state (``driver.hv``)."""

    driver: TestDriver


@contextlib.asynccontextmanager
async def serve_in_process(
    server: Server, folder: Path, *, names: tuple[str, str] = ("sock", "sock-ro")
) -> AsyncIterator[Served]:
    """Listen with ``server`` on ``folder/sock`` and ``folder/sock-ro``
    (read-only; other file ``names`` if given); shut it down (clients,
    streams, callbacks) on exit."""
    socket_path, readonly_path = folder / names[0], folder / names[1]
    try:
        await server.listen_unix(str(socket_path))
        await server.listen_unix(str(readonly_path), readonly=True)
        yield Served(server, folder, socket_path, readonly_path)
    finally:
        await server.shutdown()


@contextlib.asynccontextmanager
async def serve_test_hypervisor(
    folder: Path,
    *,
    limits: ServerLimits | None = None,
    hypervisor: Hypervisor | None = None,
    extras: bool = False,
    reset_when_unused: bool = False,
    default_node: str | None = None,
) -> AsyncIterator[ServedHypervisor]:
    """The test hypervisor (:func:`~virtrpc.testdriver.build_test_server`
    with these options; ``limits`` default to :func:`short_limits`) served in
    ``folder``.  ``reset_when_unused`` is libvirtd's rule (state back to its
    start when the last client closes); by default the state is kept for the
    server's life, as ``virtrpc serve`` does."""
    server, driver = build_test_server(
        short_limits() if limits is None else limits,
        hypervisor,
        extras=extras,
        reset_when_unused=reset_when_unused,
        default_node=default_node,
    )
    async with serve_in_process(server, folder) as served:
        yield ServedHypervisor(served.server, served.folder, served.socket,
                               served.readonly_socket, driver)
