"""Sans-I/O state machine of one libvirt RPC connection.

:class:`Connection` turns the bytes and file descriptors read from a socket
into :mod:`virtrpc.rpc.events` and turns outgoing messages into the bytes to
write.  It never touches a socket or a clock, so it is driven the same way by
the asyncio transport, by tests that feed it one byte at a time and by
benchmarks.

Receiving::

    events = conn.receive_data(chunk, fds)   # fds that came with this chunk
    events = conn.receive_eof()

Sending (the caller writes the bytes and passes the same fds to the transport)::

    serial, packet = conn.send_call(prog, vers, proc, payload, fds)
    packet = conn.send_reply(call.header, payload)

File descriptors follow libvirt's framing (docs/protocol.md): a ``*_WITH_FDS``
message announces N fds in a count word after the header; after the packet's
bytes come N dummy bytes, each carrying one fd via ``SCM_RIGHTS``.  A message
is complete once its bytes, its N dummy bytes and its N fds have all arrived.
fds may arrive *before* their dummy bytes (a sender that attaches them to the
packet itself), but never after: the kernel hands out an ``SCM_RIGHTS`` fd in
the same read as the byte that carries it, so a dummy byte whose fd did not
come with the same :meth:`Connection.receive_data` call was sent without one.
libvirt (``virSocketRecvFD``) closes such a peer; so does this machine
(:class:`~virtrpc.rpc.events.ProtocolViolation`), instead of waiting forever.

A server that must not take more than a few messages at a time (libvirtd reads
one message at a time and stops reading at its per-client request limit) can
call :meth:`Connection.set_max_events`: ``receive_*`` then return at most that
many events and keep the rest, in order, for :meth:`Connection.next_events`.
"""

from __future__ import annotations

import enum
import struct
from collections import deque
from collections.abc import Sequence

from virtrpc.errors import ConnectionLost, LocalProtocolError, ProtocolError, RemoteProtocolError
from virtrpc.rpc.events import (
    Call,
    ConnectionClosed,
    ErrorReply,
    Event,
    EventMessage,
    KeepalivePing,
    KeepalivePong,
    MessageEvent,
    ProtocolViolation,
    Reply,
    StreamAbort,
    StreamData,
    StreamEnd,
    StreamHole,
    UnexpectedMessage,
)
from virtrpc.rpc.framing import PacketReader, close_fds
from virtrpc.rpc.packet import (
    HEADER_STRUCT,
    KEEPALIVE_PROC_PING,
    KEEPALIVE_PROC_PONG,
    KEEPALIVE_PROGRAM,
    KEEPALIVE_VERSION,
    LENGTH_HEADER_STRUCT,
    LENGTH_STRUCT,
    MIN_PACKET_SIZE,
    PACKET_MAX,
    PAYLOAD_MAX,
    REPLY_HEAD_STRUCT,
    Header,
    MessageType,
    Status,
    encode_packet,
)

__all__ = ["Connection", "Role", "decode_stream_hole", "encode_reply", "encode_stream_hole"]

# Plain ints for the hot path: comparing with an IntEnum member costs more.
_CALL = int(MessageType.CALL)
_REPLY = int(MessageType.REPLY)
_MESSAGE = int(MessageType.MESSAGE)
_STREAM = int(MessageType.STREAM)
_CALL_WITH_FDS = int(MessageType.CALL_WITH_FDS)
_REPLY_WITH_FDS = int(MessageType.REPLY_WITH_FDS)
_STREAM_HOLE = int(MessageType.STREAM_HOLE)
_OK = int(Status.OK)
_ERROR = int(Status.ERROR)
_CONTINUE = int(Status.CONTINUE)

_length_unpack_from = LENGTH_STRUCT.unpack_from
_header_unpack_from = HEADER_STRUCT.unpack_from
_tuple_new = tuple.__new__
_packet_pack = LENGTH_HEADER_STRUCT.pack
# What the client's fast path reads of a reply: length, program and version
# as one number (the key of _pending, see _call_key), type, serial, status.
_reply_head_unpack_from = REPLY_HEAD_STRUCT.unpack_from
_STREAM_HOLE_STRUCT = struct.Struct(">qI")

_SERIAL_MASK = 0xFFFFFFFF


def _call_key(prog: int, vers: int) -> int:
    """What :attr:`Connection._pending` records of a call: its program and
    version as one number, which the reply's header holds as one big-endian
    64-bit word (so the fast path compares them in one go)."""
    return (prog << 32) | vers


