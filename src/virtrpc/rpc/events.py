"""Events produced by the sans-I/O connection state machine.

Every message event carries the decoded :class:`~virtrpc.rpc.packet.Header`,
the raw payload (``bytes``, not XDR-decoded) and the file descriptors that came
with the message.  Whoever receives an event owns its ``fds`` and must close
them (or hand them on); :meth:`MessageEvent.close_fds` helps with that.
"""

from __future__ import annotations

from virtrpc.rpc.framing import close_fds
from virtrpc.rpc.packet import Header

__all__ = [
    "Call",
    "ConnectionClosed",
    "ErrorReply",
    "Event",
    "EventMessage",
    "KeepalivePing",
    "KeepalivePong",
    "MessageEvent",
    "ProtocolViolation",
    "Reply",
    "StreamAbort",
    "StreamData",
    "StreamEnd",
    "StreamHole",
    "UnexpectedMessage",
]


class Event:
    """Base class of everything :class:`~virtrpc.rpc.connection.Connection` emits."""

    __slots__ = ()


class MessageEvent(Event):
    """A complete message received from the peer."""

    __slots__ = ("fds", "header", "payload")

    def __init__(self, header: Header, payload: bytes, fds: list[int]) -> None:
        self.header = header
        self.payload = payload
        self.fds = fds

    @property
    def serial(self) -> int:
        """The header's serial number."""
        return self.header.serial

    def take_fds(self) -> list[int]:
        """Return the fds and forget them: the caller now owns them."""
        fds, self.fds = self.fds, []
        return fds

    def close_fds(self) -> None:
        """Close every fd this event still owns."""
        fds, self.fds = self.fds, []
        close_fds(fds)

    def __repr__(self) -> str:
        h = self.header
        return (
            f"{type(self).__name__}(prog={h.prog:#x}, vers={h.vers}, proc={h.proc}, "
            f"type={h.type}, serial={h.serial}, status={h.status}, "
            f"payload={len(self.payload)} bytes, fds={self.fds})"
        )


class Call(MessageEvent):
    """A method call (``CALL`` or ``CALL_WITH_FDS``); only a server receives these."""

    __slots__ = ()


class Reply(MessageEvent):
    """A successful reply (status ``OK``) to one of our calls."""

    __slots__ = ()


class ErrorReply(MessageEvent):
    """A failed reply (status ``ERROR``); the payload is a ``virNetMessageError``."""

    __slots__ = ()


class EventMessage(MessageEvent):
    """An asynchronous ``MESSAGE`` of a program other than keepalive.

    Route these by ``(header.prog, header.proc)``; their serial is meaningless.
    """

    __slots__ = ()


class StreamData(MessageEvent):
    """Stream data (``STREAM`` with status ``CONTINUE``): the payload is raw bytes."""

    __slots__ = ()


class StreamEnd(MessageEvent):
    """The peer finished its side of the stream (``STREAM`` with status ``OK``)."""

    __slots__ = ()


class StreamAbort(MessageEvent):
    """The peer aborted the stream (``STREAM`` with status ``ERROR``).

    The payload is a ``virNetMessageError`` (possibly empty when the peer
    aborted without an error).
    """

    __slots__ = ()


class StreamHole(MessageEvent):
    """A hole in a sparse stream (``STREAM_HOLE``); payload is ``virNetStreamHole``.

    :meth:`~virtrpc.rpc.connection.decode_stream_hole` decodes it.
    """

    __slots__ = ()


class KeepalivePing(MessageEvent):
    """The peer's keepalive PING; answer with ``Connection.send_keepalive_pong()``."""

    __slots__ = ()


class KeepalivePong(MessageEvent):
    """The peer's answer to our keepalive PING."""

    __slots__ = ()


class UnexpectedMessage(MessageEvent):
    """A well-formed message that this role should not receive but that is not
    fatal: e.g. a client sending a ``REPLY`` or a non-keepalive ``MESSAGE`` to a
    server (libvirtd answers these with an error reply and keeps going)."""

    __slots__ = ()


class ConnectionClosed(Event):
    """The peer closed the connection cleanly (EOF at a packet boundary)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ConnectionClosed()"


class ProtocolViolation(Event):
    """The peer broke the protocol; the connection is dead.

    ``error`` is the :class:`~virtrpc.errors.ProtocolError` describing why.
    The state machine has already closed every fd it held.
    """

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"ProtocolViolation({self.error!r})"
