"""The former home of :class:`~virtrpc.server.connection.ServerConnection`
(re-exported here for code that imports it from this module)."""

from __future__ import annotations

from virtrpc.server.connection import ServerClient, ServerConnection, encode_error

__all__ = ["ServerClient", "ServerConnection", "encode_error"]
