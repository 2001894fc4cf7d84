"""The asyncio client against a real private libvirtd 9.0 (test driver).

Each test gets its own daemon (``libvirtd`` fixture, ~0.05 s to start), so the
test driver's state is fresh.  libvirt-python (``/usr/bin/python3``) and
virsh act as oracles / other clients.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import virtrpc
from tests.support.peek import replies_awaited, subscriptions
from tests.support.peers import PrivateLibvirtd, find_libvirtd, require_peer, run_libvirt_python
from virtrpc.client.client import Client
from virtrpc.client.errors import LibvirtError
from virtrpc.client.events import EventFamily
from virtrpc.errors import ConnectError, ConnectionLost
from virtrpc.protocols import remote
from virtrpc.protocols.virterror import ErrorNumber

pytestmark = pytest.mark.libvirtd

DOMAIN_XML = """<domain type='test'>
  <name>{name}</name>
  <memory>1048576</memory>
  <vcpu>2</vcpu>
  <os><type>hvm</type></os>
</domain>"""

VIR_DOMAIN_EVENT_STARTED = 2
VIR_DOMAIN_EVENT_STOPPED = 5
VIR_DOMAIN_RUNNING = 1
VIR_DOMAIN_SHUTOFF = 5
VIR_TYPED_PARAM_ULLONG = 4


@pytest.fixture
async def client(libvirtd: PrivateLibvirtd) -> AsyncIterator[Client]:
    async with virtrpc.connect(libvirtd.uri) as connection:
        yield connection


async def test_versions_and_handshake(client: Client) -> None:
    assert await client.connect_get_lib_version() == 9000000
    assert await client.connect_get_version() > 0
    assert await client.connect_get_type() == "TEST"
    assert await client.connect_get_uri() == "test:///default"
    # libvirtd 9.0 supports the keepalive program and callback events.
    assert (
        client.server_keepalive and client.server_event_callbacks and client.server_close_callback
    )


async def test_connect_with_await_then_close(libvirtd: PrivateLibvirtd) -> None:
    connection = await virtrpc.connect(libvirtd.uri)
    try:
        assert connection.is_open
        assert await connection.connect_get_lib_version() == 9000000
    finally:
        await connection.close()
    assert not connection.is_open
    assert connection.close_reason == "client"
    with pytest.raises(ConnectionLost):
        await connection.connect_get_lib_version()


async def test_connect_failure_names_socket_and_uri(tmp_path: os.PathLike[str]) -> None:
    missing = os.path.join(str(tmp_path), "nothing-here")
    uri = f"test+unix:///default?socket={missing}"
    with pytest.raises(ConnectError) as info:
        await virtrpc.connect(uri)
    assert missing in str(info.value)
    assert uri in str(info.value)


async def test_unsupported_transport_is_a_clear_error() -> None:
    with pytest.raises(ConnectError, match="not supported") as info:
        await virtrpc.connect("qemu+libssh2://root@example.invalid/system")
    assert "qemu+libssh2://root@example.invalid/system" in str(info.value)


async def test_tcp_transport_with_a_listening_libvirtd() -> None:
    """Network transports come from virtrpc.transport.network: plain TCP to a
    libvirtd started with --listen and auth_tcp = "none"."""
    require_peer(find_libvirtd() is not None, "libvirtd")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = {
        "listen_tcp": 1,
        "tcp_port": str(port),
        "auth_tcp": "none",
        "listen_addr": "127.0.0.1",
    }
    with PrivateLibvirtd(config, extra_args=["--listen"]) as daemon:
        await _wait_until_port(port)
        uri = f"test+tcp://127.0.0.1:{port}/default"
        async with virtrpc.connect(uri) as tcp_client:
            assert await tcp_client.connect_get_lib_version() == 9000000
            assert tcp_client.socket_path == f"127.0.0.1:{port}"
            fd = os.open("/dev/null", os.O_RDONLY)
            try:
                with pytest.raises(virtrpc.VirtrpcError, match="cannot carry"):
                    await tcp_client.domain_open_graphics(
                        dom=await tcp_client.domain_lookup_by_name(name="test"), idx=0, fds=[fd]
                    )
            finally:
                os.close(fd)
            assert await tcp_client.connect_get_type() == "TEST"
        assert daemon.process is not None


async def _wait_until_port(port: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)  # polling with a deadline
            continue
        writer.close()
        await writer.wait_closed()
        return


async def test_domain_lifecycle(client: Client) -> None:
    listed = await client.connect_list_all_domains(need_results=1, flags=0)
    assert [d.name for d in listed.domains] == ["test"]

    dom = await client.domain_define_xml(xml=DOMAIN_XML.format(name="vrpc-one"))
    assert dom.name == "vrpc-one" and len(dom.uuid) == 16
    assert (await client.domain_lookup_by_name(name="vrpc-one")).uuid == dom.uuid
    assert (await client.domain_lookup_by_uuid(uuid=dom.uuid)).name == "vrpc-one"
    assert (await client.domain_get_info(dom=dom)).state == VIR_DOMAIN_SHUTOFF

    await client.domain_create(dom=dom)
    info = await client.domain_get_info(dom=dom)
    assert info.state == VIR_DOMAIN_RUNNING
    assert info.nrVirtCpu == 2 and info.maxMem == 1048576
    xml = await client.domain_get_xml_desc(dom=dom, flags=0)
    assert "<name>vrpc-one</name>" in xml

    await client.domain_destroy(dom=dom)
    assert (await client.domain_get_info(dom=dom)).state == VIR_DOMAIN_SHUTOFF
    await client.domain_undefine(dom=dom)
    with pytest.raises(LibvirtError) as info_error:
        await client.domain_lookup_by_name(name="vrpc-one")
    assert info_error.value.code == ErrorNumber.VIR_ERR_NO_DOMAIN


async def test_missing_domain_maps_to_vir_err_no_domain(client: Client) -> None:
    with pytest.raises(LibvirtError) as info:
        await client.domain_lookup_by_name(name="no-such-domain")
    assert info.value.code == ErrorNumber.VIR_ERR_NO_DOMAIN
    assert info.value.code_name == "VIR_ERR_NO_DOMAIN"
    # An error reply does not hurt the connection.
    assert await client.connect_get_lib_version() == 9000000


async def test_capabilities(client: Client) -> None:
    caps = await client.connect_get_capabilities()
    assert caps.lstrip().startswith("<capabilities>")
    assert "<guest>" in caps


async def test_typed_parameters_round_trip(client: Client) -> None:
    dom = await client.domain_lookup_by_name(name="test")
    count = await client.domain_get_memory_parameters(dom=dom, nparams=0, flags=0)
    assert count.nparams > 0
    before = await client.domain_get_memory_parameters(dom=dom, nparams=count.nparams, flags=0)
    fields = {p.field: p.value for p in before.params}
    assert "hard_limit" in fields
    new_value = remote.RemoteTypedParamValue(VIR_TYPED_PARAM_ULLONG, 2 * 1024 * 1024)
    await client.domain_set_memory_parameters(
        dom=dom, params=[remote.RemoteTypedParam(field="hard_limit", value=new_value)], flags=0
    )
    after = await client.domain_get_memory_parameters(dom=dom, nparams=count.nparams, flags=0)
    assert {p.field: p.value for p in after.params}["hard_limit"] == new_value


async def test_create_xml_with_files_passes_fds(client: Client) -> None:
    # libvirt 9.0's test driver accepts the fds (and ignores them).
    read_end, write_end = os.pipe()
    try:
        dom = await client.domain_create_xml_with_files(
            xml_desc=DOMAIN_XML.format(name="vrpc-files"), flags=0, fds=[read_end, write_end]
        )
        assert dom.name == "vrpc-files"
        assert (await client.domain_get_info(dom=dom)).state == VIR_DOMAIN_RUNNING
    finally:
        # The caller keeps ownership of the fds it passes.
        os.close(read_end)
        os.close(write_end)


async def test_fd_call_rejected_then_connection_keeps_working(client: Client) -> None:
    dom = await client.domain_lookup_by_name(name="test")
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        # The daemon receives the fd, inspects it and rejects the call...
        with pytest.raises(LibvirtError) as info:
            await client.domain_open_graphics(dom=dom, idx=0, flags=0, fds=[fd])
        assert info.value.code == ErrorNumber.VIR_ERR_INVALID_ARG
        assert "must be a socket" in str(info.value)
        # ...a socket passes that check, then the test driver says it has no
        # domainOpenGraphics.
        left, right = socket.socketpair()
        with left, right, pytest.raises(LibvirtError) as info_socket:
            await client.domain_open_graphics(dom=dom, idx=0, flags=0, fds=[left.fileno()])
        assert info_socket.value.code == ErrorNumber.VIR_ERR_NO_SUPPORT
        # And a running domain cannot be started again, even with files.
        with pytest.raises(LibvirtError) as info2:
            await client.domain_create_with_files(dom=dom, flags=0, fds=[fd, fd, fd, fd])
        assert "already running" in str(info2.value)
    finally:
        os.close(fd)
    assert await client.connect_get_lib_version() == 9000000
    assert (await client.domain_get_info(dom=dom)).state == VIR_DOMAIN_RUNNING


async def test_screenshot_stream(client: Client) -> None:
    dom = await client.domain_lookup_by_name(name="test")
    stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
    assert stream.reply == "image/png"
    data = await stream.read_all()
    await stream.finish()
    with open("/usr/share/libvirt/test-screenshot.png", "rb") as expected:
        assert data == expected.read()
    assert stream.closed
    # The serial is released: more calls and another stream work.
    async with await client.domain_screenshot(dom=dom, screen=0, flags=0) as second:
        assert (await second.read_all())[:8] == b"\x89PNG\r\n\x1a\n"


async def test_stream_abort_keeps_connection(client: Client) -> None:
    dom = await client.domain_lookup_by_name(name="test")
    stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
    await stream.abort()
    assert stream.closed
    assert await client.connect_get_lib_version() == 9000000


async def test_many_calls_in_flight(client: Client) -> None:
    dom = await client.domain_lookup_by_name(name="test")

    async def one(index: int) -> tuple[int, str]:
        if index % 3 == 0:
            return index, str(await client.connect_get_lib_version())
        if index % 3 == 1:
            return index, (await client.domain_lookup_by_name(name="test")).name
        return index, str((await client.domain_get_info(dom=dom)).state)

    results = await asyncio.gather(*(one(i) for i in range(300)))
    for index, value in results:
        assert value == ["9000000", "test", str(VIR_DOMAIN_RUNNING)][index % 3]


async def test_cancelled_call_is_safe(client: Client) -> None:
    tasks = [asyncio.ensure_future(client.connect_get_capabilities()) for _ in range(20)]
    await asyncio.sleep(0)  # let them send; not synchronisation, just a scheduling point
    for task in tasks[::2]:
        task.cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in done[::2])
    assert all(isinstance(r, str) and "<capabilities>" in r for r in done[1::2])
    # Late replies of the cancelled calls were dropped; the connection is fine.
    assert await client.connect_get_lib_version() == 9000000
    assert replies_awaited(client) == 0


async def test_readonly_connection_refuses_writes(libvirtd: PrivateLibvirtd) -> None:
    async with virtrpc.connect(libvirtd.readonly_uri, readonly=True) as ro:
        dom = await ro.domain_lookup_by_name(name="test")
        assert (await ro.domain_get_info(dom=dom)).state == VIR_DOMAIN_RUNNING
        with pytest.raises(LibvirtError) as info:
            await ro.domain_destroy(dom=dom)
        assert info.value.code == ErrorNumber.VIR_ERR_OPERATION_DENIED


async def test_readonly_flag_on_rw_socket_is_enforced_by_daemon(libvirtd: PrivateLibvirtd) -> None:
    # VIR_CONNECT_RO in connect_open makes even the read-write socket read-only.
    async with virtrpc.connect(libvirtd.uri, readonly=True) as ro:
        dom = await ro.domain_lookup_by_name(name="test")
        with pytest.raises(LibvirtError) as info:
            await ro.domain_destroy(dom=dom)
        assert info.value.code == ErrorNumber.VIR_ERR_OPERATION_DENIED


ORACLE_SCRIPT = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
out = {
    "lib_version": conn.getLibVersion(),
    "version": conn.getVersion(),
    "type": conn.getType(),
    "hostname": conn.getHostname(),
    "domains": sorted((d.name(), d.UUIDString()) for d in conn.listAllDomains()),
    "info": dom.info(),
    "xml": dom.XMLDesc(0),
    "memory_parameters": dom.memoryParameters(),
    "node_info": conn.getInfo(),
    "capabilities": conn.getCapabilities(),
}
try:
    conn.lookupByName("no-such-domain")
except libvirt.libvirtError as e:
    out["error"] = [e.get_error_code(), e.get_error_domain()]
print(json.dumps(out))
"""


