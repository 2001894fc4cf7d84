"""The asyncio versions of the runtime helpers that talk to the daemon
(:data:`virtrpc.apigen.emit.IO_HELPERS`); the generated aio methods await them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from virtrpc.libvirt import _runtime as _rt
from virtrpc.protocols import remote as _remote

if TYPE_CHECKING:
    from virtrpc.libvirt.aio._objects import virConnectBase

__all__ = ["cpumap_bytes", "cpumap_len", "cpumaps", "domain_cpu_stats", "domain_migrate",
           "domain_migrate_to_uri", "guest_vcpus", "host_cpus", "none_on_failure", "probe", "refresh_id",
           "vcpus"]


async def probe(fn: Callable[..., Any], **kwargs: Any) -> Any:
    count = (await fn(nparams=0, **kwargs)).nparams
    return await fn(nparams=count, **kwargs)


async def host_cpus(conn: virConnectBase) -> int:
    if conn._host_cpus is None:
        try:
            reply = await conn._c.node_get_cpu_map(need_map=0, need_online=0, flags=0)
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetCPUMap") from None
        conn._host_cpus = int(reply.ret)
    return conn._host_cpus


async def cpumap_len(conn: virConnectBase) -> int:
    return (await host_cpus(conn) + 7) // 8


async def cpumaps(raw: bytes, count: int, conn: virConnectBase) -> list[tuple[bool, ...]]:
    cpus = await host_cpus(conn)
    maplen = (cpus + 7) // 8
    return [
        tuple(bool(raw[i * maplen + cpu // 8] & (1 << (cpu % 8))) for cpu in range(cpus))
        for i in range(count)
    ]


async def vcpus(reply: _remote.RemoteDomainGetVcpusRet, conn: virConnectBase
                ) -> tuple[list[tuple[int, int, int, int]], list[tuple[bool, ...]]]:
    info = [(v.number, v.state, v.cpu_time, v.cpu) for v in reply.info]
    return info, await cpumaps(reply.cpumaps, len(info), conn)


async def cpumap_bytes(cpumap: Sequence[bool], conn: virConnectBase) -> bytes:
    if not isinstance(cpumap, (tuple, list)):
        raise TypeError(f"cpumap must be a tuple of bools, not {type(cpumap).__name__}")
    cpus = await host_cpus(conn)
    raw = bytearray((cpus + 7) // 8)
    for cpu, used in enumerate(cpumap[:cpus]):
        if used:
            raw[cpu // 8] |= 1 << (cpu % 8)
    return bytes(raw)


async def refresh_id(dom: Any) -> int:
    try:
        dom._o = await dom._c.domain_lookup_by_uuid(uuid=dom._o.uuid)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainCreate") from None
    return 0


async def domain_cpu_stats(dom: Any, total: bool, flags: int) -> list[dict[str, int]]:
    get = dom._c.domain_get_cpu_stats
    try:
        if total:
            n = (await get(dom=dom._o, nparams=0, start_cpu=-1, ncpus=1, flags=flags)).nparams
            r = await get(dom=dom._o, nparams=n, start_cpu=-1, ncpus=1, flags=flags)
            return [{p.field: int(p.value.value) for p in r.params}]
        ncpus = (await get(dom=dom._o, nparams=0, start_cpu=0, ncpus=0, flags=flags)).nparams
        n = (await get(dom=dom._o, nparams=0, start_cpu=0, ncpus=1, flags=flags)).nparams
        r = await get(dom=dom._o, nparams=n, start_cpu=0, ncpus=ncpus, flags=flags)
    except _rt.VirtrpcError as e:
        raise _rt.translate(e, "virDomainGetCPUStats") from None
    chunks = [r.params[i * n:(i + 1) * n] for i in range(ncpus)] if n else [[]] * ncpus
    return [{p.field: int(p.value.value) for p in chunk} for chunk in chunks]


async def guest_vcpus(dom: Any, flags: int) -> dict[str, _rt.TypedValue] | None:
    try:
        return _rt.params_dict(await dom._c.domain_get_guest_vcpus(dom=dom._o, flags=flags))
    except _rt.VirtrpcError as e:
        _rt.translate(e, "virDomainGetGuestVcpus")
        return None


async def none_on_failure(obj: Any, proc: str, cname: str, **kwargs: Any) -> Any:
    """:func:`virtrpc.libvirt._runtime.none_on_failure` for the asyncio classes."""
    try:
        return await getattr(obj._c, proc)(**kwargs)
    except _rt.VirtrpcError as e:
        _rt.translate(e, cname)
        return None


async def domain_migrate(*args: Any) -> Any:
    """virDomainMigrate/2/3 (see :mod:`virtrpc.libvirt._migration`)."""
    from virtrpc.libvirt._migration import domain_migrate_async

    return await domain_migrate_async(*args)


async def domain_migrate_to_uri(*args: Any) -> int:
    """virDomainMigrateToURI/2/3 (see :mod:`virtrpc.libvirt._migration`)."""
    from virtrpc.libvirt._migration import domain_migrate_to_uri_async

    return await domain_migrate_to_uri_async(*args)
