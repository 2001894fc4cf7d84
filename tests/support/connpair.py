"""Two sans-I/O connections wired to each other, the way h11's tests pair a
client and a server ``Connection`` (h11 ``tests/helpers.py``: ``ConnectionPair``).

What one end's ``send_*`` returns is delivered to the other end's
``receive_data`` (in one piece, or cut into chunks to exercise reassembly),
and the events that delivery produced are returned, so a test reads as the
conversation it checks::

    pair = ConnectionPair()
    call = pair.call(REMOTE, 1, 157)                    # the server's Call event
    (reply,) = pair.to_client(pair.server.send_reply(call.header, b"\\0\\0\\0\\1"))

``client, server = ConnectionPair()`` gives the two ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role

__all__ = ["ConnectionPair"]


class ConnectionPair:
    """A client-role and a server-role :class:`Connection` talking to each other."""

    def __init__(self, *, track_calls: bool = True) -> None:
        self.client = Connection(Role.CLIENT, track_calls=track_calls)
        self.server = Connection(Role.SERVER)

    def __iter__(self) -> Iterator[Connection]:
        return iter((self.client, self.server))

    def other(self, end: Connection) -> Connection:
        """The end that receives what ``end`` sends."""
        if end is self.client:
            return self.server
        if end is self.server:
            return self.client
        raise ValueError("not an end of this pair")

    def deliver(
        self,
        receiver: Connection,
        data: bytes,
        fds: Sequence[int] = (),
        *,
        chunk_size: int | None = None,
    ) -> list[ev.Event]:
        """Feed ``data`` and ``fds`` to ``receiver`` as a transport carries
        them: after the packet one dummy byte per fd, the fds arriving with
        the last byte; with ``chunk_size`` in pieces of that many bytes.
        Returns every event the input completed, in order.  The fds are
        handed over, not duplicated: ``receiver`` owns them from now on."""
        data += b"\0" * len(fds)
        if chunk_size is None or len(data) <= chunk_size:
            return receiver.receive_data(data, list(fds))
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        events: list[ev.Event] = []
        last = (len(data) - 1) // chunk_size * chunk_size
        for start in range(0, len(data), chunk_size):
            piece_fds = list(fds) if start == last else []
            events += receiver.receive_data(data[start:start + chunk_size], piece_fds)
        return events

    def to_server(
        self, data: bytes, fds: Sequence[int] = (), *, chunk_size: int | None = None
    ) -> list[ev.Event]:
        """Deliver what the client sent to the server."""
        return self.deliver(self.server, data, fds, chunk_size=chunk_size)

    def to_client(
        self, data: bytes, fds: Sequence[int] = (), *, chunk_size: int | None = None
    ) -> list[ev.Event]:
        """Deliver what the server sent to the client."""
        return self.deliver(self.client, data, fds, chunk_size=chunk_size)

    def call(
        self,
        prog: int,
        vers: int,
        proc: int,
        payload: bytes = b"",
        fds: Sequence[int] = (),
    ) -> ev.Call:
        """The client calls; return the one :class:`~virtrpc.rpc.events.Call`
        the server receives (anything else fails the test)."""
        _serial, packet = self.client.send_call(prog, vers, proc, payload, fds)
        events = self.to_server(packet, fds)
        assert len(events) == 1 and isinstance(events[0], ev.Call), events
        return events[0]

    def reply(self, call: ev.Call, payload: bytes = b"") -> ev.Reply:
        """The server answers ``call``; return the client's
        :class:`~virtrpc.rpc.events.Reply`."""
        events = self.to_client(self.server.send_reply(call.header, payload))
        assert len(events) == 1 and isinstance(events[0], ev.Reply), events
        return events[0]
