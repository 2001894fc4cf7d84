"""Packet framing of libvirt's RPC protocol: header, limits, encoding.

A packet on the wire is::

    length word (u32, counts itself) | header (6 x 32-bit) | [fd count (u32)] | payload

all big-endian.  The fd count is present only for ``CALL_WITH_FDS`` and
``REPLY_WITH_FDS``; the file descriptors themselves travel out of band after
the packet, one ``SCM_RIGHTS`` message per descriptor, each carried by one
dummy byte that is *not* counted in the length word (see docs/protocol.md).

Nothing here does I/O.  The values mirror ``virnetprotocol.x`` and
``virkeepaliveprotocol.x``; they are written out by hand (not imported from the
generated protocol modules) so that the RPC core has no dependency on the XDR
layer.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import NamedTuple

from virtrpc.errors import LocalProtocolError

__all__ = [
    "HEADER_SIZE",
    "HEADER_STRUCT",
    "INITIAL_SIZE",
    "KEEPALIVE_PROC_PING",
    "KEEPALIVE_PROC_PONG",
    "KEEPALIVE_PROGRAM",
    "KEEPALIVE_VERSION",
    "LEGACY_PAYLOAD_MAX",
    "LENGTH_HEADER_NFDS_STRUCT",
    "LENGTH_HEADER_STRUCT",
    "LENGTH_SIZE",
    "LENGTH_STRUCT",
    "MESSAGE_MAX",
    "MIN_PACKET_SIZE",
    "NFDS_STRUCT",
    "NUM_FDS_MAX",
    "PACKET_MAX",
    "PAYLOAD_MAX",
    "REPLY_HEAD_STRUCT",
    "STRING_MAX",
    "WITH_FDS_TYPES",
    "Header",
    "MessageType",
    "Status",
    "check_length",
    "decode_header",
    "encode_packet",
]

# --- limits (virnetprotocol.x) -------------------------------------------------

#: Initial buffer size libvirt allocates for a message.
INITIAL_SIZE = 65536
#: Largest payload old (pre 0.9.x) peers accept; libvirt still uses it as
#: the size of stream data chunks it sends.
LEGACY_PAYLOAD_MAX = 262120
#: Largest serialised message, header included, length word excluded.
MESSAGE_MAX = 33554432
#: Size of the serialised header.
HEADER_SIZE = 24
#: Largest payload (MESSAGE_MAX - HEADER_SIZE).
PAYLOAD_MAX = 33554408
#: Size of the length word.
LENGTH_SIZE = 4
#: Length of long, but not unbounded, strings.
STRING_MAX = 4194304
#: Most file descriptors one message may carry.
NUM_FDS_MAX = 32

#: Smallest acceptable value of the length word: a header and no payload.
MIN_PACKET_SIZE = LENGTH_SIZE + HEADER_SIZE
#: Largest acceptable value of the length word.
PACKET_MAX = MESSAGE_MAX + LENGTH_SIZE

# --- keepalive program (virkeepaliveprotocol.x) ---------------------------------

KEEPALIVE_PROGRAM = 0x6B656570
KEEPALIVE_VERSION = 1
KEEPALIVE_PROC_PING = 1
KEEPALIVE_PROC_PONG = 2


class MessageType(IntEnum):
    """``virNetMessageType``: what a packet is."""

    CALL = 0
    REPLY = 1
    MESSAGE = 2
    STREAM = 3
    CALL_WITH_FDS = 4
    REPLY_WITH_FDS = 5
    STREAM_HOLE = 6


class Status(IntEnum):
    """``virNetMessageStatus``: outcome of a reply, state of a stream packet."""

    OK = 0
    ERROR = 1
    CONTINUE = 2


#: Message types whose header is followed by a 32-bit fd count.
WITH_FDS_TYPES = frozenset({MessageType.CALL_WITH_FDS, MessageType.REPLY_WITH_FDS})


class Header(NamedTuple):
    """The six header words of a packet (``virNetMessageHeader``).

    ``type`` and ``status`` are plain ints on the receive path (the peer may
    send values we do not know); compare them with :class:`MessageType` and
    :class:`Status` members, which are ints too.
    """

    prog: int
    vers: int
    proc: int
    type: int
    serial: int
    status: int


# The one layout of a packet's head, used by every encoder and reader
# (rpc/framing.py reads with it).  prog and vers are unsigned, proc/type/status
# signed, serial unsigned: as in virnetprotocol.x, so decoded values match
# what libvirt logs.

#: The length word.
LENGTH_STRUCT = struct.Struct(">I")
#: The six header words (:class:`Header`).
HEADER_STRUCT = struct.Struct(">IIiiIi")
#: The fd count word of ``*_WITH_FDS`` packets.
NFDS_STRUCT = struct.Struct(">I")
#: Length word and header in one go (what an encoder writes).
LENGTH_HEADER_STRUCT = struct.Struct(">IIIiiIi")
#: Length word, header and fd count in one go.
LENGTH_HEADER_NFDS_STRUCT = struct.Struct(">IIIiiIiI")
#: The same bytes as LENGTH_HEADER_STRUCT read the way a reply fast path
#: wants them: length, then program and version as one 64-bit number (how a
#: pending call is keyed), type, serial, status; the procedure skipped.
REPLY_HEAD_STRUCT = struct.Struct(">IQ4xiIi")

_HEADER = HEADER_STRUCT
_LENGTH_HEADER = LENGTH_HEADER_STRUCT
_LENGTH_HEADER_NFDS = LENGTH_HEADER_NFDS_STRUCT


def check_length(length: int) -> None:
    """Raise :class:`ProtocolError` unless ``length`` is a valid length word.

    Called before anything is allocated for the packet, so a hostile length
    cannot make us reserve memory.
    """
    if length < MIN_PACKET_SIZE or length > PACKET_MAX:
        raise LocalProtocolError(
            f"invalid packet length {length}: must be between {MIN_PACKET_SIZE} and {PACKET_MAX}"
        )


def decode_header(data: bytes | bytearray | memoryview, offset: int = 0) -> Header:
    """Decode the 24-byte header at ``offset`` (which points past the length word)."""
    try:
        return Header._make(_HEADER.unpack_from(data, offset))
    except struct.error as exc:
        raise LocalProtocolError(f"truncated packet header: {exc}") from None


def encode_packet(
    prog: int,
    vers: int,
    proc: int,
    type: int,
    serial: int,
    status: int,
    payload: bytes | bytearray | memoryview = b"",
    nfds: int = 0,
) -> bytes:
    """Return the complete wire form of one packet (length word included).

    ``nfds`` is written as the fd count when ``type`` is one of the
    ``*_WITH_FDS`` types and must be 0 otherwise.  The descriptors themselves
    are sent by the transport after these bytes.
    """
    if type == MessageType.CALL_WITH_FDS or type == MessageType.REPLY_WITH_FDS:
        if nfds > NUM_FDS_MAX:
            raise LocalProtocolError(f"too many fds to send: {nfds} > {NUM_FDS_MAX}")
        length = 32 + len(payload)
        if length > PACKET_MAX:
            raise LocalProtocolError(f"message too large to send: {length} > {PACKET_MAX} bytes")
        try:
            return _LENGTH_HEADER_NFDS.pack(
                length, prog, vers, proc, type, serial, status, nfds
            ) + payload
        except struct.error as exc:
            raise LocalProtocolError(f"cannot encode packet header: {exc}") from None
    if nfds:
        raise LocalProtocolError(f"message type {type} cannot carry fds")
    length = 28 + len(payload)
    if length > PACKET_MAX:
        raise LocalProtocolError(f"message too large to send: {length} > {PACKET_MAX} bytes")
    try:
        return _LENGTH_HEADER.pack(length, prog, vers, proc, type, serial, status) + payload
    except struct.error as exc:
        raise LocalProtocolError(f"cannot encode packet header: {exc}") from None
