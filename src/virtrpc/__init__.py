"""virtrpc: a pure-Python, asyncio-native implementation of libvirt's RPC protocol.

Heavy submodules are imported lazily so that ``import virtrpc`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virtrpc.errors import (
    BadFileDescriptor,
    ConnectError,
    ConnectionLost,
    ProtocolError,
    StreamError,
    VirtrpcError,
    XdrError,
)

__version__ = "0.1.0"

__all__ = [
    "BadFileDescriptor",
    "ConnectError",
    "ConnectionLost",
    "LibvirtError",
    "ProtocolError",
    "StreamError",
    "VirtrpcError",
    "XdrError",
    "__version__",
    "connect",
    "connect_admin",
]

if TYPE_CHECKING:
    from virtrpc.client import connect, connect_admin
    from virtrpc.client.errors import LibvirtError

_LAZY = {
    "connect": ("virtrpc.client", "connect"),
    "connect_admin": ("virtrpc.client", "connect_admin"),
    "LibvirtError": ("virtrpc.client.errors", "LibvirtError"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'virtrpc' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
