"""Streams of the test hypervisor through the virtrpc client and a raw client:
aborts, disconnects mid-stream, protocol misuse, shutdown with open streams."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.rawclient import PROC, RawClient, wait_for_condition
from tests.support.served import ServedHypervisor
from virtrpc.client import connect
from virtrpc.client.errors import LibvirtError
from virtrpc.errors import StreamError, VirtrpcError
from virtrpc.protocols import remote
from virtrpc.rpc.packet import MessageType, Status
from virtrpc.server import Server
from virtrpc.testdriver import TestDriver
from virtrpc.testdriver.model import Volume

BIG = 8 * 1024 * 1024


pytestmark = pytest.mark.served(extras=True)


@pytest.fixture
def served(served_hypervisor: ServedHypervisor) -> tuple[Server, TestDriver, str, Path]:
    """The shared in-process test hypervisor with an 8 MiB ``big.img`` in
    ``default-pool``: (server, driver, URI, socket path)."""
    driver = served_hypervisor.driver
    pool = driver.hv.pools["default-pool"]
    content = os.urandom(BIG)
    pool.volumes["big.img"] = Volume("big.img", pool.name, "/default-pool/big.img", BIG,
                                     [(BIG, content)])
    return served_hypervisor.server, driver, served_hypervisor.uri, served_hypervisor.socket


async def open_client(uri: str) -> Any:
    return await connect(uri, keepalive=None)


async def volume(client: Any, name: str) -> Any:
    pool = await client.storage_pool_lookup_by_name(name="default-pool")
    return await client.storage_vol_lookup_by_name(pool=pool, name=name)


async def test_download_and_sparse_download(served: tuple[Server, TestDriver, str, Path]) -> None:
    _server, driver, uri, _path = served
    client = await open_client(uri)
    vol = await volume(client, "disk1.img")
    stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=1)
    pieces: list[Any] = []
    async for item in stream.iter_sparse():
        if item == b"":  # libvirt's end-of-stream (see requests-H5.md: client stream EOF)
            break
        pieces.append(item)
    await stream.finish()
    holes = [p for p in pieces if not isinstance(p, bytes | bytearray)]
    assert [h.length for h in holes] == [2 * 1024 * 1024]
    expected = driver.hv.pools["default-pool"].volumes["disk1.img"]
    assert sum(len(p) if isinstance(p, bytes | bytearray) else p.length for p in pieces) == expected.size
    await client.close()


async def test_client_abort_of_download_keeps_connection(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    server, _driver, uri, _path = served
    client = await open_client(uri)
    vol = await volume(client, "big.img")
    stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=0)
    first = await stream.recv()
    assert first
    await stream.abort()
    assert await client.connect_get_lib_version() == 9_000_000
    await wait_for_condition(lambda: all(c.open_streams == 0 for c in server.clients),
                             "server forgot the stream")
    await client.close()


async def test_disconnect_mid_download_harms_nobody(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    server, _driver, uri, path = served
    bystander = await open_client(uri)
    baseline = len(os.listdir("/proc/self/fd"))
    raw = await RawClient.connect(str(path), served=False)
    open_proc = PROC["connect_open"]
    assert open_proc.args is not None
    await raw.call(open_proc.number, open_proc.args.pack(
        remote.RemoteConnectOpenArgs(name="test:///default", flags=0)), serial=1)
    assert (await raw.next_message()).header.status == Status.OK
    vol = await volume(bystander, "big.img")
    args = remote.RemoteStorageVolDownloadArgs(vol=vol, offset=0, length=0, flags=0)
    proc = PROC["storage_vol_download"]
    assert proc.args is not None
    await raw.call(proc.number, proc.args.pack(args), serial=5)
    reply = await raw.next_message()
    assert (reply.header.type, reply.header.status) == (MessageType.REPLY, Status.OK)
    data = await raw.next_message()
    assert data.header.type == MessageType.STREAM and data.payload
    raw.close()  # vanish with megabytes still to come
    await wait_for_condition(lambda: len(server.clients) == 1, "raw client dropped")
    assert await bystander.connect_get_hostname() == "vm"
    await wait_for_condition(lambda: len(os.listdir("/proc/self/fd")) <= baseline,
                             "fds back to baseline")
    await bystander.close()


async def test_upload_abort_leaves_volume_untouched(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    _server, driver, uri, _path = served
    before = list(driver.hv.pools["default-pool"].volumes["disk1.img"].extents)
    client = await open_client(uri)
    vol = await volume(client, "disk1.img")
    stream = await client.storage_vol_upload(vol=vol, offset=0, length=0, flags=0)
    await stream.send(b"partial data" * 1000)
    await stream.abort()
    assert await client.connect_get_lib_version() == 9_000_000
    assert driver.hv.pools["default-pool"].volumes["disk1.img"].extents == before
    await client.close()


async def test_hole_on_a_non_sparse_upload_is_refused(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    _server, _driver, uri, _path = served
    client = await open_client(uri)
    vol = await volume(client, "disk1.img")
    stream = await client.storage_vol_upload(vol=vol, offset=0, length=0, flags=0)
    await stream.send_hole(4096)
    with pytest.raises((LibvirtError, StreamError)) as info:
        await stream.finish()
    assert "Unexpected stream hole" in str(info.value)
    assert await client.connect_get_lib_version() == 9_000_000
    await client.close()


async def test_sparse_upload_roundtrip(served: tuple[Server, TestDriver, str, Path]) -> None:
    _server, driver, uri, _path = served
    client = await open_client(uri)
    vol = await volume(client, "disk1.img")
    stream = await client.storage_vol_upload(vol=vol, offset=0, length=0, flags=1)
    await stream.send(b"A" * 5000)
    await stream.send_hole(100_000)
    await stream.send(b"B" * 10)
    await stream.finish()
    stored = driver.hv.pools["default-pool"].volumes["disk1.img"]
    assert stored.extents == [(5000, b"A" * 5000), (100_000, None), (10, b"B" * 10)]
    await client.close()


async def test_shutdown_ends_open_console_streams(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    server, _driver, uri, _path = served
    client = await open_client(uri)
    dom = await client.domain_lookup_by_name(name="test")
    console = await client.domain_open_console(dom=dom, dev_name=None, flags=0)
    banner = b""
    while b"login: " not in banner:
        banner += await console.recv()
    await console.send(b"root\r")
    echoed = b""
    while b"login: " not in echoed:
        echoed += await console.recv()
    assert echoed.startswith(b"root")
    started = asyncio.get_running_loop().time()
    await server.shutdown()
    assert asyncio.get_running_loop().time() - started < 2.0
    with pytest.raises(VirtrpcError) as info:
        while await console.recv():
            pass
    assert "shutting down" in str(info.value)
    await client.wait_closed()


async def test_abort_mid_download_stops_the_sender(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    _server, _driver, _uri, path = served
    raw = await RawClient.connect(str(path), served=False)
    open_proc = PROC["connect_open"]
    assert open_proc.args is not None
    await raw.call(open_proc.number, open_proc.args.pack(
        remote.RemoteConnectOpenArgs(name="test:///default", flags=0)), serial=1)
    assert (await raw.next_message()).header.status == Status.OK
    vol = remote.RemoteNonnullStorageVol(pool="default-pool", name="big.img",
                                         key="/default-pool/big.img")
    proc = PROC["storage_vol_download"]
    assert proc.args is not None
    await raw.call(proc.number, proc.args.pack(
        remote.RemoteStorageVolDownloadArgs(vol=vol, offset=0, length=0, flags=0)), serial=2)
    assert (await raw.next_message()).header.status == Status.OK
    received = len((await raw.next_message()).payload)
    await raw.call(proc.number, serial=2, mtype=MessageType.STREAM, status=Status.ERROR)
    while True:  # data already under way, then the confirmation of the abort
        message = await raw.next_message()
        assert message.header.type == MessageType.STREAM
        if message.header.status == Status.OK:
            break
        received += len(message.payload)
    assert received < BIG // 2, f"server kept sending after the abort ({received} bytes)"
    await raw.call(PROC["connect_get_lib_version"].number, serial=3)
    assert (await raw.next_message()).header.serial == 3
    raw.close()


@pytest.mark.parametrize("stop", ["domain_destroy", "domain_shutdown"])
async def test_console_ends_when_its_domain_stops(
    served: tuple[Server, TestDriver, str, Path], stop: str
) -> None:
    server, driver, uri, _path = served
    client = await open_client(uri)
    other = await open_client(uri)
    dom = await client.domain_lookup_by_name(name="test")
    listeners_before = len(driver.hv._listeners)
    console = await client.domain_open_console(dom=dom, dev_name=None, flags=0)
    banner = b""
    while b"login: " not in banner:
        banner += await console.recv()
    await getattr(other, stop)(dom=dom)
    # libvirt's end of stream (an empty data packet) arrives without any typing.
    assert await asyncio.wait_for(console.recv(), 5) == b""
    await console.finish()  # the client's half of libvirt's end-of-stream handshake
    await wait_for_condition(lambda: not any(c.open_streams for c in server.clients),
                             "the console stream to close")
    assert len(driver.hv._listeners) == listeners_before
    # The connection goes on; the stopped domain refuses a new console.
    with pytest.raises(LibvirtError, match="domain is not running"):
        await client.domain_open_console(dom=dom, dev_name=None, flags=0)
    await other.close()
    await client.close()


async def test_console_of_another_domain_survives_a_stop(
    served: tuple[Server, TestDriver, str, Path]
) -> None:
    _server, driver, uri, _path = served
    client = await open_client(uri)
    driver.hv.create_domain("<domain type='test'><name>other</name><memory>1024</memory>"
                            "<os><type>hvm</type></os></domain>")
    dom = await client.domain_lookup_by_name(name="test")
    other = await client.domain_lookup_by_name(name="other")
    console = await client.domain_open_console(dom=dom, dev_name=None, flags=0)
    banner = b""
    while b"login: " not in banner:
        banner += await console.recv()
    await client.domain_destroy(dom=other)
    await console.send(b"root\r")
    echoed = b""
    while b"login: " not in echoed:
        echoed += await asyncio.wait_for(console.recv(), 5)
    assert echoed.startswith(b"root")
    await console.abort()
    await client.close()
