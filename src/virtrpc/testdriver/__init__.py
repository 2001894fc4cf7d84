"""The built-in in-memory test hypervisor served by ``virtrpc serve``.

It answers the ``remote`` program the way libvirtd with its ``test:///default``
driver does, so real ``virsh`` and libvirt-python drive it::

    server, driver = build_test_server()
    await server.listen_unix(path)
    await server.serve_forever()
"""

from __future__ import annotations

from virtrpc.server import Server, ServerLimits
from virtrpc.testdriver.driver import TestDriver, hypervisor_services
from virtrpc.testdriver.model import Hypervisor

__all__ = ["Hypervisor", "TestDriver", "build_test_server"]


def build_test_server(
    limits: ServerLimits | None = None,
    hypervisor: Hypervisor | None = None,
    *,
    reset_when_unused: bool = False,
    extras: bool = False,
    default_node: str | None = None,
) -> tuple[Server, TestDriver]:
    """A :class:`~virtrpc.server.Server` serving the test hypervisor (no listeners yet).

    Each URI has one state (``test:///default``, or the node file of
    ``test:///path/node.xml``), shared by all its clients, living as long as
    the server; with ``reset_when_unused`` a URI's state goes back to its
    start whenever the last client with an open connection to it closes
    (libvirtd's test driver rule).  ``default_node`` names a node file that
    ``test:///default`` serves instead of the built-in default node (a bad
    file raises :class:`~virtrpc.server.errors.RpcFault`).

    By default it answers as libvirtd's test driver, refusals included; with
    ``extras`` it also offers what that driver lacks (an empty secret list,
    job information, a sparse ``disk1.img`` in the built-in ``default-pool``).
    """
    server = Server(limits)
    driver = TestDriver(hypervisor, reset_when_unused=reset_when_unused, extras=extras,
                        default_node=default_node)
    server.add_program(driver.service())
    for service in hypervisor_services():
        server.add_program(service)
    server.on_client_closed(driver.client_closed)
    server.on_shutdown(driver.close)
    return server, driver
