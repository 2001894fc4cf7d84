"""Unit tests of the sans-I/O connection state machine (virtrpc.rpc.connection)."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.connpair import ConnectionPair
from tests.support.fdcount import fd_is_open
from virtrpc.errors import ConnectionLost, ProtocolError
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role, decode_stream_hole, encode_stream_hole
from virtrpc.rpc.packet import (
    KEEPALIVE_PROGRAM,
    MESSAGE_MAX,
    NUM_FDS_MAX,
    MessageType,
    Status,
    check_length,
    decode_header,
    encode_packet,
)

REMOTE = 0x20008086


@pytest.fixture
def pipes() -> Iterator[list[int]]:
    """Create pipe ends on demand; close whatever a test left open."""
    created: list[int] = []
    yield created
    for fd in created:
        if fd_is_open(fd):
            os.close(fd)


def new_fds(created: list[int], count: int) -> list[int]:
    fds: list[int] = []
    while len(fds) < count:
        r, w = os.pipe()
        created.extend((r, w))
        fds.extend((r, w))
    extra = fds[count:]
    for fd in extra:
        os.close(fd)
    return fds[:count]


def pair() -> ConnectionPair:
    """``client, server = pair()``: two ends wired to each other (tests/support/connpair.py)."""
    return ConnectionPair()


# ----------------------------------------------------------------- packet


def test_packet_layout_matches_rpc_rst_example() -> None:
    packet = encode_packet(8, 1, 3, MessageType.CALL, 1, Status.OK, b"0123456789")
    assert len(packet) == 38
    assert struct.unpack(">7I", packet[:28]) == (38, 8, 1, 3, 0, 1, 0)
    assert packet[28:] == b"0123456789"
    assert decode_header(packet, 4) == (8, 1, 3, 0, 1, 0)


def test_packet_with_fds_has_count_word_not_counting_dummy_bytes() -> None:
    packet = encode_packet(8, 1, 3, MessageType.CALL_WITH_FDS, 1, Status.OK, b"0123456789", 2)
    # libvirt's length counts the fd-count word but not the dummy bytes.
    assert struct.unpack(">8I", packet[:32]) == (42, 8, 1, 3, 4, 1, 0, 2)


@pytest.mark.parametrize("length", [0, 3, 4, 27, MESSAGE_MAX + 5, 0xFFFFFFFF])
def test_check_length_rejects(length: int) -> None:
    with pytest.raises(ProtocolError):
        check_length(length)


@pytest.mark.parametrize("length", [28, 4096, MESSAGE_MAX + 4])
def test_check_length_accepts(length: int) -> None:
    check_length(length)


def test_encode_rejects_fds_on_plain_types_and_too_many() -> None:
    with pytest.raises(ProtocolError):
        encode_packet(1, 1, 1, MessageType.CALL, 1, Status.OK, b"", 1)
    with pytest.raises(ProtocolError):
        encode_packet(1, 1, 1, MessageType.CALL_WITH_FDS, 1, Status.OK, b"", NUM_FDS_MAX + 1)


# ------------------------------------------------------- call / reply basics


def test_call_reply_roundtrip_and_serials() -> None:
    client, server = pair()
    s1, p1 = client.send_call(REMOTE, 1, 157, b"")
    s2, p2 = client.send_call(REMOTE, 1, 1, b"\0\0\0\0")
    assert (s1, s2) == (1, 2)
    assert client.pending_calls == 2
    calls = server.receive_data(p1 + p2)
    assert [type(e) for e in calls] == [ev.Call, ev.Call]
    c1, c2 = calls
    assert isinstance(c1, ev.Call) and isinstance(c2, ev.Call)
    assert c2.header.proc == 1 and c2.payload == b"\0\0\0\0"
    # Replies out of order are matched by serial.
    out = client.receive_data(server.send_reply(c2.header, b"x" * 4))
    out += client.receive_data(server.send_error(c1.header, b"err!"))
    assert [type(e) for e in out] == [ev.Reply, ev.ErrorReply]
    assert [e.header.serial for e in out if isinstance(e, ev.MessageEvent)] == [2, 1]
    assert client.pending_calls == 0


def test_reply_to_unknown_serial_is_fatal() -> None:
    client, server = pair()
    _, packet = client.send_call(REMOTE, 1, 157)
    (call,) = server.receive_data(packet)
    assert isinstance(call, ev.Call)
    bogus = call.header._replace(serial=99)
    out = client.receive_data(server.send_reply(bogus, b""))
    assert len(out) == 1 and isinstance(out[0], ev.ProtocolViolation)
    assert client.closed
    with pytest.raises(ConnectionLost):
        client.send_call(REMOTE, 1, 157)


def test_reply_with_wrong_program_is_fatal() -> None:
    client, server = pair()
    _, packet = client.send_call(REMOTE, 1, 157)
    (call,) = server.receive_data(packet)
    assert isinstance(call, ev.Call)
    out = client.receive_data(server.send_reply(call.header._replace(prog=1), b""))
    assert isinstance(out[0], ev.ProtocolViolation)


def test_untracked_client_accepts_any_reply() -> None:
    client = Connection(Role.CLIENT, track_calls=False)
    out = client.receive_data(encode_packet(REMOTE, 1, 3, MessageType.REPLY, 77, Status.OK, b""))
    assert isinstance(out[0], ev.Reply)


def test_client_rejects_calls_and_unknown_types() -> None:
    for mtype in (MessageType.CALL, MessageType.CALL_WITH_FDS, 7, -1):
        client = Connection(Role.CLIENT)
        nfds = 0
        packet = encode_packet(REMOTE, 1, 3, int(mtype), 1, Status.OK, b"", nfds)
        out = client.receive_data(packet)
        assert isinstance(out[-1], ev.ProtocolViolation), mtype


def test_server_flags_unexpected_messages_without_dying() -> None:
    server = Connection(Role.SERVER)
    packets = [
        encode_packet(REMOTE, 1, 3, MessageType.REPLY, 1, Status.OK, b""),
        encode_packet(REMOTE, 1, 3, MessageType.MESSAGE, 0, Status.OK, b""),
        encode_packet(REMOTE, 1, 3, MessageType.CALL, 5, Status.ERROR, b""),
        encode_packet(REMOTE, 1, 3, 42, 5, Status.OK, b""),
    ]
    out = server.receive_data(b"".join(packets))
    assert [type(e) for e in out] == [ev.UnexpectedMessage] * 4
    assert not server.closed


def test_events_and_keepalive_classification() -> None:
    client, server = pair()
    data = server.send_event(REMOTE, 1, 107, b"evt") + server.send_keepalive_ping()
    data += server.send_keepalive_pong()
    out = client.receive_data(data)
    assert [type(e) for e in out] == [ev.EventMessage, ev.KeepalivePing, ev.KeepalivePong]
    first = out[0]
    assert isinstance(first, ev.MessageEvent)
    assert first.header.serial == 0 and first.payload == b"evt"
    # Keepalive also reaches a server.
    out = server.receive_data(client.send_keepalive_ping())
    assert isinstance(out[0], ev.KeepalivePing)
    ping = client.send_keepalive_ping()
    assert decode_header(ping, 4) == (KEEPALIVE_PROGRAM, 1, 1, MessageType.MESSAGE, 0, 0)


def test_stream_messages() -> None:
    client, server = pair()
    serial, packet = client.send_call(REMOTE, 1, 209)
    server.receive_data(packet)
    data = server.send_stream_data(REMOTE, 1, 209, serial, b"chunk")
    data += server.send_stream_hole(REMOTE, 1, 209, serial, 1 << 40, 0)
    data += server.send_stream_end(REMOTE, 1, 209, serial)
    data += server.send_stream_abort(REMOTE, 1, 209, serial, b"error")
    out = client.receive_data(data)
    assert [type(e) for e in out] == [ev.StreamData, ev.StreamHole, ev.StreamEnd, ev.StreamAbort]
    hole = out[1]
    assert isinstance(hole, ev.StreamHole)
    assert decode_stream_hole(hole.payload) == (1 << 40, 0)
    assert hole.header.status == Status.CONTINUE
    # A server receives the client's stream packets too.
    out = server.receive_data(client.send_stream_data(REMOTE, 1, 209, serial, b"up"))
    assert isinstance(out[0], ev.StreamData) and out[0].payload == b"up"


def test_stream_bad_status_is_fatal() -> None:
    client = Connection(Role.CLIENT)
    out = client.receive_data(encode_packet(REMOTE, 1, 1, MessageType.STREAM, 1, 7, b""))
    assert isinstance(out[0], ev.ProtocolViolation)


def test_stream_hole_codec_rejects_garbage() -> None:
    assert encode_stream_hole(5, 1) == struct.pack(">qI", 5, 1)
    with pytest.raises(ProtocolError):
        decode_stream_hole(b"\0" * 11)
    with pytest.raises(ProtocolError):
        decode_stream_hole(struct.pack(">qI", -1, 0))


# ------------------------------------------------------------------- limits


@pytest.mark.parametrize("length", [0, 4, 27, MESSAGE_MAX + 5, 0xFFFFFFFF])
def test_bad_length_word_is_fatal_before_allocation(length: int) -> None:
    server = Connection(Role.SERVER)
    out = server.receive_data(struct.pack(">I", length))
    assert len(out) == 1 and isinstance(out[0], ev.ProtocolViolation)
    assert "length" in str(out[0].error)
    # Dead connections ignore further input (and close fds given to them).
    assert server.receive_data(b"\0" * 100) == []


def test_too_many_fds_announced(pipes: list[int]) -> None:
    server = Connection(Role.SERVER)
    packet = encode_packet(REMOTE, 1, 1, MessageType.CALL_WITH_FDS, 1, 0, b"", 0)
    packet = packet[:28] + struct.pack(">I", NUM_FDS_MAX + 1)
    out = server.receive_data(packet)
    assert isinstance(out[0], ev.ProtocolViolation)
    assert "too many fds" in str(out[0].error)


def test_with_fds_packet_too_short_for_count() -> None:
    server = Connection(Role.SERVER)
    packet = struct.pack(">IIIiiIi", 28, REMOTE, 1, 1, MessageType.CALL_WITH_FDS, 1, 0)
    out = server.receive_data(packet)
    assert isinstance(out[0], ev.ProtocolViolation)


def test_unannounced_fds_are_closed(pipes: list[int]) -> None:
    client, server = pair()
    (fd,) = new_fds(pipes, 1)
    _, packet = client.send_call(REMOTE, 1, 157)
    out = server.receive_data(packet, [fd])
    assert isinstance(out[0], ev.Call)
    assert isinstance(out[1], ev.ProtocolViolation)
    assert not fd_is_open(fd)


def test_fds_with_plain_message_are_closed(pipes: list[int]) -> None:
    client, server = pair()
    (fd,) = new_fds(pipes, 1)
    _, packet = client.send_call(REMOTE, 1, 157)
    # fds arriving with the first bytes of a message that cannot carry fds
    server.receive_data(packet[:10], [fd])
    assert fd_is_open(fd)  # header not known yet: kept
    out = server.receive_data(packet[10:])
    assert isinstance(out[0], ev.ProtocolViolation)
    assert not fd_is_open(fd)


def test_more_fds_than_announced_are_closed(pipes: list[int]) -> None:
    client, server = pair()
    fds = new_fds(pipes, 3)
    _, packet = client.send_call(REMOTE, 1, 1, b"", fds=fds[:2])
    out = server.receive_data(packet + b"\0\0", fds)
    assert len(out) == 1 and isinstance(out[0], ev.ProtocolViolation)
    assert not any(fd_is_open(fd) for fd in fds)


def test_announced_fds_never_come_then_eof(pipes: list[int]) -> None:
    client, server = pair()
    fds = new_fds(pipes, 3)
    _, packet = client.send_call(REMOTE, 1, 1, b"args", fds=fds)
    # Two dummy bytes with their two fds: the third is still to come.
    assert server.receive_data(packet + b"\0\0", fds[:2]) == []
    assert all(fd_is_open(fd) for fd in fds[:2])
    out = server.receive_eof()
    assert isinstance(out[0], ev.ProtocolViolation)
    assert not any(fd_is_open(fd) for fd in fds[:2])
    os.close(fds[2])


def test_eof_in_the_middle_of_a_packet() -> None:
    client, server = pair()
    _, packet = client.send_call(REMOTE, 1, 157)
    server.receive_data(packet[:-1])
    out = server.receive_eof()
    assert isinstance(out[0], ev.ProtocolViolation)
    assert server.receive_eof() == []


def test_clean_eof() -> None:
    server = Connection(Role.SERVER)
    assert [type(e) for e in server.receive_eof()] == [ev.ConnectionClosed]
    assert server.closed and server.error is None


def test_fatal_error_closes_held_fds_but_not_delivered_ones(pipes: list[int]) -> None:
    client, server = pair()
    a, b = new_fds(pipes, 2)
    _, p1 = client.send_call(REMOTE, 1, 1, b"", fds=[a])
    _, p2 = client.send_call(REMOTE, 1, 1, b"", fds=[b])
    out = server.receive_data(p1 + b"\0", [a])
    assert isinstance(out[0], ev.Call) and out[0].fds == [a]
    # The second call completes (its event owns b), then garbage kills the
    # connection: fds already handed out in events stay open.
    out = server.receive_data(p2 + b"\0" + struct.pack(">I", 3), [b])
    assert [type(e) for e in out] == [ev.Call, ev.ProtocolViolation]
    assert out[0].fds == [b]  # type: ignore[attr-defined]
    assert fd_is_open(a) and fd_is_open(b)
    # fds still held by the machine (announced 2, got 1) are closed on violation.
    client2, server2 = pair()
    (c,) = new_fds(pipes, 1)
    _, p3 = client2.send_call(REMOTE, 1, 1, b"", fds=[c, c])
    assert server2.receive_data(p3 + b"\0", [c]) == []
    out = server2.receive_data(b"\0", [os.dup(c), os.dup(c)])
    assert isinstance(out[0], ev.ProtocolViolation)
    assert not fd_is_open(c)


def test_call_with_zero_fds_announced() -> None:
    server = Connection(Role.SERVER)
    packet = encode_packet(REMOTE, 1, 1, MessageType.CALL_WITH_FDS, 1, 0, b"abc", 0)
    (call,) = server.receive_data(packet)
    assert isinstance(call, ev.Call) and call.fds == [] and call.payload == b"abc"


def test_reply_with_fds_to_client(pipes: list[int]) -> None:
    client, server = pair()
    (fd,) = new_fds(pipes, 1)
    _, packet = client.send_call(REMOTE, 1, 1)
    (call,) = server.receive_data(packet)
    assert isinstance(call, ev.Call)
    reply = server.send_reply(call.header, b"ret", fds=[fd])
    assert decode_header(reply, 4).type == MessageType.REPLY_WITH_FDS
    out = client.receive_data(reply + b"\0", [fd])
    assert isinstance(out[0], ev.Reply) and out[0].fds == [fd] and out[0].payload == b"ret"
    assert out[0].take_fds() == [fd] and out[0].fds == []


def test_event_close_fds(pipes: list[int]) -> None:
    client, server = pair()
    (fd,) = new_fds(pipes, 1)
    _, packet = client.send_call(REMOTE, 1, 1, b"", fds=[fd])
    (call,) = server.receive_data(packet + b"\0", [fd])
    assert isinstance(call, ev.Call)
    call.close_fds()
    assert not fd_is_open(fd) and call.fds == []


def test_close_releases_held_fds(pipes: list[int]) -> None:
    client, server = pair()
    (fd,) = new_fds(pipes, 1)
    _, packet = client.send_call(REMOTE, 1, 1, b"", fds=[fd, fd])
    server.receive_data(packet, [fd])
    server.close()
    assert not fd_is_open(fd)
    assert server.receive_data(b"x") == []


# ----------------------------------------------- splits, orders (hypothesis)


def build_stream(
    client: Connection, server: Connection, created: list[int], nfds_per_call: list[int]
) -> tuple[bytes, list[tuple[int, list[int]]]]:
    """Wire bytes of several calls (some with fds, libvirt order: packet, then
    one dummy byte per fd), and where each fd's dummy byte sits."""
    wire = bytearray()
    fd_positions: list[tuple[int, list[int]]] = []
    for i, nfds in enumerate(nfds_per_call):
        fds = new_fds(created, nfds)
        _, packet = client.send_call(REMOTE, 1, 100 + i, bytes([i]) * (i * 7 % 50), fds=fds)
        wire += packet
        for fd in fds:
            wire += b"\0"
            fd_positions.append((len(wire), [fd]))  # fd arrives with the byte ending here
    return bytes(wire), fd_positions


