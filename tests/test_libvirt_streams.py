"""Streams of virtrpc.libvirt: screenshots and errors differential against
libvirt-python on libvirtd; upload, download and sparse transfers (which
libvirtd's test driver lacks) against virtrpc's own test hypervisor."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.libvirt_compat import shim_env
from tests.support.peers import (
    PrivateLibvirtd,
    find_libvirtd,
    has_libvirt_python,
    require_peer,
    serve_process,
)

SCREENSHOT_AND_ERRORS = r"""
import hashlib, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
stream = conn.newStream()
print(dom.screenshot(stream, 0, 0))
chunks = []
print(stream.recvAll(lambda s, data, acc: acc.append(data) or 0, chunks))
image = b"".join(chunks)
print(image[:8], len(image), hashlib.sha256(image).hexdigest())
unused = conn.newStream()
for call in (lambda: unused.recv(10), lambda: unused.send(b"x"), unused.finish, unused.abort,
             unused.recvHole, lambda: unused.sendHole(5), lambda: unused.recvFlags(10)):
    try:
        print(call())
    except libvirt.libvirtError as e:
        print(e.err)
"""


def test_screenshot_and_unbound_streams_as_libvirt_python() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with PrivateLibvirtd() as daemon:
        outputs = []
        for env in (None, shim_env()):
            out = subprocess.run(["/usr/bin/python3", "-c", SCREENSHOT_AND_ERRORS, daemon.uri],
                                 capture_output=True, text=True, timeout=60, env=env)
            assert out.returncode == 0, out.stderr
            outputs.append(out.stdout)
    assert "image/png" in outputs[0]
    assert outputs[1] == outputs[0]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with serve_process(tmp_path) as (uri, _process):
        yield uri


TRANSFERS = r"""
import sys
import virtrpc.libvirt as libvirt
conn = libvirt.open(sys.argv[1])
pool = conn.storagePoolLookupByName("default-pool")
vol = pool.createXML("<volume><name>t.img</name><capacity unit='K'>256</capacity></volume>")

# plain upload with sendAll, download with recv() in small pieces
upload = conn.newStream()
vol.upload(upload, 0, 9000, 0)
pieces = [b"abc" * 1000, b"xyz" * 2000]
upload.sendAll(lambda s, n, queue: queue.pop(0) if queue else b"", pieces)
upload.finish()  # sendAll does not: libvirt-python's does not either
download = conn.newStream()
vol.download(download, 0, 9000, 0)
got = b""
while chunk := download.recv(4096):
    assert len(chunk) <= 4096
    got += chunk
download.finish()
print(got == b"abc" * 1000 + b"xyz" * 2000)

# sparse: data, a hole, data; read back keeping the hole
sparse = conn.newStream()
vol.upload(sparse, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM)
sections = [(True, 4096), (False, 65536), (True, 4096)]
def holes(stream, state):
    return sections[0] if sections else (True, 0)
def data(stream, nbytes, state):
    if not sections:
        return b""  # the end (libvirt-python asks for 0 bytes there)
    in_data, length = sections[0]
    sections.pop(0)
    return b"D" * length
def skip(stream, length, state):
    sections.pop(0)
    return 0  # as os.lseek returns an offset: a negative one aborts
sparse.sparseSendAll(data, holes, skip, None)
sparse.finish()
back = conn.newStream()
vol.download(back, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
seen = []
back.sparseRecvAll(lambda s, d, acc: acc.append(("data", len(d))),
                   lambda s, n, acc: acc.append(("hole", n)), seen)
back.finish()
merged = []
for kind, n in seen:
    if merged and merged[-1][0] == kind:
        merged[-1] = (kind, merged[-1][1] + n)
    else:
        merged.append((kind, n))
print(merged[:3])

# the same volume read plainly: the hole comes back as zeros
flat = conn.newStream()
vol.download(flat, 0, 0, 0)
whole = []
flat.recvAll(lambda s, d, acc: acc.append(d), whole)
flat.finish()
blob = b"".join(whole)
print(blob[:4096] == b"D" * 4096, blob[4096:4096 + 65536] == bytes(65536))
vol.delete()
conn.close()
"""


def test_upload_download_and_sparse_round_trips(served: str) -> None:
    out = subprocess.run([sys.executable, "-c", TRANSFERS, served], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "True", "[('data', 4096), ('hole', 65536), ('data', 4096)]", "True True"]


GRAPHICS = r"""
import socket, sys, libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
ours, theirs = socket.socketpair()
print(dom.openGraphics(0, theirs.fileno(), 0))  # the daemon gets a copy of the fd
theirs.close()
ours.settimeout(10)
print(ours.recv(12))
ours.close()
fd = dom.openGraphicsFD(0, 0)  # the daemon hands back a socket
with socket.socket(fileno=fd) as sock:
    sock.settimeout(10)
    print(sock.recv(12))
"""


def test_graphics_fds_both_ways_as_libvirt_python(served: str) -> None:
    """openGraphics sends an fd, openGraphicsFD receives one (virtrpc serve
    has graphics; libvirtd's test driver has not)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    outputs = []
    for env in (None, shim_env()):
        out = subprocess.run(["/usr/bin/python3", "-c", GRAPHICS, served], capture_output=True,
                             text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    assert outputs[0].splitlines() == ["0", "b'RFB 003.008\\n'", "b'RFB 003.008\\n'"]
    assert outputs[1] == outputs[0]
