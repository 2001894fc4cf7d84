"""The one packet reader of libvirt's RPC framing: bytes, fds and dummy bytes in,
whole packets out.

Written the way h2 writes its ``FrameBuffer``: the caller feeds what it read
with :meth:`PacketReader.add_data` and then iterates over the reader, which
yields every packet completed so far as a :class:`Frame`.  The reader knows the
framing rules and nothing else (no roles, no pending calls, no events): the
live connection (:mod:`virtrpc.rpc.connection`), the capture decoder
(:mod:`virtrpc.wire`) and anything else that cuts a byte stream into packets
use it, so the length check, the fd-count rules and the header layout exist
once.

The framing (docs/protocol.md)::

    length word (u32, counts itself) | header (6 x 32-bit) | [fd count (u32)] | payload

then, for ``CALL_WITH_FDS`` / ``REPLY_WITH_FDS``, one dummy byte per fd *after*
the packet, not counted by the length word.  On a live Unix socket each dummy
byte carries its fd by ``SCM_RIGHTS`` (:attr:`FdMode.PASSED`); a capture of
such a socket holds the dummy bytes but no fds (:attr:`FdMode.RECORDED`); a TCP
capture holds neither (:attr:`FdMode.ABSENT`).

Every violation raises :class:`~virtrpc.errors.ProtocolError` from
:meth:`PacketReader.add_data`, after the packets completed before it were
queued (iterate to get them).  fds handed to the reader belong to it until a
frame carries them out; :meth:`PacketReader.reset` closes those it still holds.

:class:`PacketSplitter` is the sending side's counterpart for a transport that
must write one packet per record (TLS): it finds packet ends in outgoing bytes.
"""

from __future__ import annotations

import contextlib
import enum
import os
import struct
from collections.abc import Iterator, Sequence

from virtrpc.errors import LocalProtocolError, ProtocolError
from virtrpc.rpc.packet import (
    HEADER_SIZE,
    HEADER_STRUCT,
    LENGTH_HEADER_NFDS_STRUCT,
    LENGTH_HEADER_STRUCT,
    LENGTH_SIZE,
    LENGTH_STRUCT,
    MIN_PACKET_SIZE,
    NFDS_STRUCT,
    NUM_FDS_MAX,
    PACKET_MAX,
    REPLY_HEAD_STRUCT,
    Header,
    MessageType,
    check_length,
)

__all__ = [
    "FDS_OFFSET",
    "HEADER_STRUCT",
    "LENGTH_HEADER_NFDS_STRUCT",
    "LENGTH_HEADER_STRUCT",
    "LENGTH_STRUCT",
    "NFDS_SIZE",
    "NFDS_STRUCT",
    "PAYLOAD_OFFSET",
    "PAYLOAD_WITH_FDS_OFFSET",
    "REPLY_HEAD_STRUCT",
    "FdMode",
    "Frame",
    "PacketReader",
    "PacketSplitter",
    "check_length",
    "close_fds",
]

# The layout of a packet's head is packet.py's (one Struct per piece, shared
# with the encoder); the offsets below are what a reader needs of it.

#: Size of the fd count word.
NFDS_SIZE = NFDS_STRUCT.size
#: Where the fd count word starts in a packet (after length word and header).
FDS_OFFSET = LENGTH_SIZE + HEADER_SIZE
#: Where the payload of a packet without fds starts.
PAYLOAD_OFFSET = LENGTH_SIZE + HEADER_SIZE
#: Where the payload of a ``*_WITH_FDS`` packet starts.
PAYLOAD_WITH_FDS_OFFSET = PAYLOAD_OFFSET + NFDS_SIZE
# Where the type word is, to tell early whether fds that precede their packet
# may belong to it.
_TYPE_OFFSET = LENGTH_SIZE + 12

_CALL_WITH_FDS = int(MessageType.CALL_WITH_FDS)
_REPLY_WITH_FDS = int(MessageType.REPLY_WITH_FDS)

_length_unpack_from = LENGTH_STRUCT.unpack_from
_header_unpack_from = HEADER_STRUCT.unpack_from
_nfds_unpack_from = NFDS_STRUCT.unpack_from
_type_unpack_from = struct.Struct(">i").unpack_from
_tuple_new = tuple.__new__


