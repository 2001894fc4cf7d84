"""The rules of one libvirt data stream, without I/O: :class:`StreamMachine`.

A ``@readstream`` / ``@writestream`` procedure opens a stream on the serial
of its call; both ends then exchange ``STREAM`` packets on that serial
(docs/protocol.md).  What each packet means depends on which end sent it:

============================  ==========================  ===================================
packet                        client sends                server sends
============================  ==========================  ===================================
``CONTINUE`` with data        data                        data
``STREAM_HOLE``               a hole (sparse streams)     a hole
``CONTINUE``, empty           --                          its end of data (``FINISH``)
``OK``                        its finish (``FINISH``),    the confirmation of the client's
                              to be confirmed             finish or abort (``CLOSE``)
``ERROR``                     abort                       abort, with a libvirt error
============================  ==========================  ===================================

The machine is written the way h2 writes its stream state machine: explicit
:class:`StreamState` s, explicit :class:`StreamInput` s, one transition table
per role keyed by ``(state, input)``; an input the table does not have
raises :class:`~virtrpc.errors.LocalStreamError` (our misuse: nothing may be
sent) or :class:`~virtrpc.errors.RemoteStreamError` (the peer's), for that
stream only.  Each entry also says what becomes of the input's payload
(:class:`Disposition`): hand it to the reader, drop it (late packets after a
stream ended are normal: libvirt drops them too), or abort the stream on
the wire now.

The I/O classes drive it: the asyncio client's
:class:`virtrpc.client.stream.Stream`, the blocking engine's
:class:`virtrpc.client.blocking_streams.SyncStream` and the server's
:class:`virtrpc.server.context.ServerStream`.  They keep the data queues and
the waiting; the machine decides what may happen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from virtrpc.errors import LocalStreamError, RemoteStreamError
from virtrpc.rpc.packet import LEGACY_PAYLOAD_MAX

__all__ = [
    "STREAM_CHUNK_SIZE",
    "Disposition",
    "Hole",
    "StreamInput",
    "StreamMachine",
    "StreamRole",
    "StreamState",
]

#: Largest data payload per STREAM packet: libvirt's
#: VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX (256 KiB minus the 24-byte header),
#: the payload limit of pre-0.9 peers.  libvirt still cuts stream data into
#: pieces of exactly this size (virNetClientStreamSendPacket, the daemon's
#: stream reads), so every peer accepts it; bigger packets would work with
#: newer peers but gain nothing, and the same size keeps us byte-for-byte
#: comparable with libvirt in differential tests.
STREAM_CHUNK_SIZE: Final = LEGACY_PAYLOAD_MAX


@dataclass(frozen=True, slots=True)
class Hole:
    """A hole of ``length`` bytes in a sparse stream."""

    length: int


class StreamRole(enum.Enum):
    """Which end of the stream this machine is."""

    CLIENT = "client"
    SERVER = "server"


class StreamState(enum.Enum):
    # Members are singletons compared by identity: hashing them by identity
    # (C) instead of Enum's Python-level hash of the name keeps the table
    # lookups of every packet cheap (the same table, the same equality).
    __hash__ = object.__hash__

    #: Client: the opening call is out, its reply not seen yet.
    OPENING = "opening"
    #: Client: the opener gave up (Ctrl-C, timeout) before the reply came;
    #: if the peer opened the stream after all, it must be aborted.
    ABANDONED = "abandoned"
    #: Both directions open.
    OPEN = "open"
    #: We sent our finish; the peer may still send (client: waiting for the
    #: confirmation; server: waiting for the client's finish or abort).
    LOCAL_FINISHED = "local finished"
    #: The peer sent its end of data; we may still send, then finish.
    REMOTE_FINISHED = "remote finished"
    #: Server: the client aborted; the abort waits to be confirmed.
    REMOTE_ABORTED = "remote aborted"
    #: Client: both ends finished, the peer's confirmation is outstanding.
    CLOSING = "closing"
    #: Client: we sent an abort and wait for the peer's last packet.
    ABORTING = "aborting"
    #: Ended cleanly.
    CLOSED = "closed"
    #: Ended by an abort (either side), an error, a lost connection, or
    #: forgotten without telling the peer.
    ABORTED = "aborted"


class StreamInput(enum.Enum):
    __hash__ = object.__hash__  # (as StreamState's)

    OPEN_OK = "open reply ok"
    OPEN_FAILED = "open reply error"
    ABANDON = "abandon the opening call"
    SEND_DATA = "send data"
    SEND_HOLE = "send hole"
    SEND_FINISH = "send finish"
    SEND_CLOSE = "send close"
    SEND_ABORT = "send abort"
    RECV_DATA = "receive data"
    RECV_HOLE = "receive hole"
    RECV_FINISH = "receive finish"
    RECV_CLOSE = "receive close"
    RECV_ABORT = "receive abort"
    CONNECTION_LOST = "connection lost"
    #: Stop tracking without telling the peer (the connection is gone, the
    #: answer to our abort did not come in time, the server's handler ended).
    FORGET = "forget"


class Disposition(enum.Enum):
    """What the driver does with the input's payload."""

    #: Nothing to hand over (sends, and inputs without payload).
    NONE = "none"
    #: Hand the data, hole, end or error to the stream's reader.
    DELIVER = "deliver"
    #: Ignore it (a late packet after the stream ended on our side).
    DROP = "drop"
    #: Send an abort on the wire now (the machine is already ABORTING).
    ABORT = "abort"


