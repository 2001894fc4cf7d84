"""What both client engines (the asyncio :class:`~virtrpc.client.core.RpcClient`
and the blocking engine behind :mod:`virtrpc.sync`) make of the daemon's
messages and of a caller's arguments: the :class:`CallResult` of a low-level
call, procedure names resolved, args encoded, event messages decoded,
stream packets handed to a client stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from virtrpc.client.events import Event, family_of_procedure, flatten_message
from virtrpc.client.waiter import error_from_payload
from virtrpc.errors import ConnectionLost, InvalidArguments, InvalidValue, ProtocolError, XdrError
from virtrpc.programs import all_programs, program_by_name, program_by_number
from virtrpc.rpc.connection import decode_stream_hole
from virtrpc.rpc.events import EventMessage, MessageEvent, StreamData, StreamEnd, StreamHole

if TYPE_CHECKING:
    from virtrpc.rpc.keepalive import KeepaliveMonitor
    from virtrpc.xdr import Procedure, Program

__all__ = [
    "CallResult",
    "ClientStreamSink",
    "decode_event_message",
    "encode_args",
    "feed_client_stream",
    "keepalive_death",
    "resolve_procedure",
]


@dataclass(frozen=True, slots=True)
class CallResult:
    """What :meth:`Client.call` returns: the reply value and the fds it carried
    (the caller owns and must close them)."""

    value: Any
    fds: list[int]



def decode_event_message(event: EventMessage) -> Event | None:
    """The :class:`Event` an event message carries; None for an event this
    client does not know (a newer daemon's).  Raises :class:`ConnectionLost`
    (caused by the XdrError) for one that does not decode: the connection
    is then unusable.  Shared by the asyncio and the blocking client."""
    event.close_fds()  # events never carry fds
    header = event.header
    program = program_by_number(header[0])
    proc = program.procedures.get(header[2]) if program is not None else None
    if proc is None or proc.args is None:
        return None
    routed = family_of_procedure(proc)
    if routed is None:
        return None
    family, name = routed
    try:
        message = proc.args.unpack(event.payload)
    except XdrError as exc:
        raise ConnectionLost(f"undecodable {proc.name} event from the daemon: {exc}") from exc
    callback_id = getattr(message, "callbackID", None)
    return Event(family, name, callback_id, message, flatten_message(message), proc)


def resolve_procedure(
    program: int | str, version: int, procedure: int | str
) -> tuple[int, Procedure | None, int]:
    """``(program number, Procedure or None, procedure number)`` for
    :meth:`RpcClient.call`'s arguments (names or numbers)."""
    prog_obj: Program | None
    if isinstance(program, str):
        prog_obj = program_by_name(program)
        if prog_obj is None:
            raise InvalidValue(
                f"unknown program {program!r} "
                f"(known: {', '.join(sorted(p.name for p in all_programs()))})"
            )
    else:
        prog_obj = program_by_number(program)
    prog_number = prog_obj.number if prog_obj is not None else int(program)
    proc_obj: Procedure | None = None
    if prog_obj is not None and prog_obj.version == version:
        if isinstance(procedure, str):
            proc_obj = prog_obj.by_name.get(procedure)
            if proc_obj is None:
                raise InvalidValue(f"program {prog_obj.name} has no procedure {procedure!r}")
        else:
            proc_obj = prog_obj.procedures.get(procedure)
    elif isinstance(procedure, str):
        raise InvalidValue(f"cannot resolve procedure name {procedure!r} without its program")
    proc_number = proc_obj.number if proc_obj is not None else int(procedure)
    return prog_number, proc_obj, proc_number



def encode_args(proc: Procedure, args: Any) -> bytes:
    if proc.args is None:
        if args not in (None, {}):
            raise InvalidArguments(f"{proc.name} takes no arguments")
        return b""
    if isinstance(args, Mapping):
        assert proc.args_class is not None
        try:
            args = proc.args_class(**args)
        except TypeError as exc:
            raise InvalidArguments(f"bad arguments for {proc.name}: {exc}") from None
    return proc.args.pack(args)


class ClientStreamSink(Protocol):
    """What a client stream takes from the read path (the asyncio
    :class:`~virtrpc.client.stream.Stream` and the blocking ``SyncStream``)."""

    procedure: Procedure

    def _feed_data(self, data: bytes) -> None: ...
    def _feed_hole(self, length: int) -> None: ...
    def _feed_end(self) -> None: ...
    def _feed_error(self, error: BaseException) -> None: ...


def feed_client_stream(stream: ClientStreamSink, event: MessageEvent) -> None:
    """Hand one stream packet from the daemon to a client stream (both
    client engines): data, a hole, the end, or the daemon's error."""
    kind = type(event)
    if kind is StreamData:
        stream._feed_data(event.payload)
    elif kind is StreamHole:
        try:
            length, _flags = decode_stream_hole(event.payload)
        except ProtocolError as exc:
            stream._feed_error(exc)
            return
        stream._feed_hole(length)
    elif kind is StreamEnd:
        stream._feed_end()
    else:
        stream._feed_error(error_from_payload(event.payload, stream.procedure))



def keepalive_death(where: str, monitor: KeepaliveMonitor, now: float) -> ConnectionLost:
    """The error a client connection dies of when keepalive declares the
    daemon at ``where`` dead."""
    return ConnectionLost(
        f"no data from the daemon at {where} for "
        f"{now - monitor.last_received:.1f} s after {monitor.count} unanswered "
        f"keepalive pings (interval {monitor.interval:g} s): connection declared dead"
    )
