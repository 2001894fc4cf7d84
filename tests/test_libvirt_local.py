"""``test:///`` URIs opened in the process, as libvirt.so opens them
(:mod:`virtrpc.libvirt._local`): the same script on the real libvirt-python
and under virtrpc's shims prints the same (openAuth's credential dance on a
node file with ``<auth>``, every way it fails, a missing file, the sharing
and reset of ``test:///default``); the asyncio twin takes coroutine
callbacks; connections leave no fd behind."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import virtrpc.libvirt as libvirt
import virtrpc.libvirt.aio as aio
from tests.support import fdcount
from tests.support.fdcount import FdLeakCheck
from tests.support.libvirt_compat import shim_env
from tests.support.peers import has_libvirt_python, require_peer

fd_leak_check = fdcount.fd_leak_check

NODE = ("<node><auth><user password='2147483647'>marin</user><user>nopass</user>"
        "<user password='87539319'>srinivasa</user></auth>"
        "<domain type='test'><name>d1</name><memory>1024</memory>"
        "<os><type>hvm</type></os></domain></node>")

SCRIPT = r'''
import sys, libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
uri = "test://" + sys.argv[1]
A, P, E, N = (libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE,
              libvirt.VIR_CRED_ECHOPROMPT, libvirt.VIR_CRED_NOECHOPROMPT)


def attempt(label, creds, answers, ret=0):
    asked = []

    def callback(requested, opaque):
        asked.append([tuple(c[:4]) for c in requested])
        for c in requested:
            if c[0] in answers:
                c[4] = answers[c[0]]
        return ret
    try:
        conn = libvirt.open(uri) if creds is None else libvirt.openAuth(uri, [creds, callback, 7], 0)
        print(label, "opened", conn.getURI() == uri, [d.name() for d in conn.listAllDomains()], asked)
        conn.close()
    except libvirt.libvirtError as e:
        print(label, "refused", e.get_error_code(), e.get_error_domain(), e.get_error_message(), asked)


attempt("good", [A, P], {A: "srinivasa", P: "87539319"})
attempt("wrong password", [A, P], {A: "srinivasa", P: "2147483647"})
attempt("unknown user", [A, P], {A: "nobody", P: "x"})
attempt("a user without password", [A, P], {A: "nopass"})
attempt("no answer", [A, P], {})
attempt("callback refuses", [A, P], {A: "srinivasa"}, -1)
attempt("no password type", [A], {A: "srinivasa"})
attempt("noecho as the password type", [A, N], {A: "srinivasa", N: "87539319"})
attempt("no types", [], {})
attempt("prompts only", [E, N], {E: "srinivasa", N: "87539319"})
attempt("open", None, {})
for missing in ("test:///nonexistent/node.xml",):
    try:
        libvirt.open(missing)
    except libvirt.libvirtError as e:
        print("missing", e.get_error_code(), e.get_error_domain(), e.get_error_message())
one, two = libvirt.open("test:///default"), libvirt.open("test:///default")
two.lookupByName("test").destroy()
print("shared", [d.isActive() for d in one.listAllDomains()], one.getURI())
one.close()
two.close()
three = libvirt.openReadOnly("test:///default")
print("reset", [d.isActive() for d in three.listAllDomains()], three.getHostname() != "")
three.close()
'''


@pytest.fixture
def node_file(tmp_path: Path) -> Path:
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return path


def test_same_as_libvirt_python(node_file: Path) -> None:
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    real = subprocess.run(["/usr/bin/python3", "-c", SCRIPT, str(node_file)],
                          capture_output=True, text=True, timeout=30)
    ours = subprocess.run(["/usr/bin/python3", "-c", SCRIPT, str(node_file)],
                          capture_output=True, text=True, timeout=30, env=shim_env())
    assert real.returncode == 0, real.stderr
    assert ours.stdout.splitlines() == real.stdout.splitlines(), ours.stderr
    assert ours.returncode == 0
    assert "good opened True ['d1']" in real.stdout
    assert "shared [0] test:///default" in real.stdout and "reset [1] True" in real.stdout


async def test_aio_open_auth_with_a_coroutine_callback(node_file: Path) -> None:
    asked: list[Any] = []

    async def callback(creds: list[list[Any]], opaque: Any) -> int:
        asked.append((creds[0][0], opaque))
        creds[0][4] = "srinivasa" if creds[0][0] == aio.VIR_CRED_AUTHNAME else "87539319"
        return 0

    uri = f"test://{node_file}"
    auth = [[aio.VIR_CRED_AUTHNAME, aio.VIR_CRED_PASSPHRASE], callback, "x"]
    conn = await aio.openAuth(uri, auth, 0)
    try:
        assert await conn.getURI() == uri
        assert [await d.name() for d in await conn.listAllDomains()] == ["d1"]
    finally:
        await conn.close()
    assert asked == [(aio.VIR_CRED_AUTHNAME, "x"), (aio.VIR_CRED_PASSPHRASE, "x")]
    aio.registerErrorHandler(lambda ctx, err: None, None)
    try:
        with pytest.raises(aio.libvirtError, match="Missing authentication credentials"):
            await aio.open(uri)
    finally:
        aio.registerErrorHandler(None, None)


def test_a_blocking_callback_returning_an_awaitable_is_a_type_error(node_file: Path) -> None:
    async def callback(creds: list[list[Any]], opaque: Any) -> int:
        return 0

    with pytest.raises(TypeError, match=r"virtrpc\.libvirt\.aio"):
        libvirt.openAuth(f"test://{node_file}", [[libvirt.VIR_CRED_AUTHNAME], callback, None], 0)


def test_local_connections_leak_no_fds(node_file: Path, fd_leak_check: FdLeakCheck) -> None:
    # Starts the process's test hypervisor, and stays open through the check:
    # the server closes its end of a connection on its own thread, so a
    # connection closed just before the check would close an fd during it.
    keeper = libvirt.open("test:///default")
    try:
        with fd_leak_check(settle=5.0):  # the server closes its ends on its own thread
            for _ in range(3):
                conn = libvirt.open("test:///default")
                conn.lookupByName("test").info()
                conn.close()
            conn = libvirt.openAuth(f"test://{node_file}", [
                [libvirt.VIR_CRED_AUTHNAME],
                lambda creds, _o: creds[0].__setitem__(4, "nopass") or 0, None], 0)
            conn.close()
    finally:
        keeper.close()
