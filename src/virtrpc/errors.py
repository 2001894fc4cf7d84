"""Exception hierarchy shared by every layer of virtrpc.

Every failure virtrpc reports is a subclass of :class:`VirtrpcError`, so
callers can catch one type.  Layers add their own subclasses here (not in
their own modules) so that the hierarchy is visible in one place and so that
low layers never import high ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotation only: errors.py imports no other layer
    from virtrpc.xdrgen.ast import Location

__all__ = [
    "AuthError",
    "BadFileDescriptor",
    "ConnectError",
    "ConnectionLost",
    "InvalidArguments",
    "InvalidValue",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "StreamError",
    "TlsError",
    "UsageError",
    "VirtrpcError",
    "XdrCompileError",
    "XdrError",
]


class VirtrpcError(Exception):
    """Base class of every error raised by virtrpc."""


class XdrError(VirtrpcError, ValueError):
    """Encoding or decoding of XDR data failed.

    ``path`` names the field that failed, e.g.
    ``remote_node_get_info_ret.model[3]``; ``reason`` says why.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class ProtocolError(VirtrpcError):
    """The RPC protocol was violated (bad header, bad length, bad fds...).

    A protocol error is fatal for the connection it happened on.  Which end
    is at fault is told by the subclass, as h11 does: the RPC layers raise
    :class:`LocalProtocolError` and the one receive entry of the core
    (:meth:`virtrpc.rpc.connection.Connection.receive_data` /
    ``receive_eof``) turns what the peer's bytes caused into
    :class:`RemoteProtocolError`.  Catch this base class for either.
    """


class LocalProtocolError(ProtocolError):
    """We were about to violate the protocol (a message too large to send, too
    many fds, a header field out of range): nothing was sent."""


class RemoteProtocolError(ProtocolError):
    """The peer violated the protocol; the connection is dead."""


class ConnectionLost(VirtrpcError):
    """The connection died (EOF, I/O error, keepalive timeout, protocol error)
    while a call or stream was pending, or a call was made on a closed
    connection."""


class ConnectError(VirtrpcError, OSError):
    """A connection could not be established.  The message names what was
    tried (URI, socket path, host and port)."""


class StreamError(VirtrpcError):
    """A data stream was used wrongly or was aborted by the peer."""


class UsageError(VirtrpcError):
    """The caller used the API wrongly (an unknown procedure, arguments that do
    not fit it, a stream procedure called as a plain one): nothing was sent,
    the connection is fine."""


class InvalidValue(UsageError, ValueError):
    """A usage error that is a bad value (a name that names nothing, text that
    does not parse)."""


class InvalidArguments(UsageError, TypeError):
    """A usage error that is a bad call shape (arguments a procedure does not
    take, or a call form that does not fit the procedure)."""


class AuthError(ConnectError):
    """Authentication with the daemon failed or cannot be attempted (wrong
    password, no common mechanism, no credentials, a refused security layer).

    The message names the URI (or host) and the cause.  (Also importable from
    :mod:`virtrpc.auth`.)
    """


class TlsError(ConnectError):
    """The TLS handshake or libvirt's certificate check failed.  (Also
    importable from :mod:`virtrpc.transport.tls`.)"""


class XdrCompileError(VirtrpcError):
    """A ``.x`` file is malformed or inconsistent; ``location`` says where.
    (Also importable from :mod:`virtrpc.xdrgen.lexer`.)"""

    def __init__(self, location: Location | None, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}" if location else message)


class BadFileDescriptor(VirtrpcError, ValueError):
    """A file descriptor given to send is not open (or cannot be sent).

    Raised before anything is written, so the connection stays usable.
    """
