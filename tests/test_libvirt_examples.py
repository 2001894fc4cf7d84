"""libvirt-python's example scripts (its 9.0.0 sdist, unchanged) under
``virtrpc run``, next to the real libvirt-python on the same interpreter and
private libvirtd: the same output and exit status.  Tracebacks are compared
without their frames inside the library (file names and lines differ) and
without the module of the exception class."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.libvirt_compat import REPO, libvirt_python_sdist
from tests.support.peers import PrivateLibvirtd, has_libvirt_python, require_peer

DOMAIN_XML = ("<domain type='test'><name>example</name><memory>65536</memory>"
              "<os><type>hvm</type></os></domain>")

#: example -> its arguments ({uri}, {tmp} are filled in); the ones left out
#: need what the test driver has not (ESX, a guest agent, a console peer) or
#: libxml2's Python binding (dominfo.py).
EXAMPLES = {
    "domipaddrs.py": ["{uri}", "test"],
    "dhcpleases.py": ["{uri}", "default"],
    "nodestats.py": [],
    "topology.py": [],
    "domstart.py": ["{tmp}/domain.xml"],
    "domsave.py": ["{tmp}/nosuchdir"],
    "domrestore.py": ["{tmp}/nosuchdir"],
    "sparsestream.py": ["{uri}", "--download", "default-pool/nosuch", "{tmp}/out"],
    "event-test.py": ["--timeout", "1", "{uri}"],
}


@pytest.fixture(scope="module")
def daemon(module_libvirtd: PrivateLibvirtd) -> PrivateLibvirtd:
    """This module's private libvirtd (the shared module_libvirtd fixture)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    return module_libvirtd


def normalised(stderr: str) -> str:
    lines = []
    skipping = False
    for line in stderr.splitlines():
        if line.startswith("  File "):
            # frames inside libvirt.py / virtrpc differ; the script's own stay
            skipping = "dist-packages/libvirt" in line or "/virtrpc/" in line
            if skipping:
                continue
        elif skipping and line.startswith("    "):
            continue
        else:
            skipping = False
        lines.append(re.sub(r"^(?:virtrpc\.)?libvirt\.libvirtError", "libvirtError", line))
    return "\n".join(lines)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_behaves_as_on_libvirt_python(daemon: PrivateLibvirtd, tmp_path: Path,
                                              example: str) -> None:
    script = libvirt_python_sdist() / "examples" / example
    (tmp_path / "domain.xml").write_text(DOMAIN_XML)
    args = [a.format(uri=daemon.uri, tmp=tmp_path) for a in EXAMPLES[example]]
    env = dict(os.environ, LIBVIRT_DEFAULT_URI=daemon.uri)
    real = subprocess.run(["/usr/bin/python3", str(script), *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=tmp_path)
    ours_env = dict(env, PYTHONPATH=str(REPO / "src"))
    ours = subprocess.run(["/usr/bin/python3", "-m", "virtrpc", "run", str(script), *args],
                          capture_output=True, text=True, timeout=60, env=ours_env, cwd=tmp_path)
    assert (ours.returncode, ours.stdout) == (real.returncode, real.stdout)
    assert normalised(ours.stderr) == normalised(real.stderr)
