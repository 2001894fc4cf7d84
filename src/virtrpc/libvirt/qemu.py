"""libvirt-python's ``libvirt_qemu`` module on virtrpc (the QEMU program's calls)."""

from __future__ import annotations

from collections.abc import Callable
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

_VIR_ERR_OPERATION_DENIED = 29


def qemuMonitorCommand(domain: virDomain, cmd: str, flags: int) -> str:
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


def qemuAgentCommand(domain: virDomain, cmd: str, timeout: int, flags: int) -> str | None:
    """Send ``cmd`` to the guest agent."""
    try:
        result: str | None = domain._c.domain_agent_command(
            dom=domain._o, cmd=cmd, timeout=timeout, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuAgentCommand") from None
    return result


def qemuAttach(conn: virConnect, pid_value: int, flags: int) -> virDomain:
    """Attach to a QEMU process started outside libvirt."""
    try:
        wire = conn._c.domain_attach(pid_value=pid_value, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuAttach") from None
    return virDomain(conn, wire)


def _check_register_arguments(conn: Any, event: str | None, flags: int, cname: str) -> None:
    """What libvirt-python and libvirt check before registering: the argument
    types, then (in libvirt, before any callback id is taken) read-only."""
    if event is not None and not isinstance(event, str):
        raise TypeError(f"{cname}() argument 3 must be str or None, not {type(event).__name__}")
    if not isinstance(flags, int):
        raise TypeError(f"'{type(flags).__name__}' object cannot be interpreted as an integer")
    if conn._c.readonly:
        raise _rt.raise_error(_VIR_ERR_OPERATION_DENIED, _rt.VIR_FROM_NONE,
                              f"operation forbidden: read only access prevents {cname}", cname)


def qemuMonitorEventRegister(conn: virConnect, dom: virDomain | None, event: str | None,
                             cb: Callable[[virConnect, virDomain, str, int, int, str | None, Any],
                                          object],
                             opaque: Any, flags: int = 0) -> int:
    """Call ``cb(conn, dom, event, seconds, micros, details, opaque)`` for
    each QMP event of ``dom`` (None: every domain) named ``event`` (None:
    every event; VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX and
    _NOCASE change how it matches) in the registered event loop.  Returns the
    callback id, numbered with the connection's other event callbacks."""
    cname = "virConnectDomainQemuMonitorEventRegister"
    _check_register_arguments(conn, event, flags, cname)
    return conn._register("qemu_monitor", dom, 0, cb, opaque, cname, qemu=(event, flags))


def qemuMonitorEventDeregister(conn: virConnect, callbackID: int) -> None:
    """Remove the callback that qemuMonitorEventRegister returned ``callbackID`` for."""
    if not isinstance(callbackID, int):
        raise TypeError(f"'{type(callbackID).__name__}' object cannot be interpreted as an"
                        " integer")
    conn._deregister("qemu_monitor", callbackID, "virConnectDomainQemuMonitorEventDeregister")
