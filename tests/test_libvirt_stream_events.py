"""Stream event callbacks and non-blocking streams (``virStream.eventAddCallback``,
``VIR_STREAM_NONBLOCK``): one libvirt-python script, run on the real
libvirt-python and under ``virtrpc run`` against the same private libvirtd,
prints the same (errors by code, domain and message; the data received by
a callback driven from the default event loop; a callback switched from
writable to readable).  Without an event loop the registration fails as it
does in libvirt."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

import virtrpc.libvirt as libvirt
from tests.support.libvirt_compat import REPO
from tests.support.peers import PrivateLibvirtd, has_libvirt_python, require_peer

SCRIPT = r'''
import sys

import libvirt

uri = sys.argv[1]
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def error(call, *args):
    try:
        call(*args)
    except libvirtError as e:
        print(" ", call.__name__, e.get_error_code(), e.get_error_domain(), e.get_error_message())
    else:
        print(" ", call.__name__, "ok")


libvirtError = libvirt.libvirtError
if sys.argv[2:] == ["noloop"]:
    conn = libvirt.open(uri)
    dom = conn.lookupByName("test")
    print("no event loop:")
    st = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
    error(st.eventAddCallback, libvirt.VIR_STREAM_EVENT_READABLE, lambda *a: None, None)
    dom.screenshot(st, 0)
    error(st.eventAddCallback, libvirt.VIR_STREAM_EVENT_READABLE, lambda *a: None, None)
    error(st.eventRemoveCallback)
    st.abort()
    sys.exit(0)

libvirt.virEventRegisterDefaultImpl()  # before open: the loop drives the connection
conn = libvirt.open(uri)
dom = conn.lookupByName("test")
print("with the default loop:")
st = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
error(st.eventAddCallback, libvirt.VIR_STREAM_EVENT_READABLE, lambda *a: None, None)
error(st.eventUpdateCallback, libvirt.VIR_STREAM_EVENT_READABLE)
error(st.eventRemoveCallback)
print(" ", dom.screenshot(st, 0))
received = []
state = {"done": False, "events": set(), "writable": 0}


def readable(stream, events, opaque):
    state["events"].add(events)
    while True:
        data = stream.recv(4096)
        if data == -2:
            return
        if not data:
            stream.eventRemoveCallback()
            stream.finish()
            state["done"] = True
            return
        received.append(data)


st.eventAddCallback(libvirt.VIR_STREAM_EVENT_READABLE, readable, "opaque")
error(st.eventAddCallback, libvirt.VIR_STREAM_EVENT_READABLE, readable, None)
while not state["done"]:
    libvirt.virEventRunDefaultImpl()
data = b"".join(received)
print("  received", len(data), data[:4], sorted(state["events"]))
error(st.eventRemoveCallback)
error(st.eventUpdateCallback, 0)

print("writable, then updated to readable:")
st = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
dom.screenshot(st, 0)


def writable_then_readable(stream, events, opaque):
    state["writable"] += 1
    if events & libvirt.VIR_STREAM_EVENT_WRITABLE and state["writable"] >= 3:
        stream.eventUpdateCallback(libvirt.VIR_STREAM_EVENT_READABLE)
    if events & libvirt.VIR_STREAM_EVENT_READABLE:
        readable(stream, events, opaque)


state.update(done=False, events=set())
received.clear()
st.eventAddCallback(libvirt.VIR_STREAM_EVENT_WRITABLE, writable_then_readable, None)
while not state["done"]:
    libvirt.virEventRunDefaultImpl()
print("  received", len(b"".join(received)), sorted(state["events"]), state["writable"] >= 3)
conn.close()
'''


@pytest.fixture(scope="module")
def daemon(module_libvirtd: PrivateLibvirtd) -> PrivateLibvirtd:
    """This module's private libvirtd (the shared module_libvirtd fixture)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    return module_libvirtd


@pytest.mark.parametrize("mode", ["noloop", "loop"])
def test_stream_events_as_on_libvirt_python(daemon: PrivateLibvirtd, tmp_path: Path,
                                            mode: str) -> None:
    script = tmp_path / "stream_events.py"
    script.write_text(SCRIPT)
    argv = [str(script), daemon.uri, mode]
    real = subprocess.run(["/usr/bin/python3", *argv], capture_output=True, text=True, timeout=30)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    ours = subprocess.run(["/usr/bin/python3", "-m", "virtrpc", "run", *argv], capture_output=True,
                          text=True, timeout=30, env=env)
    assert (ours.returncode, ours.stdout) == (real.returncode, real.stdout), ours.stderr
    assert real.returncode == 0, real.stderr
    if mode == "loop":
        assert "received 33443 b\'\\x89PNG\' [1]" in real.stdout, real.stdout


class _FakeClientStream:
    """The blocking client's stream as virStream sees it: nothing has
    arrived until ``finished`` (the end of the stream) is set."""

    finished = False

    def ready(self) -> bool:
        return self.finished


def _unbound_stream(flags: int) -> libvirt.virStream:
    """A virStream bound to a stream on which nothing has arrived yet."""
    conn = SimpleNamespace(_conn=None, _c=None)
    stream = libvirt.virStream(conn, flags)
    stream._stream = _FakeClientStream()  # type: ignore[assignment]
    stream._items = iter(())
    return stream


def test_nonblocking_recv_returns_minus_2_until_data_arrives() -> None:
    stream = _unbound_stream(libvirt.VIR_STREAM_NONBLOCK)
    assert stream.recv(10) == -2
    assert stream.recvFlags(10, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE) == -2
    # libvirtError's message is the thread's last error when there is one (as in
    # libvirt-python): an earlier test's must not be it.
    libvirt.virResetLastError()
    with pytest.raises(libvirt.libvirtError, match="cannot use recvAll with nonblocking stream"):
        stream.recvAll(lambda *a: 0, None)
    libvirt.virResetLastError()
    with pytest.raises(libvirt.libvirtError,
                       match="cannot use sparseRecvAll with nonblocking stream"):
        stream.sparseRecvAll(lambda *a: 0, lambda *a: 0, None)
    stream._stream.finished = True  # type: ignore[union-attr]
    assert stream.recv(10) == b""


def test_blocking_stream_never_returns_minus_2() -> None:
    stream = _unbound_stream(0)
    stream._stream.finished = True  # type: ignore[union-attr]
    assert stream.recv(10) == b""
