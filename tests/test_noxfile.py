"""noxfile.py's interpreter discovery and summary (what tools/test.sh reports).

Discovery runs in a subprocess against fake interpreters (shell scripts that
answer the probe as a CPython of some version would), so the checkout's real
Pythons and this process's PATH play no part.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _fake_python(path: Path, answer: str, status: int = 0) -> None:
    """An executable that prints ``answer`` whatever it is asked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{answer}'\nexit {status}\n")
    path.chmod(0o755)


def _discover(tmp_path: Path, path_dirs: list[Path]) -> tuple[dict[str, str], list[str]]:
    env = {
        **os.environ,
        "PATH": os.pathsep.join([*map(str, path_dirs), "/usr/bin", "/bin"]),
        "PYENV_ROOT": str(tmp_path / "pyenv"),
    }
    env.pop("PYENV_VERSION", None)
    result = subprocess.run(
        [sys.executable, "-c",
         "import json, noxfile; print(json.dumps([noxfile.INTERPRETERS, noxfile.MISSING]))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    found, missing = json.loads(result.stdout.splitlines()[-1])
    return found, missing


def test_interpreters_are_probed_not_trusted_by_name(tmp_path: Path) -> None:
    bin_dir, versions = tmp_path / "bin", tmp_path / "pyenv" / "versions"
    _fake_python(bin_dir / "python3.11", "cpython 3.11 /opt/real/python3.11")
    # A pyenv shim of a version that is not active: on PATH, but fails.
    _fake_python(bin_dir / "python3.12", "pyenv: python3.12: command not found", status=127)
    _fake_python(versions / "3.12.4" / "bin" / "python3.12", "cpython 3.12 /pyenv/3.12.4")
    _fake_python(versions / "3.12.10" / "bin" / "python3.12", "cpython 3.12 /pyenv/3.12.10")
    # Named 3.13 but another version, and a PyPy: neither counts.
    _fake_python(versions / "3.13.1" / "bin" / "python3.13", "cpython 3.11 /pyenv/3.13.1")
    _fake_python(bin_dir / "python3.14", "pypy 3.14 /opt/pypy/python3.14")
    found, missing = _discover(tmp_path, [bin_dir])
    # The real executable each one reports; pyenv's newest patch release first.
    assert found == {"3.11": "/opt/real/python3.11", "3.12": "/pyenv/3.12.10"}
    assert missing == ["3.13"]


def test_summary_names_every_session_and_fails_on_any_failure(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({
        "result": 0,
        "sessions": [
            {"name": "lint", "signatures": ["lint"], "result": "success", "duration": 3.0},
            {"name": "tests", "signatures": ["tests-9.98"], "result": "failed", "duration": 9.0},
        ],
    }))
    result = subprocess.run(
        [sys.executable, "noxfile.py", "summary", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["lint", "SUCCESS"]
    assert lines[1].split()[:2] == ["tests-9.98", "FAILED"]
    assert lines[1].endswith("pytest did not finish")
