"""Exception hierarchy shared by every layer of virtrpc.

Every failure virtrpc reports is a subclass of :class:`VirtrpcError`, so
callers can catch one type.  Layers add their own subclasses here (not in
their own modules) so that the hierarchy is visible in one place and so that
low layers never import high ones.
"""

from __future__ import annotations


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
    """The peer violated the RPC protocol (bad header, bad length, bad fds...).

    A protocol error is fatal for the connection it happened on.
    """


class ConnectionLost(VirtrpcError):
    """The connection died (EOF, I/O error, keepalive timeout, protocol error)
    while a call or stream was pending, or a call was made on a closed
    connection."""


class ConnectError(VirtrpcError, OSError):
    """A connection could not be established.  The message names what was
    tried (URI, socket path, host and port)."""


class StreamError(VirtrpcError):
    """A data stream was used wrongly or was aborted by the peer."""


class BadFileDescriptor(VirtrpcError, ValueError):
    """A file descriptor given to send is not open (or cannot be sent).

    Raised before anything is written, so the connection stays usable.
    """
