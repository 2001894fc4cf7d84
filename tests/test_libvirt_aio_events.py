"""The asyncio twin's event registrations follow the blocking API's (and
libvirt-python's) rules: the same registration sequence, run through the real
libvirt-python on Debian's python3 and through ``virtrpc.libvirt.aio`` in
this process against the same private libvirtd, gives the same outcomes
(callback ids from 0 shared across families, duplicates refused, an object of
another connection refused, unknown event ids, deregistering an unknown id or
one of another family, qemu monitor registrations on a daemon without them),
and the events that arrive reach the callbacks (plain or coroutine) alike."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import virtrpc.libvirt.aio as aio
import virtrpc.libvirt.aio.qemu as aio_qemu
from tests.support.fdcount import FdLeakCheck
from tests.support.libvirt_compat import shim_env
from tests.support.peers import PrivateLibvirtd, has_libvirt_python, require_peer

#: How both sides describe a step's outcome (exec'd in each: one definition).
OUTCOME = r'''
def describe(args):
    return repr([a if isinstance(a, (int, str, type(None))) else type(a).__name__
                 for a in args])

def outcome(result=None, error=None):
    if error is None:
        return repr(result if isinstance(result, (int, str, list, type(None)))
                    else type(result).__name__)
    if isinstance(error, libvirt.libvirtError):
        return "error " + repr(error.err)
    return type(error).__name__ + " " + str(error)
'''

#: One step a line: ``name = expression`` binds, ``expression`` shows its outcome.
#: ``show`` is a plain callback, ``later`` a coroutine on the asyncio side;
#: ``wait(n)`` collects n callback calls (sorted: their order across
#: registrations is the event loop's).
STEPS = [
    "conn = libvirt.open(uri)",
    "other = libvirt.open(uri)",
    "ro = libvirt.openReadOnly(uri)",
    "dom = conn.lookupByName('test')",
    "net = conn.networkLookupByName('default')",
    "odom = other.lookupByName('test')",
    "onet = other.networkLookupByName('default')",
    "opool = other.storagePoolLookupByName('default-pool')",
    # ids from 0, shared across families
    "conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, 'all')",
    "conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, show, 'net')",
    "conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, later, 'one')",
    # the same event for the same object (or all objects) again: refused
    "conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, 'x')",
    "conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, 'x')",
    "conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, show, 'x')",
    # an unknown event id: the last error libvirt set (the refusal above), then none
    "conn.domainEventRegisterAny(None, 99, show, None)",
    "libvirt.virResetLastError()",
    "conn.networkEventRegisterAny(None, 42, show, None)",
    # libvirt-python checks no callback: a non-callable one takes an id
    "conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, 42, None)",
    # objects of another connection: refused before an id is taken
    "conn.domainEventRegisterAny(odom, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, show, None)",
    "conn.networkEventRegisterAny(onet, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, show, None)",
    "conn.storagePoolEventRegisterAny(opool, 0, show, None)",
    "conn.storagePoolEventRegisterAny(None, 0, show, 'pool')",
    "conn.nodeDeviceEventRegisterAny(None, 0, show, None)",
    "conn.secretEventRegisterAny(None, 0, show, None)",
    "other.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, later, 'other')",
    # events reach every callback, each with new objects
    "dom.suspend()",
    "dom.resume()",
    "net.destroy()",
    "net.create()",
    "wait(8)",
    # the legacy lifecycle API: one id for all its callbacks, the daemon
    # subscription shared with the lifecycle callback for every domain
    "conn.domainEventRegister(show, 'legacy')",
    "conn.domainEventRegister(later, 'legacy2')",
    "conn.domainEventRegister(show, 'legacy3')",
    "dom.suspend()",
    "dom.resume()",
    "wait(10)",
    "conn.domainEventDeregister(show)",
    "conn.domainEventDeregister(later)",
    "conn.domainEventDeregister(later)",
    "conn.domainEventDeregisterAny(7)",
    "dom.suspend()",
    "dom.resume()",
    "wait(6)",
    # deregistering: unknown ids, ids of another family (dropped locally, the
    # daemon's error), then the daemon still holds that event
    "conn.domainEventDeregisterAny(99)",
    "conn.networkEventDeregisterAny(0)",
    "conn.domainEventDeregisterAny(0)",
    "conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, 'again')",
    "conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, show, None)",
    "conn.networkEventDeregisterAny(1)",
    "conn.networkEventDeregisterAny(1)",
    "conn.storagePoolEventDeregisterAny(3)",
    "conn.nodeDeviceEventDeregisterAny(3)",
    "conn.secretEventDeregisterAny(5)",
    "conn.domainEventDeregisterAny(2)",
    "conn.domainEventDeregisterAny(2)",
    # qemu monitor events: the test driver has none (a refused one uses an id
    # up), a read-only connection is refused before an id, wrong family
    "libvirt_qemu.qemuMonitorEventRegister(conn, None, None, show, None, 0)",
    "conn.secretEventRegisterAny(None, 1, show, None)",
    "libvirt_qemu.qemuMonitorEventRegister(ro, None, 'SHUTDOWN', show, None, 0)",
    "ro.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, 'ro')",
    "libvirt_qemu.qemuMonitorEventDeregister(conn, 8)",
    "libvirt_qemu.qemuMonitorEventDeregister(conn, 8)",
    "libvirt_qemu.qemuMonitorEventDeregister(conn, 'x')",
    "conn.domainEventDeregisterAny(7)",
    # after every deregistration, only the other connections' callbacks run
    "dom.suspend()",
    "dom.resume()",
    "wait(4)",
    # (what close() returns is not the events' business)
    "closed = conn.close()",
    "closed = other.close()",
    "closed = ro.close()",
]

REAL = r"""
import json, signal, sys, libvirt, libvirt_qemu
signal.alarm(20)  # a lost event must fail the run, not hang it
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
exec(sys.argv[3])
got = []

