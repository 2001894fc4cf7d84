"""The one place tests look inside an asyncio :class:`~virtrpc.client.Client`.

Some tests must observe state the client's public API does not show: which
transport it runs on, how many replies it still awaits, which streams and
event subscriptions it still holds (leak checks after cancellations, aborts
and closes).  Each accessor names what it observes; none changes anything.
They read private attributes, so when the client is restructured or grows a
public read-only view (a ``transport`` property, a count of awaited replies)
only this module changes, not the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from virtrpc.client.client import Client
from virtrpc.client.events import EventFamily
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
    transport = client._transport
    assert transport is not None, "the client has no transport"
    return transport


def replies_awaited(client: Client) -> int:
    """How many callers still wait for a reply."""
    return len(client._waiters)


def calls_in_flight(client: Client) -> int:
    """How many calls the protocol core still expects a reply to (a cancelled
    caller's call stays here until its late reply is dropped)."""
    return client._conn.pending_calls


def open_streams(client: Client) -> Mapping[int, Stream]:
    """The client's streams still registered, by serial."""
    return client._streams


def subscriptions(client: Client) -> Mapping[tuple[EventFamily, int], Any]:
    """The client's event subscriptions still registered, by (family, callback id)."""
    return client._subscriptions


def keepalive_timer(client: Client) -> object:
    """What schedules the client's keepalive pings (None without keepalive)."""
    return client._keepalive_handle
