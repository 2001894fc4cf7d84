"""Bounded coverage-guided fuzzing runs (atheris) of the harnesses in ``fuzz/``.

Longer runs are documented in docs/reliability.md.  Each harness fails (exit
status != 0, ``crash-*`` file) when anything but a typed virtrpc error escapes,
a fd leaks or an invariant breaks.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.peers import require_peer

FUZZ_DIR = Path(__file__).resolve().parent.parent / "fuzz"

# harness -> libFuzzer run count: a few seconds each on this machine.
HARNESSES = {
    "fuzz_packet.py": 20000,
    "fuzz_connection.py": 20000,
    "fuzz_xdr_types.py": 10000,
}


@pytest.mark.parametrize("harness", sorted(HARNESSES))
def test_bounded_atheris_run(harness: str, tmp_path: Path) -> None:
    require_peer(importlib.util.find_spec("atheris") is not None, "atheris (pip)")
    result = subprocess.run(
        [sys.executable, str(FUZZ_DIR / harness), f"-runs={HARNESSES[harness]}", "-seed=1"],
        cwd=tmp_path,  # crash-* artefacts land here, not in the checkout
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"Done {HARNESSES[harness]} runs" in result.stderr
    assert not list(tmp_path.glob("crash-*"))
