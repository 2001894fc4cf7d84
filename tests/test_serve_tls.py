"""The server's TLS listener (``Server.listen_tls``, ``virtrpc serve --tls``)
end to end with real peers: virtrpc's own client in-process, libvirt-python
and virsh against ``virtrpc serve`` as a process.  Certificates come from
``tests/support/tls_fixtures.py`` (``openssl``)."""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import virtrpc
from tests.support.fdcount import assert_no_fd_leak
from tests.support.peers import (
    find_virsh,
    has_libvirt_python,
    require_peer,
    run_libvirt_python,
    run_virsh,
)
from tests.support.tls_fixtures import PkiSet, make_test_pki
from virtrpc.errors import ConnectError
from virtrpc.server import Server, ServerClient, ServerLimits
from virtrpc.testdriver import TestDriver, build_test_server

START_TIMEOUT = 15.0
WAIT_TIMEOUT = 10.0
CLIENT2_DN = "C=GB,O=virtrpc tests,CN=client2"
DOMAIN_XML = ("<domain type='test'><name>over-tls</name><memory unit='MiB'>64</memory>"
              "<os><type>hvm</type></os></domain>")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiSet:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


def tls_uri(port: int, pkipath: Path) -> str:
    return f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}"


class Rejections:
    """Collects the server's ``on_reject`` reports and lets a test wait for them."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._changed = asyncio.Event()

    def __call__(self, peer: str, error: BaseException) -> None:
        self.messages.append(f"{peer}: {error}")
        self._changed.set()

    async def wait_for(self, count: int) -> None:
        while len(self.messages) < count:
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), WAIT_TIMEOUT)


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll the event loop until ``condition()`` holds (deadline WAIT_TIMEOUT)."""
    deadline = asyncio.get_running_loop().time() + WAIT_TIMEOUT
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)  # polling with a deadline, not synchronisation


async def tls_server(
    pki: PkiSet, limits: ServerLimits | None = None, allowed: list[str] | None = None
) -> tuple[Server, TestDriver, int, Rejections]:
    server, driver = build_test_server(limits, extras=True)  # streams disk1.img
    rejections = Rejections()
    _host, port = await server.listen_tls(
        "127.0.0.1", 0, pkipath=str(pki.server_dir),
        allowed_dns=[PkiSet.CLIENT_DN] if allowed is None else allowed, on_reject=rejections,
    )
    return server, driver, port, rejections


def expected_volume_bytes(driver: TestDriver, name: str) -> bytes:
    volume = driver.hv.pools["default-pool"].volumes[name]
    return b"".join(data if data is not None else bytes(length)
                    for length, data in volume.read(0, 0))


# ------------------------------------------------------ in-process, virtrpc client

async def test_virtrpc_client_calls_events_and_streams_over_tls(pki: PkiSet) -> None:
    server, driver, port, rejections = await tls_server(pki)
    try:
        async with virtrpc.connect(tls_uri(port, pki.client_dir)) as client:
            assert await client.connect_get_lib_version() == 9_000_000
            listed = await client.connect_list_all_domains(need_results=1, flags=0)
            assert [dom.name for dom in listed.domains] == ["test"]
            (served,) = server.clients
            assert served.peer_dn == PkiSet.CLIENT_DN
            assert served.peer.startswith("tls 127.0.0.1:")

            subscription = await client.subscribe("domain", "lifecycle")
            dom = await client.domain_define_xml(xml=DOMAIN_XML)
            event = await asyncio.wait_for(subscription.get(), WAIT_TIMEOUT)
            assert event.fields["dom"].name == "over-tls"
            assert (event.fields["event"], event.fields["detail"]) == (0, 0)  # defined, added
            await subscription.close()
            await client.domain_undefine(dom=dom)

            pool = await client.storage_pool_lookup_by_name(name="default-pool")
            vol = await client.storage_vol_lookup_by_name(pool=pool, name="disk1.img")
            stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=0)
            received = bytearray()
            async for chunk in stream:
                received += chunk
            await stream.finish()
            assert bytes(received) == expected_volume_bytes(driver, "disk1.img")
        await wait_until(lambda: not server.clients, "the server to see the client leave")
    finally:
        await server.shutdown()
    assert rejections.messages == []
    # shutdown() closed the TLS listener.
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


