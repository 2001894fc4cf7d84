"""The client benchmark still runs end to end (one short pair per row).

No speed is asserted here (speed is what the benchmark reports); this only
keeps its workers, their command protocol and its report from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.peers import find_libvirtd, has_libvirt_python, require_peer

pytestmark = pytest.mark.libvirtd

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_client.py"


def test_bench_client_reports_every_row() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "libvirt-python")
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--pairs", "1", "--json", "--no-uvloop"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = {row["bench"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"seq", "seq_keepalive", "par16", "fds4", "screenshot"}
    for name, row in rows.items():
        assert row["libvirt_c"]["median"] > 0, name
        assert row["virtrpc"]["median"] > 0, name
        assert row["virtrpc"]["ratio_q1"] <= row["virtrpc"]["ratio"] <= row["virtrpc"]["ratio_q3"]
    assert rows["seq"]["virtrpc"]["cpu_us"] > 0
    assert rows["seq"]["target"] == 0.9 and rows["par16"]["target"] == 1.0
