"""The one packet reader (virtrpc.rpc.framing): every way of cutting a stream
gives the same packets, fds are owned once, the live and the capture readers
agree, and the TLS transport's splitter is the framing layer's."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.fdcount import fd_is_open
from virtrpc.errors import ProtocolError
from virtrpc.rpc.framing import FdMode, Frame, PacketReader, PacketSplitter
from virtrpc.rpc.packet import PACKET_MAX, MessageType, Status, encode_packet
from virtrpc.transport import tls
from virtrpc.wire import split_packets

_PROG = 0x20008086


def _packet(serial: int, payload: bytes, nfds: int = 0) -> bytes:
    mtype = MessageType.CALL_WITH_FDS if nfds else MessageType.CALL
    return encode_packet(_PROG, 1, 7, mtype, serial, Status.OK, payload, nfds)


packets_strategy = st.lists(
    st.tuples(st.binary(max_size=40), st.integers(min_value=0, max_value=3)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(packets=packets_strategy, cut=st.integers(min_value=1, max_value=50))
def test_any_chunking_of_a_recorded_stream_gives_the_same_frames(
    packets: list[tuple[bytes, int]], cut: int
) -> None:
    stream = b"".join(_packet(i, p, n) + b"\0" * n for i, (p, n) in enumerate(packets))
    whole = PacketReader(FdMode.RECORDED)
    whole.add_data(stream)
    expected = list(whole)
    chunked = PacketReader(FdMode.RECORDED)
    got: list[Frame] = []
    for start in range(0, len(stream), cut):
        chunked.add_data(stream[start : start + cut])
        got.extend(chunked)
    assert got == expected
    assert [(f[0].serial, f[1], f[3]) for f in got] == [
        (i, p, n) for i, (p, n) in enumerate(packets)
    ]
    assert chunked.idle and chunked.incomplete is None and chunked.offset == len(stream)


def test_passed_fds_ride_with_their_dummy_bytes_and_reset_closes_held_ones() -> None:
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    try:
        reader = PacketReader()
        packet = _packet(1, b"abcd", 2)
        reader.add_data(packet + b"\0", [r1])  # one dummy byte, one fd: not complete
        assert list(reader) == [] and not reader.idle
        assert reader.incomplete == "fd transfer"
        reader.add_data(b"\0", [w1])
        (frame,) = list(reader)
        assert frame[2] == [r1, w1] and frame[3] == 2 and frame[1] == b"abcd"
        assert reader.idle
        # A second packet holds one fd, then the reader is reset: closed.
        reader.add_data(packet + b"\0", [r2])
        reader.reset()
        assert not fd_is_open(r2) and reader.idle
    finally:
        for fd in (r1, w1, w2):
            os.close(fd)


def test_a_dummy_byte_without_its_fd_is_a_violation_and_fds_are_kept_for_reset() -> None:
    reader = PacketReader()
    with pytest.raises(ProtocolError, match="fd announced but not received"):
        reader.add_data(_packet(1, b"", 1) + b"\0")
    r, w = os.pipe()
    os.close(w)
    reader = PacketReader()
    with pytest.raises(ProtocolError, match="invalid packet length"):
        reader.add_data(b"\0\0\0\1" + bytes(24), [r])  # bad length, fds in the same read
    reader.reset()
    assert not fd_is_open(r)


def test_frames_before_a_violation_are_still_delivered() -> None:
    reader = PacketReader()
    bad = (PACKET_MAX + 1).to_bytes(4, "big") + bytes(24)
    with pytest.raises(ProtocolError):
        reader.add_data(_packet(1, b"x") + _packet(2, b"y") + bad)
    assert [f[0].serial for f in reader] == [1, 2]
    assert reader.offset == 2 * len(_packet(1, b"x"))


def test_fds_on_a_stream_that_cannot_carry_them_are_refused() -> None:
    r, w = os.pipe()
    os.close(w)
    reader = PacketReader(FdMode.ABSENT)
    with pytest.raises(ProtocolError, match="cannot carry any"):
        reader.add_data(_packet(1, b"")[:10], [r])
    reader.reset()
    assert not fd_is_open(r)


def test_capture_decoder_reports_what_the_live_reader_reads() -> None:
    stream = _packet(1, b"one") + _packet(2, b"two", 2) + b"\0\0" + _packet(3, b"")
    decoded = [(o, h.serial, n, bytes(p)) for o, h, n, p in split_packets(stream)]
    assert decoded == [
        (0, 1, 0, b"one"),
        (len(_packet(1, b"one")), 2, 2, b"two"),
        (len(_packet(1, b"one")) + len(_packet(2, b"two", 2)) + 2, 3, 0, b""),
    ]
    with pytest.raises(ProtocolError, match="truncated packet at offset 0"):
        list(split_packets(_packet(1, b"abc")[:-1]))


def test_tls_transport_uses_the_framing_splitter() -> None:
    assert tls.PacketSplitter is PacketSplitter
    splitter = PacketSplitter()
    two = _packet(1, b"a") + _packet(2, b"bc")
    assert [bytes(s) for s in splitter.split(memoryview(two))] == [
        _packet(1, b"a"),
        _packet(2, b"bc"),
    ]
