"""Two test hypervisors served in-process for the migration tests, with the
lifecycle events each one's model emitted."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from virtrpc.server import Server, ServerLimits
from virtrpc.testdriver import TestDriver, build_test_server
from virtrpc.testdriver.model import ObjectEvent

DOMAIN_XML = ("<domain type='test'><name>{name}</name><memory>1048576</memory>"
              "<os><type>hvm</type></os></domain>")


@dataclass
class Host:
    """One served test hypervisor and the domain events its model emitted."""

    server: Server
    driver: TestDriver
    socket: Path
    events: list[tuple[str, int, int]]

    @property
    def uri(self) -> str:
        return f"test+unix:///default?socket={self.socket}"

    def domain_events(self, name: str) -> list[tuple[int, int]]:
        return [(e, d) for n, e, d in self.events if n == name]

    def state(self, name: str) -> int | None:
        domain = self.driver.hv.domains.get(name)
        return None if domain is None else int(domain.state)


async def serve_host(path: Path) -> Host:
    """A test server listening on ``path``, its events recorded."""
    server, driver = build_test_server(ServerLimits(shutdown_timeout=2.0))
    await server.listen_unix(str(path))
    events: list[tuple[str, int, int]] = []

    def record(event: ObjectEvent) -> None:
        if event.kind == "domain":
            events.append((event.obj.name, event.event, event.detail))

    driver.hv.add_listener(record)
    return Host(server, driver, path, events)


@contextlib.asynccontextmanager
async def two_hosts(tmp_path: Path) -> AsyncIterator[tuple[Host, Host]]:
    """A source and a destination test server, shut down on exit."""
    source = await serve_host(tmp_path / "src.sock")
    destination = await serve_host(tmp_path / "dst.sock")
    try:
        yield source, destination
    finally:
        await source.server.shutdown()
        await destination.server.shutdown()


def create_domain(host: Host, name: str) -> None:
    """A running transient domain on ``host`` (its events not recorded)."""
    host.driver.hv.create_domain(DOMAIN_XML.format(name=name))
    host.events.clear()