# Short names for the tables below.
_S = StreamState
_I = StreamInput
_N, _DELIVER, _DROP, _ABORT = Disposition.NONE, Disposition.DELIVER, Disposition.DROP, Disposition.ABORT

_Table = dict[tuple[StreamState, StreamInput], tuple[StreamState, Disposition]]

#: Inputs that come from the peer (a missing entry is the peer's fault).
REMOTE_INPUTS: Final = frozenset(
    {_I.OPEN_OK, _I.OPEN_FAILED, _I.RECV_DATA, _I.RECV_HOLE, _I.RECV_FINISH, _I.RECV_CLOSE,
     _I.RECV_ABORT}
)

_TERMINAL: Final = frozenset({_S.CLOSED, _S.ABORTED})
_RECEIVED_LATE: Final = (_I.RECV_DATA, _I.RECV_HOLE, _I.RECV_FINISH, _I.RECV_CLOSE, _I.RECV_ABORT)


def _client_table() -> _Table:
    t: _Table = {
        (_S.OPENING, _I.OPEN_OK): (_S.OPEN, _N),
        (_S.OPENING, _I.OPEN_FAILED): (_S.CLOSED, _N),
        (_S.OPENING, _I.ABANDON): (_S.ABANDONED, _N),
        # libvirt replies before its first stream packet, but the client
        # hands the reply to the waiting caller, who may run after the
        # packets that followed it reached the stream: packets in OPENING
        # mean the peer opened it, and the reply is then noted late.
        (_S.OPENING, _I.RECV_DATA): (_S.OPEN, _DELIVER),
        (_S.OPENING, _I.RECV_HOLE): (_S.OPEN, _DELIVER),
        (_S.OPENING, _I.RECV_FINISH): (_S.REMOTE_FINISHED, _DELIVER),
        (_S.OPENING, _I.RECV_ABORT): (_S.ABORTED, _DELIVER),
        (_S.OPENING, _I.CONNECTION_LOST): (_S.ABORTED, _DELIVER),
        (_S.OPENING, _I.FORGET): (_S.ABORTED, _N),
        # The opener gave up: a late "yes" is answered with an abort, as
        # libvirt does; a late "no" or the peer's own end leaves nothing.
        (_S.ABANDONED, _I.OPEN_OK): (_S.ABORTING, _ABORT),
        (_S.ABANDONED, _I.OPEN_FAILED): (_S.CLOSED, _N),
        (_S.ABANDONED, _I.RECV_DATA): (_S.ABORTING, _ABORT),
        (_S.ABANDONED, _I.RECV_HOLE): (_S.ABORTING, _ABORT),
        (_S.ABANDONED, _I.RECV_FINISH): (_S.ABORTING, _ABORT),
        (_S.ABANDONED, _I.RECV_ABORT): (_S.ABORTED, _DROP),
        (_S.ABANDONED, _I.CONNECTION_LOST): (_S.ABORTED, _DROP),
        (_S.ABANDONED, _I.FORGET): (_S.ABORTED, _N),
    }
    for state in (_S.OPEN, _S.REMOTE_FINISHED):
        t[state, _I.SEND_DATA] = (state, _N)
        t[state, _I.SEND_HOLE] = (state, _N)
        t[state, _I.SEND_ABORT] = (_S.ABORTING, _N)
    t[_S.OPEN, _I.SEND_FINISH] = (_S.LOCAL_FINISHED, _N)
    t[_S.REMOTE_FINISHED, _I.SEND_FINISH] = (_S.CLOSING, _N)
    t[_S.LOCAL_FINISHED, _I.SEND_ABORT] = (_S.ABORTING, _N)
    t[_S.CLOSING, _I.SEND_ABORT] = (_S.ABORTING, _N)
    # receiving while the peer still sends
    for state, after_finish in ((_S.OPEN, _S.REMOTE_FINISHED), (_S.LOCAL_FINISHED, _S.CLOSING)):
        t[state, _I.RECV_DATA] = (state, _DELIVER)
        t[state, _I.RECV_HOLE] = (state, _DELIVER)
        t[state, _I.RECV_FINISH] = (after_finish, _DELIVER)
    # the peer's data after its own end: dropped (libvirt's client too)
    for state in (_S.REMOTE_FINISHED, _S.CLOSING):
        for late in (_I.RECV_DATA, _I.RECV_HOLE, _I.RECV_FINISH):
            t[state, late] = (state, _DROP)
    # our finish confirmed
    t[_S.LOCAL_FINISHED, _I.RECV_CLOSE] = (_S.CLOSED, _DELIVER)
    t[_S.CLOSING, _I.RECV_CLOSE] = (_S.CLOSED, _DELIVER)
    # after our abort: everything but the peer's last packet is dropped
    for late in (_I.RECV_DATA, _I.RECV_HOLE, _I.RECV_FINISH):
        t[_S.ABORTING, late] = (_S.ABORTING, _DROP)
    t[_S.ABORTING, _I.RECV_CLOSE] = (_S.ABORTED, _DELIVER)
    t[_S.ABORTING, _I.RECV_ABORT] = (_S.ABORTED, _DELIVER)
    for state in (_S.OPEN, _S.REMOTE_FINISHED, _S.LOCAL_FINISHED, _S.CLOSING, _S.ABORTING):
        if state is not _S.ABORTING:
            t[state, _I.RECV_ABORT] = (_S.ABORTED, _DELIVER)
        t[state, _I.CONNECTION_LOST] = (_S.ABORTED, _DELIVER)
        t[state, _I.FORGET] = (_S.ABORTED, _N)
    # The reply noted after the packets that followed it (see OPENING).
    for state in (_S.OPEN, _S.REMOTE_FINISHED, _S.ABORTED, _S.CLOSED):
        t[state, _I.OPEN_OK] = (state, _N)
    _add_terminal_rows(t)
    return t


