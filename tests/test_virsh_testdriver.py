"""Real Debian virsh 9.0 against the built-in test hypervisor, served in-process.

The server runs on the test's event loop and virsh is an asyncio subprocess,
so the tests can also count the server's open fds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.served import ServedHypervisor
from virtrpc.server import Server
from virtrpc.testdriver import TestDriver

DOMAIN_XML = "<domain type='test'><name>{name}</name><memory>1024</memory>" \
             "<os><type>hvm</type></os></domain>"


@dataclass
class Served:
    server: Server
    driver: TestDriver
    uri: str
    ro_uri: str
    tmp: Path


pytestmark = pytest.mark.served(extras=True)


@pytest.fixture
def served(served_hypervisor: ServedHypervisor, virsh: str) -> Served:
    """The shared in-process test hypervisor, as this module names its parts."""
    return Served(served_hypervisor.server, served_hypervisor.driver, served_hypervisor.uri,
                  served_hypervisor.readonly_uri, served_hypervisor.folder)


async def run_virsh(uri: str, *command: str, check: bool = True,
                    pass_fds: tuple[int, ...] = ()) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        "virsh", "-c", uri, *command, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, pass_fds=pass_fds)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    code = process.returncode
    assert code is not None
    if check and code != 0:
        raise AssertionError(f"virsh {' '.join(command)} failed ({code}): {err.decode()}")
    return code, out.decode(), err.decode()


async def test_host_information(served: Served) -> None:
    _, out, _ = await run_virsh(served.uri, "version")
    assert "Running hypervisor: TEST 0.0.2" in out
    _, out, _ = await run_virsh(served.uri, "nodeinfo")
    assert "CPU(s):              16" in out and "Memory size:         3145728 KiB" in out
    _, out, _ = await run_virsh(served.uri, "hostname")
    assert out.strip() == "vm"
    _, out, _ = await run_virsh(served.uri, "uri")
    assert out.strip() == served.uri
    _, out, _ = await run_virsh(served.uri, "capabilities")
    assert "<os_type>hvm</os_type>" in out
    _, out, _ = await run_virsh(served.uri, "sysinfo")
    assert "<sysinfo type=" in out


async def test_default_domain(served: Served) -> None:
    _, out, _ = await run_virsh(served.uri, "list", "--all")
    assert [line.split() for line in out.splitlines()[2:] if line.strip()] == [
        ["1", "test", "running"]]
    _, out, _ = await run_virsh(served.uri, "dominfo", "test")
    assert "UUID:           6695eb01-f6a4-8304-79aa-97f2502e193f" in out
    assert "State:          running" in out
    _, out, _ = await run_virsh(served.uri, "dumpxml", "test")
    assert "<name>test</name>" in out and 'id="1"' in out


async def test_domain_lifecycle_shared_by_all_clients(served: Served) -> None:
    xml = served.tmp / "t2.xml"
    xml.write_text(DOMAIN_XML.format(name="t2"))
    await run_virsh(served.uri, "define", str(xml))
    _, out, _ = await run_virsh(served.uri, "domstate", "t2")
    assert out.strip() == "shut off"
    await run_virsh(served.uri, "start", "t2")
    _, out, _ = await run_virsh(served.uri, "domstate", "t2")  # another connection sees it
    assert out.strip() == "running"
    code, _, err = await run_virsh(served.uri, "start", "t2", check=False)
    assert code != 0 and "Domain is already active" in err
    await run_virsh(served.uri, "suspend", "t2")
    _, out, _ = await run_virsh(served.uri, "domstate", "t2")
    assert out.strip() == "paused"
    await run_virsh(served.uri, "resume", "t2")
    await run_virsh(served.uri, "destroy", "t2")
    await run_virsh(served.uri, "undefine", "t2")
    code, _, err = await run_virsh(served.uri, "dominfo", "t2", check=False)
    assert code != 0 and "failed to get domain 't2'" in err


async def test_bad_xml_is_an_xml_error(served: Served) -> None:
    bad = served.tmp / "bad.xml"
    bad.write_text("<domain><name>x")
    code, _, err = await run_virsh(served.uri, "define", str(bad), check=False)
    assert code != 0 and "(domain_definition):1:" in err
    entity = served.tmp / "entity.xml"
    entity.write_text('<!DOCTYPE d [<!ENTITY e "x">]><domain type="test"><name>&e;</name>'
                      "<memory>1</memory><os><type>hvm</type></os></domain>")
    code, _, err = await run_virsh(served.uri, "define", str(entity), check=False)
    assert code != 0 and "document type declarations" in err
    assert set(served.driver.hv.domains) == {"test"}


async def test_readonly_socket_denies_changes(served: Served) -> None:
    _, out, _ = await run_virsh(served.ro_uri, "list", "--all")
    assert "test" in out
    code, _, err = await run_virsh(served.ro_uri, "destroy", "test", check=False)
    assert code != 0
    assert "operation forbidden: read only access prevents virDomainDestroy" in err
    assert served.driver.hv.domains["test"].active


async def test_create_pass_fds_keeps_them_until_destroy(served: Served) -> None:
    xml = served.tmp / "tr.xml"
    xml.write_text(DOMAIN_XML.format(name="tr"))
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)
    try:
        await run_virsh(served.uri, "create", str(xml), "--pass-fds", str(read_end),
                        pass_fds=(read_end,))
        os.close(read_end)
        kept = served.driver.hv.domains["tr"].kept_fds
        assert len(kept) == 1
        os.write(write_end, b"hello")  # the domain holds the read end
        assert os.read(kept[0], 5) == b"hello"
        await run_virsh(served.uri, "destroy", "tr")
        assert "tr" not in served.driver.hv.domains  # transient: gone
        with pytest.raises(BrokenPipeError):
            os.write(write_end, b"x")  # and the fd it held is closed
    finally:
        os.close(write_end)


async def test_dom_fd_associate(served: Served) -> None:
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)
    try:
        await run_virsh(served.uri, "dom-fd-associate", "--domain", "test", "--name", "vdisk",
                        "--pass-fds", str(read_end), pass_fds=(read_end,))
    finally:
        os.close(read_end)
    associated = served.driver.hv.domains["test"].associated_fds["vdisk"]
    assert len(associated) == 1
    os.write(write_end, b"ok")
    assert os.read(associated[0], 2) == b"ok"
    os.close(write_end)


async def test_screenshot_is_a_png(served: Served) -> None:
    target = served.tmp / "shot.png"
    _, out, _ = await run_virsh(served.uri, "screenshot", "test", str(target))
    assert "image/png" in out
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"


async def test_volume_upload_and_download_with_sparse(served: Served) -> None:
    dense, sparse = served.tmp / "dense.img", served.tmp / "sparse.img"
    await run_virsh(served.uri, "vol-download", "--pool", "default-pool", "disk1.img", str(dense))
    await run_virsh(served.uri, "vol-download", "--pool", "default-pool", "disk1.img",
                    str(sparse), "--sparse")
    assert dense.read_bytes() == sparse.read_bytes()
    assert dense.stat().st_size == 1024 * 1024 + 2 * 1024 * 1024 + 4096
    # the 2 MiB hole stays a hole in the file written from the sparse stream
    assert sparse.stat().st_blocks * 512 < dense.stat().st_blocks * 512 - 1024 * 1024
    payload = served.tmp / "payload.bin"
    payload.write_bytes(os.urandom(700_000))
    await run_virsh(served.uri, "vol-upload", "--pool", "default-pool", "disk1.img", str(payload))
    back = served.tmp / "back.bin"
    await run_virsh(served.uri, "vol-download", "--pool", "default-pool", "disk1.img", str(back))
    assert back.read_bytes() == payload.read_bytes()
    await run_virsh(served.uri, "vol-upload", "--pool", "default-pool", "disk1.img", str(sparse),
                    "--sparse")
    volume = served.driver.hv.pools["default-pool"].volumes["disk1.img"]
    assert volume.size == dense.stat().st_size
    assert volume.allocation < volume.size  # the hole arrived as a hole


async def _events_then_interrupt(
    watcher: asyncio.subprocess.Process, wanted: str, count: int
) -> list[str]:
    """The lines of a ``virsh ... --loop`` watcher that contain ``wanted``:
    read until ``count`` of them came, then the watcher is interrupted as
    by ^C (it deregisters and exits) instead of waiting for its --timeout."""
    assert watcher.stdout is not None
    lines: list[str] = []
    while len(lines) < count:
        line = (await watcher.stdout.readline()).decode()
        if not line:
            break  # virsh ended (its --timeout bounds a missing event)
        if wanted in line:
            lines.append(line.rstrip("\n"))
    if watcher.returncode is None:
        watcher.send_signal(signal.SIGINT)
    rest, _ = await watcher.communicate()
    lines += [line for line in rest.decode().splitlines() if wanted in line]
    assert watcher.returncode == 0
    return lines


async def test_event_loop_reports_lifecycle_events(served: Served) -> None:
    xml = served.tmp / "ev.xml"
    xml.write_text(DOMAIN_XML.format(name="ev"))
    watcher = await asyncio.create_subprocess_exec(
        "virsh", "-c", served.uri, "event", "--all", "--loop", "--timeout", "10",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    loop = asyncio.get_running_loop()
    end = loop.time() + 10
    while not any(r.kind == "domain" for r in served.driver.registrations):
        assert loop.time() < end, "virsh event never registered"
        await asyncio.sleep(0.01)
    await run_virsh(served.uri, "define", str(xml))
    await run_virsh(served.uri, "start", "ev")
    await run_virsh(served.uri, "destroy", "ev")
    await run_virsh(served.uri, "undefine", "ev")
    lines = await asyncio.wait_for(_events_then_interrupt(watcher, "for domain 'ev'", 4), 15)
    assert lines == [
        "event 'lifecycle' for domain 'ev': Defined Added",
        "event 'lifecycle' for domain 'ev': Started Booted",
        "event 'lifecycle' for domain 'ev': Stopped Destroyed",
        "event 'lifecycle' for domain 'ev': Undefined Removed",
    ]
    assert not served.driver.registrations  # dropped when virsh left


async def test_networks(served: Served) -> None:
    xml = served.tmp / "net.xml"
    xml.write_text("<network><name>n2</name><bridge name='virbr9'/></network>")
    await run_virsh(served.uri, "net-define", str(xml))
    await run_virsh(served.uri, "net-start", "n2")
    _, out, _ = await run_virsh(served.uri, "net-list", "--all")
    assert any(line.split()[:2] == ["n2", "active"] for line in out.splitlines()[2:] if line)
    _, out, _ = await run_virsh(served.uri, "net-dumpxml", "n2")
    assert "virbr9" in out
    await run_virsh(served.uri, "net-destroy", "n2")
    await run_virsh(served.uri, "net-undefine", "n2")
    assert set(served.driver.hv.networks) == {"default"}


def _console_on_pty(uri: str) -> tuple[subprocess.Popen[bytes], int]:
    """``virsh console test`` with a new pty as its controlling terminal;
    returns the process and the pty's master fd.  Not pty.fork(): forking
    this multi-threaded process may deadlock the child (3.12+ warn)."""
    master, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            ["setsid", "--ctty", "virsh", "-c", uri, "console", "test", "--force"],
            stdin=terminal, stdout=terminal, stderr=terminal,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(terminal)
    return process, master


def _drive_console(uri: str) -> tuple[bytes, int]:
    """Run ``virsh console`` on a pty, log in, leave with ^]; returns (output, status)."""
    process, master = _console_on_pty(uri)
    output = b""
    deadline = time.monotonic() + 20

    def read_until(marker: bytes, count: int = 1) -> bool:
        nonlocal output
        while output.count(marker) < count and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    output += os.read(master, 4096)
                except OSError:
                    return False
        return output.count(marker) >= count

    try:
        assert read_until(b"login: "), output
        os.write(master, b"root\r")
        assert read_until(b"login: ", 2), output
        os.write(master, b"\x1d")  # virsh's escape character
        status = process.wait(timeout=20)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    return output, status


async def test_console_echoes_and_prompts(served: Served) -> None:
    output, status = await asyncio.get_running_loop().run_in_executor(
        None, _drive_console, served.uri)
    assert status == 0
    assert b"test login: root" in output


async def test_virsh_sessions_leak_no_fds(served: Served) -> None:
    await run_virsh(served.uri, "list")  # warm up lazily created things
    baseline = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        await run_virsh(served.uri, "dominfo", "test")
        await run_virsh(served.uri, "screenshot", "test", str(served.tmp / "s.png"))
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while len(os.listdir("/proc/self/fd")) > baseline or served.server.clients:
        assert loop.time() < end, "fds or clients left behind"
        await asyncio.sleep(0.01)


async def test_memory_changes_and_empty_collections(served: Served) -> None:
    await run_virsh(served.uri, "setmem", "test", "1000")
    _, out, _ = await run_virsh(served.uri, "dominfo", "test")
    assert "Used memory:    1000 KiB" in out
    code, _, err = await run_virsh(served.uri, "setmaxmem", "test", "4000000", check=False)
    assert code != 0 and "active domain" in err
    await run_virsh(served.uri, "destroy", "test")
    await run_virsh(served.uri, "setmaxmem", "test", "4000000")
    assert served.driver.hv.domains["test"].max_memory == 4000000
    # secret-list needs extras (the fixture's): libvirtd's test driver has no
    # secrets (test_differential_virsh)
    for command in ("snapshot-list test", "iface-list", "secret-list"):
        code, _, err = await run_virsh(served.uri, *command.split(), check=False)
        assert code == 0, f"{command}: {err}"
    # virsh 9.0 lists devices with the ACTIVE flag, which libvirtd's test driver refuses.
    code, _, err = await run_virsh(served.uri, "nodedev-list", check=False)
    assert code != 0 and "unsupported flags (0x80000000)" in err


def _console_until_destroyed(uri: str) -> tuple[bytes, int, str]:
    """Run ``virsh console`` on a pty, destroy its domain from a second virsh and
    wait (with a deadline) for the console to end by itself."""
    process, master = _console_on_pty(uri)
    output = b""
    deadline = time.monotonic() + 20
    try:
        while b"login: " not in output and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                output += os.read(master, 4096)
        assert b"login: " in output, output
        destroy = subprocess.run(["virsh", "-c", uri, "destroy", "test"], capture_output=True,
                                 text=True, timeout=20, check=False)
        while time.monotonic() < deadline:
            status = process.poll()
            if status is not None:
                return output, status, destroy.stdout + destroy.stderr
            if select.select([master], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):  # EIO once the child is gone
                    output += os.read(master, 4096)
        raise AssertionError(f"virsh console did not end after destroy: {output!r}")
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_console_ends_when_its_domain_is_destroyed(served: Served) -> None:
    output, status, destroyed = await asyncio.get_running_loop().run_in_executor(
        None, _console_until_destroyed, served.uri)
    assert "Domain 'test' destroyed" in destroyed
    assert status == 0, output
    assert not served.driver.hv.domains["test"].active
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while any(client.open_streams for client in served.server.clients):
        assert loop.time() < end, "the console stream stayed open"
        await asyncio.sleep(0.01)


async def test_schedinfo_like_libvirts_test_driver(served: Served) -> None:
    # Observed with virsh 9.0 against libvirtd 9.0's test:///default.
    _, out, _ = await run_virsh(served.uri, "schedinfo", "test")
    assert out.split("\n") == ["Scheduler      : fair", "weight         : 50", "", ""]
    _, out, _ = await run_virsh(served.uri, "schedinfo", "test", "--set", "weight=10")
    assert "weight         : 50" in out  # libvirt's test driver ignores the new weight
    code, _, err = await run_virsh(served.uri, "schedinfo", "test", "--set", "cap=3",
                                   check=False)
    assert code == 1 and "invalid scheduler option: cap" in err
    code, _, err = await run_virsh(served.uri, "schedinfo", "test", "--live", check=False)
    assert code == 1
    assert "unsupported flags (0x5) in function testDomainGetSchedulerParametersFlags" in err
    _, out, _ = await run_virsh(served.uri, "freecell", "--all")
    assert [line.split() for line in out.splitlines() if line.strip()] == [
        ["0:", "2048", "KiB"], ["1:", "4096", "KiB"], ["--------------------"],
        ["Total:", "6144", "KiB"]]


async def test_pool_stop_and_start_with_events(served: Served) -> None:
    watcher = await asyncio.create_subprocess_exec(
        "virsh", "-c", served.uri, "pool-event", "--event", "lifecycle", "--loop",
        "--timeout", "10", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    loop = asyncio.get_running_loop()
    end = loop.time() + 10
    while not any(r.kind == "pool" for r in served.driver.registrations):
        assert loop.time() < end, "virsh pool-event never registered"
        await asyncio.sleep(0.01)
    _, out, _ = await run_virsh(served.uri, "pool-destroy", "default-pool")
    assert "Pool default-pool destroyed" in out
    code, _, err = await run_virsh(served.uri, "pool-destroy", "default-pool", check=False)
    assert code == 1
    assert "Requested operation is not valid: storage pool 'default-pool' is not active" in err
    _, out, _ = await run_virsh(served.uri, "pool-list", "--all")
    assert [line.split() for line in out.splitlines()[2:] if line.strip()] == [
        ["default-pool", "inactive", "no"]]
    code, _, err = await run_virsh(served.uri, "vol-list", "default-pool", check=False)
    assert code == 1 and "storage pool is not active" in err
    _, out, _ = await run_virsh(served.uri, "pool-start", "default-pool")
    assert "Pool default-pool started" in out
    _, out, _ = await run_virsh(served.uri, "vol-list", "default-pool")
    assert "disk1.img" in out
    lines = await asyncio.wait_for(_events_then_interrupt(watcher, "event '", 2), 15)
    assert lines == [
        "event 'lifecycle' for storage pool default-pool: Stopped",
        "event 'lifecycle' for storage pool default-pool: Started",
    ]
