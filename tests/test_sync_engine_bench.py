"""The blocking client's benchmark (bench/bench_sync.py) still runs end to
end, one short pair per row.  No speed is asserted (that is what the
benchmark reports); this keeps its workers and its report from rotting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.peers import find_libvirtd, has_libvirt_python, require_peer

pytestmark = pytest.mark.libvirtd

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_sync.py"


def test_bench_sync_reports_every_row() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "libvirt-python")
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--pairs", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = {row["bench"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"seq", "info", "par16", "fds4", "screenshot", "ceiling"}
    for name, row in rows.items():
        assert row["libvirt_c"]["median"] > 0, name
        cell = row["virtrpc_sync"]
        assert cell["median"] > 0, name
        assert cell["ratio_q1"] <= cell["ratio"] <= cell["ratio_q3"], name
    assert rows["seq"]["virtrpc_sync"]["cpu_us"] > 0
    assert rows["seq"]["target"] == 1.1 and rows["par16"]["target"] == 1.0
