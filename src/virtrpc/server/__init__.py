"""asyncio RPC server framework: serve any program compiled from a ``.x`` file.

See docs/server.md.  The pieces:

* :class:`Server` - listeners (Unix read-write / read-only, TCP), clients,
  limits, graceful shutdown;
* :class:`ProgramService` - a generated procedure table bound to handlers;
* :class:`CallContext` / :class:`ServerStream` - what a handler gets;
* :class:`RpcFault` - raise it to send a libvirt error reply.
"""

from __future__ import annotations

from virtrpc.server.client import ServerClient, ServerConnection
from virtrpc.server.context import CallContext, Hole, ServerStream
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.server.program import ProgramService, acl_allows_readonly
from virtrpc.server.server import Server, ServerLimits

__all__ = [
    "CallContext",
    "ErrorCode",
    "ErrorDomain",
    "Hole",
    "ProgramService",
    "RpcFault",
    "Server",
    "ServerClient",
    "ServerConnection",
    "ServerLimits",
    "ServerStream",
    "acl_allows_readonly",
]
