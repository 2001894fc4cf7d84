"""What tests observe of an asyncio :class:`~virtrpc.client.Client`, through
its public read-only introspection (``transport``, ``replies_awaited``,
``calls_in_flight``, ``streams``, ``subscriptions``, ``keepalive_timer``).

Some tests must observe state the calls themselves do not show: which
transport the client runs on, how many replies it still awaits, which
streams and event subscriptions it still holds (leak checks after
cancellations, aborts and closes).  Each accessor names what it observes;
none changes anything, and none reads private state.
"""

from __future__ import annotations

from collections.abc import Mapping

from virtrpc.client.client import Client
from virtrpc.client.events import EventFamily, Subscription
from virtrpc.client.stream import Stream
from virtrpc.transport.base import Transport

__all__ = [
    "calls_in_flight",
    "keepalive_timer",
    "open_streams",
    "replies_awaited",
    "subscriptions",
    "transport_of",
]


def transport_of(client: Client) -> Transport:
    """The transport the client writes to (fails the test when it has none)."""
    transport = client.transport
    assert transport is not None, "the client has no transport"
    return transport


def replies_awaited(client: Client) -> int:
    """How many callers still wait for a reply."""
    return client.replies_awaited


def calls_in_flight(client: Client) -> int:
    """How many calls the protocol core still expects a reply to (a cancelled
    caller's call stays here until its late reply is dropped)."""
    return client.calls_in_flight


def open_streams(client: Client) -> Mapping[int, Stream]:
    """The client's streams still registered, by serial."""
    return client.streams


def subscriptions(client: Client) -> Mapping[tuple[EventFamily, int], Subscription]:
    """The client's event subscriptions still registered, by (family, callback id)."""
    return client.subscriptions


def keepalive_timer(client: Client) -> object:
    """What schedules the client's keepalive pings (None without keepalive)."""
    return client.keepalive_timer
