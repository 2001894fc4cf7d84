"""Open the transport a libvirt URI names (``tcp``, ``tls``, ``ssh``, ``ext``).

This is the one call the client makes for non-unix URIs::

    opened = await open_uri_transport(uri, receiver, readonly=readonly)
    # receiver.connection_made(opened.transport) has been called
    await virtrpc.auth.exchange.authenticate(
        client, target=uri.raw, hostname=opened.hostname, secure=opened.secure,
        auth=uri.param("auth"), auth_file=uri.param("authfile"), credentials=callback)

``uri`` is duck-typed (:class:`UriLike`, which
:class:`virtrpc.client.uri.LibvirtURI` satisfies) so that this transport
layer does not import the client layer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from virtrpc.errors import ConnectError
from virtrpc.transport.base import Transport, TransportReceiver
from virtrpc.transport.ext import ProcessTransport, open_command
from virtrpc.transport.ssh import default_proxy, ssh_launch, ssh_socket_path
from virtrpc.transport.tcp import DEFAULT_TCP_PORT, open_tcp
from virtrpc.transport.tls import DEFAULT_TLS_PORT, open_tls

__all__ = [
    "NETWORK_TRANSPORTS",
    "OpenedTransport",
    "UriLike",
    "open_uri_transport",
    "ssh_launch_for_uri",
    "uri_flag",
]

#: Transports this module opens.
NETWORK_TRANSPORTS = ("tcp", "tls", "ssh", "ext")


class UriLike(Protocol):
    """What :func:`open_uri_transport` reads from a parsed URI."""

    @property
    def raw(self) -> str: ...

    @property
    def host(self) -> str | None: ...

    @property
    def port(self) -> int | None: ...

    @property
    def user(self) -> str | None: ...

    @property
    def transport(self) -> str: ...

    def param(self, name: str) -> str | None: ...

    def remote_name(self) -> str: ...

    def uses_session_daemon(self, euid: int | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class OpenedTransport:
    """The result of :func:`open_uri_transport`."""

    transport: Transport
    #: Whether the channel is already confidential (TLS, ssh): decides which
    #: SASL mechanisms are acceptable (see :mod:`virtrpc.auth.exchange`).
    secure: bool
    #: Host name for auth.conf lookups and messages (``localhost`` if none).
    hostname: str
    #: Human readable endpoint, e.g. ``localhost:16514``.
    label: str


def uri_flag(uri: UriLike, name: str) -> bool:
    """A boolean URI parameter as libvirt reads it (``EXTRACT_URI_ARG_BOOL``:
    an integer, non-zero is true).  Raises :class:`ConnectError` otherwise."""
    value = uri.param(name)
    if value is None:
        return False
    try:
        return int(value) != 0
    except ValueError:
        raise ConnectError(
            f"Failed to parse value of URI component {name} in {uri.raw!r}: {value!r}"
        ) from None


async def open_uri_transport(
    uri: UriLike,
    receiver: TransportReceiver,
    *,
    readonly: bool = False,
    env: Mapping[str, str] | None = None,
) -> OpenedTransport:
    """Connect the transport of a ``tcp``/``tls``/``ssh``/``ext`` URI and call
    ``receiver.connection_made``.  Raises :class:`ConnectError` (with the URI in
    the message) when the connection cannot be made.  Wrap in
    :func:`asyncio.wait_for` for a deadline."""
    kind = uri.transport
    hostname = uri.host or "localhost"
    try:
        if kind == "tcp":
            port = uri.port if uri.port is not None else DEFAULT_TCP_PORT
            tcp = await open_tcp(hostname, port, receiver)
            return OpenedTransport(tcp, False, hostname, f"{hostname}:{port}")
        if kind == "tls":
            port = uri.port if uri.port is not None else DEFAULT_TLS_PORT
            tls = await open_tls(
                hostname,
                port,
                receiver,
                pkipath=uri.param("pkipath"),
                verify=not uri_flag(uri, "no_verify"),
            )
            return OpenedTransport(tls, True, hostname, f"{hostname}:{port}")
        if kind == "ssh":
            return await _open_ssh(uri, receiver, hostname, readonly, env)
        if kind == "ext":
            command = uri.param("command")
            if not command:
                raise ConnectError("the ext transport needs a command= parameter")
            ext = await open_command([command], receiver, env=env)
            return OpenedTransport(ext, False, hostname, f"command {command}")
    except ConnectError as exc:
        message = str(exc)
        if uri.raw not in message:
            message = f"{message} (URI {uri.raw})"
        error = ConnectError(message) if type(exc) is ConnectError else type(exc)(message)
        error.errno = exc.errno
        raise error from exc
    if kind in ("libssh", "libssh2"):
        raise ConnectError(
            f"transport {kind!r} of URI {uri.raw!r} is not supported (it needs libvirt's "
            "built-in ssh library); use +ssh, which runs the ssh command"
        )
    raise ConnectError(f"transport {kind!r} of URI {uri.raw!r} is not a network transport")


async def _open_ssh(
    uri: UriLike,
    receiver: TransportReceiver,
    hostname: str,
    readonly: bool,
    env: Mapping[str, str] | None,
) -> OpenedTransport:
    argv, label = ssh_launch_for_uri(uri, hostname, readonly, env)
    ssh = ProcessTransport(argv, receiver, label=label)
    await ssh._start(env)
    return OpenedTransport(ssh, True, hostname, ssh.label)


def ssh_launch_for_uri(
    uri: UriLike, hostname: str, readonly: bool, env: Mapping[str, str] | None = None
) -> tuple[list[str], str]:
    """``(argv, label)`` of the ssh command for an ``+ssh`` URI (libvirt's
    parameters: ``socket``, ``proxy``, ``netcat``, ``keyfile``, ``no_tty``,
    ``no_verify``, ``known_hosts``, ``command``)."""
    environ = os.environ if env is None else env
    session = uri.uses_session_daemon()
    socket_param = uri.param("socket")
    if socket_param is not None:
        socket_path = socket_param
    else:
        runtime = environ.get("XDG_RUNTIME_DIR") or f"{os.path.expanduser('~')}/.cache"
        socket_path = ssh_socket_path(
            readonly=readonly, session=session, runtime_dir=f"{runtime}/libvirt"
        )
    proxy = (uri.param("proxy") or default_proxy(
        socket_given=socket_param is not None, session=session
    )).lower()
    return ssh_launch(
        hostname,
        driver_uri=uri.remote_name(),
        socket_path=socket_path,
        readonly=readonly,
        proxy=proxy,
        netcat=uri.param("netcat"),
        port=uri.port,
        user=uri.user,
        keyfile=uri.param("keyfile"),
        no_tty=uri_flag(uri, "no_tty"),
        no_verify=uri_flag(uri, "no_verify"),
        known_hosts=uri.param("known_hosts"),
        binary=uri.param("command"),
    )
