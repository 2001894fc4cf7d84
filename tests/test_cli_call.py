"""``virtrpc call`` and ``virtrpc events`` against a real libvirtd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.peers import PrivateLibvirtd, run_virsh
from virtrpc.cli import main
from virtrpc.cli.call import find_procedure, parse_keepalive

pytestmark = pytest.mark.libvirtd

PNG = Path("/usr/share/libvirt/test-screenshot.png")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_call_prints_json_reply(
    libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "call", libvirtd.uri, "connect_get_lib_version")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"lib_ver": 9000000}


def test_reply_can_be_fed_back_as_arguments(
    libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys, "call", libvirtd.uri, "domain_lookup_by_name", '{"name": "test"}'
    )
    assert code == 0
    looked_up = json.loads(out)
    assert looked_up["dom"]["name"] == "test"
    assert len(bytes.fromhex(looked_up["dom"]["uuid"])) == 16  # bytes as hex
    code, out, _ = run_cli(capsys, "call", libvirtd.uri, "domain_get_info", json.dumps(looked_up))
    assert code == 0
    info = json.loads(out)
    assert info["state"] == 1 and info["nrVirtCpu"] == 2
    # The same through the constant name and an explicit program prefix.
    code, out2, _ = run_cli(
        capsys, "call", libvirtd.uri, "remote.REMOTE_PROC_DOMAIN_GET_INFO", json.dumps(looked_up)
    )
    assert code == 0 and json.loads(out2)["state"] == 1


def test_typed_params_round_trip_through_json(
    libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]
) -> None:
    dom = {"name": "test", "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f", "id": 1}
    code, out, _ = run_cli(
        capsys,
        "call",
        libvirtd.uri,
        "domain_get_memory_parameters",
        json.dumps({"dom": dom, "nparams": 3}),
    )
    assert code == 0
    params = json.loads(out)["params"]
    assert params[0]["value"]["type"] in range(1, 8)
    code, _, err = run_cli(
        capsys,
        "call",
        libvirtd.uri,
        "domain_set_memory_parameters",
        json.dumps({"dom": dom, "params": params, "flags": 0}),
    )
    assert code == 0, err


def test_error_is_one_line_with_code_names(
    libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "call", libvirtd.uri, "domain_lookup_by_name", '{"name": "nope"}'
    )
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: Domain not found")
    assert "VIR_ERR_NO_DOMAIN" in err and "VIR_FROM_TEST" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no_such_procedure"], "unknown procedure"),
        (["domain_lookup_by_name", "{not json"], "not valid JSON"),
        (["domain_lookup_by_name", '{"nam": "x"}'], "unknown field"),
        (["domain_get_info", '{"dom": {"name": "t", "uuid": "zz", "id": 1}}'], "hex"),
    ],
)
def test_bad_input_is_reported_without_traceback(
    libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, "call", libvirtd.uri, *argv)
    assert code == 1 and message in err and "Traceback" not in err


def test_connect_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(
        capsys, "call", f"test+unix:///default?socket={tmp_path}/none", "connect_get_type"
    )
    assert code == 1 and f"{tmp_path}/none" in err


def test_stream_out(
    libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "shot.png"
    dom = {"name": "test", "uuid": "6695eb01f6a4830479aa97f2502e193f", "id": 1}
    code, out, err = run_cli(
        capsys,
        "call",
        libvirtd.uri,
        "domain_screenshot",
        json.dumps({"dom": dom, "screen": 0}),
        "--stream-out",
        str(target),
    )
    assert code == 0, err
    assert json.loads(out) == {"mime": "image/png"}
    assert target.read_bytes() == PNG.read_bytes()


def test_fd_option(libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]) -> None:
    xml = "<domain type='test'><name>cli-fds</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    code, out, err = run_cli(
        capsys,
        "call",
        libvirtd.uri,
        "domain_create_xml_with_files",
        json.dumps({"xml_desc": xml}),
        "--fd",
        "/dev/null",
        "--fd",
        "/dev/null",
    )
    assert code == 0, err
    assert json.loads(out)["dom"]["name"] == "cli-fds"


def test_readonly_refused(libvirtd: PrivateLibvirtd, capsys: pytest.CaptureFixture[str]) -> None:
    dom = {"name": "test", "uuid": "6695eb01f6a4830479aa97f2502e193f", "id": 1}
    code, _, err = run_cli(
        capsys,
        "call",
        libvirtd.readonly_uri,
        "domain_destroy",
        json.dumps({"dom": dom}),
        "--readonly",
    )
    assert code == 1 and "VIR_ERR_OPERATION_DENIED" in err


def test_parse_keepalive_and_find_procedure() -> None:
    assert parse_keepalive("2,3") == (2.0, 3)
    assert parse_keepalive("off") is None
    assert find_procedure("qemu.domain_monitor_command").name == "domain_monitor_command"
    assert find_procedure("remote.16").name == "domain_get_info"


def _events_process(uri: str, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "virtrpc", "events", uri, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    ready = process.stderr.readline()  # blocks until subscribed (or the process dies)
    assert ready.startswith("listening for events"), ready
    return process


def test_events_prints_json_lines(libvirtd: PrivateLibvirtd, virsh: str) -> None:
    process = _events_process(libvirtd.uri, "--timeout", "20")
    try:
        run_virsh(libvirtd.uri, "destroy", "test")
        assert process.stdout is not None
        line = process.stdout.readline()
        event = json.loads(line)
        assert event["family"] == "domain" and event["event"] == "lifecycle"
        assert event["fields"]["dom"]["name"] == "test"
        assert event["fields"]["event"] == 5  # VIR_DOMAIN_EVENT_STOPPED
        assert isinstance(event["callback_id"], int)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_events_exits_nonzero_when_connection_dies(virsh: str) -> None:
    with PrivateLibvirtd() as daemon:
        process = _events_process(daemon.uri, "--timeout", "30")
        started = time.monotonic()
        daemon.stop()
        _, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "connection lost" in err
    assert time.monotonic() - started < 15


def test_stream_to_stdout_keeps_reply_on_stderr(libvirtd: PrivateLibvirtd) -> None:
    dom = {"name": "test", "uuid": "6695eb01f6a4830479aa97f2502e193f", "id": 1}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "virtrpc",
            "call",
            libvirtd.uri,
            "domain_screenshot",
            json.dumps({"dom": dom, "screen": 0}),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == PNG.read_bytes()
    assert json.loads(result.stderr) == {"mime": "image/png"}