class Role(enum.Enum):
    """Which end of the connection the state machine plays."""

    CLIENT = "client"
    SERVER = "server"


def encode_stream_hole(length: int, flags: int = 0) -> bytes:
    """Encode a ``virNetStreamHole`` payload (hyper length, unsigned flags)."""
    try:
        return _STREAM_HOLE_STRUCT.pack(length, flags)
    except struct.error as exc:
        raise LocalProtocolError(f"invalid stream hole: {exc}") from None


def decode_stream_hole(payload: bytes | bytearray | memoryview) -> tuple[int, int]:
    """Decode a ``virNetStreamHole`` payload into ``(length, flags)``."""
    if len(payload) != _STREAM_HOLE_STRUCT.size:
        raise LocalProtocolError(
            f"stream hole payload is {len(payload)} bytes, expected {_STREAM_HOLE_STRUCT.size}"
        )
    length, flags = _STREAM_HOLE_STRUCT.unpack(payload)
    if length < 0:
        raise LocalProtocolError(f"negative stream hole length {length}")
    return length, flags


def encode_reply(call: Header, payload: bytes | bytearray | memoryview = b"", nfds: int = 0) -> bytes:
    """The successful reply to ``call`` (``REPLY_WITH_FDS`` if ``nfds``): the one
    reply encoder, used by :meth:`Connection.send_reply` and, without the
    machine's state check, by the server's hot path (one call per reply)."""
    if not nfds:
        length = 28 + len(payload)
        if length <= PACKET_MAX:
            return _packet_pack(length, call[0], call[1], call[2], _REPLY, call[4], _OK) + payload
        return encode_packet(call[0], call[1], call[2], _REPLY, call[4], _OK, payload)
    return encode_packet(call[0], call[1], call[2], _REPLY_WITH_FDS, call[4], _OK, payload, nfds)


#: The framing layer's fd disposal (kept under this name for the code below).
_close_all = close_fds

_PING_PACKET = encode_packet(
    KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KEEPALIVE_PROC_PING, _MESSAGE, 0, _OK
)
_PONG_PACKET = encode_packet(
    KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KEEPALIVE_PROC_PONG, _MESSAGE, 0, _OK
)


# --- what each role may receive ---------------------------------------------
# (message type, status) -> the event class, or a str: the violation (a
# format string over prog, proc, type, serial, status).  _ANY_STATUS matches
# every status not listed; a type in neither is the role's default.  Keepalive
# MESSAGEs are told apart first, by procedure, for both roles.

_Rule = type[MessageEvent] | str
_ANY_STATUS = -1

_KEEPALIVE_RULES: dict[int, _Rule] = {
    KEEPALIVE_PROC_PING: KeepalivePing,
    KEEPALIVE_PROC_PONG: KeepalivePong,
}
# Stream packets are legal for both ends; an unknown status kills the connection.
_STREAM_RULES: dict[tuple[int, int], _Rule] = {
    (_STREAM, _CONTINUE): StreamData,
    (_STREAM, _OK): StreamEnd,
    (_STREAM, _ERROR): StreamAbort,
    (_STREAM, _ANY_STATUS): "stream packet serial {serial} has invalid status {status}",
    (_STREAM_HOLE, _ANY_STATUS): StreamHole,
}
_CLIENT_RULES: dict[tuple[int, int], _Rule] = {
    **{(mtype, _OK): Reply for mtype in (_REPLY, _REPLY_WITH_FDS)},
    **{(mtype, _ERROR): ErrorReply for mtype in (_REPLY, _REPLY_WITH_FDS)},
    **{
        (mtype, _ANY_STATUS): "reply serial {serial} has invalid status {status}"
        for mtype in (_REPLY, _REPLY_WITH_FDS)
    },
    (_MESSAGE, _ANY_STATUS): EventMessage,
    **_STREAM_RULES,
    **{
        (mtype, _ANY_STATUS): "server sent a call (prog {prog:#x} proc {proc} type {type})"
        for mtype in (_CALL, _CALL_WITH_FDS)
    },
}
_CLIENT_DEFAULT: _Rule = "unknown message type {type}"
# A server answers what it cannot take with an error reply and keeps the
# connection, as libvirtd does (UnexpectedMessage is also its default).
_SERVER_RULES: dict[tuple[int, int], _Rule] = {
    **{(mtype, _OK): Call for mtype in (_CALL, _CALL_WITH_FDS)},
    **{(mtype, _ANY_STATUS): UnexpectedMessage for mtype in (_CALL, _CALL_WITH_FDS)},
    **{(mtype, _ANY_STATUS): UnexpectedMessage for mtype in (_REPLY, _REPLY_WITH_FDS)},
    (_MESSAGE, _ANY_STATUS): UnexpectedMessage,
    **_STREAM_RULES,
}


