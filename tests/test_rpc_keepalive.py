"""KeepaliveMonitor follows libvirt's virkeepalive.c timing rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from virtrpc.rpc.keepalive import KeepaliveAction, KeepaliveMonitor


def test_pings_then_dies_after_interval_times_count_plus_one() -> None:
    monitor = KeepaliveMonitor(interval=5, count=3, now=100.0)
    assert monitor.next_check_time() == 105.0
    assert monitor.check(104.9) is KeepaliveAction.NOTHING
    actions = [monitor.check(t) for t in (105.0, 110.0, 115.0, 120.0)]
    assert actions == [KeepaliveAction.SEND_PING] * 3 + [KeepaliveAction.DEAD]
    assert monitor.pings_unanswered == 3


def test_any_packet_resets_the_countdown() -> None:
    monitor = KeepaliveMonitor(interval=1, count=1, now=0.0)
    assert monitor.check(1.0) is KeepaliveAction.SEND_PING
    monitor.packet_received(1.5)
    assert monitor.pings_unanswered == 0
    assert monitor.last_received == 1.5
    assert monitor.check(2.0) is KeepaliveAction.NOTHING  # interval restarts at 1.5
    assert monitor.next_check_time() == 2.5
    assert monitor.check(2.5) is KeepaliveAction.SEND_PING
    assert monitor.check(3.5) is KeepaliveAction.DEAD


def test_zero_count_dies_without_pinging() -> None:
    monitor = KeepaliveMonitor(interval=2, count=0, now=0.0)
    assert monitor.check(2.0) is KeepaliveAction.DEAD


@pytest.mark.parametrize(("interval", "count"), [(0, 1), (-1, 1), (1, -1)])
def test_invalid_settings(interval: float, count: int) -> None:
    with pytest.raises(ValueError):
        KeepaliveMonitor(interval=interval, count=count, now=0.0)


@given(interval=st.integers(1, 10), count=st.integers(0, 6))
def test_silent_peer_dies_exactly_at_interval_times_count_plus_one(interval: int, count: int) -> None:
    monitor = KeepaliveMonitor(interval=interval, count=count, now=0.0)
    now = 0.0
    pings = 0
    while True:
        now = monitor.next_check_time()
        action = monitor.check(now)
        if action is KeepaliveAction.DEAD:
            break
        assert action is KeepaliveAction.SEND_PING
        pings += 1
    assert pings == count
    assert now == interval * (count + 1)
