"""tools/inputs.py: pins, the cache, sha256 checks, unpacking, error messages.

No network here: downloads are injected (a function that writes the archive),
and the apt/pip paths are driven with their probes replaced."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.inputs import require_input, tool

InputError: type[Exception] = tool.InputError

NAMES = {
    "libvirt-9.0.0",
    "libvirt-11.3.0",
    "libvirt-python-9.0.0",
    "libvirt-python-12.4.0",
    "libvirt-api-9.0.0",
}


def make_tarball(members: dict[str, bytes], top: str = "demo-1.0") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


DEMO = make_tarball({"README": b"demo\n", "tests/test_a.py": b"assert True\n", "run.sh": b"#!"})
DEMO_SHA = hashlib.sha256(DEMO).hexdigest()


def demo_input(**changes: Any) -> Any:
    fields: dict[str, Any] = {
        "name": "demo-1.0",
        "kind": tool.PYPI_SDIST,
        "package": "demo==1.0",
        "files": {"demo-1.0.tar.gz": DEMO_SHA},
    }
    fields.update(changes)
    return tool.Input(**fields)


class CountingDownloader:
    """Writes given bytes as the input's file and counts the calls."""

    def __init__(self, data: bytes = DEMO) -> None:
        self.data = data
        self.calls = 0

    def __call__(self, spec: Any, folder: Path) -> None:
        self.calls += 1
        (file_name,) = spec.files
        (folder / file_name).write_bytes(self.data)


def no_download(spec: Any, folder: Path) -> None:
    raise AssertionError(f"{spec.name} downloaded again")


def quiet(message: str) -> None:
    pass


def ensure(spec: Any, cache: Path, downloader: Any = no_download) -> Path:
    return Path(tool.ensure(spec, cache=cache, downloader=downloader, log=quiet))


def test_the_table_names_every_input_with_a_sha256_pin() -> None:
    assert set(tool.INPUTS) == NAMES
    for name, spec in tool.INPUTS.items():
        assert spec.name == name and spec.files
        for digest in spec.files.values():
            assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
        assert f"python tools/inputs.py fetch {name}" in spec.fetch_hint
    assert tool.INPUTS["libvirt-11.3.0"].package == "libvirt=11.3.0-3+deb13u3"
    assert set(tool.INPUTS["libvirt-api-9.0.0"].files) == {
        "libvirt-api.xml",
        "libvirt-admin-api.xml",
        "libvirt-lxc-api.xml",
        "libvirt-qemu-api.xml",
    }


def test_first_fetch_downloads_and_unpacks_the_second_is_offline(tmp_path: Path) -> None:
    downloader = CountingDownloader()
    folder = ensure(demo_input(), tmp_path, downloader)
    assert folder == tmp_path / "demo-1.0" and downloader.calls == 1
    assert (folder / "tests" / "test_a.py").read_bytes() == b"assert True\n"
    assert (folder / "run.sh").stat().st_mode & 0o111  # executable bits kept
    assert (tmp_path / "downloads" / "demo-1.0" / "demo-1.0.tar.gz").read_bytes() == DEMO
    assert ensure(demo_input(), tmp_path) == folder  # no_download: offline


def test_a_lost_unpacked_folder_is_rebuilt_from_the_cached_archive(tmp_path: Path) -> None:
    folder = ensure(demo_input(), tmp_path, CountingDownloader())
    (folder / ".inputs-stamp.json").unlink()  # e.g. an interrupted unpack
    (folder / "README").unlink()
    assert (ensure(demo_input(), tmp_path) / "README").read_bytes() == b"demo\n"


def test_a_corrupted_cache_file_is_rejected_and_deleted(tmp_path: Path) -> None:
    folder = ensure(demo_input(), tmp_path, CountingDownloader())
    archive = tmp_path / "downloads" / "demo-1.0" / "demo-1.0.tar.gz"
    middle = len(DEMO) // 2
    archive.write_bytes(DEMO[:middle] + bytes([DEMO[middle] ^ 0xFF]) + DEMO[middle + 1 :])
    assert any("sha256 differs" in p for p in tool.verify_spec(demo_input(), cache=tmp_path))
    (folder / ".inputs-stamp.json").unlink()
    with pytest.raises(InputError) as caught:
        ensure(demo_input(), tmp_path)
    message = str(caught.value)
    assert "\n" not in message and f"cached {archive} has sha256" in message
    assert f"pinned {DEMO_SHA}; deleted it" in message
    assert not archive.exists()
    downloader = CountingDownloader()  # the next fetch downloads it again
    assert (ensure(demo_input(), tmp_path, downloader) / "README").is_file()
    assert downloader.calls == 1


