"""Bounded fuzzing (hypothesis) of everything that decodes peer input.

* the packet decoder (``check_length``, ``decode_header``, ``decode_stream_hole``);
* the connection state machine in both roles, on random bytes and on
  near-valid packets (mutated headers, fd counts, real fds attached anywhere);
* the generated decoders: every type of every generated protocol module must,
  on any input, return a value or raise :class:`virtrpc.errors.XdrError`.

Only typed virtrpc errors may escape; ``receive_*`` never raises at all (it
reports a :class:`ProtocolViolation` event).  Longer, coverage-guided runs of
the same properties: ``fuzz/`` (atheris), see docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import os
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtrpc.errors import ConnectionLost, ProtocolError, XdrError
from virtrpc.protocols import (
    admin,
    keepalive,
    lock,
    log,
    lxc,
    lxc_monitor,
    qemu,
    remote,
    virnet,
)
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role, decode_stream_hole
from virtrpc.rpc.packet import (
    KEEPALIVE_PROGRAM,
    MIN_PACKET_SIZE,
    PACKET_MAX,
    check_length,
    decode_header,
    encode_packet,
)

REMOTE = 0x20008086
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def open_fd_set() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


# ------------------------------------------------------------------- packet


@FAST
@given(st.binary(max_size=64), st.integers(0, 70))
def test_decode_header_only_raises_protocol_error(data: bytes, offset: int) -> None:
    try:
        header = decode_header(data, offset)
    except ProtocolError:
        assert len(data) < offset + 24
    else:
        assert len(header) == 6


@FAST
@given(st.integers(-(2**40), 2**40))
def test_check_length_accepts_exactly_the_valid_range(length: int) -> None:
    valid = MIN_PACKET_SIZE <= length <= PACKET_MAX
    try:
        check_length(length)
    except ProtocolError:
        assert not valid
    else:
        assert valid


@FAST
@given(st.binary(max_size=20))
def test_decode_stream_hole_only_raises_protocol_error(data: bytes) -> None:
    try:
        length, _ = decode_stream_hole(data)
    except ProtocolError:
        return
    assert length >= 0


@FAST
@given(
    header=st.tuples(*[st.integers(-(2**33), 2**33)] * 6),
    payload=st.binary(max_size=16),
    nfds=st.integers(-5, 40),
)
def test_encode_packet_only_raises_protocol_error(
    header: tuple[int, int, int, int, int, int], payload: bytes, nfds: int
) -> None:
    try:
        packet = encode_packet(*header, payload, nfds)
    except ProtocolError:
        return
    assert decode_header(packet, 4) == header


# ------------------------------------------------------------ state machine


def feed(
    role: Role, chunks: list[tuple[bytes, int]], *, eof: bool, max_events: int | None = None
) -> list[ev.Event]:
    """Feed chunks (with that many fresh fds each) to a new machine; check
    the invariants every feed must keep; close everything; return the events."""
    conn = Connection(role)
    if max_events is not None:
        conn.set_max_events(max_events)
    out: list[ev.Event] = []
    for data, nfds in chunks:
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(nfds)]
        events = conn.receive_data(data, fds)
        assert max_events is None or len(events) <= max_events
        out += events
    if eof:
        out += conn.receive_eof()
    out += conn.next_events(10**6)
    for index, event in enumerate(out):
        assert isinstance(event, ev.Event)
        if isinstance(event, ev.ProtocolViolation):
            assert isinstance(event.error, ProtocolError)
            assert index == len(out) - 1, "nothing may follow a violation"
            assert conn.closed
        if isinstance(event, ev.MessageEvent):
            assert isinstance(event.payload, bytes)
            event.close_fds()
    if eof:
        assert conn.closed
        assert isinstance(out[-1], ev.ConnectionClosed | ev.ProtocolViolation)
    conn.close()
    return out


chunk_lists = st.lists(st.tuples(st.binary(max_size=80), st.integers(0, 2)), max_size=6)


@FAST
@given(chunks=chunk_lists, eof=st.booleans(), max_events=st.none() | st.integers(1, 3))
def test_random_bytes_and_fds_never_crash_or_leak(
    chunks: list[tuple[bytes, int]], eof: bool, max_events: int | None
) -> None:
    before = open_fd_set()
    for role in (Role.CLIENT, Role.SERVER):
        feed(role, chunks, eof=eof, max_events=max_events)
    assert open_fd_set() == before


header_words = st.tuples(
    st.sampled_from([REMOTE, KEEPALIVE_PROGRAM, 0x12345678]),
    st.sampled_from([1, 0, 2]),
    st.integers(-3, 500),
    st.integers(-1, 8),  # message type, including unknown ones
    st.integers(0, 5),  # serial: a few collide with pending calls
    st.integers(-1, 3),  # status
)


@st.composite
def near_valid_streams(draw: st.DrawFn) -> list[tuple[bytes, int]]:
    """Packets with random but plausible headers, fd counts and dummy bytes,
    cut at random places; some reads carry fds."""
    wire = bytearray()
    for _ in range(draw(st.integers(1, 5))):
        prog, vers, proc, mtype, serial, status = draw(header_words)
        payload = draw(st.binary(max_size=12))
        nfds_word = draw(st.integers(0, 34)) if mtype in (4, 5) else None
        body = struct.pack(">IIiiIi", prog, vers, proc, mtype, serial, status)
        if nfds_word is not None:
            body += struct.pack(">I", nfds_word)
        length = 4 + len(body) + len(payload)
        length += draw(st.sampled_from([0, 0, 0, 0, -1, 1, -30, 2**25]))
        wire += struct.pack(">I", max(0, length) & 0xFFFFFFFF) + body + payload
        wire += b"\0" * draw(st.integers(0, 3))
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(wire) - 1)), max_size=6))))
    chunks: list[tuple[bytes, int]] = []
    start = 0
    for end in [*cuts, len(wire)]:
        if end > start:
            chunks.append((bytes(wire[start:end]), draw(st.integers(0, 2))))
            start = end
    return chunks


@FAST
@given(chunks=near_valid_streams(), eof=st.booleans())
def test_near_valid_packets_never_crash_or_leak(chunks: list[tuple[bytes, int]], eof: bool) -> None:
    before = open_fd_set()
    for role in (Role.CLIENT, Role.SERVER):
        feed(role, chunks, eof=eof)
    assert open_fd_set() == before


@FAST
@given(chunks=near_valid_streams())
def test_tracking_client_with_pending_calls(chunks: list[tuple[bytes, int]]) -> None:
    """A client with pending calls (serials 1..3) sees replies that match, do
    not match, or match with the wrong program: only events or violations."""
    before = open_fd_set()
    conn = Connection(Role.CLIENT)
    for _ in range(3):
        conn.send_call(REMOTE, 1, 1)
    for data, nfds in chunks:
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(nfds)]
        for event in conn.receive_data(data, fds):
            if isinstance(event, ev.MessageEvent):
                event.close_fds()
            if isinstance(event, ev.Reply | ev.ErrorReply):
                assert not conn.is_pending(event.serial)
    conn.close()
    assert open_fd_set() == before


@FAST
@given(
    op=st.sampled_from(["call", "reply", "error", "event", "data", "end", "abort", "hole"]),
    words=st.tuples(*[st.integers(-(2**33), 2**33)] * 5),
    payload=st.binary(max_size=8),
    closed=st.booleans(),
)
def test_send_side_only_raises_typed_errors(
    op: str, words: tuple[int, int, int, int, int], payload: bytes, closed: bool
) -> None:
    conn = Connection(Role.SERVER if op != "call" else Role.CLIENT)
    if closed:
        conn.close()
    prog, vers, proc, serial, length = words
    header = decode_header(encode_packet(REMOTE, 1, 1, 0, 1, 0), 4)._replace(
        prog=prog & 0xFFFFFFFF, serial=serial & 0xFFFFFFFF
    )
    try:
        if op == "call":
            conn.send_call(prog, vers, proc, payload)
        elif op == "reply":
            conn.send_reply(header, payload)
        elif op == "error":
            conn.send_error(header, payload)
        elif op == "event":
            conn.send_event(prog, vers, proc, payload)
        elif op == "data":
            conn.send_stream_data(prog, vers, proc, serial, payload)
        elif op == "end":
            conn.send_stream_end(prog, vers, proc, serial)
        elif op == "abort":
            conn.send_stream_abort(prog, vers, proc, serial, payload)
        else:
            conn.send_stream_hole(prog, vers, proc, serial, length)
    except (ProtocolError, ConnectionLost):
        pass


# -------------------------------------------------------- generated decoders

MODULES = [remote, admin, qemu, lxc, virnet, keepalive, lock, log, lxc_monitor]
ALL_TYPES: list[tuple[str, Any]] = [
    (f"{module.__name__.rsplit('.', 1)[-1]}.{name}", xdr_type)
    for module in MODULES
    for name, xdr_type in module.TYPES.items()
]


def check_unpack(xdr_type: Any, data: bytes) -> None:
    """``unpack`` returns a value or raises XdrError; a returned value packs
    back to exactly the input (strict decoding leaves nothing unread, and
    every XDR encoding is canonical... except non-canonical padding / bool,
    which strict decoders must reject)."""
    try:
        value = xdr_type.unpack(data)
    except XdrError:
        return
    try:
        again = xdr_type.pack(value)
    except XdrError:
        return  # e.g. an IntEnum-typed value the encoder refuses: still typed
    assert again == data, (xdr_type.name, data.hex(), again.hex())


def test_every_generated_type_on_short_and_patterned_inputs() -> None:
    """Deterministic sweep: every type, inputs that reach deep into structs
    (zeros, small counts, lengths that overflow the remaining bytes)."""
    patterns = [
        b"",
        b"\0" * 4,
        b"\0" * 64,
        b"\0\0\0\x01" * 16,
        b"\xff" * 16,
        b"\0\0\0\x02" + b"\0" * 40,
        b"\x7f\xff\xff\xff" + b"\0" * 8,
        b"\0\0\0\x01\0\0\0\x05hello\0\0\0" * 3,
    ]
    for _, xdr_type in ALL_TYPES:
        for data in patterns:
            check_unpack(xdr_type, data)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_decoders_only_raise_xdr_error(module: Any, data: st.DataObject) -> None:
    names = sorted(module.TYPES)
    name = data.draw(st.sampled_from(names))
    raw = data.draw(
        st.binary(max_size=96)
        | st.lists(st.sampled_from([0, 1, 2, 3, 0xFFFFFFFF, 0x80000000]), max_size=16).map(
            lambda words: struct.pack(f">{len(words)}I", *words)
        )
    )
    check_unpack(module.TYPES[name], raw)
    offset = data.draw(st.integers(0, 8))
    with contextlib.suppress(XdrError):
        module.TYPES[name].unpack_from(memoryview(raw), offset)


# ------------------------------------------------ the atheris harness itself


def load_harness_helpers() -> Any:
    """fuzz/_common.py, the driver the atheris harness uses (kept from rotting)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "fuzz" / "_common.py"
    spec = importlib.util.spec_from_file_location("virtrpc_fuzz_common", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HARNESS = load_harness_helpers()


@FAST
@given(data=st.binary(max_size=300), role=st.sampled_from(Role), limit=st.none() | st.integers(1, 3))
def test_atheris_connection_driver_on_random_input(
    data: bytes, role: Role, limit: int | None
) -> None:
    before = open_fd_set()
    HARNESS.drive(role, data, max_events=limit)
    assert open_fd_set() == before
