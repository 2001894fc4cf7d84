"""+ssh and +ext: libvirt's command lines, the pipe transport, a real sshd."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import virtrpc.client.client  # noqa: F401  (imported up front: timing tests exclude import time)
from tests.support.peek import transport_of
from tests.support.peers import PrivateLibvirtd, require_peer
from tests.support.tls_fixtures import PrivateSshd, open_network_client
from virtrpc.errors import ConnectError, ProtocolError
from virtrpc.transport.ext import ProcessTransport
from virtrpc.transport.ssh import default_proxy, remote_command, shell_escape, ssh_argv

# ------------------------------------------------------------ command lines

NETCAT_PART = (
    "if 'nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;"
    "else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock"
)


def test_netcat_command_is_libvirts() -> None:
    command = remote_command("netcat", netcat=None, socket_path="/var/run/libvirt/libvirt-sock",
                             driver_uri="qemu:///system", readonly=False)
    assert command == f"sh -c '{NETCAT_PART}'"


def test_native_command_runs_virt_ssh_helper() -> None:
    command = remote_command("native", netcat=None, socket_path="/x", driver_uri="qemu:///system",
                             readonly=True)
    assert command == "sh -c 'virt-ssh-helper -r 'qemu:///system''"


def test_auto_command_prefers_the_helper_and_falls_back_to_netcat() -> None:
    command = remote_command("auto", netcat=None, socket_path="/var/run/libvirt/libvirt-sock",
                             driver_uri="qemu:///system", readonly=False)
    assert command == (
        "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then "
        "    virt-ssh-helper 'qemu:///system'; else    " + NETCAT_PART + "; fi'"
    )
    # A netcat= path turns auto into netcat; with native it is an error.
    assert remote_command("auto", netcat="/bin/nc", socket_path="/s", driver_uri="u",
                          readonly=False).startswith("sh -c 'if '/bin/nc' -q")
    with pytest.raises(ConnectError, match="netcat path not valid with native proxy mode"):
        remote_command("native", netcat="nc", socket_path="/s", driver_uri="u", readonly=False)
    with pytest.raises(ConnectError, match="Unknown proxy type"):
        remote_command("socks", netcat=None, socket_path="/s", driver_uri="u", readonly=False)


def test_uri_with_shell_metacharacters_is_quoted_twice() -> None:
    assert shell_escape("plain") == "plain"
    assert shell_escape("a b") == "'a b'"
    assert shell_escape("it's") == "'it'\\''s'"
    assert shell_escape("") == "''"
    command = remote_command("native", netcat=None, socket_path="/s",
                             driver_uri="test:///default?a=b&c=d", readonly=False)
    # Quoted once for "sh -c" and once for the remote login shell, as libvirt does.
    assert command == "sh -c 'virt-ssh-helper '''\\''test:///default?a=b&c=d'\\'''''"


def test_ssh_argv_matches_virNetSocketNewConnectSSH() -> None:
    argv = ssh_argv("host1", "CMD", port=2222, user="root", keyfile="/k", no_tty=True,
                    no_verify=True)
    assert argv == ["ssh", "-p", "2222", "-l", "root", "-i", "/k", "-T", "-e", "none",
                    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "--", "host1", "CMD"]
    assert ssh_argv("h", "C", binary="/usr/local/bin/ssh") == [
        "/usr/local/bin/ssh", "-T", "-e", "none", "--", "h", "C"]


def test_default_proxy_rules() -> None:
    assert default_proxy(socket_given=True, session=True) == "netcat"
    assert default_proxy(socket_given=False, session=True) == "native"
    assert default_proxy(socket_given=False, session=False) == "auto"
    assert default_proxy(socket_given=True, session=False, configured="native") == "native"


# ------------------------------------------------------------ +ext transport


@pytest.fixture(scope="module")
def daemon(module_libvirtd: PrivateLibvirtd) -> PrivateLibvirtd:
    """This module's private libvirtd (the shared module_libvirtd fixture)."""
    return module_libvirtd


def require_nc() -> str:
    nc = shutil.which("nc")
    require_peer(nc is not None, "nc with -U (Debian package netcat-openbsd)")
    assert nc is not None
    return nc


def write_script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


async def test_ext_command_tunnels_to_libvirtd(daemon: PrivateLibvirtd, tmp_path: Path) -> None:
    nc = require_nc()
    command = write_script(tmp_path / "tunnel", f"exec {nc} -U {daemon.socket_path}\n")
    client: Any = await open_network_client(f"test+ext:///default?command={command}")
    try:
        transport = transport_of(client)
        assert isinstance(transport, ProcessTransport)
        assert transport.can_pass_fds is False
        dom = await client.domain_lookup_by_name(name="test")
        assert dom.name == "test"
        stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
        size = 0
        async for chunk in stream:
            size += len(chunk)
        await stream.finish()
        assert size > 1000
        read_fd, write_fd = os.pipe()
        try:
            with pytest.raises(ProtocolError, match="only unix sockets carry fds"):
                transport.write(b"x", [read_fd])
        finally:
            os.close(read_fd)
            os.close(write_fd)
        assert transport.get_write_buffer_size() == 0
    finally:
        await client.close()
    assert transport.is_closing()


