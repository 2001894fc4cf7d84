"""QEMU monitor events (``libvirt_qemu.qemuMonitorEventRegister`` and
``qemuMonitorEventDeregister``), blocking and asyncio.

libvirtd's test driver has no QEMU, so on a private libvirtd the real
libvirt-python only ever gets errors: one script, run on it and under
``virtrpc run``, must print the same (codes, domains, messages, and the
callback ids that refused registrations use up).  The success path runs
against a fake daemon in this module: virtrpc's test hypervisor plus the
qemu program, whose ``domain_monitor_command`` handler emits the monitor
event the command names (``emit EVENT DETAILS``) before it answers, so the
event is in flight once the command returns: no sleeping."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import virtrpc.libvirt.aio as aio
import virtrpc.libvirt.aio.qemu as aio_qemu
import virtrpc.libvirt.qemu as blocking_qemu
from tests.support.libvirt_compat import REPO, shim_env
from tests.support.peers import PrivateLibvirtd, find_libvirtd, has_libvirt_python, require_peer
from virtrpc.protocols import qemu as qemu_protocol
from virtrpc.protocols import remote
from virtrpc.server import Server
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.server.program import ProgramService
from virtrpc.testdriver import build_test_server

SECONDS, MICROS = 1700000000, 123456

ERRORS = r'''
import signal, sys, libvirt, libvirt_qemu
signal.alarm(20)
uri = sys.argv[1]
libvirt.registerErrorHandler(lambda ctx, err: None, None)
cb = lambda *args: None


def show(label, call, *args):
    try:
        print(label, call(*args))
    except libvirt.libvirtError as e:
        print(label, "libvirtError", e.get_error_code(), e.get_error_domain(),
              e.get_error_message())
    except (TypeError, AttributeError) as e:
        print(label, type(e).__name__, e)


register, deregister = libvirt_qemu.qemuMonitorEventRegister, libvirt_qemu.qemuMonitorEventDeregister
conn = libvirt.open(uri)
dom = conn.lookupByName("test")
show("no loop", register, conn, dom, "SHUTDOWN", cb, None, 0)
show("no loop, deregister", deregister, conn, 0)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(uri)
dom = conn.lookupByName("test")
show("a domain", register, conn, dom, "SHUTDOWN", cb, None, 0)
show("every domain, every event", register, conn, None, None, cb, None, 0)
show("regex, flags by default", register, conn, None, "SHUT.*", cb, None)
show("bad flags", register, conn, None, "X", cb, None, 8)
show("not callable", register, conn, None, "X", 5, None, 0)
show("event not a string", register, conn, None, 5, cb, None, 0)
show("flags not an int", register, conn, None, "X", cb, None, "0")
show("dom not a domain", register, conn, "test", "X", cb, None, 0)
show("the next id", conn.domainEventRegisterAny, dom, 0, cb, None)
show("deregister unknown", deregister, conn, 99)
show("deregister not an int", deregister, conn, "x")
show("deregister a domain id", deregister, conn, 5)
show("that domain id is gone", conn.domainEventDeregisterAny, 5)
show("and stays tracked", conn.domainEventRegisterAny, dom, 0, cb, None)
show("a network id", conn.networkEventRegisterAny, None, 0, cb, None)
show("deregistered as a domain id", conn.domainEventDeregisterAny, 7)
ro = libvirt.openReadOnly(uri)
show("read-only", register, ro, None, None, cb, None, 0)
show("read-only, the next id", ro.domainEventRegisterAny, None, 0, cb, None)
'''


@pytest.fixture(scope="module")
def daemon() -> Iterator[PrivateLibvirtd]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with PrivateLibvirtd() as daemon:
        yield daemon


def test_errors_as_on_libvirt_python(daemon: PrivateLibvirtd, tmp_path: Path) -> None:
    script = tmp_path / "qemu_errors.py"
    script.write_text(ERRORS)
    real = subprocess.run(["/usr/bin/python3", str(script), daemon.uri], capture_output=True,
                          text=True, timeout=30)
    ours = subprocess.run(["/usr/bin/python3", str(script), daemon.uri], capture_output=True,
                          text=True, timeout=30, env=shim_env())
    assert real.returncode == 0, real.stderr
    assert ours.stdout.splitlines() == real.stdout.splitlines(), ours.stderr
    # what the comparison rests on: the daemon refused, and ids were used up
    assert "a domain libvirtError 3 0 this function is not supported by the connection" \
        " driver: virConnectDomainQemuMonitorEventRegister" in real.stdout
    assert "the next id 5" in real.stdout



SIGNATURES = r"""
import inspect, json, libvirt_qemu
print(json.dumps({name: [(p.name, p.default is p.empty) for p in
                         inspect.signature(getattr(libvirt_qemu, name)).parameters.values()]
                  for name in sorted(dir(libvirt_qemu)) if name.startswith("qemu")}))