def test_a_download_with_the_wrong_sha256_is_rejected_and_deleted(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        ensure(demo_input(), tmp_path, CountingDownloader(b"not the release"))
    bad = hashlib.sha256(b"not the release").hexdigest()
    assert str(caught.value).endswith(
        f".tar.gz has sha256 {bad}, pinned {DEMO_SHA}; deleted it "
        "(the source or the pin in tools/inputs.py changed: see docs/inputs.md)"
    )
    assert list((tmp_path / "downloads" / "demo-1.0").iterdir()) == []
    assert not (tmp_path / "demo-1.0").exists()


def test_a_download_that_gives_nothing_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        ensure(demo_input(), tmp_path, lambda spec, folder: None)
    assert str(caught.value) == (
        "demo-1.0: the download gave no demo-1.0.tar.gz "
        "(run with network access: python tools/inputs.py fetch demo-1.0)"
    )


def test_an_unwritable_cache_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(InputError, match=r"^demo-1\.0: cannot fill the cache .*cache: "):
        ensure(demo_input(), blocker, CountingDownloader())


def test_verify_notices_a_changed_unpacked_file(tmp_path: Path) -> None:
    folder = ensure(demo_input(), tmp_path, CountingDownloader())
    assert tool.verify_spec(demo_input(), cache=tmp_path) == []
    (folder / "README").write_text("edited\n")
    assert tool.verify_spec(demo_input(), cache=tmp_path) == [
        f"{folder / 'README'}: changed since it was unpacked"
    ]


def test_a_changed_pin_unpacks_again(tmp_path: Path) -> None:
    ensure(demo_input(), tmp_path, CountingDownloader())
    narrower = demo_input(keep=("tests/*",))
    folder = ensure(narrower, tmp_path)  # same archive, so no download
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == [
        ".inputs-stamp.json",
        "test_a.py",
    ]


@pytest.mark.parametrize("member", ["../evil", "/etc/evil"])
def test_an_archive_member_leaving_the_folder_is_refused(tmp_path: Path, member: str) -> None:
    data = make_tarball({"README": b"x", member: b"evil"}, top="")
    spec = demo_input(files={"demo-1.0.tar.gz": hashlib.sha256(data).hexdigest()})
    with pytest.raises(InputError, match="unsafe member"):
        ensure(spec, tmp_path, CountingDownloader(data))
    assert not (tmp_path / "demo-1.0").exists() and not (tmp_path.parent / "evil").exists()


def test_a_release_tarball_is_laid_out_flat_for_gen(tmp_path: Path) -> None:
    members = {f"src/sub/{name}": name.encode() for name in tool.LIBVIRT_X_FILES}
    members |= {f"src/{name}": name.encode() for name in tool.LIBVIRT_STRUCTS_FILES}
    members |= {"examples/xml/test/testnode.xml": b"<node/>", "docs/other.rst": b""}
    data = make_tarball(members, top="libvirt-1.2.3")
    spec = tool.Input(
        name="libvirt-1.2.3",
        kind=tool.DEBIAN_SOURCE,
        package="libvirt=1.2.3-1",
        files={"libvirt_1.2.3.orig.tar.gz": hashlib.sha256(data).hexdigest()},
        keep=tool.INPUTS["libvirt-11.3.0"].keep,
        flat=tool.INPUTS["libvirt-11.3.0"].flat,
    )
    folder = ensure(spec, tmp_path, CountingDownloader(data))
    flat = folder / "protocol" / "libvirt-1.2.3"
    assert sorted(p.name for p in flat.iterdir()) == sorted(
        tool.LIBVIRT_X_FILES + tool.LIBVIRT_STRUCTS_FILES
    )
    assert (flat / "remote_protocol.x").read_bytes() == b"remote_protocol.x"
    assert (folder / "examples" / "xml" / "test" / "testnode.xml").is_file()
    assert not (folder / "docs").exists()


def test_a_release_without_a_protocol_file_is_an_error(tmp_path: Path) -> None:
    members = {f"src/{name}": b"" for name in tool.LIBVIRT_X_FILES[1:]}
    data = make_tarball(members, top="libvirt-1.2.3")
    spec = demo_input(
        files={"libvirt.tar.gz": hashlib.sha256(data).hexdigest()},
        flat=("src/*.x",),
    )
    with pytest.raises(InputError, match=r"missing \[.*'admin_protocol.x'"):
        ensure(spec, tmp_path, CountingDownloader(data))


def test_missing_deb_src_without_root_says_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tool, "apt_knows_source", lambda package: False)
    monkeypatch.setattr(tool, "is_root", lambda: False)
    monkeypatch.setattr(tool.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(InputError) as caught:
        tool.fetch("libvirt-11.3.0", cache=tmp_path, log=quiet)
    assert str(caught.value) == (
        "libvirt-11.3.0: apt knows no source package libvirt=11.3.0-3+deb13u3 (needs a deb-src "
        "entry for bookworm trixie and apt-get update); run as root with network access: "
        "python tools/inputs.py fetch libvirt-11.3.0"
    )


def test_a_failed_apt_get_source_is_judged_by_the_tarball(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(command: list[str], cwd: Path | None = None) -> Any:
        assert command[:3] == ["apt-get", "source", "--download-only"]
        stderr = (
            "E: Failed to fetch http://deb.example/libvirt_9.0.0-4+deb12u2.dsc  404  Not Found\n"
            "E: Failed to fetch http://deb.example/libvirt_9.0.0.orig.tar.xz  Unable to connect\n"
            "E: Failed to fetch some archives.\n"
        )
        return subprocess.CompletedProcess(command, 100, "", stderr)

    monkeypatch.setattr(tool, "apt_knows_source", lambda package: True)
    monkeypatch.setattr(tool, "_run", fake_run)
    with pytest.raises(InputError) as caught:
        tool.fetch("libvirt-9.0.0", cache=tmp_path, log=quiet)
    assert str(caught.value) == (
        "libvirt-9.0.0: `apt-get source --download-only libvirt=9.0.0-4+deb12u2` gave no "
        "libvirt_9.0.0.orig.tar.xz: E: Failed to fetch http://deb.example/libvirt_9.0.0.orig.tar.xz"
        "  Unable to connect (run as root with network access: "
        "python tools/inputs.py fetch libvirt-9.0.0)"
    )

    def fake_run_with_tarball(command: list[str], cwd: Path | None = None) -> Any:
        assert cwd is not None
        (cwd / "libvirt_9.0.0.orig.tar.xz").write_bytes(b"truncated")
        return subprocess.CompletedProcess(command, 100, "", "E: 404 for the .asc\n")

    monkeypatch.setattr(tool, "_run", fake_run_with_tarball)
    # exit status 100, yet the tarball came: it is its sha256 that fails here
    with pytest.raises(InputError, match=r"downloaded .*libvirt_9\.0\.0\.orig\.tar\.xz has sha256"):
        tool.fetch("libvirt-9.0.0", cache=tmp_path, log=quiet)


def test_a_failed_pip_download_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(command: list[str], cwd: Path | None = None) -> Any:
        assert command[1:4] == ["-m", "pip", "download"] and "libvirt-python==9.0.0" in command
        stderr = "ERROR: Could not find a version that satisfies the requirement\n"
        return subprocess.CompletedProcess(command, 1, "", stderr)

    monkeypatch.setattr(tool, "_run", fake_run)
    monkeypatch.setattr(tool.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(InputError) as caught:
        tool.fetch("libvirt-python-9.0.0", cache=tmp_path, log=quiet)
    message = str(caught.value)
    assert "\n" not in message and "ERROR: Could not find a version" in message
    assert message.endswith("then python tools/inputs.py fetch libvirt-python-9.0.0)")

    monkeypatch.setattr(tool.shutil, "which", lambda name: None)
    with pytest.raises(InputError, match=r"needs pkg-config .* apt-get install pkgconf"):
        tool.fetch("libvirt-python-9.0.0", cache=tmp_path, log=quiet)


def test_api_files_are_copied_from_the_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "usr-share-libvirt-api"
    installed.mkdir()
    (installed / "a-api.xml").write_text("<api/>")
    spec = tool.Input(
        name="api-1",
        kind=tool.DEBIAN_FILES,
        package="libvirt-dev=1-1",
        installed_dir=str(installed),
        files={"a-api.xml": hashlib.sha256(b"<api/>").hexdigest()},
    )
    monkeypatch.setattr(tool, "installed_version", lambda package: "1-1")
    folder = ensure(spec, tmp_path / "cache", tool.download)
    assert (folder / "a-api.xml").read_text() == "<api/>"


def test_the_deb_src_entry_copies_the_machines_debian_entry(tmp_path: Path) -> None:
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/example.gpg\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n"
    )
    path = tool.add_deb_src_entry(tmp_path)
    assert path == tmp_path / "virtrpc-inputs-src.sources"
    text = path.read_text()
    assert "Types: deb-src\nURIs: http://mirror.example/debian\n" in text
    assert "Suites: bookworm trixie\nComponents: main\n" in text
    assert "Signed-By: /usr/share/keyrings/example.gpg\n" in text
    path.write_text("kept\n")
    tool.add_deb_src_entry(tmp_path)  # an existing entry is left alone
    assert path.read_text() == "kept\n"


def test_cli_list_and_an_unknown_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VIRTRPC_INPUTS_CACHE", str(tmp_path))
    assert tool.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert {line.split()[0] for line in lines} == NAMES
    assert all(line.split()[1] == "missing" for line in lines)
    assert tool.main(["path", "libvirt-8.0.0"]) == 1
    assert capsys.readouterr().err == (
        "tools/inputs.py: unknown input 'libvirt-8.0.0' (known: libvirt-9.0.0, libvirt-11.3.0, "
        "libvirt-python-9.0.0, libvirt-python-12.4.0, libvirt-api-9.0.0)\n"
    )
    assert tool.main(["verify", "libvirt-9.0.0"]) == 1
    assert "not unpacked (python tools/inputs.py fetch libvirt-9.0.0)" in capsys.readouterr().out


def test_a_test_needing_a_missing_input_skips_or_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(name: str, **kwargs: Any) -> Path:
        raise InputError(f"{name}: cannot be fetched here")

    monkeypatch.setattr(tool, "fetch", unavailable)
    monkeypatch.setattr("tests.support.inputs.outcomes", {})
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="demo: cannot be fetched here"):
        require_input("demo")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: missing inputs are failures"):
        require_input("demo")