def _server_table() -> _Table:
    # A server stream starts OPEN: it exists from the call on (libvirtd
    # queues client packets that come before its reply), and the handler's
    # transfer only runs once the reply is out.
    t: _Table = {
        (_S.OPEN, _I.SEND_DATA): (_S.OPEN, _N),
        (_S.OPEN, _I.SEND_HOLE): (_S.OPEN, _N),
        (_S.OPEN, _I.SEND_FINISH): (_S.LOCAL_FINISHED, _N),
        (_S.OPEN, _I.RECV_DATA): (_S.OPEN, _DELIVER),
        (_S.OPEN, _I.RECV_HOLE): (_S.OPEN, _DELIVER),
    }
    for state in (_S.OPEN, _S.LOCAL_FINISHED):
        t[state, _I.RECV_FINISH] = (_S.REMOTE_FINISHED, _DELIVER)
        t[state, _I.RECV_ABORT] = (_S.REMOTE_ABORTED, _DELIVER)
    # data after our end of data, or after the client's finish: libvirtd
    # ignores it too
    for late in (_I.RECV_DATA, _I.RECV_HOLE):
        t[_S.LOCAL_FINISHED, late] = (_S.LOCAL_FINISHED, _DROP)
    for state in (_S.REMOTE_FINISHED, _S.REMOTE_ABORTED):
        for late in (_I.RECV_DATA, _I.RECV_HOLE, _I.RECV_FINISH, _I.RECV_ABORT):
            t[state, late] = (state, _DROP)
        # our end of data after the client stopped changes nothing: the
        # confirmation (CLOSE) ends the stream
        t[state, _I.SEND_FINISH] = (state, _N)
    for state in (_S.OPEN, _S.LOCAL_FINISHED, _S.REMOTE_FINISHED, _S.REMOTE_ABORTED):
        t[state, _I.SEND_CLOSE] = (_S.CLOSED, _N)
        t[state, _I.SEND_ABORT] = (_S.ABORTED, _N)
        t[state, _I.CONNECTION_LOST] = (_S.ABORTED, _DELIVER)
        t[state, _I.FORGET] = (_S.ABORTED, _N)
    _add_terminal_rows(t)
    return t


def _add_terminal_rows(t: _Table) -> None:
    """Once ended, a stream drops whatever still arrives for it (packets
    in flight when it ended) and may be forgotten again."""
    for state in _TERMINAL:
        for late in _RECEIVED_LATE:
            t[state, late] = (state, _DROP)
        t[state, _I.CONNECTION_LOST] = (state, _DROP)
        t[state, _I.FORGET] = (state, _N)