async def test_ext_command_failure_names_status_and_stderr(tmp_path: Path) -> None:
    command = write_script(tmp_path / "broken", "echo 'tunnel: no route to the daemon' >&2\nexit 3\n")
    uri = f"test+ext:///default?command={command}"
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        await open_network_client(uri)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert uri in message and "exited with status 3" in message
    assert "tunnel: no route to the daemon" in message


async def test_ext_missing_command_is_a_connect_error(tmp_path: Path) -> None:
    uri = f"test+ext:///default?command={tmp_path}/does-not-exist"
    with pytest.raises(ConnectError, match="cannot run") as info:
        await open_network_client(uri)
    assert uri in str(info.value)
    with pytest.raises(ConnectError, match="command="):
        await open_network_client("test+ext:///default")


# ------------------------------------------------------------------ +ssh


@pytest.fixture(scope="module")
def sshd() -> Iterator[PrivateSshd]:
    require_nc()
    with PrivateSshd() as server:
        yield server


def ssh_uri(sshd: PrivateSshd, daemon: PrivateLibvirtd, extra: str = "") -> str:
    return (
        f"test+ssh://root@127.0.0.1:{sshd.port}/default?socket={daemon.socket_path}"
        f"&keyfile={sshd.keyfile}&known_hosts={sshd.known_hosts}&no_tty=1{extra}"
    )


async def test_ssh_to_libvirtd_via_netcat(sshd: PrivateSshd, daemon: PrivateLibvirtd) -> None:
    client: Any = await open_network_client(ssh_uri(sshd, daemon))
    try:
        transport = transport_of(client)
        assert isinstance(transport, ProcessTransport)
        assert transport.argv[:3] == ["ssh", "-p", str(sshd.port)]
        assert "nc" in transport.argv[-1] and daemon.socket_path in transport.argv[-1]
        results = [await client.connect_get_lib_version() for _ in range(20)]
        assert len(set(results)) == 1
    finally:
        await client.close()


async def test_ssh_rejected_key_is_a_clear_error(
    sshd: PrivateSshd, daemon: PrivateLibvirtd, tmp_path: Path
) -> None:
    other_key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)],
                   check=True, capture_output=True, timeout=30)
    uri = ssh_uri(sshd, daemon).replace(sshd.keyfile, str(other_key))
    uri += "&command=ssh"
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        await open_network_client(uri, env={**os.environ, "HOME": str(tmp_path)})
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert uri in message and "ssh exited with status 255" in message
    assert "Permission denied" in message and "\n" not in message


async def test_ssh_closed_port_is_a_clear_error(daemon: PrivateLibvirtd, tmp_path: Path) -> None:
    from tests.support.tls_fixtures import free_port

    uri = f"test+ssh://root@127.0.0.1:{free_port()}/default?socket={daemon.socket_path}&no_tty=1"
    with pytest.raises(ConnectError) as info:
        await open_network_client(uri, env={**os.environ, "HOME": str(tmp_path)})
    assert "Connection refused" in str(info.value) and uri in str(info.value)


async def test_ssh_unknown_host_key_with_no_tty_fails_clearly(
    sshd: PrivateSshd, daemon: PrivateLibvirtd, tmp_path: Path
) -> None:
    empty_known_hosts = tmp_path / "known_hosts"
    empty_known_hosts.write_text("")
    uri = ssh_uri(sshd, daemon).replace(sshd.known_hosts, str(empty_known_hosts))
    with pytest.raises(ConnectError, match="Host key verification failed"):
        await open_network_client(uri, env={**os.environ, "HOME": str(tmp_path)})
    # no_verify=1 accepts it (StrictHostKeyChecking=no), as libvirt does.
    client: Any = await open_network_client(
        uri + "&no_verify=1", env={**os.environ, "HOME": str(tmp_path)}
    )
    await client.close()


async def test_ext_sessions_leave_no_fds_or_processes(daemon: PrivateLibvirtd, tmp_path: Path) -> None:
    nc = require_nc()
    good = write_script(tmp_path / "tunnel", f"exec {nc} -U {daemon.socket_path}\n")
    bad = write_script(tmp_path / "broken", "echo nope >&2\nexit 1\n")

    async def one_round() -> int | None:
        client: Any = await open_network_client(f"test+ext:///default?command={good}")
        pid: int | None = transport_of(client).pid  # type: ignore[attr-defined]
        await client.connect_get_lib_version()
        await client.close()
        with pytest.raises(ConnectError):
            await open_network_client(f"test+ext:///default?command={bad}")
        return pid

    await one_round()
    before = len(os.listdir("/proc/self/fd"))
    pids = [await one_round() for _ in range(3)]
    assert len(os.listdir("/proc/self/fd")) <= before
    for pid in pids:
        assert pid is not None
        assert not os.path.exists(f"/proc/{pid}")  # reaped, not a zombie
