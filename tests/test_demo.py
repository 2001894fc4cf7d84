"""``virtrpc demo``: the README's tour runs against the in-process server."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from virtrpc.cli.serve import demo


async def test_demo_tour_covers_every_section() -> None:
    baseline = len(os.listdir("/proc/self/fd"))
    out = io.StringIO()
    assert await demo(out) == 0
    text = out.getvalue()
    for expected in (
        "library 9.0.0, hypervisor TEST 0.0.2",
        "1  test       state 1",
        "define    -> event 'lifecycle' for domain 'demo': Defined Added",
        "destroy   -> event 'lifecycle' for domain 'demo': Stopped Destroyed",
        "the server closed the pipe",
        "it says b'RFB 003.008\\n'",
        "100%  16.0 MiB",
        "16777216 bytes of demo.img",
    ):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert len(os.listdir("/proc/self/fd")) <= baseline  # server, client and fds all closed


def test_demo_command_exits_zero() -> None:
    result = subprocess.run([sys.executable, "-m", "virtrpc", "demo"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "== stream download" in result.stdout and not result.stderr
