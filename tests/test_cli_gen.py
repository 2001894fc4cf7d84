"""``virtrpc gen`` and ``virtrpc procedures``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.inputs import GENERATED_FROM, require_protocol_dir
from virtrpc.cli import main

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ROOT / "src" / "virtrpc" / "protocols"


def test_committed_modules_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gen", "--check", str(require_protocol_dir(GENERATED_FROM))]) == 0
    assert "modules up to date" in capsys.readouterr().out


def test_check_reports_a_stale_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out"
    shutil.copytree(PROTOCOLS, output, ignore=shutil.ignore_patterns("__pycache__"))
    stale = output / "keepalive.py"
    stale.write_text(
        stale.read_text().replace("KEEPALIVE_PROC_PONG = 2", "KEEPALIVE_PROC_PONG = 3")
    )
    (output / "lxc.py").unlink()
    code = main(["gen", "--check", "-o", str(output), str(require_protocol_dir(GENERATED_FROM))])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{stale}: differs" in out and "lxc.py: missing" in out
    assert "2 module(s) out of date" in out


def test_gen_writes_a_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qemu = require_protocol_dir("libvirt-9.0.0") / "qemu_protocol.x"
    assert main(["gen", "-o", str(tmp_path), str(qemu)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    # the included remote_protocol.x comes along so the output imports
    assert written == ["__init__.py", "qemu.py", "qemu_calls.py", "remote.py", "remote_calls.py"]
    assert "wrote" in capsys.readouterr().out


def test_malformed_x_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.x"
    bad.write_text("struct a {\n    int x\n};\n")
    result = subprocess.run(
        [sys.executable, "-m", "virtrpc", "gen", "-o", str(tmp_path / "out"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"{bad}:3:1: expected ';', found '}}'"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gen", str(tmp_path / "nope.x")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_procedures_lists_numbers_names_and_markers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["procedures", "remote"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 453
    by_name = {line.split()[1]: line for line in lines}
    assert by_name["domain_fd_associate"].startswith("443 domain_fd_associate ")
    assert "fds=send" in by_name["domain_fd_associate"]
    assert "stream=write" in by_name["storage_vol_upload"]
    assert "priority=high" in by_name["connect_open"]
    assert "event" in by_name["domain_event_lifecycle"].split()
    assert lines[0].startswith("1 connect_open")


@pytest.mark.parametrize(
    "program", ["keepalive", "admin", "qemu", "lxc", "lock", "log", "lxc_monitor"]
)
def test_procedures_of_every_program(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["procedures", program]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.split()[0].isdigit() for line in lines)


def test_regen_script_check_mode() -> None:
    result = subprocess.run(
        [str(ROOT / "tools" / "regen"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