async def test_client_certificate_outside_the_allowed_dns_is_refused(pki: PkiSet) -> None:
    server, _driver, port, rejections = await tls_server(pki)
    try:
        async with virtrpc.connect(tls_uri(port, pki.client_dir)) as bystander:
            with pytest.raises(ConnectError) as refused:
                await virtrpc.connect(tls_uri(port, pki.other_client_dir))
            message = str(refused.value)
            assert f"127.0.0.1:{port}" in message
            assert "server verification (of our certificate or IP address) failed" in message
            await rejections.wait_for(1)
            assert f"with DN '{CLIENT2_DN}' is not in the allowed DN list" in rejections.messages[0]
            # The refused client never became a server client; others go on.
            assert len(server.clients) == 1
            assert await bystander.connect_get_hostname() == "vm"
            async with virtrpc.connect(tls_uri(port, pki.client_dir)) as again:
                assert await again.connect_get_lib_version() == 9_000_000
    finally:
        await server.shutdown()


async def test_allowed_dn_patterns_are_globs(pki: PkiSet) -> None:
    server, _driver, port, rejections = await tls_server(
        pki, allowed=["C=GB,O=virtrpc tests,CN=client?"])
    try:
        for pkipath in (pki.client_dir, pki.other_client_dir):
            async with virtrpc.connect(tls_uri(port, pkipath)) as client:
                assert await client.connect_get_lib_version() == 9_000_000
        with pytest.raises(ConnectError):  # signed by another CA
            await virtrpc.connect(tls_uri(port, pki.rogue_client_dir))
        await rejections.wait_for(1)
        assert "certificate" in rejections.messages[0]
    finally:
        await server.shutdown()


async def test_max_clients_applies_to_tls_clients(pki: PkiSet) -> None:
    server, _driver, port, rejections = await tls_server(pki, ServerLimits(max_clients=1))
    try:
        first = await virtrpc.connect(tls_uri(port, pki.client_dir))
        with pytest.raises(ConnectError):
            await virtrpc.connect(tls_uri(port, pki.client_dir))
        await rejections.wait_for(1)
        assert "max_clients" in rejections.messages[0]
        assert await first.connect_get_lib_version() == 9_000_000
        await first.close()
        await wait_until(lambda: not server.clients, "the first client to leave")
        async with virtrpc.connect(tls_uri(port, pki.client_dir)) as second:
            assert await second.connect_get_lib_version() == 9_000_000
    finally:
        await server.shutdown()


async def test_tls_sessions_leave_no_fds_behind(pki: PkiSet) -> None:
    server, driver, port, rejections = await tls_server(pki)
    expected = expected_volume_bytes(driver, "disk1.img")

    async def one_round(round_number: int) -> None:
        async with virtrpc.connect(tls_uri(port, pki.client_dir)) as client:
            await client.connect_list_all_domains(need_results=1, flags=0)
            pool = await client.storage_pool_lookup_by_name(name="default-pool")
            vol = await client.storage_vol_lookup_by_name(pool=pool, name="disk1.img")
            stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=0)
            received = bytearray()
            async for chunk in stream:
                received += chunk
            await stream.finish()
            assert received == expected
        with pytest.raises(ConnectError):
            await virtrpc.connect(tls_uri(port, pki.other_client_dir))
        await rejections.wait_for(round_number)
        await wait_until(lambda: not server.clients, "the server to drop its clients")

    try:
        await one_round(1)  # warm up lazily created loop and ssl resources
        with assert_no_fd_leak("3 TLS sessions and 3 refused clients"):
            for round_number in range(2, 5):
                await one_round(round_number)
    finally:
        await server.shutdown()