async def test_results_equal_libvirt_python(
    client: Client, libvirtd: PrivateLibvirtd, libvirt_python: str
) -> None:
    oracle = json.loads(
        (await asyncio.to_thread(run_libvirt_python, ORACLE_SCRIPT, libvirtd.uri)).stdout
    )
    dom = await client.domain_lookup_by_name(name="test")
    listed = await client.connect_list_all_domains(need_results=1, flags=0)
    info = await client.domain_get_info(dom=dom)
    count = await client.domain_get_memory_parameters(dom=dom, nparams=0, flags=0)
    params = await client.domain_get_memory_parameters(dom=dom, nparams=count.nparams, flags=0)
    node = await client.node_get_info()
    ours = {
        "lib_version": await client.connect_get_lib_version(),
        "version": await client.connect_get_version(),
        "type": await client.connect_get_type(),
        "hostname": await client.connect_get_hostname(),
        "domains": sorted([d.name, str(_uuid_string(d.uuid))] for d in listed.domains),
        "info": [info.state, info.maxMem, info.memory, info.nrVirtCpu],
        "xml": await client.domain_get_xml_desc(dom=dom, flags=0),
        "memory_parameters": {p.field: p.value.value for p in params.params},
        "node_info": [
            bytes(node.model).rstrip(b"\0").decode()
            if isinstance(node.model, (bytes, bytearray))
            else "".join(chr(c) for c in node.model if c),
            node.memory // 1024,
            node.cpus,
            node.mhz,
            node.nodes,
            node.sockets,
            node.cores,
            node.threads,
        ],
        "capabilities": await client.connect_get_capabilities(),
    }
    with pytest.raises(LibvirtError) as error:
        await client.domain_lookup_by_name(name="no-such-domain")
    ours["error"] = [int(error.value.code), int(error.value.domain)]
    oracle["domains"] = [list(d) for d in oracle["domains"]]
    oracle["info"] = oracle["info"][:4]  # cpuTime is wall-clock based in the test driver
    for key, value in ours.items():
        assert value == oracle[key], key


