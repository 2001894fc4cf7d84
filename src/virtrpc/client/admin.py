"""Client for the daemons' admin interface (program ``ADMIN``, ``admin_protocol.x``).

The admin program lives on its own socket (``libvirt-admin-sock`` for
libvirtd, ``<daemon>-admin-sock`` for the modular daemons) and has its own
URIs, handled as in libvirt 9.0's ``src/admin/libvirt-admin.c``:

* ``libvirtd:///system`` -> ``/run/libvirt/libvirt-admin-sock``;
* ``virtqemud:///system`` -> ``/run/libvirt/virtqemud-admin-sock``;
* ``/session`` -> ``$XDG_RUNTIME_DIR/libvirt/<...>-admin-sock``;
* ``?socket=PATH`` overrides the path; any other parameter is an error;
* no URI: ``$LIBVIRT_ADMIN_DEFAULT_URI``, else ``libvirtd:///system`` for
  root and ``libvirtd:///session`` otherwise.

The handshake is a single ``admin_connect_open`` (no auth list, no keepalive
negotiation: libvirt's admin client does neither).

::

    async with virtrpc.connect_admin("libvirtd:///system") as admin:
        servers = await admin.connect_list_servers(need_results=1)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Mapping
from typing import Any, Final

from virtrpc.client.client import ConnectOperation, RpcClient, connect_unix_socket
from virtrpc.client.uri import LibvirtURI, _user_runtime_dir, parse_uri
from virtrpc.errors import ConnectError, ConnectionLost
from virtrpc.protocols import admin as admin_protocol
from virtrpc.protocols.admin_calls import AdminAsyncCalls

__all__ = ["AdminClient", "admin_socket_path", "connect_admin"]

#: libvirt's RUNSTATEDIR on Debian (the admin client uses it, not /var/run).
ADMIN_RUNTIME_DIR = "/run/libvirt"

_ADMIN_CONNECT_CLOSE: Final = admin_protocol.PROGRAM.by_name["connect_close"]


class AdminClient(RpcClient, AdminAsyncCalls):
    """A connection to a daemon's admin interface."""

    def _send_goodbye(self) -> Awaitable[Any]:
        return self._call_procedure(_ADMIN_CONNECT_CLOSE, None)


def admin_socket_path(uri: LibvirtURI, env: Mapping[str, str] | None = None) -> str:
    """The admin socket for an admin URI (``getSocketPath`` in libvirt)."""
    socket_path = None
    for key, value in uri.params:
        if key != "socket":
            raise ConnectError(f"Unknown URI parameter '{key}' in admin URI {uri.raw!r}")
        socket_path = value
    if socket_path is not None:
        return socket_path
    if uri.driver == "libvirtd":
        base = "libvirt-admin-sock"
    elif uri.driver.startswith("virt"):
        base = f"{uri.driver}-admin-sock"
    else:
        raise ConnectError(f"Unsupported admin URI scheme '{uri.driver}' in {uri.raw!r}")
    if uri.path == "/system":
        return f"{ADMIN_RUNTIME_DIR}/{base}"
    if uri.path == "/session":
        return f"{_user_runtime_dir(os.environ if env is None else env)}/{base}"
    raise ConnectError(f"Invalid admin URI path '{uri.path}', try '/system' ({uri.raw!r})")


def default_admin_uri(env: Mapping[str, str] | None = None) -> str:
    """``$LIBVIRT_ADMIN_DEFAULT_URI`` or libvirtd's system/session admin URI."""
    environ = os.environ if env is None else env
    value = environ.get("LIBVIRT_ADMIN_DEFAULT_URI")
    if value:
        return value
    return "libvirtd:///system" if os.geteuid() == 0 else "libvirtd:///session"


async def _open_admin(uri: str | None, timeout: float | None) -> AdminClient:
    parsed = parse_uri(uri if uri is not None else default_admin_uri())
    socket_path = admin_socket_path(parsed)
    client = AdminClient(parsed, socket_path, keepalive=None)
    await connect_unix_socket(
        socket_path, client, what="libvirt admin socket", uri=parsed.raw, timeout=timeout
    )
    try:
        await asyncio.wait_for(client.connect_open(flags=0), timeout)
    except BaseException as exc:
        client.abort()
        if isinstance(exc, ConnectionLost):
            raise ConnectError(
                f"admin daemon at {socket_path} dropped the connection (URI {parsed.raw}): {exc}"
            ) from exc
        raise
    return client


def connect_admin(
    uri: str | None = None, *, timeout: float | None = 30.0
) -> ConnectOperation[AdminClient]:
    """Connect to a daemon's admin interface: ``await connect_admin(uri)`` or
    ``async with connect_admin(uri) as admin``."""
    return ConnectOperation(lambda: _open_admin(uri, timeout))
