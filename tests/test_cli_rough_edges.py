"""The CLI's rough edges of issue 11: each one a test.

Against ``virtrpc serve`` (no libvirtd needed): missing folders for
``proxy --record``, ``serve --socket`` and ``call --stream-out``; where
``gen`` writes without ``-o``; "did you mean"; no Python class names in
error messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import virtrpc.sync
from tests.support.peers import serve_process
from virtrpc.cli import main
from virtrpc.cli.call import find_procedure, format_error
from virtrpc.cli.gen import INSTALLED_PROTOCOLS
from virtrpc.errors import VirtrpcError

TEST_DOMAIN = {"name": "test", "uuid": "6695eb01f6a4830479aa97f2502e193f", "id": 1}
HELLO_X = """\
struct hello_args { string name<64>; };
struct hello_ret { string greeting<128>; };
program HELLO_PROGRAM {
    version HELLO_V1 {
        hello_ret HELLO(hello_args) = 1;
    } = 1;
} = 0x20009999;
"""
PYTHON_CLASS_NAMES = ("Error:", "Exception", "Traceback")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_process(tmp_path_factory.mktemp("serve")) as (uri, _process):
        yield uri


def virtrpc_command(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "virtrpc", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_clean_line(stderr: str) -> None:
    assert stderr.count("\n") == 1, stderr
    for name in PYTHON_CLASS_NAMES:
        assert name not in stderr, stderr


# -- proxy --record ----------------------------------------------------------


def test_proxy_creates_a_missing_record_folder(served: str, tmp_path: Path) -> None:
    upstream = served.partition("socket=")[2]
    listen = tmp_path / "spy.sock"
    record = tmp_path / "not" / "yet" / "there"
    process = subprocess.Popen(
        [sys.executable, "-m", "virtrpc", "proxy", "--listen", str(listen),
         "--upstream", upstream, "--record", str(record)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        ready = process.stderr.readline()  # printed once it listens
        assert ready.startswith("proxying"), ready
        with virtrpc.sync.connect(f"test+unix:///default?socket={listen}") as client:
            assert client.connect_get_hostname() == "vm"
        assert record.stat().st_mode & 0o777 == 0o700  # a recording holds secrets
        recorded = virtrpc_command("decode", str(record / "conn-1.c2s.bin"))
        assert recorded.returncode == 0
        assert "remote.connect_get_hostname" in recorded.stdout
        # The folder vanishing later costs the recording, not the client.
        for path in record.iterdir():
            path.unlink()
        record.rmdir()
        with virtrpc.sync.connect(f"test+unix:///default?socket={listen}") as client:
            assert client.connect_get_hostname() == "vm"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert f"#2 C>S not recording: {record}/conn-2.c2s.bin: No such file or directory" in out


def test_proxy_refuses_a_record_path_that_is_a_file_before_listening(
    served: str, tmp_path: Path
) -> None:
    upstream = served.partition("socket=")[2]
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    listen = tmp_path / "spy.sock"
    for record in (not_a_folder, not_a_folder / "below"):
        result = virtrpc_command(
            "proxy", "--listen", str(listen), "--upstream", upstream, "--record", str(record)
        )
        assert result.returncode == 2
        assert_one_clean_line(result.stderr)
        assert f"--record {record}" in result.stderr
        assert not listen.exists()  # refused before listening


# -- serve --socket ----------------------------------------------------------


def test_serve_refuses_a_socket_in_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    for option in ("--socket", "--ro-socket"):
        extra = [] if option == "--socket" else ["--socket", str(tmp_path / "rw.sock")]
        result = virtrpc_command("serve", *extra, option, str(missing / "sock"))
        assert result.returncode == 2
        assert_one_clean_line(result.stderr)
        assert f"no such folder {missing}" in result.stderr
        assert not (tmp_path / "no").exists()
        assert not (tmp_path / "rw.sock").exists()


# -- call --stream-out -------------------------------------------------------


def test_stream_out_to_a_missing_folder_is_one_line_without_class_name(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "shot.png"
    args = json.dumps({"dom": TEST_DOMAIN, "screen": 0})
    code = main(["call", served, "domain_screenshot", args, "--stream-out", str(target)])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err == f"error: {target}: No such file or directory\n"


def test_stream_out_works_and_a_failed_call_leaves_no_file(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "shot.png"
    args = json.dumps({"dom": TEST_DOMAIN, "screen": 0})
    assert main(["call", served, "domain_screenshot", args, "--stream-out", str(target)]) == 0
    assert json.loads(capsys.readouterr().out) == {"mime": "image/png"}
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    other = tmp_path / "never.png"
    unknown = {"name": "nope", "uuid": "00" * 16, "id": 99}
    bad_args = json.dumps({"dom": unknown, "screen": 0})
    assert main(["call", served, "domain_screenshot", bad_args, "--stream-out", str(other)]) == 1
    err = capsys.readouterr().err
    assert "VIR_ERR_NO_DOMAIN" in err
    assert not other.exists()


def test_stream_in_from_a_missing_file(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "absent.img"
    volume = {"pool": "default-pool", "name": "any.img", "key": "/any.img"}
    args = json.dumps({"vol": volume, "offset": 0, "length": 0, "flags": 0})
    code = main(["call", served, "storage_vol_upload", args, "--stream-in", str(source)])
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"error: {source}: No such file or directory\n"


def test_error_lines_never_name_python_classes() -> None:
    assert format_error(FileNotFoundError(2, "No such file or directory", "/x")) == (
        "error: /x: No such file or directory"
    )
    assert format_error(PermissionError(13, "Permission denied", "/a", None, "/b")) == (
        "error: /a -> /b: Permission denied"
    )
    assert format_error(TimeoutError()) == "error: timed out"
    assert format_error(ValueError("bad\nvalue")) == "error: bad value"
    assert format_error(VirtrpcError("")) == "error: failed without a message"


# -- did you mean ------------------------------------------------------------


def test_unknown_procedure_suggests_close_names(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(VirtrpcError, match=r"did you mean 'domain_lookup_by_name'"):
        find_procedure("domain_lookup_by_nam")
    with pytest.raises(VirtrpcError, match=r"did you mean 'REMOTE_PROC_DOMAIN_GET_INFO'"):
        find_procedure("REMOTE_PROC_DOMAIN_GET_INF")
    with pytest.raises(VirtrpcError, match=r"unknown program 'qemuu' \(did you mean 'qemu'\?\)"):
        find_procedure("qemuu.domain_monitor_command")
    with pytest.raises(VirtrpcError) as nothing_close:
        find_procedure("zzzzzz")
    assert "did you mean" not in str(nothing_close.value)
    assert main(["call", served, "connect_get_hostnme"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "error: unknown procedure 'connect_get_hostnme' (did you mean 'connect_get_hostname'"
    )
    assert err.count("\n") == 1


def test_unknown_program_of_procedures_suggests_close_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["procedures", "remot"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("virtrpc procedures: unknown program 'remot' (did you mean 'remote'?)")
    assert err.count("\n") == 1


# -- gen without -o ----------------------------------------------------------


def test_gen_without_output_writes_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "hello.x"
    source.write_text(HELLO_X)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted(os.listdir(INSTALLED_PROTOCOLS))
    assert main(["gen", str(source)]) == 0
    assert sorted(p.name for p in work.iterdir()) == ["__init__.py", "hello.py"]
    assert sorted(os.listdir(INSTALLED_PROTOCOLS)) == before
    assert "hello.py" not in before
    out = capsys.readouterr().out
    assert "wrote ./hello.py" in out and "wrote ./__init__.py" in out
    # The module works: the program and its procedure are there.
    result = subprocess.run(
        [sys.executable, "-c", "import hello; print(hello.PROGRAM.by_name['hello'].number)"],
        cwd=work, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "1\n"), result.stderr


def test_proxy_refuses_to_take_over_a_live_server_socket(served: str, tmp_path: Path) -> None:
    live = served.partition("socket=")[2]
    result = virtrpc_command("proxy", "--listen", live, "--upstream", str(tmp_path / "none"))
    assert result.returncode == 1
    assert_one_clean_line(result.stderr)
    assert "a server is already running there" in result.stderr
    with virtrpc.sync.connect(served) as client:  # still the server's socket
        assert client.connect_get_hostname() == "vm"


def test_os_errors_of_gen_and_decode_read_as_path_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "hello.x"
    source.write_text(HELLO_X)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["gen", "-o", str(blocker / "out"), str(source)]) == 2
    assert capsys.readouterr().err == f"virtrpc gen: {blocker / 'out'}: Not a directory\n"
    assert main(["decode", str(tmp_path / "absent.bin")]) == 1
    err = capsys.readouterr().err
    assert err == f"virtrpc decode: {tmp_path / 'absent.bin'}: No such file or directory\n"
