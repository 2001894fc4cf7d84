"""TLS transport: x509 paths, DN rules, libvirtd over +tls, the virtrpc TLS listener."""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import virtrpc.client.client  # noqa: F401  (imported up front: timing tests exclude import time)
from tests.support.peek import transport_of
from tests.support.tls_fixtures import NetworkLibvirtd, PkiSet, make_test_pki, open_network_client
from virtrpc.errors import ConnectError, ProtocolError
from virtrpc.transport.pki import locate_credentials
from virtrpc.transport.tls import (
    PacketSplitter,
    TlsError,
    TlsTransport,
    client_context,
    dn_allowed,
    format_dn,
    open_tls,
    start_tls_server,
)

# ----------------------------------------------------------------- pki rules


def test_pkipath_takes_every_file_from_the_directory(tmp_path: Path) -> None:
    paths = locate_credentials(str(tmp_path))
    assert paths.cacert == f"{tmp_path}/cacert.pem"
    assert paths.cacrl == f"{tmp_path}/cacrl.pem"
    assert paths.cert == f"{tmp_path}/clientcert.pem"
    assert paths.key == f"{tmp_path}/clientkey.pem"
    server = locate_credentials(str(tmp_path), server=True)
    assert (server.cert, server.key) == (f"{tmp_path}/servercert.pem", f"{tmp_path}/serverkey.pem")


def test_root_uses_the_system_locations(tmp_path: Path) -> None:
    paths = locate_credentials(None, try_user_dir=False, home=str(tmp_path))
    assert paths.cacert == "/etc/pki/CA/cacert.pem"
    assert paths.cert == "/etc/pki/libvirt/clientcert.pem"
    assert paths.key == "/etc/pki/libvirt/private/clientkey.pem"


def test_user_dir_is_used_file_by_file_and_cert_key_as_a_pair(tmp_path: Path) -> None:
    user = tmp_path / ".pki" / "libvirt"
    user.mkdir(parents=True)
    (user / "cacert.pem").write_text("x")
    (user / "clientcert.pem").write_text("x")  # the key is missing: pair not used
    paths = locate_credentials(None, try_user_dir=True, home=str(tmp_path))
    assert paths.cacert == str(user / "cacert.pem")
    assert paths.cacrl == "/etc/pki/CA/cacrl.pem"
    assert paths.cert == "/etc/pki/libvirt/clientcert.pem"
    (user / "clientkey.pem").write_text("x")
    paths = locate_credentials(None, try_user_dir=True, home=str(tmp_path))
    assert (paths.cert, paths.key) == (str(user / "clientcert.pem"), str(user / "clientkey.pem"))


# ------------------------------------------------------------------ DN rules


def test_format_dn_uses_gnutls_short_names_in_certificate_order() -> None:
    subject = ((("countryName", "GB"),), (("organizationName", "Red Hat, Inc"),),
               (("commonName", "client1"),))
    assert format_dn(subject) == "C=GB,O=Red Hat\\, Inc,CN=client1"


def test_allowed_dn_list_is_a_list_of_globs() -> None:
    dn = "C=GB,ST=London,L=London,O=Red Hat,CN=client1"
    assert dn_allowed(dn, None)
    assert dn_allowed(dn, ["C=GB,ST=London,L=London,O=Red Hat,CN=*"])
    assert dn_allowed(dn, ["C=XX*", "*CN=client?"])
    assert not dn_allowed(dn, ["C=GB,ST=London,L=London,O=Red Hat,CN=client"])
    assert not dn_allowed(dn, [])


@given(st.text(min_size=1, max_size=30))
def test_escaped_dn_values_never_split_into_extra_attributes(value: str) -> None:
    dn = format_dn(((("commonName", value),),))
    assert dn.startswith("CN=")
    # Every separator inside the value is escaped, so a glob on the prefix
    # cannot be fooled into matching another attribute.
    unescaped_commas = [i for i, ch in enumerate(dn) if ch == "," and dn[i - 1] != "\\"]
    assert not unescaped_commas


# -------------------------------------------------------- packet splitting