def feed_in_chunks(
    server: Connection, wire: bytes, fd_positions: list[tuple[int, list[int]]], cuts: list[int]
) -> list[ev.Event]:
    """Feed ``wire`` cut at ``cuts``; each fd goes with the read that contains
    its dummy byte, as the kernel delivers it (a read stops after an fd)."""
    boundaries = sorted({c for c in cuts if 0 < c < len(wire)} | {p for p, _ in fd_positions})
    out: list[ev.Event] = []
    start = 0
    fd_map = dict(fd_positions)
    for end in [*boundaries, len(wire)]:
        if end <= start:
            continue
        out += server.receive_data(wire[start:end], fd_map.get(end, []))
        start = end
    return out


@settings(max_examples=150, deadline=None)
@given(
    nfds_per_call=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    cuts=st.lists(st.integers(0, 2000), max_size=30),
)
def test_random_splits_with_fds(nfds_per_call: list[int], cuts: list[int]) -> None:
    created: list[int] = []
    try:
        client, server = pair()
        wire, fd_positions = build_stream(client, server, created, nfds_per_call)
        out = feed_in_chunks(server, wire, fd_positions, cuts)
        assert all(isinstance(e, ev.Call) for e in out), out
        assert len(out) == len(nfds_per_call)
        expected_fds = [fds for _, fds in fd_positions]
        got = [e.fds for e in out if isinstance(e, ev.Call)]
        assert [len(f) for f in got] == nfds_per_call
        assert [fd for f in got for fd in f] == [fd for f in expected_fds for fd in f]
        assert [e.header.proc for e in out if isinstance(e, ev.Call)] == [
            100 + i for i in range(len(nfds_per_call))
        ]
        assert server.receive_eof()[0].__class__ is ev.ConnectionClosed
    finally:
        for fd in created:
            if fd_is_open(fd):
                os.close(fd)