def show(*args):
    got.append(describe(args))

def later(*args):  # another callback (a coroutine on the asyncio side)
    show(*args)

def wait(count):
    while len(got) < count:
        libvirt.virEventRunDefaultImpl()
    out = sorted(got)
    got.clear()
    return out

names = {"libvirt": libvirt, "libvirt_qemu": libvirt_qemu, "uri": sys.argv[1],
         "show": show, "later": later, "wait": wait}
for step in json.loads(sys.argv[2]):
    name, _sep, expression = step.rpartition(" = ")
    try:
        result = eval(expression, names)
    except Exception as e:
        print(outcome(error=e))
        continue
    if name:
        names[name] = result
    else:
        print(outcome(result))
"""


def _script_outcomes(uri: str, env: dict[str, str] | None = None) -> list[str]:
    """The steps on /usr/bin/python3: the real libvirt-python, or (``env``
    from shim_env) virtrpc's blocking API."""
    out = subprocess.run(["/usr/bin/python3", "-c", REAL, uri, json.dumps(STEPS), OUTCOME],
                         capture_output=True, text=True, timeout=30, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


async def _aio_outcomes(uri: str) -> list[str]:
    names: dict[str, Any] = {"libvirt": aio, "libvirt_qemu": aio_qemu, "uri": uri}
    exec(OUTCOME, names)
    describe: Callable[[tuple[Any, ...]], str] = names["describe"]
    outcome: Callable[..., str] = names["outcome"]
    got: list[str] = []
    arrived = asyncio.Event()
    loop = asyncio.get_running_loop()

    def show(*args: Any) -> None:
        assert asyncio.get_running_loop() is loop
        got.append(describe(args))
        arrived.set()

    async def later(*args: Any) -> None:
        await asyncio.sleep(0)  # a coroutine that really suspends before it records
        show(*args)

    async def wait(count: int) -> list[str]:
        while len(got) < count:
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 10)
        out = sorted(got)
        got.clear()
        return out

    names.update(show=show, later=later, wait=wait)
    lines = []
    for step in STEPS:
        name, _sep, expression = step.rpartition(" = ")
        try:
            result = eval(expression, names)
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:
            lines.append(outcome(error=e))
            continue
        if name:
            names[name] = result
        else:
            lines.append(outcome(result))
    return lines


@pytest.fixture
def daemon(libvirtd: PrivateLibvirtd) -> Iterator[PrivateLibvirtd]:
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    aio.registerErrorHandler(lambda ctx, err: None, None)
    try:
        yield libvirtd
    finally:
        aio.registerErrorHandler(None, None)


