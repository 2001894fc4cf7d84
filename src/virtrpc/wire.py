"""Decode captured libvirt RPC traffic into readable records.

Used by ``virtrpc decode`` and ``virtrpc proxy``.  Unlike
:class:`virtrpc.rpc.connection.Connection`, which drives a live connection,
this module reads *recorded* bytes: it never owns file descriptors (a capture
only holds the dummy bytes that stood for them) and it keeps going after a
payload it cannot decode, so one odd packet does not hide the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from virtrpc.errors import ProtocolError, RemoteProtocolError, VirtrpcError
from virtrpc.programs import program_by_number
from virtrpc.rpc.framing import FdMode, PacketReader
from virtrpc.rpc.packet import Header, MessageType, Status
from virtrpc.xdr import Procedure, Program

__all__ = ["DecodedPacket", "decode_packet", "known_program", "split_packets"]

#: The generated :class:`Program` with this number, or None (kept under this
#: name for the tools that import it from here).
known_program = program_by_number


@dataclass(slots=True)
class DecodedPacket:
    """One packet of a capture, decoded as far as possible."""

    offset: int  # where its length word starts in the capture
    header: Header
    nfds: int
    payload_size: int
    program: str | None = None  # "remote", or None for an unknown program
    procedure: str | None = None  # "domain_get_info", or None if unknown
    body: Any = None  # JSON-compatible decoded payload
    problem: str | None = None  # why the payload could not be decoded
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def type_name(self) -> str:
        try:
            return MessageType(self.header.type).name
        except ValueError:
            return f"TYPE_{self.header.type}"

    @property
    def status_name(self) -> str:
        try:
            return Status(self.header.status).name
        except ValueError:
            return f"STATUS_{self.header.status}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-compatible record of this packet."""
        record: dict[str, Any] = {
            "offset": self.offset,
            "program": self.program if self.program is not None else self.header.prog,
            "version": self.header.vers,
            "procedure": self.procedure if self.procedure is not None else self.header.proc,
            "type": self.type_name,
            "serial": self.header.serial,
            "status": self.status_name,
        }
        if self.nfds:
            record["nfds"] = self.nfds
        if self.problem is not None:
            record["problem"] = self.problem
        else:
            record["body"] = self.body
        record.update(self.extra)
        return record

    def summary(self) -> str:
        """One readable line, as printed by ``virtrpc decode``."""
        import json

        name = f"{self.program or hex(self.header.prog)}.{self.procedure or self.header.proc}"
        text = f"{self.type_name:<14} {name} serial={self.header.serial} status={self.status_name}"
        if self.nfds:
            text += f" nfds={self.nfds}"
        if self.problem is not None:
            return f"{text} !! {self.problem}"
        if self.body is not None:
            text += " " + json.dumps(self.body, separators=(",", ":"), sort_keys=False)
        return text


def split_packets(
    data: bytes | bytearray | memoryview, *, dummy_bytes: bool = True
) -> Iterator[tuple[int, Header, int, memoryview]]:
    """Yield ``(offset, header, nfds, payload)`` for each packet in ``data``.

    ``dummy_bytes``: the capture holds the one byte per passed fd that a Unix
    socket carries after the packet (a raw socket recording does; a TCP
    capture never has fds).  Raises :class:`ProtocolError` at the first
    framing error (bad length word, too many fds, truncation), after yielding
    every packet before it.  The framing rules are those of the live
    connection: both read with :class:`~virtrpc.rpc.framing.PacketReader`.
    """
    reader = PacketReader(FdMode.RECORDED if dummy_bytes else FdMode.ABSENT)
    framing_error: ProtocolError | None = None
    try:
        reader.add_data(data)
    except ProtocolError as exc:
        framing_error = exc
    for header, payload, _fds, nfds, offset in reader:
        yield offset, header, nfds, memoryview(payload)
    if framing_error is not None:
        raise RemoteProtocolError(f"at offset {reader.offset}: {framing_error}") from None
    incomplete = reader.incomplete
    if incomplete == "packet":
        raise RemoteProtocolError(
            f"truncated packet at offset {reader.offset}: {len(data) - reader.offset} bytes left"
        )
    if incomplete is not None:
        raise RemoteProtocolError("capture ends inside the dummy bytes of passed fds")


def _procedure(header: Header) -> tuple[Program | None, Procedure | None]:
    program = known_program(header.prog)
    if program is None or program.version != header.vers:
        return program, None
    return program, program.procedures.get(header.proc)


def _decode_error(payload: memoryview) -> dict[str, Any]:
    from virtrpc.errors import LibvirtError

    error = LibvirtError.from_wire(payload)
    return {
        "code": error.code_name,
        "domain": error.domain_name,
        "message": error.message,
        "level": int(error.level),
        "str1": error.str1,
        "str2": error.str2,
        "str3": error.str3,
        "int1": error.int1,
        "int2": error.int2,
    }


def decode_packet(offset: int, header: Header, nfds: int, payload: memoryview) -> DecodedPacket:
    """Decode one packet's payload with the generated procedure tables.

    Never raises for a bad payload: the reason lands in ``problem``.
    """
    from virtrpc.jsonvalues import to_json
    from virtrpc.rpc.connection import decode_stream_hole

    program, proc = _procedure(header)
    packet = DecodedPacket(
        offset=offset,
        header=header,
        nfds=nfds,
        payload_size=len(payload),
        program=program.name if program is not None else None,
        procedure=proc.name if proc is not None else None,
    )
    kind = header.type
    try:
        if kind == MessageType.STREAM:
            if header.status == Status.ERROR and len(payload):
                packet.body = _decode_error(payload)
            else:
                packet.body = None
                packet.extra["data_bytes"] = len(payload)
            return packet
        if kind == MessageType.STREAM_HOLE:
            length, flags = decode_stream_hole(payload)
            packet.body = {"length": length, "flags": flags}
            return packet
        if (
            kind in (MessageType.REPLY, MessageType.REPLY_WITH_FDS)
            and header.status == Status.ERROR
        ):
            packet.body = _decode_error(payload)
            return packet
        if proc is None:
            packet.problem = "unknown program or procedure"
            return packet
        if kind in (MessageType.CALL, MessageType.CALL_WITH_FDS, MessageType.MESSAGE):
            xdr_type = proc.args
        elif kind in (MessageType.REPLY, MessageType.REPLY_WITH_FDS):
            xdr_type = proc.ret
        else:
            packet.problem = f"unknown message type {kind}"
            return packet
        if xdr_type is None:
            if len(payload):
                packet.problem = f"{len(payload)} bytes of payload where none is expected"
            return packet
        packet.body = to_json(xdr_type, xdr_type.unpack(payload))
    except VirtrpcError as exc:
        packet.problem = str(exc)
    return packet
