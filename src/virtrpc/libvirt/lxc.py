"""libvirt-python's ``libvirt_lxc`` module on virtrpc."""

from __future__ import annotations

from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt._classes import virDomain

__all__ = ["lxcEnterCGroup", "lxcOpenNamespace"]


def lxcOpenNamespace(domain: virDomain, flags: int) -> list[int]:
    """The container's namespace fds (yours to close)."""
    try:
        _value, fds = domain._c.domain_open_namespace(dom=domain._o, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainLxcOpenNamespace") from None
    return list(fds)


def lxcEnterCGroup(domain: virDomain, flags: int) -> int:
    """Not provided: it moves the calling process into the container's cgroup
    on the local host, which a remote client cannot do."""
    raise _rt.not_provided("virDomainLxcEnterCGroup")
