"""Shared helpers of the atheris harnesses (see docs/reliability.md)."""

from __future__ import annotations

import os

from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role


def open_fd_set() -> set[str]:
    """Names in /proc/self/fd (to prove a run leaks nothing)."""
    return set(os.listdir("/proc/self/fd"))


def drive(role: Role, data: bytes, *, max_events: int | None = None) -> None:
    """Feed ``data`` to a fresh machine: the first byte of each record picks
    how many bytes follow in this read (1..64) and how many /dev/null fds
    (0..3) come with it.  Checks the invariants; raises AssertionError (a
    crash for the fuzzer) when one breaks.  Any other exception escaping
    ``receive_*`` is a bug too and the fuzzer reports it as such."""
    conn = Connection(role)
    if role is Role.CLIENT:
        for _ in range(3):
            conn.send_call(0x20008086, 1, 1)
    if max_events is not None:
        conn.set_max_events(max_events)
    events: list[ev.Event] = []
    pos = 0
    while pos < len(data):
        control = data[pos]
        size = 1 + (control & 0x3F)
        nfds = control >> 6
        chunk = data[pos + 1 : pos + 1 + size]
        pos += 1 + size
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(nfds)]
        got = conn.receive_data(chunk, fds)
        assert max_events is None or len(got) <= max_events
        events += got
    events += conn.receive_eof()
    events += conn.next_events(1 << 30)
    assert conn.closed
    for index, event in enumerate(events):
        if isinstance(event, ev.ProtocolViolation):
            assert index == len(events) - 1
        if isinstance(event, ev.MessageEvent):
            event.close_fds()
    assert isinstance(events[-1], ev.ConnectionClosed | ev.ProtocolViolation)