def _uuid_string(raw: bytes) -> str:
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


async def test_domain_events_caused_by_virsh(
    client: Client, libvirtd: PrivateLibvirtd, virsh: str
) -> None:
    received: list[tuple[str, int]] = []
    sub = await client.subscribe(
        EventFamily.DOMAIN,
        "lifecycle",
        callback=lambda e: received.append((e.fields["dom"].name, e.fields["event"])),
    )
    reboot_sub = await client.subscribe("domain", "reboot")
    process = await asyncio.create_subprocess_exec(
        virsh,
        "-q",
        "-c",
        libvirtd.uri,
        "destroy",
        "test",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr
    event = await asyncio.wait_for(sub.get(), timeout=10)
    assert event.family is EventFamily.DOMAIN and event.name == "lifecycle"
    assert event.fields["dom"].name == "test"
    assert event.fields["event"] == VIR_DOMAIN_EVENT_STOPPED
    assert received == [("test", VIR_DOMAIN_EVENT_STOPPED)]
    assert event.callback_id == sub.callback_id

    process = await asyncio.create_subprocess_exec(
        virsh,
        "-q",
        "-c",
        libvirtd.uri,
        "start",
        "test",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await process.communicate()
    started = await asyncio.wait_for(sub.get(), timeout=10)
    assert started.fields["event"] == VIR_DOMAIN_EVENT_STARTED
    await sub.close()
    await reboot_sub.close()
    assert reboot_sub.closed
    # Deregistered: no more deliveries to the closed subscription.
    assert (EventFamily.DOMAIN, sub.callback_id) not in subscriptions(client)


async def test_network_and_pool_events(client: Client) -> None:
    network_sub = await client.subscribe("network", "lifecycle")
    pool_sub = await client.subscribe("storage_pool", "lifecycle")
    networks = await client.connect_list_all_networks(need_results=1, flags=0)
    net = networks.nets[0]
    await client.network_destroy(net=net)
    event = await asyncio.wait_for(network_sub.get(), timeout=10)
    assert event.family is EventFamily.NETWORK and event.fields["net"].name == net.name
    pools = await client.connect_list_all_storage_pools(need_results=1, flags=0)
    await client.storage_pool_destroy(pool=pools.pools[0])
    pool_event = await asyncio.wait_for(pool_sub.get(), timeout=10)
    assert pool_event.family is EventFamily.STORAGE_POOL


async def test_keepalive_daemon_pings_are_answered() -> None:
    """The daemon pings a silent client every second; we answer, so it keeps
    the connection beyond keepalive_interval * (keepalive_count + 1)."""
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd({"keepalive_interval": 1, "keepalive_count": 1}) as daemon:
        # Our own interval is long: only the daemon pings.
        async with virtrpc.connect(daemon.uri, keepalive=(60.0, 5)) as connection:
            await _wait_until(lambda: connection.keepalive_pings_received >= 3, timeout=15)
            assert connection.is_open
            assert await connection.connect_get_lib_version() == 9000000


async def test_keepalive_our_pings_are_answered(libvirtd: PrivateLibvirtd) -> None:
    async with virtrpc.connect(libvirtd.uri, keepalive=(0.1, 3)) as connection:
        await _wait_until(lambda: connection.keepalive_pongs_received >= 3, timeout=10)
        assert connection.is_open and connection.keepalive_pings_sent >= 3
        assert await connection.connect_get_lib_version() == 9000000


async def test_keepalive_disabled_sends_nothing(libvirtd: PrivateLibvirtd) -> None:
    async with virtrpc.connect(libvirtd.uri, keepalive=None) as connection:
        assert not connection.server_keepalive
        assert connection.keepalive_pings_sent == 0


async def test_daemon_death_fails_pending_calls_promptly() -> None:
    require_peer(find_libvirtd() is not None, "libvirtd")
    daemon = PrivateLibvirtd().start()
    try:
        connection = await virtrpc.connect(daemon.uri)
        closed = await connection.subscribe("connection")
        pending = asyncio.ensure_future(
            connection.domain_get_xml_desc(
                dom=await connection.domain_lookup_by_name(name="test"), flags=0
            )
        )
        await pending  # one completed call proves the connection is live
        assert daemon.process is not None
        daemon.process.kill()
        daemon.process.wait()
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(connection.connect_get_capabilities(), timeout=5)
        event = await asyncio.wait_for(closed.get(), timeout=5)
        assert event.name == "connection_closed" and event.fields["reason"] in ("eof", "error")
        assert connection.close_reason in ("eof", "error")
        await connection.close()
    finally:
        daemon.stop()


async def _wait_until(predicate: object, timeout: float) -> None:
    assert callable(predicate)
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached before the deadline")
        await asyncio.sleep(0.02)  # polling with a deadline, not synchronisation


VHBA_XML = """<device><parent>scsi_host1</parent><capability type='scsi_host'>
<capability type='fc_host'><wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn></capability>
</capability></device>"""


async def test_node_device_events_and_unsupported_secret_events(client: Client) -> None:
    sub = await client.subscribe("node_device", "lifecycle")
    dev = await client.node_device_create_xml(xml_desc=VHBA_XML, flags=0)
    event = await asyncio.wait_for(sub.get(), timeout=10)
    assert event.family is EventFamily.NODE_DEVICE and event.fields["dev"] == dev
    # The test driver has no secret driver: registration is refused with the
    # daemon's error, and subscribe_all() skips such families.
    with pytest.raises(LibvirtError) as info:
        await client.subscribe("secret", "lifecycle")
    assert info.value.code == ErrorNumber.VIR_ERR_NO_SUPPORT
    subs = await client.subscribe_all()
    families = {s.family for s in subs}
    assert EventFamily.SECRET not in families
    assert {
        EventFamily.DOMAIN,
        EventFamily.NETWORK,
        EventFamily.STORAGE_POOL,
        EventFamily.NODE_DEVICE,
        EventFamily.CONNECTION,
    } <= families


async def test_low_level_call(client: Client) -> None:
    by_name = await client.call("remote", 1, "connect_get_lib_version")
    assert by_name.value.lib_ver == 9000000 and by_name.fds == []
    by_number = await client.call(0x20008086, 1, 23, {"name": "test"})  # domain_lookup_by_name
    assert by_number.value.dom.name == "test"
    raw = await client.call(0x20008086, 1, 157, b"")
    assert raw.value == (9000000).to_bytes(8, "big")
    with pytest.raises(LibvirtError):
        await client.call("remote", 1, "domain_lookup_by_name", {"name": "nope"})


async def test_screenshot_sparse_iteration_ends_at_libvirtd_eof(client: Client) -> None:
    # libvirtd signals the end of a read stream with an empty STREAM/CONTINUE.
    dom = await client.domain_lookup_by_name(name="test")
    stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
    items = [item async for item in stream.iter_sparse()]
    await asyncio.wait_for(stream.finish(), timeout=10)
    chunks = [item for item in items if isinstance(item, bytes) and item]
    assert len(chunks) == len(items)
    assert b"".join(chunks)[:4] == b"\x89PNG"


async def test_tls_transport_through_connect(tmp_path: Path) -> None:
    """virtrpc.connect over +tls to libvirtd, with H6's certificates fixture."""
    from tests.support.tls_fixtures import NetworkLibvirtd, make_test_pki, require_openssl

    require_openssl()
    pki = make_test_pki(tmp_path / "pki")
    with NetworkLibvirtd(tls_dir=pki.server_dir) as daemon:
        uri = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.client_dir}"
        async with virtrpc.connect(uri) as tls_client:
            assert tls_client.socket_path == f"localhost:{daemon.tls_port}"
            assert await tls_client.connect_get_lib_version() == 9000000
            dom = await tls_client.domain_lookup_by_name(name="test")
            stream = await tls_client.domain_screenshot(dom=dom, screen=0, flags=0)
            assert (await stream.read_all())[:4] == b"\x89PNG"
            await stream.finish()
