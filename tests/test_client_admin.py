"""The admin client against a real private libvirtd's admin socket."""

from __future__ import annotations

import pytest

from tests.support.peers import PrivateLibvirtd
from virtrpc.client import connect_admin
from virtrpc.client.admin import admin_socket_path
from virtrpc.client.errors import LibvirtError
from virtrpc.client.uri import parse_uri
from virtrpc.errors import ConnectError

pytestmark = pytest.mark.libvirtd


def test_admin_socket_paths() -> None:
    assert admin_socket_path(parse_uri("libvirtd:///system")) == "/run/libvirt/libvirt-admin-sock"
    assert (
        admin_socket_path(parse_uri("virtqemud:///system")) == "/run/libvirt/virtqemud-admin-sock"
    )
    assert admin_socket_path(
        parse_uri("virtqemud:///session"), {"XDG_RUNTIME_DIR": "/run/user/7"}
    ) == ("/run/user/7/libvirt/virtqemud-admin-sock")
    assert admin_socket_path(parse_uri("libvirtd:///system?socket=/x")) == "/x"
    for bad in ("qemu:///system", "libvirtd:///elsewhere", "libvirtd:///system?mode=legacy"):
        with pytest.raises(ConnectError):
            admin_socket_path(parse_uri(bad))


async def test_admin_calls(libvirtd: PrivateLibvirtd) -> None:
    uri = f"libvirtd:///system?socket={libvirtd.admin_socket_path}"
    async with connect_admin(uri) as admin:
        assert await admin.connect_get_lib_version() == 9000000
        servers = await admin.connect_list_servers(need_results=1, flags=0)
        names = sorted(s.name for s in servers.servers)
        assert names == ["admin", "libvirtd"]
        server = await admin.connect_lookup_server(name="libvirtd", flags=0)
        params = await admin.server_get_threadpool_parameters(srv=server, flags=0)
        assert "maxWorkers" in {p.field for p in params}
        clients = await admin.server_list_clients(srv=server, need_results=1, flags=0)
        assert clients.ret == len(clients.clients)
        with pytest.raises(LibvirtError):
            await admin.connect_lookup_server(name="no-such-server", flags=0)
    assert not admin.is_open