async def test_new_client_registers_runs_callbacks_and_enforces_limits() -> None:
    server, _driver = build_test_server(ServerLimits(max_clients=2))
    added: list[ServerClient] = []
    closed: list[ServerClient] = []
    server.on_client_connected(added.append)
    server.on_client_closed(closed.append)

    first = server.new_client(readonly=True, peer="custom")
    assert added == [first] and server.clients == {first}
    assert first.readonly and first.peer == "custom" and first.transport is None
    second = server.new_client(readonly=False, peer="custom")
    with pytest.raises(ConnectError, match="max_clients"):
        server.new_client(readonly=False, peer="third")
    assert server.clients == {first, second}

    first.close()  # no transport was ever attached: it goes at once
    assert closed == [first] and server.clients == {second}
    await server.shutdown()
    with pytest.raises(ConnectError, match="shutting down"):
        server.new_client(readonly=False, peer="late")
    assert added == [first, second]


async def test_failing_client_added_callback_unregisters_the_client() -> None:
    server, _driver = build_test_server()
    closed: list[ServerClient] = []
    server.on_client_closed(closed.append)

    def broken(_client: ServerClient) -> None:
        raise RuntimeError("callback bug")

    server.on_client_connected(broken)
    with pytest.raises(RuntimeError, match="callback bug"):
        server.new_client(readonly=False, peer="x")
    assert not server.clients and len(closed) == 1
    # adopt() goes through new_client(): the socket is closed, not leaked.
    ours, theirs = socket.socketpair()
    with ours:
        with pytest.raises(RuntimeError):
            server.adopt(theirs, readonly=False, peer="unix")
        assert theirs.fileno() == -1
        assert ours.recv(1) == b""  # the server's end is gone
    await server.shutdown()


async def test_listen_tls_names_missing_certificates(tmp_path: Path) -> None:
    server, _driver = build_test_server()
    with pytest.raises(ConnectError) as failure:
        await server.listen_tls("127.0.0.1", 0, pkipath=str(tmp_path))
    assert str(tmp_path / "servercert.pem") in str(failure.value)
    assert server.addresses == []
    await server.shutdown()


# ------------------------------------------------- `virtrpc serve --tls` as a process

