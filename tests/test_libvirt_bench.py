"""bench/bench_libvirt.py still runs end to end (one short pair per row).

No speed is asserted (speed is what the benchmark reports); this keeps its
worker script (the same one under libvirt-python and under virtrpc's shim),
its 1,000-domain set-up and its report from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.peers import find_libvirtd, has_libvirt_python, require_peer

pytestmark = pytest.mark.libvirtd

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_libvirt.py"


def test_bench_libvirt_reports_every_row() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "libvirt-python")
    result = subprocess.run([sys.executable, str(BENCH), "--quick", "--pairs", "1", "--json"],
                            capture_output=True, text=True, timeout=120, check=True)
    rows = {row["bench"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"version", "info", "listall", "import"}
    for name in ("version", "info", "listall"):
        row = rows[name]
        for client in ("libvirt_c", "virtrpc", "engine"):
            assert row[client]["median"] > 0, (name, client)
            assert row[client]["cpu_us"] > 0, (name, client)
        assert row["virtrpc"]["ratio_q1"] <= row["virtrpc"]["ratio"] <= row["virtrpc"]["ratio_q3"]
        assert row["layer_q1"] <= row["layer_us"] <= row["layer_q3"]
    assert rows["version"]["target"] == 1.1 and rows["listall"]["target"] == 1.5
    assert rows["import"]["target_ms"] == 150.0
    assert rows["import"]["libvirt_c"]["median"] > 0 and rows["import"]["virtrpc"]["median"] > 0
