"""The asyncio libvirt client (see docs/client.md).

``client = await virtrpc.client.connect(uri)`` (also ``virtrpc.connect``).
Submodules are imported lazily so that ``virtrpc.client.errors`` and
``virtrpc.client.uri`` stay cheap to import (no generated protocol tables).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "AdminClient",
    "CallResult",
    "Client",
    "ConnectOperation",
    "Event",
    "EventFamily",
    "Hole",
    "LibvirtURI",
    "Stream",
    "Subscription",
    "connect",
    "connect_admin",
    "parse_uri",
]

if TYPE_CHECKING:
    from virtrpc.client.admin import AdminClient, connect_admin
    from virtrpc.client.client import CallResult, Client, ConnectOperation, connect
    from virtrpc.client.events import Event, EventFamily, Subscription
    from virtrpc.client.stream import Hole, Stream
    from virtrpc.client.uri import LibvirtURI, parse_uri

_LAZY = {
    "AdminClient": "virtrpc.client.admin",
    "connect_admin": "virtrpc.client.admin",
    "CallResult": "virtrpc.client.client",
    "Client": "virtrpc.client.client",
    "ConnectOperation": "virtrpc.client.client",
    "connect": "virtrpc.client.client",
    "Event": "virtrpc.client.events",
    "EventFamily": "virtrpc.client.events",
    "Subscription": "virtrpc.client.events",
    "Hole": "virtrpc.client.stream",
    "Stream": "virtrpc.client.stream",
    "LibvirtURI": "virtrpc.client.uri",
    "parse_uri": "virtrpc.client.uri",
}


def __getattr__(name: str) -> Any:
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'virtrpc.client' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
