"""virtrpc: a pure-Python, asyncio-native implementation of libvirt's RPC protocol.

Heavy submodules are imported lazily so that ``import virtrpc`` stays cheap.
"""

# No ``from __future__ import annotations`` and no ``from typing import ...``
# here: either would leave a name (``annotations``, ``Any``) in the package's
# namespace, and ``dir(virtrpc)`` is part of what users explore.
import typing as _typing

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

if _typing.TYPE_CHECKING:
    from virtrpc.client import connect, connect_admin
    from virtrpc.errors import LibvirtError

_LAZY = {
    "connect": ("virtrpc.client", "connect"),
    "connect_admin": ("virtrpc.client", "connect_admin"),
    "LibvirtError": ("virtrpc.errors", "LibvirtError"),
}


def __getattr__(name: str) -> object:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'virtrpc' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API only (what ``__all__`` names), lazy names included."""
    return sorted(__all__)
