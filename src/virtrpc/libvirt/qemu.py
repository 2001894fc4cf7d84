"""libvirt-python's ``libvirt_qemu`` module on virtrpc (the QEMU program's calls)."""

from __future__ import annotations

from typing import Any

from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt import qemu_constants as _qemu_constants
from virtrpc.libvirt._classes import virConnect, virDomain
from virtrpc.libvirt.qemu_constants import *  # noqa: F403 - libvirt_qemu's namespace

__all__ = [
    "qemuAgentCommand", "qemuAttach", "qemuMonitorCommand", "qemuMonitorCommandWithFiles",
    "qemuMonitorEventDeregister", "qemuMonitorEventRegister",
]
__all__ += _qemu_constants.__all__


def qemuMonitorCommand(domain: virDomain, cmd: str, flags: int = 0) -> str:
    """Send ``cmd`` to the domain's QEMU monitor; returns its reply."""
    try:
        result: str = domain._c.domain_monitor_command(dom=domain._o, cmd=cmd, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuMonitorCommand") from None
    return result


def qemuMonitorCommandWithFiles(domain: virDomain, cmd: str, files: list[int] | None = None,
                                flags: int = 0) -> tuple[str, list[int]]:
    """Like :func:`qemuMonitorCommand`, passing ``files`` (fds) and returning
    the reply with the fds QEMU sent back (yours to close)."""
    try:
        result, fds = domain._c.domain_monitor_command_with_files(
            dom=domain._o, cmd=cmd, flags=flags, fds=list(files or []))
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuMonitorCommandWithFiles") from None
    return str(result), list(fds)


def qemuAgentCommand(domain: virDomain, cmd: str, timeout: int, flags: int = 0) -> str | None:
    """Send ``cmd`` to the guest agent."""
    try:
        result: str | None = domain._c.domain_agent_command(
            dom=domain._o, cmd=cmd, timeout=timeout, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuAgentCommand") from None
    return result


def qemuAttach(conn: virConnect, pid_value: int, flags: int = 0) -> virDomain:
    """Attach to a QEMU process started outside libvirt."""
    try:
        wire = conn._c.domain_attach(pid_value=pid_value, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuAttach") from None
    return virDomain(conn, wire)


def qemuMonitorEventRegister(*args: Any, **kwargs: Any) -> int:
    """Not yet provided by virtrpc (events)."""
    raise _rt.not_provided("virConnectDomainQemuMonitorEventRegister")


def qemuMonitorEventDeregister(*args: Any, **kwargs: Any) -> int:
    """Not yet provided by virtrpc (events)."""
    raise _rt.not_provided("virConnectDomainQemuMonitorEventDeregister")


