"""The qemu and lxc programs of the test hypervisor, against libvirtd's.

libvirtd serves both programs over its test driver and refuses every call as
the driver lacks it (``VIR_ERR_NO_SUPPORT`` naming the public function, no
error domain); `virtrpc serve` must answer the same, not "Cannot find
program".  libvirt-python drives both (with an event loop, so the monitor
event registration reaches the daemon), and the outputs must be equal.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.peers import PrivateLibvirtd, has_libvirt_python, require_peer, serve_process

SCRIPT = r"""
import os, sys, libvirt, libvirt_qemu, libvirt_lxc
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
fd = os.open("/dev/null", os.O_RDONLY)
calls = [
    ("monitor", lambda: libvirt_qemu.qemuMonitorCommand(dom, "{}", 0)),
    ("monitor with files",
     lambda: libvirt_qemu.qemuMonitorCommandWithFiles(dom, "{}", [fd], 0)),
    ("agent", lambda: libvirt_qemu.qemuAgentCommand(dom, "{}", 5, 0)),
    ("attach", lambda: libvirt_qemu.qemuAttach(conn, 1, 0)),
    ("monitor events",
     lambda: libvirt_qemu.qemuMonitorEventRegister(conn, dom, None, lambda *a: 0, None, 0)),
    ("namespace", lambda: libvirt_lxc.lxcOpenNamespace(dom, 0)),
]
for name, call in calls:
    try:
        print(name, call())
    except libvirt.libvirtError as e:
        print(name, e.get_error_code(), e.get_error_domain(), e.get_error_message())
print("still usable", conn.lookupByName("test").name())
"""


def _run(uri: str) -> list[str]:
    out = subprocess.run(["/usr/bin/python3", "-c", SCRIPT, uri], capture_output=True,
                         text=True, timeout=30, env={**os.environ, "PYTHONPATH": ""})
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_qemu_and_lxc_calls_refused_as_libvirtd_refuses_them(
        libvirtd: PrivateLibvirtd, tmp_path: Path) -> None:
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    expected = _run(libvirtd.uri)
    assert "monitor 3 0 this function is not supported by the connection driver: " \
        "virDomainQemuMonitorCommand" in expected
    with serve_process(tmp_path) as (uri, _process):
        assert _run(uri) == expected
