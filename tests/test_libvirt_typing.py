"""virtrpc.libvirt is typed: a program using 40+ of its methods passes
``mypy --strict``, ``reveal_type`` pins the shapes of the hand-written
returns, and the same program runs against a private libvirtd."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.peers import PrivateLibvirtd, find_libvirtd, require_peer

SAMPLE = '''\
"""A libvirt-python style program, typed."""
import sys

import virtrpc.libvirt as libvirt


def describe(dom: libvirt.virDomain) -> str:
    state, reason = dom.state()
    maxmem = dom.maxMemory()
    return f"{dom.name()} id={dom.ID()} state={state}/{reason} maxmem={maxmem}"


def main(uri: str) -> int:
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    conn = libvirt.open(uri)
    ro = libvirt.openReadOnly(uri)
    print(conn.getHostname(), conn.getType(), conn.getLibVersion(), conn.getVersion())
    model, memory_mib, cpus = conn.getInfo()[:3]
    print(model, memory_mib, cpus, conn.getFreeMemory(), conn.getCellsFreeMemory(0, 1))
    print(conn.getCapabilities()[:10], conn.getMaxVcpus(None), conn.isAlive())
    print(conn.listDomainsID(), conn.listDefinedDomains(), conn.numOfDomains())
    for dom in conn.listAllDomains():
        print(describe(dom))
    dom = conn.lookupByName("test")
    same = conn.lookupByUUIDString(dom.UUIDString())
    assert same.UUID() == dom.UUID()
    info: list[int] = dom.info()
    print(info, dom.OSType(), dom.isActive(), dom.isPersistent(), dom.autostart())
    print(dom.XMLDesc(0)[:20], dom.schedulerType(), dom.vcpusFlags(0))
    params = dom.schedulerParameters()
    dom.setSchedulerParameters({"weight": int(params["weight"])})
    print(dom.memoryParameters(), dom.blkioParameters(), dom.memoryStats())
    print(dom.blockStats("vda")[0] >= 0, dom.interfaceStats("testnet0")[0] >= 0)
    vcpu_info, cpumaps = dom.vcpus()
    print(len(vcpu_info), len(cpumaps), dom.vcpuPinInfo(0)[0][:2], dom.controlInfo())
    print(dom.snapshotNum(), dom.snapshotListNames(), dom.listAllSnapshots())
    snap = dom.snapshotCreateXML("<domainsnapshot><name>typed</name></domainsnapshot>")
    print(snap.getName(), snap.getParent() if snap.numChildren() else None)
    snap.delete()
    dom.suspend()
    dom.resume()
    net = conn.networkLookupByName("default")
    print(net.name(), net.UUIDString(), net.isActive(), net.bridgeName(), net.autostart())
    pool = conn.storagePoolLookupByName("default-pool")
    print(pool.info(), pool.listVolumes(), pool.numOfVolumes(), pool.isActive())
    dev = conn.nodeDeviceLookupByName("computer")
    print(dev.name(), dev.listCaps(), dev.numOfCaps())
    iface = conn.interfaceLookupByName("eth1")
    print(iface.name(), iface.MACString(), iface.isActive())
    try:
        conn.lookupByName("no-such-domain")
    except libvirt.libvirtError as e:
        print(e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, e.get_error_message())
    try:
        ro.lookupByName("test").destroy()
    except libvirt.libvirtError as e:
        print(e.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED)
    ro.close()
    return conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

reveal_type(libvirt.open)
reveal_type(libvirt.virDomain.info)
reveal_type(libvirt.virDomain.state)
reveal_type(libvirt.virDomain.UUID)
reveal_type(libvirt.virDomain.UUIDString)
reveal_type(libvirt.virConnect.getInfo)
reveal_type(libvirt.virConnect.listAllDomains)
reveal_type(libvirt.virDomain.schedulerParameters)
reveal_type(libvirt.virDomain.blockStats)
reveal_type(libvirt.virDomain.vcpus)
reveal_type(libvirt.virDomain.isActive)
reveal_type(libvirt.virConnect.lookupByName)
reveal_type(libvirt.VIR_DOMAIN_RUNNING)


def stream_shapes(st: libvirt.virStream) -> None:
    reveal_type(st.recv(1))
    reveal_type(st.recvFlags(1))
'''

#: What reveal_type must print, in order (mypy's spelling, without the
#: ``builtins.`` older mypy versions put before builtin types).
REVEALED = [
    "def (name: str | None =) -> virtrpc.libvirt._classes.virConnect",
    "def (self: virtrpc.libvirt._classes.virDomain) -> list[int]",
    "def (self: virtrpc.libvirt._classes.virDomain, flags: int =) -> list[int]",
    "def (self: virtrpc.libvirt._classes.virDomain) -> bytes",
    "def (self: virtrpc.libvirt._classes.virDomain) -> str",
    "def (self: virtrpc.libvirt._classes.virConnect) -> list[str | int]",
    "def (self: virtrpc.libvirt._classes.virConnect, flags: int =)"
    " -> list[virtrpc.libvirt._classes.virDomain]",
    "def (self: virtrpc.libvirt._classes.virDomain) -> dict[str, int | float | bool | str]",
    "def (self: virtrpc.libvirt._classes.virDomain, path: str)"
    " -> tuple[int, int, int, int, int]",
    "def (self: virtrpc.libvirt._classes.virDomain)"
    " -> tuple[list[tuple[int, int, int, int]], list[tuple[bool, ...]]]",
    "def (self: virtrpc.libvirt._classes.virDomain) -> int",
    "def (self: virtrpc.libvirt._classes.virConnect, name: str)"
    " -> virtrpc.libvirt._classes.virDomain",
    "int",
    "bytes | Literal[-2]",
    "bytes | Literal[-2] | Literal[-3]",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typed") / "sample.py"
    path.write_text(SAMPLE)
    return path


def test_the_sample_uses_forty_methods() -> None:
    calls = set(re.findall(r"\.([A-Za-z]\w*)\(", SAMPLE.split("reveal_type")[0]))
    assert len(calls) >= 40


def test_mypy_strict_accepts_the_sample_and_pins_the_shapes(sample: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(tmp_path / "cache"), str(sample)],
        capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    errors = [line for line in lines if ": error:" in line]
    assert errors == []
    revealed = [line.split('Revealed type is "', 1)[1].rstrip('"').replace("builtins.", "")
                for line in lines if "Revealed type is" in line]
    assert revealed == REVEALED


def test_the_sample_runs(sample: Path) -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        out = subprocess.run([sys.executable, str(sample), daemon.uri],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "True Domain not found" in out.stdout
    assert out.stdout.rstrip().endswith("True")