@given(
    st.lists(st.binary(max_size=40), min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20),
)
def test_packet_splitter_cuts_exactly_at_packet_ends(
    payloads: list[bytes], chunk_sizes: list[int]
) -> None:
    packets = [(len(p) + 4).to_bytes(4, "big") + p for p in payloads]
    stream = b"".join(packets)
    ends = set()
    total = 0
    for packet in packets:
        total += len(packet)
        ends.add(total)
    splitter = PacketSplitter()
    position = 0
    cuts = []
    sizes = iter(chunk_sizes * (len(stream) // min(chunk_sizes) + 1))
    while position < len(stream):
        chunk = stream[position : position + next(sizes)]
        for segment in splitter.split(memoryview(chunk)):
            position += len(segment)
            cuts.append(position)
        assert b"".join(bytes(s) for s in splitter.split(memoryview(b""))) == b""
    # Segments never straddle a packet end, and every packet end is a cut.
    assert ends <= set(cuts)
    assert position == len(stream)


# ------------------------------------------------------------ real libvirtd


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiSet:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_daemon(pki: PkiSet) -> Iterator[NetworkLibvirtd]:
    with NetworkLibvirtd(
        tls_dir=pki.server_dir,
        extra_config={"tls_allowed_dn_list": [PkiSet.CLIENT_DN]},
    ) as daemon:
        yield daemon


def tls_uri(daemon: NetworkLibvirtd, pkipath: Path, host: str = "localhost", extra: str = "") -> str:
    return f"test+tls://{host}:{daemon.tls_port}/default?pkipath={pkipath}{extra}"


async def test_calls_over_tls_to_libvirtd(tls_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    client: Any = await open_network_client(tls_uri(tls_daemon, pki.client_dir))
    try:
        transport = transport_of(client)
        assert isinstance(transport, TlsTransport)
        assert transport.ssf >= 128
        assert transport.peer_dn == "C=GB,O=virtrpc tests,CN=localhost"
        assert transport.can_pass_fds is False
        domains = await client.connect_list_all_domains(need_results=1, flags=0)
        assert [d.name for d in domains.domains] == ["test"]
        # Many pipelined (coalesced) calls: each packet must travel in its own
        # TLS record or libvirtd leaves some in GnuTLS's buffer until the next
        # keepalive (5 s).
        started = time.monotonic()
        versions = await asyncio.gather(*(client.connect_get_lib_version() for _ in range(200)))
        assert len(set(versions)) == 1
        assert time.monotonic() - started < 2
    finally:
        await client.close()


async def test_tls_by_ip_address_matches_the_ip_san(tls_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    client: Any = await open_network_client(tls_uri(tls_daemon, pki.client_dir, host="127.0.0.1"))
    await client.close()


async def test_fds_are_refused_before_anything_is_sent(tls_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    client: Any = await open_network_client(tls_uri(tls_daemon, pki.client_dir))
    try:
        transport = transport_of(client)
        before = transport.get_write_buffer_size()
        read_fd, write_fd = os.pipe()
        try:
            with pytest.raises(ProtocolError, match="only unix sockets carry fds"):
                transport.write(b"\0" * 28, [read_fd])
        finally:
            os.close(read_fd)
            os.close(write_fd)
        assert transport.get_write_buffer_size() == before
        assert await client.connect_get_hostname()  # the session is intact
    finally:
        await client.close()


async def test_unknown_ca_is_a_clear_error(tls_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    uri = tls_uri(tls_daemon, pki.unknown_ca_dir)
    started = time.monotonic()
    with pytest.raises(TlsError) as info:
        await open_network_client(uri)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert uri in message and "certificate verify failed: unable to get local issuer" in message
    assert "\n" not in message


async def test_no_verify_accepts_an_unknown_ca(tls_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    client: Any = await open_network_client(tls_uri(tls_daemon, pki.unknown_ca_dir, extra="&no_verify=1"))
    assert await client.connect_get_hostname()
    await client.close()


async def test_rejected_client_certificate_is_a_clear_error(
    tls_daemon: NetworkLibvirtd, pki: PkiSet
) -> None:
    uri = tls_uri(tls_daemon, pki.rogue_client_dir)
    with pytest.raises(TlsError) as info:
        await open_network_client(uri)
    message = str(info.value)
    assert uri in message
    assert "server verification (of our certificate or IP address) failed" in message


async def test_dn_outside_tls_allowed_dn_list_is_a_clear_error(
    tls_daemon: NetworkLibvirtd, pki: PkiSet
) -> None:
    uri = tls_uri(tls_daemon, pki.other_client_dir)
    with pytest.raises(TlsError) as info:
        await open_network_client(uri)
    assert uri in str(info.value)
    assert "server verification (of our certificate or IP address) failed" in str(info.value)
    assert "tls_allowed_dn_list" in tls_daemon.log_text()


async def test_host_name_is_checked_against_the_certificate(
    tls_daemon: NetworkLibvirtd, pki: PkiSet
) -> None:
    class Sink:
        def connection_made(self, transport: object) -> None: ...
        def data_received(self, data: bytes, fds: list[int]) -> None: ...
        def eof_received(self) -> None: ...
        def connection_lost(self, exc: BaseException | None) -> None: ...

    with pytest.raises(TlsError, match="Hostname mismatch"):
        await open_tls("127.0.0.1", tls_daemon.tls_port, Sink(), pkipath=str(pki.client_dir),
                       server_hostname="not-this-host.example")


async def test_closed_port_is_a_fast_clear_error(pki: PkiSet) -> None:
    from tests.support.tls_fixtures import free_port

    uri = f"test+tls://127.0.0.1:{free_port()}/default?pkipath={pki.client_dir}"
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        await open_network_client(uri)
    assert time.monotonic() - started < 2
    assert uri in str(info.value) and "refused" in str(info.value).lower()


def test_missing_ca_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(TlsError, match=r"cacert\.pem"):
        client_context(locate_credentials(str(tmp_path)))


# ------------------------------------------------------- virtrpc TLS server


class Echo:
    """Receiver echoing everything back (stands in for the RPC server)."""

    def __init__(self) -> None:
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes, fds: list[int]) -> None:
        self.transport.write(data)

    def eof_received(self) -> None: ...

    def connection_lost(self, exc: BaseException | None) -> None: ...


class Collector:
    def __init__(self) -> None:
        self.data = bytearray()
        self.arrived = asyncio.Event()
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None: ...

    def data_received(self, data: bytes, fds: list[int]) -> None:
        self.data += data
        self.arrived.set()

    def eof_received(self) -> None: ...

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)


def recorder() -> tuple[list[str], asyncio.Event, Any]:
    rejections: list[str] = []
    rejected = asyncio.Event()

    def on_reject(peer: str, exc: BaseException) -> None:
        rejections.append(f"{peer}: {exc}")
        rejected.set()

    return rejections, rejected, on_reject


async def test_virtrpc_tls_server_round_trip_and_dn_list(pki: PkiSet) -> None:
    rejections, rejected, on_reject = recorder()
    listener = await start_tls_server(
        "127.0.0.1", 0, Echo, pkipath=str(pki.server_dir),
        allowed_dns=["C=GB,O=virtrpc tests,CN=client*"], on_reject=on_reject,
    )
    try:
        assert listener.socket is not None
        port = listener.socket.getsockname()[1]
        collector = Collector()
        tls = await open_tls("localhost", port, collector, pkipath=str(pki.client_dir))
        payload = os.urandom(300_000)
        tls.write(payload)
        async with asyncio.timeout(10):
            while len(collector.data) < len(payload):
                collector.arrived.clear()
                await collector.arrived.wait()
        assert bytes(collector.data) == payload
        tls.close()
        assert await asyncio.wait_for(collector.lost, 5) is None

        # A client certificate from another CA: no verdict byte, clear error.
        with pytest.raises(TlsError, match="server verification"):
            await open_tls("localhost", port, Collector(), pkipath=str(pki.rogue_client_dir))
        await asyncio.wait_for(rejected.wait(), 5)
        assert "TLS" in rejections[-1]
    finally:
        listener.close()


async def test_virtrpc_tls_server_rejects_dn_not_listed(pki: PkiSet) -> None:
    rejections, rejected, on_reject = recorder()
    listener = await start_tls_server(
        "127.0.0.1", 0, Echo, pkipath=str(pki.server_dir),
        allowed_dns=["CN=somebody-else"], on_reject=on_reject,
    )
    try:
        assert listener.socket is not None
        port = listener.socket.getsockname()[1]
        with pytest.raises(TlsError, match="server verification"):
            await open_tls("localhost", port, Collector(), pkipath=str(pki.client_dir))
        await asyncio.wait_for(rejected.wait(), 5)
        assert "C=GB,O=virtrpc tests,CN=client1" in rejections[0]
        assert "not in the allowed DN list" in rejections[0]
    finally:
        listener.close()


def test_ssl_module_has_memory_bio() -> None:
    # The transport relies on SSLObject + MemoryBIO (no socket wrapping).
    assert hasattr(ssl, "MemoryBIO") and hasattr(ssl.SSLContext, "wrap_bio")


# ------------------------------------ libvirt's C client against our listener

LIBVIRT_CLIENT = r"""
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
try:
    conn = libvirt.open(sys.argv[1])
except libvirt.libvirtError as exc:
    print("ERROR", exc.get_error_message())
    sys.exit(0)
print("OK", conn.getHostname(), ",".join(sorted(d.name() for d in conn.listAllDomains())))
conn.close()
"""


async def run_libvirt_client(uri: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "/usr/bin/python3", "-c", LIBVIRT_CLIENT, uri,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode(errors="replace")
    return out.decode().strip()


async def test_libvirt_c_client_over_tls_to_the_virtrpc_server(
    pki: PkiSet, libvirt_python: str
) -> None:
    from virtrpc.server.client import ServerClient
    from virtrpc.testdriver import build_test_server

    server, _driver = build_test_server()

    def new_client() -> ServerClient:
        # What Server.adopt() does for sockets, for an already verified TLS session.
        client = ServerClient(server, readonly=False, peer="tls")
        server.clients.add(client)
        return client

    rejections, rejected, on_reject = recorder()
    listener = await start_tls_server(
        "127.0.0.1", 0, new_client, pkipath=str(pki.server_dir), allowed_dns=[PkiSet.CLIENT_DN],
    )
    picky = await start_tls_server(
        "127.0.0.1", 0, new_client, pkipath=str(pki.server_dir),
        allowed_dns=["*CN=somebody-else"], on_reject=on_reject,
    )
    try:
        assert listener.socket is not None and picky.socket is not None
        port = listener.socket.getsockname()[1]
        good = await run_libvirt_client(
            f"test+tls://localhost:{port}/default?pkipath={pki.client_dir}"
        )
        assert good.startswith("OK ") and "test" in good.split()[-1].split(","), good
        # A DN outside the list: the connection closes without the verdict
        # byte; libvirt's client says exactly what it says to libvirtd then.
        picky_port = picky.socket.getsockname()[1]
        bad = await run_libvirt_client(
            f"test+tls://localhost:{picky_port}/default?pkipath={pki.client_dir}"
        )
        assert bad.startswith("ERROR"), bad
        assert bad == "ERROR Unable to read TLS confirmation: Input/output error"
        await asyncio.wait_for(rejected.wait(), 5)
        assert "not in the allowed DN list" in rejections[0]
    finally:
        listener.close()
        picky.close()
        await server.shutdown()


async def test_tls_server_drops_clients_that_never_handshake(pki: PkiSet) -> None:
    rejections, rejected, on_reject = recorder()
    listener = await start_tls_server(
        "127.0.0.1", 0, Echo, pkipath=str(pki.server_dir), on_reject=on_reject,
        handshake_timeout=0.2,
    )
    try:
        assert listener.socket is not None
        reader, writer = await asyncio.open_connection(*listener.socket.getsockname()[:2])
        await asyncio.wait_for(rejected.wait(), 5)
        assert "did not complete the handshake" in rejections[0]
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        writer.close()
    finally:
        listener.close()


async def test_tls_sessions_leave_no_fds_behind(tls_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    async def one_round() -> None:
        client: Any = await open_network_client(tls_uri(tls_daemon, pki.client_dir))
        await client.connect_get_lib_version()
        await client.close()
        for bad in (pki.unknown_ca_dir, pki.other_client_dir):
            with pytest.raises(TlsError):
                await open_network_client(tls_uri(tls_daemon, bad))

    await one_round()  # warm up lazily created loop resources
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        await one_round()
    assert len(os.listdir("/proc/self/fd")) <= before


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00" * 7, b"HTTP/1.1 400 Bad Request\r\n\r\n", bytes(range(256)) * 4],
)
async def test_a_server_that_does_not_speak_tls_is_a_clear_error(
    pki: PkiSet, garbage: bytes
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(garbage)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(TlsError, match=f"TLS handshake with 127.0.0.1:{port} failed"):
            await asyncio.wait_for(
                open_tls("127.0.0.1", port, Collector(), pkipath=str(pki.client_dir)), 10
            )
    finally:
        server.close()
        await server.wait_closed()
