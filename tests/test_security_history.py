"""Cases from libvirt's security history not covered elsewhere, against the
in-process test server: fd exhaustion attempted by a read-only client, and
keepalive racing with a close on both sides."""

from __future__ import annotations

import asyncio
import os

import pytest

import virtrpc
from tests.support.fdcount import FdLeakCheck
from tests.support.served import ServedHypervisor
from virtrpc.server import Server

XML = (
    "<domain type='test'><name>fd-{n}</name><memory>1024</memory><os><type>hvm</type></os></domain>"
)


@pytest.fixture
def served(served_hypervisor: ServedHypervisor) -> tuple[Server, str, str]:
    """The shared in-process test hypervisor: (server, read-write URI, read-only URI)."""
    return served_hypervisor.server, served_hypervisor.uri, served_hypervisor.readonly_uri


async def test_read_only_client_cannot_make_the_server_hold_fds(
    served: tuple[Server, str, str], fd_leak_check: FdLeakCheck
) -> None:
    """200 calls carrying 32 fds each on the read-only socket are all denied,
    and the server keeps none of the 6400 fds it received (libvirt bug class:
    fds leaked or kept by calls a read-only client may not make)."""
    _server, _rw, ro_uri = served
    r, w = os.pipe()
    try:
        with fd_leak_check("server and client, 200 x 32 fds"):
            async with virtrpc.connect(ro_uri, readonly=True, keepalive=None) as client:

                async def attempt(n: int) -> None:
                    with pytest.raises(virtrpc.LibvirtError) as info:
                        await client.domain_create_xml_with_files(
                            xml_desc=XML.format(n=n), flags=0, fds=[r, w] * 16
                        )
                    assert info.value.code_name == "VIR_ERR_OPERATION_DENIED"

                await asyncio.gather(*(attempt(n) for n in range(200)))
                # The connection is still usable for what a read-only client may do.
                assert await client.connect_get_lib_version() == 9000000
    finally:
        os.close(r)
        os.close(w)


async def test_keepalive_racing_with_close_leaves_nothing_behind(
    served: tuple[Server, str, str], fd_leak_check: FdLeakCheck
) -> None:
    """Clients with a very short keepalive interval close while pings and calls
    are in flight (libvirt has had use-after-free bugs here): every close
    completes, no callback fires on a closed connection, no fd is left."""
    server, rw_uri, _ro = served
    with fd_leak_check("50 racing closes"):
        for _ in range(50):
            client = await virtrpc.connect(rw_uri, keepalive=(0.001, 3))
            pending = [asyncio.ensure_future(client.connect_get_lib_version()) for _ in range(5)]
            await client.close()
            results = await asyncio.gather(*pending, return_exceptions=True)
            assert all(r == 9000000 or isinstance(r, virtrpc.ConnectionLost) for r in results)
            assert not client.is_open
        # The server forgot every one of them.
        async with asyncio.timeout(10):
            while len(server.clients) > 0:
                await asyncio.sleep(0.01)  # polling the server's table, bounded above
