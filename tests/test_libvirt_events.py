"""Events and event loops of virtrpc.libvirt, differential against the real
libvirt-python: the same scripts on Debian's python3, once with the real
module and once with virtrpc's (shim directory), must print the same lines."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.libvirt_compat import shim_env
from tests.support.peers import PrivateLibvirtd, has_libvirt_python, require_peer

REGISTRATIONS = r"""
import signal, sys, libvirt
signal.alarm(20)  # a lost event must fail the run, not hang it
libvirt.registerErrorHandler(lambda *a: None, None)
got = []

def show(*args):
    got.append(repr([a if isinstance(a, (int, str, type(None))) else type(a).__name__
                     for a in args]))

def attempt(call):
    try:
        print(call())
    except libvirt.libvirtError as e:
        print("error", e.err)

def run_until(count):
    # Events arrive in the loop's own time; their order between callbacks
    # of different registrations is not fixed, so they are printed sorted.
    while len(got) < count:
        libvirt.virEventRunDefaultImpl()
    print(sorted(got))
    got.clear()

early = libvirt.open(sys.argv[1])
# no event loop registered yet: libvirt refuses events and keepalive
attempt(lambda: early.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, None))
attempt(lambda: early.setKeepAlive(5, 3))
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
net = conn.networkLookupByName("default")
attempt(lambda: conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, "d"))
attempt(lambda: conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, show, "r"))
attempt(lambda: conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, show, "n"))
attempt(lambda: conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, "x"))
attempt(lambda: conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, show, "one"))
attempt(lambda: conn.storagePoolEventRegisterAny(None, 0, show, "p"))
attempt(lambda: conn.domainEventRegisterAny(None, 99, show, None))
attempt(lambda: conn.setKeepAlive(5, 3))
attempt(lambda: conn.registerCloseCallback(show, "c"))
attempt(lambda: conn.registerCloseCallback(show, "c"))
attempt(lambda: conn.domainEventDeregisterAny(99))
dom.suspend()
dom.resume()
net.destroy()
net.create()
run_until(6)
attempt(lambda: conn.domainEventRegister(show, None))
attempt(lambda: conn.domainEventRegister(show, None))
dom.suspend()
dom.resume()
run_until(6)
conn.domainEventDeregister(show)
conn.domainEventDeregister(show)
attempt(lambda: conn.domainEventDeregisterAny(4))
dom.suspend()
dom.resume()
run_until(4)  # "d" and "one", each suspended and resumed
attempt(lambda: conn.unregisterCloseCallback())
attempt(lambda: conn.domainEventDeregisterAny(0))
attempt(lambda: conn.domainEventDeregisterAny(0))
"""

LOOP = r"""
import os, libvirt
libvirt.virEventRegisterDefaultImpl()
read_end, write_end = os.pipe()
seen = []
watch = libvirt.virEventAddHandle(read_end, libvirt.VIR_EVENT_HANDLE_READABLE,
                                  lambda w, fd, ev, op: seen.append(("fd", w == watch, fd == read_end, ev, op, os.read(fd, 10))), "o1")
os.write(write_end, b"ping")
libvirt.virEventRunDefaultImpl()
print(seen)
timer = libvirt.virEventAddTimeout(0, lambda t, op: seen.append(("timer", t == timer, op)), "o2")
libvirt.virEventRunDefaultImpl()
libvirt.virEventUpdateTimeout(timer, -1)
libvirt.virEventUpdateHandle(watch, 0)
os.write(write_end, b"pong")
other = libvirt.virEventAddTimeout(10, lambda t, op: seen.append(("later", op)), "o3")
libvirt.virEventRunDefaultImpl()
print(seen[1:])
print(libvirt.virEventRemoveHandle(watch), libvirt.virEventRemoveTimeout(timer),
      libvirt.virEventRemoveTimeout(other))
"""


@pytest.fixture(scope="module")
def daemon(module_libvirtd: PrivateLibvirtd) -> PrivateLibvirtd:
    """This module's private libvirtd (the shared module_libvirtd fixture)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    return module_libvirtd


def both(script: str, *args: str) -> tuple[str, str]:
    outputs = []
    for env in (None, shim_env()):
        out = subprocess.run(["/usr/bin/python3", "-c", script, *args], capture_output=True,
                             text=True, timeout=30, env=env)
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    return outputs[0], outputs[1]


def test_registrations_ids_refusals_and_callbacks(daemon: PrivateLibvirtd) -> None:
    real, ours = both(REGISTRATIONS, daemon.uri)
    assert "['virConnect', 'virDomain', 3, 0, 'd']" in real  # events did arrive
    assert ours == real


def test_default_loop_handles_and_timeouts() -> None:
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    real, ours = both(LOOP)
    # watch ids are implementation details; everything else must match
    assert re.sub(r"\d+", "N", real) == re.sub(r"\d+", "N", ours)
    assert "('fd', True, True, 1, 'o1', b'ping')" in ours
    assert "('timer', True, 'o2')" in ours


NOT_CALLABLE = r"""
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
# libvirt-python checks no callback: each of these takes an id (or succeeds)
print(conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, 42, None))
print(conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, "x", None))
print(conn.domainEventRegister(42, None), conn.registerCloseCallback(42, None))
print(conn.domainEventDeregisterAny(0), conn.networkEventDeregisterAny(1),
      conn.domainEventDeregister(42), conn.unregisterCloseCallback())
"""


def test_callbacks_that_are_not_callable_are_taken(daemon: PrivateLibvirtd) -> None:
    real, ours = both(NOT_CALLABLE, daemon.uri)
    assert real.splitlines()[:3] == ["0", "1", "None 0"]
    assert ours == real
