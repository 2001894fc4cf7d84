"""libvirt-python's ``libvirtaio`` module: not yet provided by virtrpc.

The names exist (programs import them); using them raises libvirtError
VIR_ERR_NO_SUPPORT until virtrpc's libvirt-compatible event loop is written.
"""

from __future__ import annotations

from typing import Any

from virtrpc.libvirt import _runtime as _rt

__all__ = ["getCurrentImpl", "virEventAsyncIOImpl", "virEventRegisterAsyncIOImpl"]


class virEventAsyncIOImpl:
    """libvirt's event loop on asyncio (not yet provided)."""

    def __init__(self, loop: Any = None) -> None:
        raise _rt.not_provided("virEventAsyncIOImpl")


def virEventRegisterAsyncIOImpl(loop: Any = None) -> virEventAsyncIOImpl:
    """Not yet provided by virtrpc."""
    raise _rt.not_provided("virEventRegisterAsyncIOImpl")


def getCurrentImpl() -> virEventAsyncIOImpl | None:
    """The registered implementation: none (not yet provided)."""
    return None
