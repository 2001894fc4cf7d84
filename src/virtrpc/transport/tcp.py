"""Plain TCP connections (``libvirtd --listen`` with ``listen_tcp = 1``).

Same :class:`~virtrpc.transport.unix.SocketTransport` as Unix sockets, minus
fd passing.  ``TCP_NODELAY`` is set: RPC packets are small and latency bound.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from typing import Any

from virtrpc.errors import ConnectError
from virtrpc.transport.base import TransportReceiver
from virtrpc.transport.unix import Listener, SocketTransport

__all__ = ["DEFAULT_TCP_PORT", "connect_tcp", "open_tcp", "start_tcp_server"]

#: libvirtd's default plain TCP port (``tcp_port``).
DEFAULT_TCP_PORT = 16509


async def connect_tcp(host: str, port: int = DEFAULT_TCP_PORT) -> socket.socket:
    """Connect a non-blocking TCP socket to ``host:port`` (every resolved
    address is tried in order).

    Raises :class:`~virtrpc.errors.ConnectError` naming host and port.
    """
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        error = ConnectError(f"cannot resolve {host!r}: {exc.strerror or exc}")
        error.errno = exc.errno
        raise error from exc
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    if last is None:
        reason = "no address found"
    else:
        # asyncio's sock_connect puts "Connect call failed ..." in strerror.
        reason = os.strerror(last.errno) if last.errno else str(last)
    error = ConnectError(f"cannot connect to {host}:{port}: {reason}")
    error.errno = last.errno if last is not None else None
    raise error from last


async def open_tcp(
    host: str, port: int, receiver: TransportReceiver, **transport_options: Any
) -> SocketTransport:
    """Connect to ``host:port`` and wrap the socket in a :class:`SocketTransport`."""
    sock = await connect_tcp(host, port)
    return SocketTransport(sock, receiver, **transport_options)


async def start_tcp_server(
    host: str,
    port: int,
    receiver_factory: Callable[[], TransportReceiver],
    *,
    backlog: int = 128,
    **transport_options: Any,
) -> Listener:
    """Listen on ``host:port`` (``port=0``: any free port; read it from
    ``listener.socket.getsockname()``).  Every accepted connection gets a
    :class:`SocketTransport` (``TCP_NODELAY`` set) and a receiver from
    ``receiver_factory``.  Raises :class:`~virtrpc.errors.ConnectError`
    naming the address when it cannot be bound."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except OSError as exc:
        error = ConnectError(f"cannot resolve {host!r}: {exc.strerror or exc}")
        error.errno = exc.errno
        raise error from exc
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(backlog)
        except OSError as exc:
            error = ConnectError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
            error.errno = exc.errno
            raise error from exc
        return Listener(sock, receiver_factory, **transport_options)
    except BaseException:
        sock.close()
        raise