class ServeProcess:
    """``virtrpc serve --tls 127.0.0.1:0`` in a subprocess; learns the port
    from what it prints."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "virtrpc", "serve", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.output = ""

    def wait_for_line(self, prefix: str) -> str:
        """The first stdout line starting with ``prefix`` (deadline START_TIMEOUT)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while True:
                for line in self.output.splitlines(keepends=True):
                    if line.startswith(prefix) and line.endswith("\n"):
                        return line.rstrip("\n")
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"virtrpc serve printed no {prefix!r} line: {self.output}"
                if selector.select(remaining):
                    chunk = os.read(self.process.stdout.fileno(), 4096)
                    if not chunk:
                        _out, err = self.process.communicate(timeout=START_TIMEOUT)
                        raise AssertionError(f"virtrpc serve exited: {self.output}{err.decode()}")
                    self.output += chunk.decode()

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM; returns (exit status, rest of stdout, stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, err = self.process.communicate(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out.decode(), err.decode()


@pytest.fixture(scope="module")
def served(pki: PkiSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, int]]:
    directory = tmp_path_factory.mktemp("serve")
    serve = ServeProcess([
        "--socket", str(directory / "sock"), "--tls", "127.0.0.1:0",
        "--pki", str(pki.server_dir), "--tls-allowed-dn", "C=GB,O=virtrpc tests,CN=client1",
        "--tls-allowed-dn", "C=GB,O=somebody else,CN=*",
    ])
    try:
        line = serve.wait_for_line("tls: ")
        # "tls: 127.0.0.1:PORT  (URI test+tls://127.0.0.1:PORT/default?pkipath=CLIENT_PKI_DIR)"
        address = line.split()[1]
        port = int(address.rsplit(":", 1)[1])
        assert f"(URI test+tls://127.0.0.1:{port}/default?pkipath=CLIENT_PKI_DIR)" in line
        yield serve, port
    finally:
        serve.stop()


LIBVIRT_PYTHON_CLIENT = r"""
import sys, libvirt
libvirt.registerErrorHandler(lambda *args: None, None)
try:
    conn = libvirt.open(sys.argv[1])
except libvirt.libvirtError as exc:
    print("ERROR", exc.get_error_message())
    sys.exit(0)
print("OK", conn.getLibVersion(), ",".join(sorted(d.name() for d in conn.listAllDomains())))
conn.close()
"""


def libvirt_python_open(uri: str) -> str:
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    return run_libvirt_python(LIBVIRT_PYTHON_CLIENT, uri).stdout.strip()


def test_libvirt_python_against_virtrpc_serve_tls(
    served: tuple[ServeProcess, int], pki: PkiSet
) -> None:
    _serve, port = served
    assert libvirt_python_open(tls_uri(port, pki.client_dir)) == "OK 9000000 test"


def test_virsh_against_virtrpc_serve_tls(served: tuple[ServeProcess, int], pki: PkiSet) -> None:
    require_peer(find_virsh() is not None, "virsh")
    _serve, port = served
    listing = run_virsh(tls_uri(port, pki.client_dir), "list", "--all").stdout
    assert "test" in listing and "running" in listing


def test_serve_refuses_a_dn_outside_the_list_and_keeps_serving(
    served: tuple[ServeProcess, int], pki: PkiSet
) -> None:
    require_peer(find_virsh() is not None, "virsh")
    _serve, port = served
    # libvirt's client sees what it sees from libvirtd with tls_allowed_dn_list.
    refused = libvirt_python_open(tls_uri(port, pki.other_client_dir))
    assert refused == "ERROR Unable to read TLS confirmation: Input/output error"
    denied = run_virsh(tls_uri(port, pki.other_client_dir), "list", "--all", check=False)
    assert denied.returncode != 0
    assert "Unable to read TLS confirmation" in denied.stderr
    assert libvirt_python_open(tls_uri(port, pki.client_dir)) == "OK 9000000 test"
    listing = run_virsh(tls_uri(port, pki.client_dir), "list", "--all").stdout
    assert "test" in listing


def test_serve_logs_refusals_and_closes_the_tls_port_on_sigterm(
    pki: PkiSet, tmp_path: Path
) -> None:
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    sock = tmp_path / "sock"
    serve = ServeProcess(["--socket", str(sock), "--tls", "127.0.0.1:0", "--pki",
                          str(pki.server_dir), "--tls-allowed-dn", PkiSet.CLIENT_DN])
    try:
        port = int(serve.wait_for_line("tls: ").split()[1].rsplit(":", 1)[1])
        assert libvirt_python_open(tls_uri(port, pki.other_client_dir)).startswith("ERROR")
    finally:
        status, _out, err = serve.stop()
    assert status == 0, err
    assert f"DN '{CLIENT2_DN}' is not in the allowed DN list" in err
    assert not sock.exists()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_serve_tls_options_are_checked(pki: PkiSet, tmp_path: Path) -> None:
    sock = tmp_path / "sock"
    lonely = subprocess.run(
        [sys.executable, "-m", "virtrpc", "serve", "--socket", str(sock), "--pki",
         str(pki.server_dir)], capture_output=True, text=True, timeout=START_TIMEOUT)
    assert lonely.returncode == 2 and "need --tls" in lonely.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "virtrpc", "serve", "--socket", str(sock), "--tls",
         "127.0.0.1:0", "--pki", str(tmp_path / "nowhere")],
        capture_output=True, text=True, timeout=START_TIMEOUT)
    assert missing.returncode == 1
    assert str(tmp_path / "nowhere") in missing.stderr
    assert not sock.exists()  # the unix socket made before the failure is gone


def test_tls_uri_for_wildcard_and_ipv6_hosts() -> None:
    from virtrpc.cli.serve import tls_uri_for

    assert tls_uri_for("0.0.0.0", 16514) == (
        "test+tls://localhost:16514/default?pkipath=CLIENT_PKI_DIR")
    assert tls_uri_for("::1", 5, "/p") == "test+tls://[::1]:5/default?pkipath=/p"