"""


def test_signatures_as_libvirt_pythons() -> None:
    """Parameter names and which ones are required (``flags`` is, but for the
    two Python-written functions), blocking and asyncio."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    real = subprocess.run(["/usr/bin/python3", "-c", SIGNATURES], capture_output=True,
                          text=True, timeout=30)
    assert real.returncode == 0, real.stderr
    expected = json.loads(real.stdout)
    assert len(expected) == 6
    for module in (blocking_qemu, aio_qemu):
        ours = {name: [[p.name, p.default is p.empty] for p in
                       inspect.signature(getattr(module, name)).parameters.values()]
                for name in expected}
        assert ours == expected, module.__name__



def test_lxc_signatures_as_libvirt_pythons() -> None:
    """libvirt_lxc's two functions require ``flags`` as libvirt-python's do."""
    import virtrpc.libvirt.lxc as blocking_lxc

    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    script = SIGNATURES.replace("libvirt_qemu", "libvirt_lxc").replace('"qemu"', '"lxc"')
    real = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True,
                          text=True, timeout=30)
    assert real.returncode == 0, real.stderr
    expected = json.loads(real.stdout)
    assert set(expected) == {"lxcEnterCGroup", "lxcOpenNamespace"}
    ours = {name: [[p.name, p.default is p.empty] for p in
                   inspect.signature(getattr(blocking_lxc, name)).parameters.values()]
            for name in expected}
    assert ours == expected

# --- the success path, on a fake daemon ----------------------------------------


class QemuEvents:
    """The qemu program's event registrations, and ``emit EVENT DETAILS``
    as a monitor command (matching as libvirtd's qemu driver does)."""

    def __init__(self) -> None:
        self.next_id = 0
        self.registrations: dict[int, tuple[Any, qemu_protocol.QemuConnectDomainMonitorEventRegisterArgs]] = {}
        self.service = ProgramService(qemu_protocol.PROGRAM, {
            "connect_domain_monitor_event_register": self.register,
            "connect_domain_monitor_event_deregister": self.deregister,
            "domain_monitor_command": self.command,
        })

    def register(self, ctx: CallContext,
                 args: qemu_protocol.QemuConnectDomainMonitorEventRegisterArgs
                 ) -> qemu_protocol.QemuConnectDomainMonitorEventRegisterRet:
        callback_id, self.next_id = self.next_id, self.next_id + 1
        self.registrations[callback_id] = (ctx.client, args)
        return qemu_protocol.QemuConnectDomainMonitorEventRegisterRet(callbackID=callback_id)

    def deregister(self, ctx: CallContext,
                   args: qemu_protocol.QemuConnectDomainMonitorEventDeregisterArgs) -> None:
        if self.registrations.pop(args.callbackID, None) is None:
            raise RpcFault(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC,
                           f"internal error: qemu monitor event callback {args.callbackID}"
                           " not registered")

    def command(self, ctx: CallContext, args: qemu_protocol.QemuDomainMonitorCommandArgs
                ) -> qemu_protocol.QemuDomainMonitorCommandRet:
        _emit, event, details = args.cmd.split(" ", 2)
        procedure = self.service.event("domain_monitor_event")
        for callback_id, (client, wanted) in list(self.registrations.items()):
            if not self._matches(wanted, args.dom, event):
                continue
            client.send_event(procedure, qemu_protocol.QemuDomainMonitorEventMsg(
                callbackID=callback_id, dom=args.dom, event=event, seconds=SECONDS,
                micros=MICROS, details=None if details == "-" else details))
        return qemu_protocol.QemuDomainMonitorCommandRet(result="{}")

    @staticmethod
    def _matches(wanted: qemu_protocol.QemuConnectDomainMonitorEventRegisterArgs,
                 dom: remote.RemoteNonnullDomain, event: str) -> bool:
        if wanted.dom is not None and wanted.dom.uuid != dom.uuid:
            return False
        if wanted.event is None:
            return True
        nocase = re.IGNORECASE if wanted.flags & aio_qemu.VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_NOCASE else 0
        if wanted.flags & aio_qemu.VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX:
            return re.search(wanted.event, event, nocase) is not None
        return (wanted.event.lower() == event.lower()) if nocase else wanted.event == event


@pytest.fixture
def fake_daemon(tmp_path: Path) -> Iterator[tuple[str, QemuEvents]]:
    """The fake daemon on its own thread and loop (the blocking client blocks)."""
    events = QemuEvents()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        server: Server = build_test_server()[0]
        server.add_program(events.service)
        await server.listen_unix(str(tmp_path / "sock"))
        state["stop"] = asyncio.Event()
        state["loop"] = asyncio.get_running_loop()
        started.set()
        await state["stop"].wait()
        await server.shutdown()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(20)
    try:
        yield f"test+unix:///default?socket={tmp_path / 'sock'}", events
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(20)


