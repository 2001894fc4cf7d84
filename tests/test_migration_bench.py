"""bench/bench_migration.py still runs end to end (one short pair).

No speed is asserted; this keeps its two workers (libvirt-python's
``migrate3`` and virtrpc's blocking ``migrate``, against two ``virtrpc serve``
hypervisors) and its report from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.peers import has_libvirt_python, require_peer

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_migration.py"


def test_bench_migration_reports_its_row() -> None:
    require_peer(has_libvirt_python(), "libvirt-python")
    result = subprocess.run([sys.executable, str(BENCH), "--pairs", "1", "--batch", "2", "--json"],
                            capture_output=True, text=True, timeout=120, check=True)
    (row,) = json.loads(result.stdout)
    assert row["bench"] == "migrate3_managed" and row["unit"] == "migrations/s"
    assert row["libvirt_c"] > 0 and row["virtrpc"] > 0
    assert row["ratio_q1"] <= row["ratio"] <= row["ratio_q3"]