def test_byte_by_byte_with_fds(pipes: list[int]) -> None:
    client, server = pair()
    wire, fd_positions = build_stream(client, server, pipes, [0, 2, 1, 0, 3])
    out = feed_in_chunks(server, wire, fd_positions, list(range(len(wire))))
    assert [len(e.fds) for e in out if isinstance(e, ev.Call)] == [0, 2, 1, 0, 3]


@settings(max_examples=100, deadline=None)
@given(nfds=st.integers(1, 5), split=st.integers(0, 100), data=st.data())
def test_fds_ahead_of_their_bytes(nfds: int, split: int, data: st.DataObject) -> None:
    """A sender that attaches all fds to the packet's first bytes (not libvirt's
    order) still works: fds may arrive before the header is complete."""
    created: list[int] = []
    try:
        client, server = pair()
        fds = new_fds(created, nfds)
        _, packet = client.send_call(REMOTE, 1, 1, b"payload!", fds=fds)
        wire = packet + b"\0" * nfds
        cut = 1 + split % (len(wire) - 1)
        out = server.receive_data(wire[:cut], fds)
        out += server.receive_data(wire[cut:])
        assert len(out) == 1 and isinstance(out[0], ev.Call) and out[0].fds == fds
    finally:
        for fd in created:
            if fd_is_open(fd):
                os.close(fd)


