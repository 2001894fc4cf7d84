"""virtrpc.libvirt.aio, the asyncio twin: the same calls give the same
results as the blocking virtrpc.libvirt (itself checked against the real
libvirt-python by test_libvirt_differential.py); events with coroutine
callbacks on the running loop; streams; calls in flight together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import virtrpc.libvirt as blocking
import virtrpc.libvirt.aio as aio
from tests.support.fdcount import FdLeakCheck
from tests.support.peers import PrivateLibvirtd

#: (object, method, arguments): read-only calls, results compared
CALLS: list[tuple[str, str, tuple[Any, ...]]] = [
    ("conn", "getInfo", ()), ("conn", "getType", ()), ("conn", "getLibVersion", ()),
    ("conn", "getHostname", ()), ("conn", "getURI", ()), ("conn", "getCapabilities", ()),
    ("conn", "listDomainsID", ()), ("conn", "listDefinedDomains", ()),
    ("conn", "listAllDomains", ()), ("conn", "listNetworks", ()),
    ("conn", "listAllStoragePools", ()), ("conn", "listAllDevices", ()),
    ("conn", "getCellsFreeMemory", (0, 2)), ("conn", "getCPUMap", ()),
    ("conn", "getAllDomainStats", ()), ("conn", "lookupByName", ("nosuch",)),
    ("conn", "lookupByUUIDString", ("bad",)), ("conn", "isAlive", ()),
    ("dom", "info", ()), ("dom", "state", ()), ("dom", "name", ()), ("dom", "ID", ()),
    ("dom", "UUID", ()), ("dom", "UUIDString", ()), ("dom", "XMLDesc", ()),
    ("dom", "schedulerType", ()), ("dom", "schedulerParameters", ()),
    ("dom", "memoryParameters", ()), ("dom", "blkioParameters", ()), ("dom", "vcpus", ()),
    ("dom", "vcpuPinInfo", ()), ("dom", "emulatorPinInfo", ()), ("dom", "memoryStats", ()),
    ("dom", "isActive", ()), ("dom", "autostart", ()), ("dom", "snapshotListNames", ()),
    ("dom", "interfaceAddresses", (0,)), ("dom", "fsInfo", ()), ("dom", "diskErrors", ()),
    ("dom", "getCPUStats", (True,)), ("dom", "guestVcpus", ()),
    ("net", "XMLDesc", ()), ("net", "isActive", ()), ("net", "UUIDString", ()),
    ("pool", "info", ()), ("pool", "listVolumes", ()),
]
VOLATILE = {"info", "getCPUStats", "vcpus"}


def normal(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if hasattr(value, "_o"):
        return type(value).__name__, getattr(value._o, "name", None)
    return value


def masked(method: str, value: Any) -> Any:
    if method not in VOLATILE:
        return value
    if method == "info":  # ("list", [state, maxmem, memory, vcpus, cputime])
        return value[0], value[1][:4]
    return value[0]


@pytest.fixture(scope="module")
def daemon(module_libvirtd: PrivateLibvirtd) -> PrivateLibvirtd:
    """This module's private libvirtd (the shared module_libvirtd fixture)."""
    return module_libvirtd


def outcome(call: Any) -> Any:
    try:
        return normal(call())
    except blocking.libvirtError as e:
        return "libvirtError", e.err


async def aoutcome(call: Any) -> Any:
    try:
        return normal(await call())
    except blocking.libvirtError as e:
        return "libvirtError", e.err


async def test_same_results_as_the_blocking_api(daemon: PrivateLibvirtd) -> None:
    blocking.registerErrorHandler(lambda ctx, err: None, None)
    try:
        conn = blocking.open(daemon.uri)
        objects = {"conn": conn, "dom": conn.lookupByName("test"),
                   "net": conn.networkLookupByName("default"),
                   "pool": conn.storagePoolLookupByName("default-pool")}
        expected = [masked(m, outcome(lambda o=o, m=m, a=a: getattr(objects[o], m)(*a)))
                    for o, m, a in CALLS]
        conn.close()
        aconn = await aio.open(daemon.uri)
        aobjects = {"conn": aconn, "dom": await aconn.lookupByName("test"),
                    "net": await aconn.networkLookupByName("default"),
                    "pool": await aconn.storagePoolLookupByName("default-pool")}
        got = [masked(m, await aoutcome(lambda o=o, m=m, a=a: getattr(aobjects[o], m)(*a)))
               for o, m, a in CALLS]
        await aconn.close()
    finally:
        blocking.registerErrorHandler(None, None)
    differences = {f"{o}.{m}": (e, g) for (o, m, _a), e, g in zip(CALLS, expected, got,
                                                                  strict=True) if e != g}
    assert differences == {}
    assert ("libvirtError", (42, 12, "Domain not found", 2, "Domain not found", None, None,
                             -1, -1)) in got


