"""Blocking libvirt client: ``with virtrpc.sync.connect(uri) as client: ...``.

A thin re-export of :mod:`virtrpc.client.sync` (see there for the design).
"""

from __future__ import annotations

from virtrpc.client.sync import SyncClient, SyncStream, SyncSubscription, connect

__all__ = ["SyncClient", "SyncStream", "SyncSubscription", "connect"]
