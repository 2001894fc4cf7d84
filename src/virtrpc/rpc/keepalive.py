"""Keepalive bookkeeping (libvirt's ``virkeepalive.c`` rules), without clocks.

libvirt's rule: every packet received from the peer proves it alive.  When
nothing arrived for ``interval`` seconds, send a PING; after ``count`` PINGs
in a row without any packet in between, the peer is dead.  So a dead peer is
detected after about ``interval * (count + 1)`` seconds of silence.

The caller supplies the time (``now``, any monotonic clock in seconds), so the
logic is testable without waiting.
"""

from __future__ import annotations

import enum

__all__ = ["KeepaliveAction", "KeepaliveMonitor"]


class KeepaliveAction(enum.Enum):
    """What the transport timer must do after :meth:`KeepaliveMonitor.check`."""

    NOTHING = "nothing"
    SEND_PING = "send-ping"
    DEAD = "dead"


class KeepaliveMonitor:
    """Liveness of a peer, fed with receive times; ``interval`` in seconds.

    Typical driving code::

        monitor.packet_received(loop.time())          # on every read
        action = monitor.check(loop.time())           # from a timer
        if action is KeepaliveAction.SEND_PING: write(conn.send_keepalive_ping())
        elif action is KeepaliveAction.DEAD: close the connection
        schedule the timer again at monitor.next_check_time()
    """

    __slots__ = ("_count_to_death", "_interval_start", "_last_received", "count", "interval")

    def __init__(self, interval: float, count: int, now: float) -> None:
        if interval <= 0:
            raise ValueError(f"keepalive interval must be positive, got {interval}")
        if count < 0:
            raise ValueError(f"keepalive count must not be negative, got {count}")
        self.interval = interval
        self.count = count
        self._last_received = now
        self._interval_start = now
        self._count_to_death = count

    @property
    def last_received(self) -> float:
        """Time of the last packet received (or of creation)."""
        return self._last_received

    @property
    def pings_unanswered(self) -> int:
        """PINGs sent since the last packet from the peer."""
        return self.count - self._count_to_death

    def packet_received(self, now: float) -> None:
        """Record that some packet (any type) arrived from the peer at ``now``."""
        self._last_received = now
        self._interval_start = now
        self._count_to_death = self.count

    def next_check_time(self) -> float:
        """When :meth:`check` should run next."""
        return self._interval_start + self.interval

    def check(self, now: float) -> KeepaliveAction:
        """Decide, at ``now``, whether to ping or to declare the peer dead.

        With ``count == 0`` the peer is declared dead after one silent interval
        without any PING, as in libvirt.
        """
        if now - self._interval_start < self.interval:
            return KeepaliveAction.NOTHING
        if self._count_to_death <= 0:
            return KeepaliveAction.DEAD
        self._count_to_death -= 1
        self._interval_start = now
        return KeepaliveAction.SEND_PING