#: The transition tables: ``(state, input) -> (next state, disposition)``.
TRANSITIONS: Final[dict[StreamRole, _Table]] = {
    StreamRole.CLIENT: _client_table(),
    StreamRole.SERVER: _server_table(),
}

#: Where each role's stream starts.
INITIAL_STATE: Final = {StreamRole.CLIENT: _S.OPENING, StreamRole.SERVER: _S.OPEN}

# States in which the peer sends no more data: a reader gets the end.
_REMOTE_DONE: Final = frozenset(
    {_S.REMOTE_FINISHED, _S.REMOTE_ABORTED, _S.CLOSING, _S.CLOSED, _S.ABORTED, _S.ABORTING}
)
# Client states after our finish or abort, before the peer's answer.
_FINISH_SENT: Final = frozenset({_S.LOCAL_FINISHED, _S.CLOSING, _S.ABORTING})
# States in which we may still send data (the table has SEND_DATA there).
_LOCAL_OPEN: Final = {
    role: frozenset(state for (state, inp) in table if inp is _I.SEND_DATA)
    for role, table in TRANSITIONS.items()
}


class StreamMachine:
    """The state of one stream at one end; :meth:`process` moves it."""

    __slots__ = ("_state", "_table", "label", "role", "sparse")

    def __init__(
        self,
        role: StreamRole,
        *,
        sparse: bool = True,
        label: str = "stream",
        state: StreamState | None = None,
    ) -> None:
        self.role = role
        #: Whether holes are allowed (the server knows from the call's flags;
        #: the client accepts them always, as before).
        self.sparse = sparse
        #: What error messages call the stream (its procedure's name).
        self.label = label
        # ``state``: start elsewhere than where the role starts (tests).
        self._state = INITIAL_STATE[role] if state is None else state
        self._table = TRANSITIONS[role]

    @property
    def state(self) -> StreamState:
        """Where the stream is; only :meth:`process` moves it."""
        return self._state

    def __repr__(self) -> str:
        return f"<StreamMachine {self.role.value} {self.label} {self.state.value}>"

    def process(self, event: StreamInput) -> Disposition:
        """Apply ``event``; what to do with its payload.  An input not in the
        table raises (Local/RemoteStreamError) and leaves the state as it was:
        the driver decides whether to abort the stream."""
        try:
            next_state, disposition = self._table[self._state, event]
        except KeyError:
            message = f"{self.label}: cannot {event.value} in state {self._state.value}"
            if event in REMOTE_INPUTS:
                raise RemoteStreamError(f"the peer broke the stream's rules: {message}") from None
            raise LocalStreamError(message) from None
        self._state = next_state
        return disposition

    # -- what the wire says, by role -----------------------------------------
    def receive_data(self, data: bytes | bytearray | memoryview) -> Disposition:
        """A ``CONTINUE`` packet: data, or (empty, from a server) its end of data."""
        if not data and self.role is StreamRole.CLIENT:
            return self.process(_I.RECV_FINISH)
        return self.process(_I.RECV_DATA)

    def receive_hole(self) -> Disposition:
        """A ``STREAM_HOLE`` packet (a RemoteStreamError on a stream that is
        not sparse, and the state stays)."""
        if not self.sparse:
            # libvirt's own words (the daemon and its client say the same)
            raise RemoteStreamError("Unexpected stream hole")
        return self.process(_I.RECV_HOLE)

    def receive_ok(self) -> Disposition:
        """A ``STREAM`` packet with status OK: to a client the confirmation of
        its finish or abort (or, from peers that end their data so, the
        peer's end); to a server the client's finish."""
        if self.role is StreamRole.CLIENT and self._state in _FINISH_SENT:
            return self.process(_I.RECV_CLOSE)
        return self.process(_I.RECV_FINISH)

    def receive_error(self) -> Disposition:
        """A ``STREAM`` packet with status ERROR: the peer aborted."""
        return self.process(_I.RECV_ABORT)

    # -- questions the drivers ask ---------------------------------------------
    @property
    def ended(self) -> bool:
        """Closed or aborted: nothing more happens on this stream."""
        return self._state in _TERMINAL

    @property
    def remote_done(self) -> bool:
        """The peer sends no more data (a reader gets the end once the
        queue is empty)."""
        return self._state in _REMOTE_DONE

    @property
    def can_send(self) -> bool:
        """Whether we may still send data or holes."""
        return self._state in _LOCAL_OPEN[self.role]

    @property
    def finish_sent(self) -> bool:
        """We sent our finish or abort and wait for the peer's answer (client)."""
        return self._state in _FINISH_SENT
