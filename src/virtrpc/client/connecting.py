"""Opening a client: URI resolution (:func:`resolve_target`), the transports
(Unix sockets here, the network ones through
:func:`virtrpc.transport.network.open_uri_transport`), then the session's
handshake; :func:`connect` and :func:`connect_socket` are the entry points."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

from virtrpc.auth.credentials import CredentialCallback
from virtrpc.client.core import DEFAULT_KEEPALIVE, RpcClient
from virtrpc.client.session import Client
from virtrpc.client.uri import LibvirtURI, default_uri, parse_uri
from virtrpc.errors import ConnectError, ConnectionLost
from virtrpc.transport.network import NETWORK_TRANSPORTS, open_uri_transport
from virtrpc.transport.unix import SocketTransport, open_unix

__all__ = [
    "ConnectOperation",
    "connect",
    "connect_socket",
    "connect_unix_socket",
    "open_client",
    "resolve_target",
]


def resolve_target(
    uri: str | LibvirtURI | None, readonly: bool
) -> tuple[LibvirtURI | None, str, str]:
    """``(parsed URI, socket path, name for connect_open)`` for a URI (None:
    ``$LIBVIRT_DEFAULT_URI`` or the daemon's default)."""
    if uri is None:
        uri = default_uri()
    if uri is None:
        # No URI at all: libvirt connects to the default daemon and lets it
        # probe (an empty name); unprivileged users get their session daemon.
        probe = parse_uri("remote:///session" if os.geteuid() != 0 else "remote:///system")
        return None, probe.unix_socket_path(readonly=readonly), ""
    parsed = uri if isinstance(uri, LibvirtURI) else parse_uri(uri)
    if parsed.transport in NETWORK_TRANSPORTS:
        # The endpoint label is replaced by the transport's once connected.
        return parsed, parsed.host or "localhost", parsed.remote_name()
    if parsed.transport != "unix":
        raise ConnectError(
            f"transport {parsed.transport!r} of URI {parsed.raw!r} is not supported "
            "(use unix, tcp, tls, ssh or ext)"
        )
    return parsed, parsed.unix_socket_path(readonly=readonly), parsed.remote_name()


async def connect_unix_socket(
    path: str, receiver: RpcClient, *, what: str, uri: str, timeout: float | None
) -> None:
    """Open the Unix socket ``path`` for ``receiver`` within ``timeout``.

    Failures raise :class:`ConnectError` naming ``what`` was tried, the path
    and the URI (with the socket's ``errno`` when there is one).
    """
    try:
        await asyncio.wait_for(open_unix(path, receiver), timeout)
    except TimeoutError:
        raise ConnectError(f"timed out connecting to {path} (URI {uri})") from None
    except OSError as exc:
        error = ConnectError(
            f"cannot connect to {what} {path} (URI {uri}): "
            f"{os.strerror(exc.errno) if exc.errno else exc}"
        )
        error.errno = exc.errno
        raise error from exc


async def open_client(
    uri: str | LibvirtURI | None,
    readonly: bool,
    keepalive: tuple[float, int] | None,
    timeout: float | None,
    credentials: CredentialCallback | None = None,
) -> Client:
    parsed, endpoint, name = resolve_target(uri, readonly)
    shown = parsed.raw if parsed is not None else "(default)"
    client = Client(
        parsed, endpoint, readonly=readonly, keepalive=keepalive, credentials=credentials
    )
    if parsed is not None and parsed.transport in NETWORK_TRANSPORTS:
        try:
            opened = await asyncio.wait_for(
                open_uri_transport(parsed, client, readonly=readonly), timeout
            )
        except TimeoutError:
            raise ConnectError(f"timed out connecting to {endpoint} (URI {shown})") from None
        # ConnectError from open_uri_transport already names the URI.
        client.socket_path = opened.label
        client._auth_hostname = opened.hostname
        client._secure = opened.secure
    else:
        await connect_unix_socket(
            endpoint, client, what="libvirt socket", uri=shown, timeout=timeout
        )
    where = client.socket_path
    try:
        await asyncio.wait_for(client._open_session(name), timeout)
    except BaseException as exc:
        client.abort()
        if isinstance(exc, TimeoutError):
            raise ConnectError(f"handshake with {where} timed out (URI {shown})") from None
        if isinstance(exc, ConnectionLost):
            raise ConnectError(
                f"daemon at {where} dropped the connection during the handshake "
                f"(URI {shown}): {exc}"
            ) from exc
        raise
    return client


async def connect_socket(
    sock: socket.socket,
    *,
    uri: str | LibvirtURI | None = None,
    readonly: bool = False,
    keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    handshake: bool = True,
    timeout: float | None = 30.0,
) -> Client:
    """Run a client over an already connected stream socket (taken over and
    closed by the client).  Used for socketpairs (tests, fake servers) and as
    the basis of tunnelled transports.  ``uri`` only provides the name sent in
    ``connect_open``; ``handshake=False`` skips the handshake entirely."""
    parsed = uri if isinstance(uri, LibvirtURI) or uri is None else parse_uri(uri)
    try:
        peer = sock.getpeername()
    except OSError:
        peer = None
    label = peer if isinstance(peer, str) and peer else f"fd {sock.fileno()}"
    client = Client(parsed, label, readonly=readonly, keepalive=keepalive)
    SocketTransport(sock, client)
    if handshake:
        try:
            await asyncio.wait_for(
                client._open_session(parsed.remote_name() if parsed is not None else ""), timeout
            )
        except BaseException:
            client.abort()
            raise
    return client


ClientT = TypeVar("ClientT", bound=RpcClient)


class ConnectOperation(Generic[ClientT]):
    """What :func:`connect` returns: await it for a :class:`Client`, or use it
    as ``async with`` to close the client automatically."""

    def __init__(self, opener: Callable[[], Awaitable[ClientT]]) -> None:
        self._opener = opener
        self._client: ClientT | None = None

    def __await__(self) -> Generator[Any, None, ClientT]:
        return self._opener().__await__()

    async def __aenter__(self) -> ClientT:
        self._client = await self._opener()
        return self._client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


def connect(
    uri: str | LibvirtURI | None = None,
    *,
    readonly: bool = False,
    keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    timeout: float | None = 30.0,
    credentials: CredentialCallback | None = None,
) -> ConnectOperation[Client]:
    """Connect to a libvirt daemon.

    ``client = await connect(uri)`` or ``async with connect(uri) as client``.
    ``uri`` defaults to ``$LIBVIRT_DEFAULT_URI`` / the client config's
    ``uri_default`` / the daemon's default.  ``keepalive=(interval, count)``
    pings the daemon after ``interval`` seconds of silence, once per silent
    interval, and declares it dead when ``count`` pings went unanswered and one
    more interval passed (``interval * (count + 1)`` seconds without any data,
    as libvirt); ``None`` disables it.
    ``credentials`` answers SASL credential requests not covered by
    auth.conf (see :mod:`virtrpc.auth`).  Unix sockets, ``tcp``, ``tls``,
    ``ssh`` and ``ext`` URIs are supported.  Raises
    :class:`~virtrpc.errors.ConnectError` naming the URI and the endpoint.
    """
    return ConnectOperation(lambda: open_client(uri, readonly, keepalive, timeout, credentials))