async def test_events_call_coroutines_on_the_running_loop(daemon: PrivateLibvirtd) -> None:
    conn = await aio.open(daemon.uri)
    dom = await conn.lookupByName("test")
    seen: list[Any] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def lifecycle(c: Any, d: Any, event: int, detail: int, opaque: Any) -> None:
        assert asyncio.get_running_loop() is loop
        seen.append((c is conn, await d.name(), event, detail, opaque))
        if len(seen) == 2:
            done.set()

    callback_id = await conn.domainEventRegisterAny(
        None, aio.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle, "opaque")
    assert callback_id == 0
    with pytest.raises(aio.libvirtError, match="already tracked"):
        await conn.domainEventRegisterAny(None, aio.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          lifecycle, None)
    await dom.suspend()
    await dom.resume()
    await asyncio.wait_for(done.wait(), 10)
    assert seen == [(True, "test", aio.VIR_DOMAIN_EVENT_SUSPENDED, 0, "opaque"),
                    (True, "test", aio.VIR_DOMAIN_EVENT_RESUMED, 0, "opaque")]
    await conn.domainEventDeregisterAny(callback_id)
    with pytest.raises(aio.libvirtError, match="not registered"):
        await conn.domainEventDeregisterAny(callback_id)
    await conn.close()


async def test_streams_and_calls_in_flight_together(daemon: PrivateLibvirtd) -> None:
    conn = await aio.open(daemon.uri)
    dom = await conn.lookupByName("test")
    stream = await conn.newStream()
    assert await dom.screenshot(stream, 0, 0) == "image/png"
    chunks: list[bytes] = []

    async def sink(s: Any, data: bytes, acc: list[bytes]) -> int:
        acc.append(data)
        return 0

    await stream.recvAll(sink, chunks)
    assert b"".join(chunks).startswith(b"\x89PNG")
    infos = await asyncio.gather(*(dom.info() for _ in range(20)))
    assert all(info[:4] == infos[0][:4] for info in infos)
    await dom.destroy()
    assert await dom.ID() == -1
    await dom.create()
    assert await dom.ID() > 0
    await conn.close()


async def test_argument_errors_are_type_errors(daemon: PrivateLibvirtd) -> None:
    async with await aio.open(daemon.uri) as conn:
        with pytest.raises(TypeError):
            await conn.lookupByName(5)  # type: ignore[arg-type]
        assert await conn.isAlive() == 1


def test_connections_leak_no_fds(daemon: PrivateLibvirtd, fd_leak_check: FdLeakCheck) -> None:
    """Closed, garbage-collected and failed connections, blocking or asyncio,
    streams and event callbacks included, leave no fd behind."""
    import gc

    blocking.registerErrorHandler(lambda ctx, err: None, None)
    try:
        warm = blocking.open(daemon.uri)  # the first connection sets up lazily-made fds
        warm.close()
        with fd_leak_check():
            for _ in range(5):
                conn = blocking.open(daemon.uri)
                dom = conn.lookupByName("test")
                stream = conn.newStream()
                dom.screenshot(stream, 0, 0)
                stream.recvAll(lambda s, d, o: 0, None)
                conn.close()
            dropped = blocking.open(daemon.uri)
            dropped.listAllDomains()
            del dropped  # libvirt-python closes a connection when its last reference goes
            gc.collect()
            with pytest.raises(blocking.libvirtError):
                blocking.open(daemon.uri.replace("libvirt-sock", "no-such-sock"))

            async def asyncio_side() -> None:
                for _ in range(3):
                    conn = await aio.open(daemon.uri)
                    dom = await conn.lookupByName("test")
                    cid = await conn.domainEventRegisterAny(dom, 0, lambda *a: None, None)
                    await conn.domainEventDeregisterAny(cid)
                    await conn.close()

            asyncio.run(asyncio_side())
    finally:
        blocking.registerErrorHandler(None, None)