def close_fds(fds: Sequence[int]) -> None:
    """Close every fd in ``fds``, ignoring those already closed (EBADF): the one
    fd-disposal helper of the RPC layers."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class FdMode(enum.Enum):
    """What follows a ``*_WITH_FDS`` packet in the byte stream being read."""

    #: A live Unix socket: one dummy byte per fd, each bringing its fd in the
    #: same read (the fds are passed to :meth:`PacketReader.add_data`).
    PASSED = "passed"
    #: A recording of a Unix socket: the dummy bytes are there, the fds are not.
    RECORDED = "recorded"
    #: A recording of a TCP or TLS stream: neither dummy bytes nor fds.
    ABSENT = "absent"


#: One whole packet: ``(header, payload, fds, nfds, offset)`` -- its header,
#: its payload (``bytes``), the fds it carried (FdMode.PASSED; owned by whoever
#: took the frame), the fd count word (0 for types that carry none; len(fds)
#: when passed) and where its length word starts in the stream read so far.
#: A plain tuple, not a NamedTuple: one is built per packet on the hot path,
#: and every reader unpacks it.
Frame = tuple[Header, bytes, list[int], int, int]


class PacketReader:
    """Cuts a byte stream (plus the fds that came with it) into :class:`Frame`\\ s.

    ``add_data(data, fds)`` takes one read; iterating yields the frames it
    completed, in stream order.  Bytes of a partial packet are kept for the
    next read.  A ``*_WITH_FDS`` packet is complete once its bytes, its dummy
    bytes and (FdMode.PASSED) its fds are all in.  fds may come *before* their
    dummy bytes (a sender that attaches them to the packet itself) but never
    after: the kernel hands out an ``SCM_RIGHTS`` fd in the same read as the
    byte that carries it, so a dummy byte whose fd did not come in the same
    :meth:`add_data` call was sent without one (libvirt's ``virSocketRecvFD``
    fails such a peer too).
    """

    __slots__ = (
        "_buf",
        "_consumed",
        "_dummies",
        "_fd_mode",
        "_fds",
        "_frames",
        "_held",
        "_held_nfds",
        "_need",
        "_passed",
        "idle",
    )

    def __init__(self, fd_mode: FdMode = FdMode.PASSED) -> None:
        self._fd_mode = fd_mode
        self._passed = fd_mode is FdMode.PASSED
        # Unparsed bytes: a partial packet, or bytes after a packet that waits
        # for its fds.  Empty most of the time (whole reads are parsed in place).
        self._buf = bytearray()
        # Bytes _buf must hold before parsing is worth retrying.
        self._need = 0
        # A packet whose bytes are complete but whose dummy bytes / fds are not:
        # (header, payload, offset, fd count word).
        self._held: tuple[Header, bytes, int, int] | None = None
        self._held_nfds = 0
        self._dummies = 0
        # Received fds not yet attached to a packet.
        self._fds: list[int] = []
        # Completed frames not yet iterated over.
        self._frames: list[Frame] = []
        # Stream offset of the first byte of the data being parsed.
        self._consumed = 0
        #: True when nothing is half-read: no partial packet, no packet waiting
        #: for fds, no stray fds (a fast path may take the next read whole).
        #: A plain attribute, not a property: fast paths test it per read.
        self.idle = True

    # ------------------------------------------------------------------ state

    @property
    def incomplete(self) -> str | None:
        """What is half-read (``"packet"``, ``"fd transfer"``), or None at a
        packet boundary: what an EOF now would cut."""
        if self._buf:
            return "packet"
        if self._held is not None or self._fds:
            return "fd transfer"
        return None

    @property
    def offset(self) -> int:
        """Stream offset of the first byte not yet part of a complete frame."""
        return self._consumed

    def reset(self) -> None:
        """Forget everything half-read and queued; close the fds the reader holds
        (those of queued frames too)."""
        fds, self._fds = self._fds, []
        frames, self._frames = self._frames, []
        close_fds(fds)
        for frame in frames:
            close_fds(frame[2])
        self._buf = bytearray()
        self._held = None
        self._held_nfds = 0
        self._dummies = 0
        self._need = 0
        self.idle = True

    def __iter__(self) -> Iterator[Frame]:
        """The frames completed so far, taken out of the reader."""
        return iter(self.take())

    def take(self) -> list[Frame]:
        """The frames completed so far, taken out of the reader (a list)."""
        frames = self._frames
        if frames:
            self._frames = []
        return frames

    def feed(
        self, data: bytes | bytearray | memoryview, fds: Sequence[int] | None = None
    ) -> list[Frame]:
        """:meth:`add_data` then :meth:`take`, in one call: the live
        connection's form (it runs for every read).  On a violation it raises
        like :meth:`add_data`; :meth:`take` then gives the frames before it."""
        if self.idle and data and not fds:
            # The usual read: whole packets without fds, nothing half-read.
            try:
                pos = self._parse(data)
            except ProtocolError:
                self.idle = not (self._buf or self._held is not None or self._fds)
                raise
            self._consumed += pos
            if pos < len(data):
                self._buf += memoryview(data)[pos:]
                self.idle = False
            if self._held is not None:
                self.add_data(b"")  # its dummy-byte check, and idle
        else:
            self.add_data(data, fds or ())
        frames = self._frames
        if frames:
            self._frames = []
        return frames

    # ---------------------------------------------------------------- reading

    def add_data(self, data: bytes | bytearray | memoryview, fds: Sequence[int] = ()) -> None:
        """Take one read: its bytes, then the fds the same read returned (the
        kernel delivers an ``SCM_RIGHTS`` message with the last byte of a read).

        From now on the fds belong to the reader.  Raises
        :class:`ProtocolError` at the first framing violation (the frames
        completed before it stay queued; :meth:`reset` closes what is held).
        """
        try:
            if data:
                try:
                    if self._buf or self._held is not None:
                        buf = self._buf
                        buf += data
                        if len(buf) >= self._need:
                            self._parse_buffer()
                    else:
                        pos = self._parse(data)
                        self._consumed += pos
                        if pos < len(data):
                            self._buf += memoryview(data)[pos:]
                except ProtocolError:
                    self._fds.extend(fds)  # ours now: reset() closes them
                    raise
            if fds:
                self._add_fds(fds)
            if self._held is not None and len(self._fds) < self._held_nfds - self._dummies:
                # A dummy byte arrived without its fd (see the class docstring).
                raise LocalProtocolError(
                    f"message announced {self._held_nfds} fds but "
                    f"{self._held_nfds - self._dummies} dummy bytes brought only "
                    f"{len(self._fds)}: fd announced but not received"
                )
        finally:
            self.idle = not (self._buf or self._held is not None or self._fds)

    def _parse_buffer(self) -> None:
        buf = self._buf
        view = memoryview(buf)
        try:
            pos = self._parse(view)
        finally:
            view.release()
        if pos:
            del buf[:pos]
            self._consumed += pos

    def _parse(self, view: bytes | bytearray | memoryview) -> int:
        """Queue the whole packets at the start of ``view``; return how many
        bytes they took."""
        pos = 0
        end = len(view)
        frames = self._frames
        passed = self._passed
        try:
            while True:
                if self._held is not None:
                    if self._dummies:
                        take = min(self._dummies, end - pos)
                        pos += take
                        self._dummies -= take
                        if self._dummies:
                            # Every dummy byte counts as soon as it arrives: its
                            # fd must have come with the same read.
                            self._need = 1
                            return pos
                    if len(self._fds) < self._held_nfds:
                        self._need = 0
                        return pos
                    self._release_held()
                avail = end - pos
                if avail < LENGTH_SIZE:
                    self._need = LENGTH_SIZE
                    return pos
                length = _length_unpack_from(view, pos)[0]
                if length < MIN_PACKET_SIZE or length > PACKET_MAX:
                    check_length(length)  # raises: the one length rule and its message
                if avail < length:
                    self._need = length
                    return pos
                header: Header = _tuple_new(Header, _header_unpack_from(view, pos + LENGTH_SIZE))
                mtype = header[3]
                if mtype in (_CALL_WITH_FDS, _REPLY_WITH_FDS):
                    if length < PAYLOAD_WITH_FDS_OFFSET:
                        raise LocalProtocolError(f"packet of type {mtype} too short for its fd count")
                    nfds = _nfds_unpack_from(view, pos + FDS_OFFSET)[0]
                    if nfds > NUM_FDS_MAX:
                        raise LocalProtocolError(f"too many fds announced: {nfds} > {NUM_FDS_MAX}")
                    if len(self._fds) > nfds:
                        raise LocalProtocolError(
                            f"received {len(self._fds)} fds for a message announcing {nfds}"
                        )
                    payload = bytes(view[pos + PAYLOAD_WITH_FDS_OFFSET : pos + length])
                    offset = self._consumed + pos
                    pos += length
                    if nfds and self._fd_mode is not FdMode.ABSENT:
                        self._held = (header, payload, offset, nfds)
                        self._held_nfds = nfds if passed else 0
                        self._dummies = nfds
                        continue
                    frames.append((header, payload, [], nfds, offset))
                    continue
                if self._fds:
                    raise LocalProtocolError(
                        f"received {len(self._fds)} fds with a message of type {mtype} "
                        "that cannot carry fds"
                    )
                payload = bytes(view[pos + PAYLOAD_OFFSET : pos + length])
                frames.append((header, payload, [], 0, self._consumed + pos))
                pos += length
        except ProtocolError:
            self._consumed += pos  # offset now points at the bad packet
            raise

    def _release_held(self) -> None:
        held = self._held
        assert held is not None
        nfds = self._held_nfds
        fds = self._fds[:nfds]
        del self._fds[:nfds]
        self._held = None
        self._held_nfds = 0
        # held[3] is the announced count (also when FdMode.RECORDED passes none).
        self._frames.append((held[0], held[1], fds, held[3], held[2]))

    def _add_fds(self, fds: Sequence[int]) -> None:
        self._fds.extend(fds)
        if self._fd_mode is not FdMode.PASSED:
            raise LocalProtocolError(f"received {len(self._fds)} fds on a stream that cannot carry any")
        if self._held is not None:
            if len(self._fds) > self._held_nfds:
                raise LocalProtocolError(
                    f"received {len(self._fds)} fds for a message announcing {self._held_nfds}"
                )
            if not self._dummies and len(self._fds) == self._held_nfds:
                self._release_held()
                if self._buf:
                    self._parse_buffer()
            return
        # No packet waits for fds: they either precede the bytes of the packet
        # they belong to (a sender that attaches them to the packet itself), or
        # nobody announced them.
        buf = self._buf
        if not buf:
            raise LocalProtocolError(f"received {len(self._fds)} fds that no message announced")
        if len(self._fds) > NUM_FDS_MAX:
            raise LocalProtocolError(f"received more than {NUM_FDS_MAX} fds ahead of their message")
        if len(buf) >= _TYPE_OFFSET + 4:
            mtype = _type_unpack_from(buf, _TYPE_OFFSET)[0]
            if mtype != _CALL_WITH_FDS and mtype != _REPLY_WITH_FDS:
                raise LocalProtocolError(
                    f"received {len(self._fds)} fds with a message of type {mtype} "
                    "that cannot carry fds"
                )
            if len(buf) >= PAYLOAD_WITH_FDS_OFFSET:
                nfds = _nfds_unpack_from(buf, FDS_OFFSET)[0]
                if len(self._fds) > nfds:
                    raise LocalProtocolError(
                        f"received {len(self._fds)} fds for a message announcing {nfds}"
                    )


class PacketSplitter:
    """Finds packet ends in an outgoing byte stream (our own, well-formed
    packets), across calls.

    Why: libvirtd and libvirt's client read one packet per wake-up of the
    socket and only look for buffered data in SASL/ssh layers, not in GnuTLS
    (``virNetSocketHasCachedData``).  A TLS record holding several packets
    therefore leaves the later ones stuck in GnuTLS's buffer until more bytes
    arrive (in practice: the next keepalive, 5 s later).  Writing each packet
    in its own record(s), as libvirt itself does, avoids that.
    """

    __slots__ = ("_length_bytes", "_remaining")

    def __init__(self) -> None:
        self._remaining = 0  # bytes of the current packet still to come
        self._length_bytes = b""  # a length word split across writes

    def split(self, data: memoryview) -> list[memoryview]:
        """``data`` cut after every packet end it contains."""
        end = len(data)
        if (
            self._remaining == 0
            and not self._length_bytes
            and end >= LENGTH_SIZE
            and _length_unpack_from(data, 0)[0] == end
        ):
            return [data]  # the usual case: exactly one whole packet
        segments: list[memoryview] = []
        start = position = 0
        while position < end:
            if self._remaining == 0:
                needed = LENGTH_SIZE - len(self._length_bytes)
                self._length_bytes += bytes(data[position : position + needed])
                position = min(position + needed, end)
                if len(self._length_bytes) < LENGTH_SIZE:
                    break
                length = _length_unpack_from(self._length_bytes)[0]
                self._length_bytes = b""
                self._remaining = max(length - LENGTH_SIZE, 0)
                if self._remaining == 0:
                    segments.append(data[start:position])
                    start = position
                    continue
            step = min(self._remaining, end - position)
            position += step
            self._remaining -= step
            if self._remaining == 0:
                segments.append(data[start:position])
                start = position
        if start < end:
            segments.append(data[start:end])
        return segments