def test_fds_delivered_separately_after_bytes_is_a_violation(pipes: list[int]) -> None:
    """A dummy byte must bring its fd in the same read (the kernel never
    splits them); bytes first and fds in a later call means the peer sent
    dummy bytes without fds (libvirt's virSocketRecvFD fails the same way)."""
    client, server = pair()
    fds = new_fds(pipes, 2)
    _, p1 = client.send_call(REMOTE, 1, 1, b"", fds=fds)
    _, p2 = client.send_call(REMOTE, 1, 2)
    out = server.receive_data(p1 + b"\0\0" + p2)
    assert [type(e) for e in out] == [ev.ProtocolViolation]
    assert "not received" in str(server.error)
    out = server.receive_data(b"", list(fds))  # fds alone, too late: closed on arrival
    assert out == [] and not any(fd_is_open(fd) for fd in fds)


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=5))
def test_garbage_never_crashes(garbage: bytes, cuts: list[int]) -> None:
    for role in (Role.CLIENT, Role.SERVER):
        conn = Connection(role)
        start = 0
        for end in [*sorted(set(cuts)), len(garbage)]:
            if end <= start:
                continue
            for event in conn.receive_data(garbage[start:end]):
                assert isinstance(event, ev.Event)
            start = end
        conn.receive_eof()