BLOCKING = r'''
import signal, sys, libvirt, libvirt_qemu
signal.alarm(20)  # a lost event must fail the run, not hang it
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
got = []


def callback(c, d, event, seconds, micros, details, opaque):
    got.append((c is conn, type(d).__name__, d.name(), event, seconds, micros, details, opaque))


every = libvirt_qemu.qemuMonitorEventRegister(conn, None, None, callback, "every")
shutdowns = libvirt_qemu.qemuMonitorEventRegister(
    conn, dom, "shut.*", callback, "regex",
    libvirt_qemu.VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX
    | libvirt_qemu.VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_NOCASE)
print("ids", every, shutdowns, conn.domainEventRegisterAny(None, 0, lambda *a: None, None))
try:
    libvirt_qemu.qemuMonitorEventRegister(conn, dom, "OTHER", callback, None)
except libvirt.libvirtError as e:
    print("again", e.get_error_code(), e.get_error_message())
libvirt_qemu.qemuMonitorCommand(dom, 'emit SHUTDOWN {"guest": true}', 0)
libvirt_qemu.qemuMonitorCommand(dom, "emit RESUME -", 0)
while len(got) < 3:
    libvirt.virEventRunDefaultImpl()
libvirt_qemu.qemuMonitorEventDeregister(conn, shutdowns)
libvirt_qemu.qemuMonitorCommand(dom, "emit SHUTDOWN -", 0)
while len(got) < 4:
    libvirt.virEventRunDefaultImpl()
libvirt_qemu.qemuMonitorEventDeregister(conn, every)
for line in sorted(map(repr, got)):
    print(line)
'''


def test_blocking_callbacks_get_the_events(fake_daemon: tuple[str, QemuEvents],
                                           tmp_path: Path) -> None:
    uri, events = fake_daemon
    script = tmp_path / "blocking.py"
    script.write_text(BLOCKING)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run([sys.executable, "-m", "virtrpc", "run", str(script), uri],
                         capture_output=True, text=True, timeout=30, env=env)
    assert out.returncode == 0, out.stderr
    detail = repr('{"guest": true}')
    assert out.stdout.splitlines() == [
        "ids 0 1 2",
        "again 8 invalid argument: event callback already tracked",
        f"(True, 'virDomain', 'test', 'RESUME', {SECONDS}, {MICROS}, None, 'every')",
        f"(True, 'virDomain', 'test', 'SHUTDOWN', {SECONDS}, {MICROS}, {detail}, 'every')",
        f"(True, 'virDomain', 'test', 'SHUTDOWN', {SECONDS}, {MICROS}, {detail}, 'regex')",
        f"(True, 'virDomain', 'test', 'SHUTDOWN', {SECONDS}, {MICROS}, None, 'every')",
    ]
    assert events.registrations == {}  # both deregistered on the daemon


async def test_aio_callbacks_on_the_running_loop(fake_daemon: tuple[str, QemuEvents]) -> None:
    uri, events = fake_daemon
    conn = await aio.open(uri)
    try:
        dom = await conn.lookupByName("test")
        got: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def coroutine(c: Any, d: Any, event: str, seconds: int, micros: int,
                            details: str | None, opaque: Any) -> None:
            assert asyncio.get_running_loop() is loop
            await got.put((c is conn, await d.name(), event, seconds, micros, details, opaque))

        def plain(c: Any, d: Any, event: str, seconds: int, micros: int,
                  details: str | None, opaque: Any) -> None:
            got.put_nowait((c is conn, d.name, event, seconds, micros, details, opaque))

        first = await aio_qemu.qemuMonitorEventRegister(conn, dom, "SHUTDOWN", coroutine, 1)
        with pytest.raises(aio.libvirtError, match="event callback already tracked"):
            await aio_qemu.qemuMonitorEventRegister(conn, dom, None, plain, None)
        second = await conn.domainEventRegisterAny(None, 0, lambda *a: None, None)
        third = await aio_qemu.qemuMonitorEventRegister(conn, None, None, coroutine, 3)
        assert (first, second, third) == (0, 1, 2)
        assert await aio_qemu.qemuMonitorCommand(dom, "emit SHUTDOWN details", 0) == "{}"
        received = {await asyncio.wait_for(got.get(), 10) for _ in range(2)}
        assert received == {(True, "test", "SHUTDOWN", SECONDS, MICROS, "details", 1),
                            (True, "test", "SHUTDOWN", SECONDS, MICROS, "details", 3)}
        with pytest.raises(aio.libvirtError) as caught:
            await aio_qemu.qemuMonitorEventDeregister(conn, second)  # a domain id
        assert caught.value.get_error_code() == aio.VIR_ERR_INTERNAL_ERROR
        await aio_qemu.qemuMonitorEventDeregister(conn, first)
        await aio_qemu.qemuMonitorEventDeregister(conn, third)
        with pytest.raises(aio.libvirtError, match="event callback id 2 not registered"):
            await aio_qemu.qemuMonitorEventDeregister(conn, third)
        assert events.registrations == {}
        await aio_qemu.qemuMonitorCommand(dom, "emit SHUTDOWN -", 0)
        assert got.empty()
    finally:
        await conn.close()
