"""The built-in in-memory test hypervisor served by ``virtrpc serve``.

It answers the ``remote`` program the way libvirtd with its ``test:///default``
driver does, so real ``virsh`` and libvirt-python drive it::

    server, driver = build_test_server()
    await server.listen_unix(path)
    await server.serve_forever()
"""

from __future__ import annotations

from virtrpc.server import Server, ServerLimits
from virtrpc.testdriver.driver import TestDriver
from virtrpc.testdriver.model import Hypervisor

__all__ = ["Hypervisor", "TestDriver", "build_test_server"]


def build_test_server(
    limits: ServerLimits | None = None,
    hypervisor: Hypervisor | None = None,
    *,
    reset_when_unused: bool = False,
    extras: bool = False,
) -> tuple[Server, TestDriver]:
    """A :class:`~virtrpc.server.Server` serving the test hypervisor (no listeners yet).

    The state is shared by all clients and lives as long as the server; with
    ``reset_when_unused`` it goes back to the default node whenever the last
    client with an open connection closes it (libvirtd's test driver rule).
    By default it answers as libvirtd's test driver, refusals included; with
    ``extras`` it also offers what that driver lacks (an empty secret list,
    job information, a sparse ``disk1.img`` in ``default-pool``).
    """
    server = Server(limits)
    driver = TestDriver(hypervisor, reset_when_unused=reset_when_unused, extras=extras)
    server.add_program(driver.service())
    server.on_client_closed(driver.client_closed)
    server.on_shutdown(driver.close)
    return server, driver