@settings(max_examples=100, deadline=None)
@given(
    nfds_per_call=st.lists(st.integers(1, 3), min_size=1, max_size=5),
    cuts=st.lists(st.integers(0, 1000), max_size=10),
    late=st.integers(0, 14),
)
def test_fd_delivered_after_its_dummy_byte_is_a_violation(
    nfds_per_call: list[int], cuts: list[int], late: int
) -> None:
    """Whichever fd comes in a later call than its dummy byte, the machine
    reports a violation at the end of the call that brought the fd-less dummy
    byte, and every fd it held (or gets afterwards) is closed."""
    created: list[int] = []
    try:
        client, server = pair()
        wire, fd_positions = build_stream(client, server, created, nfds_per_call)
        late_index = late % len(fd_positions)
        late_pos, late_fds = fd_positions[late_index]
        points = sorted({c for c in cuts if 0 < c < len(wire)} | {p for p, _ in fd_positions})
        fd_map = {p: fds for i, (p, fds) in enumerate(fd_positions) if i != late_index}
        out: list[ev.Event] = []
        start = 0
        for end in [*points, len(wire)]:
            if end > start:
                out += server.receive_data(wire[start:end], fd_map.get(end, []))
                if end == late_pos:
                    out += server.receive_data(b"", late_fds)
                start = end
        assert isinstance(out[-1], ev.ProtocolViolation), out
        calls = [e for e in out if isinstance(e, ev.Call)]
        assert all(isinstance(e, ev.Call) for e in out[:-1])
        # Messages before the broken one were delivered intact.
        assert len(calls) == next(
            i for i, n in enumerate(nfds_per_call) if sum(nfds_per_call[: i + 1]) > late_index
        )
        delivered = {fd for c in calls for fd in c.fds}
        assert all(fd_is_open(fd) == (fd in delivered) for fd in created)
    finally:
        for fd in created:
            if fd_is_open(fd):
                os.close(fd)