async def test_registration_sequence_as_libvirt_python(daemon: PrivateLibvirtd,
                                                        fd_leak_check: FdLeakCheck) -> None:
    real = await asyncio.to_thread(_script_outcomes, daemon.uri)
    # events did arrive
    assert any("\"['virConnect', 'virDomain', 3, 0, 'one']\"" in line for line in real)
    assert any("already tracked" in line for line in real)
    assert any("must match connection" in line for line in real)
    ours = await _aio_outcomes(daemon.uri)
    assert ours == real


def test_blocking_api_runs_the_same_sequence(daemon: PrivateLibvirtd) -> None:
    """The same steps through virtrpc's blocking API (shared registry) as well."""
    assert _script_outcomes(daemon.uri, shim_env()) == _script_outcomes(daemon.uri)


async def test_callback_ids_count_per_connection_from_zero(daemon: PrivateLibvirtd) -> None:
    """Each connection counts its own ids; refusals before an id is taken
    leave no gap, a refusal by the daemon does."""
    conn = await aio.open(daemon.uri)
    other = await aio.open(daemon.uri)
    try:
        ids = [await conn.domainEventRegisterAny(None, 0, _ignore, None),
               await other.networkEventRegisterAny(None, 0, _ignore, None)]
        with pytest.raises(aio.libvirtError, match="already tracked"):
            await conn.domainEventRegisterAny(None, 0, _ignore, None)
        with pytest.raises(aio.libvirtError):
            await aio_qemu.qemuMonitorEventRegister(conn, None, None, _ignore, None)
        ids.append(await conn.storagePoolEventRegisterAny(None, 0, _ignore, None))
        assert ids == [0, 0, 2]
    finally:
        await conn.close()
        await other.close()


def _ignore(*args: Any) -> None:
    pass


def test_steps_are_well_formed() -> None:
    """Every step binds a name or is an expression (a typo would make both
    sides print the same SyntaxError and compare equal)."""
    for step in STEPS:
        _name, _sep, expression = step.rpartition(" = ")
        compile(expression, step, "eval")
        assert re.fullmatch(r"(\w+ = )?[\w.]+\(.*\)", step), step



async def test_failing_callbacks_are_printed_and_the_others_still_run(
        daemon: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]) -> None:
    """A callback that raises (plain or coroutine) or is no callable is
    printed, as libvirt-python prints it; the connection's other callbacks
    still get their events, on the running loop."""
    conn = await aio.open(daemon.uri)
    try:
        dom = await conn.lookupByName("test")
        net = await conn.networkLookupByName("default")
        pool = await conn.storagePoolLookupByName("default-pool")
        got: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def plain_failure(*args: Any) -> None:
            raise RuntimeError("plain callback failed")

        async def coroutine_failure(*args: Any) -> None:
            raise RuntimeError("coroutine callback failed")

        async def record(c: Any, n: Any, event: int, detail: int, opaque: Any) -> None:
            assert asyncio.get_running_loop() is loop
            await got.put((c is conn, await n.name(), event, opaque))

        lifecycle = aio.VIR_DOMAIN_EVENT_ID_LIFECYCLE
        assert await conn.domainEventRegisterAny(None, lifecycle, plain_failure, None) == 0
        assert await conn.domainEventRegisterAny(dom, lifecycle, coroutine_failure, None) == 1
        not_callable: Any = 42
        assert await conn.storagePoolEventRegisterAny(None, 0, not_callable, None) == 2
        assert await conn.networkEventRegisterAny(None, 0, record, "seen") == 3
        await dom.suspend()
        await pool.destroy()
        await net.destroy()
        # one connection delivers in the daemon's order: the earlier events'
        # callbacks ran (a coroutine's as a task) before this one's
        assert await asyncio.wait_for(got.get(), 10) == (
            True, "default", aio.VIR_NETWORK_EVENT_STOPPED, "seen")
        await asyncio.gather(*conn._tasks, return_exceptions=True)
        await net.create()
        await pool.create()
        await dom.resume()
        await conn.domainEventDeregisterAny(0)
        await conn.domainEventDeregisterAny(1)
        await conn.storagePoolEventDeregisterAny(2)
    finally:
        await conn.close()
    err = capsys.readouterr().err
    assert "plain callback failed" in err
    assert "coroutine callback failed" in err
    assert "'int' object is not callable" in err
