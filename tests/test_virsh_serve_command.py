"""``virtrpc serve`` as a separate process: virsh uses it, SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.peers import run_virsh


def wait_for_socket(path: Path, process: subprocess.Popen[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "virtrpc serve did not create its socket"
        time.sleep(0.01)


def test_serve_prints_the_uri_and_stops_on_sigterm(tmp_path: Path, virsh: str) -> None:
    sock, ro_sock = tmp_path / "s", tmp_path / "s-ro"
    process = subprocess.Popen(
        [sys.executable, "-m", "virtrpc", "serve", "--socket", str(sock), "--ro-socket",
         str(ro_sock), "--tcp", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_socket(ro_sock, process)
        uri = f"test+unix:///default?socket={sock}"
        listing = run_virsh(uri, "list", "--all").stdout
        assert "test" in listing and "running" in listing
        denied = run_virsh(f"test+unix:///default?socket={ro_sock}", "destroy", "test", check=False)
        assert denied.returncode != 0 and "read only access prevents" in denied.stderr
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"URI: {uri}" in out
    assert "tcp: 127.0.0.1:" in out
    assert not sock.exists() and not ro_sock.exists()


def test_serve_default_socket_is_per_user(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-m", "virtrpc", "serve"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    expected = tmp_path / "virtrpc" / "virtrpc-sock"
    try:
        wait_for_socket(expected, process)
        process.send_signal(signal.SIGINT)
        out, _err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert f"test+unix:///default?socket={expected}" in out
