"""libvirt-python (Debian's /usr/bin/python3) against the built-in test
hypervisor served in-process: fd passing both ways, events through libvirt's
default event loop, keepalive."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.support.served import ServedHypervisor, short_limits
from virtrpc.server import Server
from virtrpc.testdriver import TestDriver

# A short keepalive, so that the test of libvirt-python's keepalive sees pings.
pytestmark = pytest.mark.served(limits=short_limits(keepalive_interval=0.2, keepalive_count=2))


@pytest.fixture
def served(
    served_hypervisor: ServedHypervisor, libvirt_python: str
) -> tuple[Server, TestDriver, str]:
    """The shared in-process test hypervisor: (server, driver, URI)."""
    return served_hypervisor.server, served_hypervisor.driver, served_hypervisor.uri


async def run_python(script: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "/usr/bin/python3", "-c", script, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


FD_SCRIPT = r"""
import os, socket, sys, libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
fd = dom.openGraphicsFD(0)
with socket.socket(fileno=fd) as sock:
    sock.settimeout(10)
    print("graphics", sock.recv(100))
read_end, write_end = os.pipe()
created = conn.createXMLWithFiles(
    "<domain type='test'><name>wf</name><memory>1024</memory><os><type>hvm</type></os></domain>",
    [read_end])
os.close(read_end)
print("created", created.name(), created.isActive())
os.write(write_end, b"ping")
created.destroy()
try:
    os.write(write_end, b"x")
    print("still open")
except BrokenPipeError:
    print("closed on destroy")
"""


async def test_fds_both_ways(served: tuple[Server, TestDriver, str]) -> None:
    _server, driver, uri = served
    baseline = len(os.listdir("/proc/self/fd"))
    out = await run_python(FD_SCRIPT, uri)
    assert "graphics b'RFB 003.008\\n'" in out
    assert "created wf 1" in out
    assert "closed on destroy" in out
    # the graphics socket's server end stays with the running domain
    assert len(driver.hv.domains["test"].associated_fds["graphics"]) == 1
    driver.hv.destroy_domain(driver.hv.domains["test"])
    assert len(os.listdir("/proc/self/fd")) <= baseline


EVENT_SCRIPT = r"""
import sys, threading, time, libvirt
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
print("keepalive", conn.setKeepAlive(1, 3))
seen = []
def lifecycle(conn, dom, event, detail, opaque):
    seen.append((dom.name(), event, detail))
def reboot(conn, dom, opaque):
    seen.append((dom.name(), "reboot"))
ids = [conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle, None),
       conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, reboot, None)]
running = True
def loop():
    while running:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
other = libvirt.open(sys.argv[1])
dom = other.defineXML(
    "<domain type='test'><name>ev</name><memory>1024</memory><os><type>hvm</type></os></domain>")
dom.create(); dom.reboot(); dom.suspend(); dom.resume(); dom.destroy(); dom.undefine()
deadline = time.time() + 10
while len(seen) < 7 and time.time() < deadline:
    time.sleep(0.01)
# stay connected for several server keepalive intervals: libvirt answers the pings
time.sleep(1.0)
print("alive", conn.isAlive(), conn.getLibVersion())
for i in ids:
    conn.domainEventDeregisterAny(i)
print("events", seen)
"""


async def test_events_and_keepalive(served: tuple[Server, TestDriver, str]) -> None:
    server, driver, uri = served
    out = await run_python(EVENT_SCRIPT, uri)
    assert "keepalive 0" in out
    assert "alive 1 9000000" in out
    events_line = next(line for line in out.splitlines() if line.startswith("events"))
    assert events_line == (
        "events [('ev', 0, 0), ('ev', 2, 0), ('ev', 'reboot'), ('ev', 3, 0), ('ev', 4, 0), "
        "('ev', 5, 1), ('ev', 1, 0)]")
    assert not driver.registrations
    assert not server.clients or all(c.closed.done() for c in server.clients)
