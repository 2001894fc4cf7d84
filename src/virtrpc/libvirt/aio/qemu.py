"""``libvirt_qemu`` for the asyncio twin: the QEMU program's calls as
coroutines, and QEMU monitor event callbacks on the running loop.

::

    import virtrpc.libvirt.aio.qemu as libvirt_qemu

    reply = await libvirt_qemu.qemuMonitorCommand(dom, '{"execute": "query-status"}', 0)
    cid = await libvirt_qemu.qemuMonitorEventRegister(conn, dom, "SHUTDOWN", cb, None)

The registration rules are the blocking module's (and libvirt's, in
:mod:`virtrpc.libvirt._eventregistry`, which both share): callback
ids are the connection's, shared with its other event families (a refused
registration uses one up, as in libvirt); one callback per domain (or for
all domains) whatever the event name; read-only connections are refused
before an id is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt import qemu_constants as _qemu_constants
from virtrpc.libvirt.aio._classes import virConnect, virDomain
from virtrpc.libvirt.qemu import _check_register_arguments
from virtrpc.libvirt.qemu_constants import *  # noqa: F403 - libvirt_qemu's namespace

__all__ = [
    "qemuAgentCommand", "qemuAttach", "qemuMonitorCommand", "qemuMonitorCommandWithFiles",
    "qemuMonitorEventDeregister", "qemuMonitorEventRegister",
]
__all__ += _qemu_constants.__all__

MonitorCallback = Callable[[virConnect, virDomain, str, int, int, "str | None", Any], object]


async def qemuMonitorCommand(domain: virDomain, cmd: str, flags: int) -> str:
    """Send ``cmd`` to the domain's QEMU monitor; returns its reply."""
    try:
        result: str = await domain._c.domain_monitor_command(dom=domain._o, cmd=cmd, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuMonitorCommand") from None
    return result


async def qemuMonitorCommandWithFiles(domain: virDomain, cmd: str, files: list[int] | None = None,
                                      flags: int = 0) -> tuple[str, list[int]]:
    """Like :func:`qemuMonitorCommand`, passing ``files`` (fds) and returning
    the reply with the fds QEMU sent back (yours to close)."""
    try:
        result, fds = await domain._c.domain_monitor_command_with_files(
            dom=domain._o, cmd=cmd, flags=flags, fds=list(files or []))
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuMonitorCommandWithFiles") from None
    return str(result), list(fds)


async def qemuAgentCommand(domain: virDomain, cmd: str, timeout: int, flags: int
                           ) -> str | None:
    """Send ``cmd`` to the guest agent."""
    try:
        result: str | None = await domain._c.domain_agent_command(
            dom=domain._o, cmd=cmd, timeout=timeout, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuAgentCommand") from None
    return result


async def qemuAttach(conn: virConnect, pid_value: int, flags: int) -> virDomain:
    """Attach to a QEMU process started outside libvirt."""
    try:
        wire = await conn._c.domain_attach(pid_value=pid_value, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainQemuAttach") from None
    return virDomain(conn, wire)


async def qemuMonitorEventRegister(conn: virConnect, dom: virDomain | None, event: str | None,
                                   cb: MonitorCallback, opaque: Any, flags: int = 0) -> int:
    """``cb(conn, dom, event, seconds, micros, details, opaque)`` (may be a
    coroutine) on the running loop for each QMP event of ``dom`` (None: every
    domain) matching ``event`` (None: every event); returns the callback id."""
    cname = "virConnectDomainQemuMonitorEventRegister"
    _check_register_arguments(conn, event, flags, cname)
    return await conn._register("qemu_monitor", dom, 0, cb, opaque, cname, qemu=(event, flags))


async def qemuMonitorEventDeregister(conn: virConnect, callbackID: int) -> None:
    """Remove the callback that qemuMonitorEventRegister returned ``callbackID`` for."""
    if not isinstance(callbackID, int):
        raise TypeError(f"'{type(callbackID).__name__}' object cannot be interpreted as an"
                        " integer")
    await conn._deregister("qemu_monitor", callbackID,
                           "virConnectDomainQemuMonitorEventDeregister")