class Connection:
    """One end of a libvirt RPC connection, without I/O.

    ``role`` decides which messages are legal to receive: a client gets
    replies, events and stream packets; a server gets calls, stream packets
    and keepalives.  With ``track_calls`` (client only) the machine remembers
    the ``(prog, vers, serial)`` of every call it encoded and treats a reply
    matching none of them as a protocol violation, as libvirt's client does.

    Every fd handed to :meth:`receive_data` is owned by
    the machine until it is attached to an event; on a fatal error the machine
    closes every fd it still owns.
    """

    __slots__ = (
        "_closed",
        "_error",
        "_is_client",
        "_max_events",
        "_next_serial",
        "_pending",
        "_queue",
        "_reader",
        "_released",
        "_rules",
        "_serials_wrapped",
        "messages_received",
        "role",
    )

    def __init__(self, role: Role, *, track_calls: bool = True) -> None:
        self.role = role
        self._is_client = role is Role.CLIENT
        self._rules = _CLIENT_RULES if self._is_client else _SERVER_RULES
        # The framing: bytes, dummy bytes and fds in, whole packets out.  It
        # owns the received fds until a packet carries them out.
        self._reader = PacketReader()
        self._closed = False
        self._error: ProtocolError | None = None
        self._next_serial = 1
        # Set once serials wrapped around 2**32: from then on a new serial
        # may still be pending (see send_call).
        self._serials_wrapped = False
        # serial -> _call_key(prog, vers) of each call awaiting its reply.
        self._pending: dict[int, int] | None = (
            {} if track_calls and role is Role.CLIENT else None
        )
        #: Count of complete messages received; keepalive bookkeeping may use it.
        self.messages_received = 0
        # 0: return every event at once (the client's fast path).  Otherwise
        # the most events one receive_* / next_events call returns; the
        # surplus waits in _queue, owned (with its fds) by the machine.
        self._max_events = 0
        self._queue: deque[Event] = deque()
        # Set by close(): nothing is queued any more (put_back closes fds).
        self._released = False

    # ------------------------------------------------------------------ state

    @property
    def closed(self) -> bool:
        """True once EOF was seen, a protocol violation happened, or :meth:`close` ran."""
        return self._closed

    @property
    def error(self) -> ProtocolError | None:
        """The protocol violation that killed the connection, if any."""
        return self._error

    @property
    def pending_calls(self) -> int:
        """Number of calls sent whose reply has not arrived (0 if not tracked)."""
        return len(self._pending) if self._pending is not None else 0

    def is_pending(self, serial: int) -> bool:
        """Whether a call with this serial awaits its reply."""
        return self._pending is not None and serial in self._pending

    @property
    def max_events(self) -> int | None:
        """The most events one ``receive_*`` call returns (None: no limit)."""
        return self._max_events or None

    @property
    def queued_events(self) -> int:
        """Events received but held back by :meth:`set_max_events`."""
        return len(self._queue)

    def set_max_events(self, limit: int | None) -> None:
        """Return at most ``limit`` events from each ``receive_*`` call.

        Surplus events (complete messages that arrived in the same read) stay
        queued, in wire order, until :meth:`next_events` asks for them; events
        produced later are queued behind them.  ``None`` lifts the limit (the
        queue is then emptied by the next :meth:`next_events`).  This lets a
        server dispatch one message at a time, like libvirtd, so that pausing
        the transport really stops dispatch.
        """
        if limit is not None and limit < 1:
            raise ValueError(f"max_events must be at least 1, not {limit}")
        self._max_events = limit or 0

    def next_events(self, limit: int | None = None) -> list[Event]:
        """Take up to ``limit`` queued events (default: the :meth:`set_max_events`
        limit; everything if there is none).  The caller owns their fds.
        Works after the connection closed: queued events stay valid."""
        queue = self._queue
        count = limit if limit is not None else (self._max_events or len(queue))
        if count >= len(queue):
            events = list(queue)
            queue.clear()
            return events
        return [queue.popleft() for _ in range(count)]

    def put_back(self, events: Sequence[Event]) -> None:
        """Return events taken from ``receive_*`` / :meth:`next_events` but
        not handled yet to the head of the queue, in order, ahead of what is
        queued: a server at its request limit holds the rest of a read this
        way (the machine owns their fds again).  After :meth:`close` their
        fds are closed instead."""
        if self._released:
            for event in events:
                if isinstance(event, MessageEvent):
                    event.close_fds()
            return
        self._queue.extendleft(reversed(events))

    def _throttle(self, events: list[Event]) -> list[Event]:
        queue = self._queue
        if not queue and len(events) <= self._max_events:
            return events
        queue.extend(events)
        return self.next_events()

    def close(self) -> None:
        """Mark the connection closed and close every fd the machine still
        owns, including those of events queued by :meth:`set_max_events`."""
        self._closed = True
        self._released = True
        self._drop_state()
        queued, self._queue = self._queue, deque()
        for event in queued:
            if isinstance(event, MessageEvent):
                event.close_fds()

    def _drop_state(self) -> None:
        self._reader.reset()

    def _fail(self, error: ProtocolError, events: list[Event]) -> None:
        # The one place a violation found in received input becomes the
        # peer's fault (h11's rule: raise Local inside, convert at the entry).
        if not isinstance(error, RemoteProtocolError):
            error = RemoteProtocolError(*error.args)
        self._closed = True
        self._error = error
        self._drop_state()
        events.append(ProtocolViolation(error))

    # ---------------------------------------------------------------- receive

    def receive_data(
        self, data: bytes | bytearray | memoryview, fds: Sequence[int] | None = None
    ) -> list[Event]:
        """Feed bytes read from the socket, plus the fds the same read returned.

        Returns the events completed by this input, in wire order.  The fds are
        owned by the machine from now on (attached to events, or closed).
        Bytes are processed before the fds, which matches the kernel: an
        ``SCM_RIGHTS`` message is delivered with the last byte of the read.
        After both, every dummy byte consumed so far must have its fd, else
        the peer sent a dummy byte without one: :class:`ProtocolViolation`
        (the framing rules are :class:`~virtrpc.rpc.framing.PacketReader`'s).
        With :meth:`set_max_events`, at most that many events are returned
        and the rest are queued for :meth:`next_events`.
        """
        events: list[Event] = []
        if self._closed:
            if fds:
                _close_all(fds)
            return events
        reader = self._reader
        framing_error: ProtocolError | None = None
        try:
            frames = reader.feed(data, fds)
        except ProtocolError as exc:
            framing_error = exc  # after the packets completed before it
            frames = reader.take()
        remaining = iter(frames)
        pending = self._pending
        try:
            for header, payload, frame_fds, _nfds, _offset in remaining:
                # Inline the client's hot path: a successful reply without fds
                # to a tracked call.
                if header[3] == _REPLY and header[5] == _OK and self._is_client:
                    # _take_pending, inlined: it runs for every reply.
                    if pending is not None:
                        expected = pending.pop(header[4], None)
                        if expected != (header[0] << 32 | header[1]):
                            self._no_pending_call(header, expected)
                    self.messages_received += 1
                    events.append(Reply(header, payload, frame_fds))
                    continue
                self._emit(header, payload, frame_fds, events)
            if framing_error is not None:
                raise framing_error
        except ProtocolError as exc:
            for frame in remaining:  # after the one that failed: their fds too
                _close_all(frame[2])
            self._fail(exc, events)
        return self._throttle(events) if self._max_events else events

    def _settled(self) -> bool:
        """Nothing half-received, held for its fds or queued: the next read
        may be taken whole by a fast path."""
        return self._reader.idle and not (self._closed or self._queue)

    def receive_reply(self, data: bytes) -> tuple[int, bytes] | None:
        """The client's fast path for its most common read: ``data`` is exactly
        one successful ``REPLY`` (no fds) to a pending call.

        Then the message is consumed and ``(serial, payload)`` returned, which
        spares building a header tuple, an event and a list per call.  For
        anything else (several or partial messages, fds, errors, events, a
        reply nobody asked for, a server-side machine) nothing is consumed and
        None is returned: feed the same bytes to :meth:`receive_data`.
        """
        # Kept short: it runs for every reply, and the checks of _settled()
        # are inlined.
        size = len(data)
        if (
            size < MIN_PACKET_SIZE
            or size > PACKET_MAX
            or type(data) is not bytes
            or not self._reader.idle
            or self._closed
            or self._queue
            or not self._is_client
        ):
            return None
        length, key, mtype, serial, status = _reply_head_unpack_from(data, 0)
        if length != size or mtype != _REPLY or status != _OK:
            return None
        pending = self._pending
        if pending is not None:
            if pending.get(serial) != key:
                return None  # receive_data reports the violation
            del pending[serial]
        self.messages_received += 1
        return serial, data[28:]

    def receive_call(self, data: bytes) -> tuple[Header, bytes] | None:
        """The server's fast path for its most common read: ``data`` is exactly
        one plain ``CALL`` (status OK, no fds).

        Then the message is consumed and ``(header, payload)`` returned instead
        of a :class:`~virtrpc.rpc.events.Call` in a list.  For anything else
        nothing is consumed and None is returned: feed the same bytes to
        :meth:`receive_data`.
        """
        size = len(data)
        if size < MIN_PACKET_SIZE or self._is_client or not self._settled():
            return None
        if _length_unpack_from(data, 0)[0] != size or size > PACKET_MAX:
            return None
        header: Header = _tuple_new(Header, _header_unpack_from(data, 4))
        if header[3] != _CALL or header[5] != _OK:
            return None
        self.messages_received += 1
        payload = data[28:]
        return header, payload if type(payload) is bytes else bytes(payload)

    def receive_eof(self) -> list[Event]:
        """The peer closed its end.  Returns ``[ConnectionClosed()]`` at a packet
        boundary, else a :class:`ProtocolViolation` (fds of the unfinished
        message are closed)."""
        events: list[Event] = []
        if self._closed:
            return events
        what = self._reader.incomplete
        if what is not None:
            self._fail(RemoteProtocolError(f"connection closed by peer in the middle of a {what}"), events)
        else:
            self._closed = True
            events.append(ConnectionClosed())
        return self._throttle(events) if self._max_events else events

    def _take_pending(self, header: Header) -> None:
        """The one pending-reply check: a reply must answer a tracked call of
        the same program and version (its _call_key); it stops being pending."""
        pending = self._pending
        if pending is not None:
            expected = pending.pop(header[4], None)
            if expected != (header[0] << 32 | header[1]):
                self._no_pending_call(header, expected)

    def _no_pending_call(self, header: Header, expected: int | None) -> None:
        """Report a reply that matched no pending call; a call of another
        program that has this serial stays pending."""
        if expected is not None and self._pending is not None:
            self._pending[header[4]] = expected
        raise LocalProtocolError(
            f"reply for prog {header[0]:#x} vers {header[1]} serial "
            f"{header[4]} matches no pending call"
        )

    def _emit(self, header: Header, payload: bytes, fds: list[int], events: list[Event]) -> None:
        """Classify a complete message by the role's table and append its
        event (or raise, after closing the message's fds)."""
        mtype = header[3]
        if (
            mtype == _MESSAGE
            and header[0] == KEEPALIVE_PROGRAM
            and header[1] == KEEPALIVE_VERSION
        ):
            rule: _Rule = _KEEPALIVE_RULES.get(header[2], UnexpectedMessage)
        else:
            rules = self._rules
            rule = rules.get((mtype, header[5])) or rules.get((mtype, _ANY_STATUS)) or (
                _CLIENT_DEFAULT if self._is_client else UnexpectedMessage
            )
        if isinstance(rule, str):
            _close_all(fds)
            raise LocalProtocolError(
                rule.format(
                    prog=header[0], proc=header[2], type=mtype, serial=header[4], status=header[5]
                )
            )
        if rule is Reply or rule is ErrorReply:
            try:
                self._take_pending(header)
            except ProtocolError:
                _close_all(fds)
                raise
        self.messages_received += 1
        events.append(rule(header, payload, fds))

    # ------------------------------------------------------------------- send

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionLost(
                f"connection is closed: {self._error}" if self._error else "connection is closed"
            )

    def send_call(
        self,
        prog: int,
        vers: int,
        proc: int,
        payload: bytes | bytearray | memoryview = b"",
        fds: Sequence[int] = (),
    ) -> tuple[int, bytes]:
        """Encode a method call; return ``(serial, packet)``.

        With ``fds`` the type is ``CALL_WITH_FDS`` and the transport must be
        given the same fds to send after the packet.
        """
        if self._closed:
            self._check_open()
        serial = self._next_serial
        pending = self._pending
        if serial == 0 or (self._serials_wrapped and pending is not None and serial in pending):
            # Only after 2**32 calls can a serial still be in use.  0 is
            # never used (libvirt starts at 1).
            self._serials_wrapped = True
            while serial == 0 or (pending is not None and serial in pending):
                serial = (serial + 1) & _SERIAL_MASK
        self._next_serial = (serial + 1) & _SERIAL_MASK
        if fds:
            packet = encode_packet(prog, vers, proc, _CALL_WITH_FDS, serial, _OK, payload, len(fds))
        else:
            length = 28 + len(payload)
            if length > PACKET_MAX:
                raise LocalProtocolError(f"call too large: {length} > {PACKET_MAX} bytes")
            try:
                packet = _packet_pack(length, prog, vers, proc, _CALL, serial, _OK) + payload
            except struct.error as exc:
                raise LocalProtocolError(f"cannot encode call header: {exc}") from None
        if pending is not None:
            pending[serial] = (prog << 32) | vers  # _call_key, inlined
        return serial, packet

    def forget_call(self, serial: int) -> None:
        """Stop expecting a reply for ``serial``: a late reply then counts as a
        protocol violation.  Rarely useful; a cancelled call should normally
        stay pending so its reply is recognised and discarded."""
        if self._pending is not None:
            self._pending.pop(serial, None)

    def send_reply(
        self,
        call: Header,
        payload: bytes | bytearray | memoryview = b"",
        fds: Sequence[int] = (),
    ) -> bytes:
        """Encode the successful reply to ``call`` (``REPLY_WITH_FDS`` if fds)."""
        self._check_open()
        return encode_reply(call, payload, len(fds))

    def send_error(self, call: Header, error_payload: bytes | bytearray | memoryview) -> bytes:
        """Encode a failed reply to ``call``; the payload is an encoded ``virNetMessageError``."""
        self._check_open()
        return encode_packet(call[0], call[1], call[2], _REPLY, call[4], _ERROR, error_payload)

    def send_event(
        self, prog: int, vers: int, proc: int, payload: bytes | bytearray | memoryview = b""
    ) -> bytes:
        """Encode an asynchronous event message (type ``MESSAGE``, serial 0)."""
        self._check_open()
        return encode_packet(prog, vers, proc, _MESSAGE, 0, _OK, payload)

    def send_stream_data(
        self, prog: int, vers: int, proc: int, serial: int, data: bytes | bytearray | memoryview
    ) -> bytes:
        """Encode one chunk of stream data (``STREAM``, status ``CONTINUE``)."""
        self._check_open()
        if len(data) > PAYLOAD_MAX:
            raise LocalProtocolError(f"stream chunk too large: {len(data)} > {PAYLOAD_MAX} bytes")
        return encode_packet(prog, vers, proc, _STREAM, serial, _CONTINUE, data)

    def send_stream_end(self, prog: int, vers: int, proc: int, serial: int) -> bytes:
        """Encode the end of our side of a stream (``STREAM``, status ``OK``, no payload)."""
        self._check_open()
        return encode_packet(prog, vers, proc, _STREAM, serial, _OK)

    def send_stream_abort(
        self,
        prog: int,
        vers: int,
        proc: int,
        serial: int,
        error_payload: bytes | bytearray | memoryview = b"",
    ) -> bytes:
        """Encode a stream abort (``STREAM``, status ``ERROR``).

        libvirt's client aborts with an empty payload; its server sends an
        encoded ``virNetMessageError``.
        """
        self._check_open()
        return encode_packet(prog, vers, proc, _STREAM, serial, _ERROR, error_payload)

    def send_stream_hole(
        self, prog: int, vers: int, proc: int, serial: int, length: int, flags: int = 0
    ) -> bytes:
        """Encode a sparse-stream hole of ``length`` bytes (``STREAM_HOLE``)."""
        self._check_open()
        return encode_packet(
            prog, vers, proc, _STREAM_HOLE, serial, _CONTINUE, encode_stream_hole(length, flags)
        )

    def send_keepalive_ping(self) -> bytes:
        """Encode a keepalive PING."""
        self._check_open()
        return _PING_PACKET

    def send_keepalive_pong(self) -> bytes:
        """Encode a keepalive PONG (the answer to a :class:`KeepalivePing`)."""
        self._check_open()
        return _PONG_PACKET