def test_serials_skip_zero_and_pending() -> None:
    client = Connection(Role.CLIENT)
    client._next_serial = 0xFFFFFFFF  # exercise the wrap-around
    first, _ = client.send_call(REMOTE, 1, 1)
    second, _ = client.send_call(REMOTE, 1, 1)
    assert (first, second) == (0xFFFFFFFF, 1)
    client._next_serial = 0xFFFFFFFF
    third, _ = client.send_call(REMOTE, 1, 1)
    assert third == 2  # 0xFFFFFFFF and 1 still pending, 0 never used


def _reply_packet(prog: int, vers: int, serial: int, status: int = 0, payload: bytes = b"") -> bytes:
    return struct.pack(">IIIiiIi", 28 + len(payload), prog, vers, 157, 1, serial, status) + payload


@pytest.mark.parametrize(
    "case",
    ["good", "unknown-serial", "wrong-prog", "wrong-vers", "error-status", "two-in-one",
     "truncated", "fds", "after-partial"],
)
def test_reply_fast_path_matches_the_general_rules(case: str) -> None:
    """receive_reply takes one whole REPLY per read; for everything it does
    not handle it consumes nothing, and receive_data gives the general verdict."""
    conn = Connection(Role.CLIENT)
    serial, _ = conn.send_call(REMOTE, 1, 157)
    data = {
        "good": _reply_packet(REMOTE, 1, serial, payload=b"\0" * 8),
        "unknown-serial": _reply_packet(REMOTE, 1, serial + 1),
        "wrong-prog": _reply_packet(REMOTE + 1, 1, serial),
        "wrong-vers": _reply_packet(REMOTE, 2, serial),
        "error-status": _reply_packet(REMOTE, 1, serial, status=1),
        "two-in-one": _reply_packet(REMOTE, 1, serial) + _reply_packet(REMOTE, 1, serial),
        "truncated": _reply_packet(REMOTE, 1, serial, payload=b"\0" * 8)[:-1],
        "fds": _reply_packet(REMOTE, 1, serial),
        "after-partial": _reply_packet(REMOTE, 1, serial),
    }[case]
    if case == "after-partial":
        assert conn.receive_data(data[:3]) == []
        data = data[3:]
    fast = conn.receive_reply(data) if case != "fds" else None
    if case == "good":
        assert fast == (serial, b"\0" * 8)
        assert conn.pending_calls == 0 and conn.messages_received == 1
        return
    assert fast is None and conn.pending_calls == 1 and conn.messages_received == 0
    events = conn.receive_data(data)
    kinds = [type(event) for event in events]
    if case == "error-status":
        assert kinds == [ev.ErrorReply] and conn.pending_calls == 0
    elif case == "two-in-one":
        assert kinds == [ev.Reply, ev.ProtocolViolation] and conn.closed
    elif case in ("truncated",):
        assert kinds == [] and not conn.closed
    elif case in ("fds", "after-partial"):
        assert kinds == [ev.Reply]
    else:
        assert kinds == [ev.ProtocolViolation] and conn.closed


def test_reply_fast_path_refuses_on_a_server_and_after_close() -> None:
    server = Connection(Role.SERVER)
    assert server.receive_reply(_reply_packet(REMOTE, 1, 1)) is None
    client = Connection(Role.CLIENT, track_calls=False)
    assert client.receive_reply(_reply_packet(REMOTE, 7, 99, payload=b"xy\0\0")) == (
        99, b"xy\0\0")  # untracked: any serial is accepted, as by receive_data
    client.close()
    assert client.receive_reply(_reply_packet(REMOTE, 1, 1)) is None


def _call_packet(mtype: int = 0, status: int = 0, payload: bytes = b"", serial: int = 5) -> bytes:
    return struct.pack(">IIIiiIi", 28 + len(payload), REMOTE, 1, 157, mtype, serial,
                       status) + payload


@pytest.mark.parametrize(
    "case", ["good", "with-fds-type", "bad-status", "reply", "two-in-one", "truncated", "client"]
)
def test_call_fast_path_matches_the_general_rules(case: str) -> None:
    """receive_call takes one whole plain CALL per read; anything else is left
    to receive_data untouched."""
    conn = Connection(Role.CLIENT if case == "client" else Role.SERVER)
    data = {
        "good": _call_packet(payload=b"\0\0\0\1"),
        "with-fds-type": struct.pack(">IIIiiIiI", 32, REMOTE, 1, 157, 4, 5, 0, 0),
        "bad-status": _call_packet(status=1),
        "reply": _call_packet(mtype=1),
        "two-in-one": _call_packet() + _call_packet(serial=6),
        "truncated": _call_packet(payload=b"\0\0\0\1")[:-2],
        "client": _call_packet(),
    }[case]
    fast = conn.receive_call(data)
    if case == "good":
        assert fast is not None
        header, payload = fast
        assert tuple(header) == (REMOTE, 1, 157, 0, 5, 0) and payload == b"\0\0\0\1"
        assert conn.messages_received == 1
        return
    assert fast is None and conn.messages_received == 0
    kinds = [type(event) for event in conn.receive_data(data)]
    expected = {
        "with-fds-type": [ev.Call],
        "bad-status": [ev.UnexpectedMessage],
        "reply": [ev.UnexpectedMessage],
        "two-in-one": [ev.Call, ev.Call],
        "truncated": [],
        "client": [ev.ProtocolViolation],
    }[case]
    assert kinds == expected
