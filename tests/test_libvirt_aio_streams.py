"""Stream event callbacks of the asyncio twin (``await st.eventAddCallback``):
a screenshot read by a READABLE callback on a private libvirtd gives the
bytes the real libvirt-python gets; a WRITABLE callback uploads and a
READABLE one downloads a volume of ``virtrpc serve`` (plain and sparse);
coroutine callbacks never overlap; a dying connection reports READABLE and
the receive raises; the errors are libvirt's."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import virtrpc.libvirt.aio as aio
from tests.support import fdcount
from tests.support.fdcount import FdLeakCheck
from tests.support.peers import (
    PrivateLibvirtd,
    find_libvirtd,
    has_libvirt_python,
    require_peer,
    serve_process,
)

fd_leak_check = fdcount.fd_leak_check
READABLE = aio.VIR_STREAM_EVENT_READABLE
WRITABLE = aio.VIR_STREAM_EVENT_WRITABLE

REAL_SCREENSHOT = r"""
import hashlib, sys, libvirt
conn = libvirt.open(sys.argv[1])
stream = conn.newStream()
conn.lookupByName("test").screenshot(stream, 0, 0)
chunks = []
stream.recvAll(lambda s, data, acc: acc.append(data), chunks)
image = b"".join(chunks)
print(len(image), hashlib.sha256(image).hexdigest())
"""


@pytest.fixture(scope="module")
def daemon() -> Iterator[PrivateLibvirtd]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        yield daemon


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serve_process(tmp_path) as (uri, process):
        yield uri, process


class Reader:
    """A READABLE callback reading one piece per dispatch, as a libvirt
    program does with a non-blocking stream; done at the end of the stream."""

    def __init__(self, keep_holes: bool = False) -> None:
        self.pieces: list[bytes | int] = []
        self.events: set[int] = set()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.keep_holes = keep_holes

    async def __call__(self, stream: aio.virStream, events: int, opaque: Any) -> None:
        assert opaque == "opaque"
        self.events.add(events)
        try:
            if self.keep_holes:
                got = await stream.recvFlags(65536, aio.VIR_STREAM_RECV_STOP_AT_HOLE)
                if got == -3:
                    self.pieces.append(await stream.recvHole())
                    return
            else:
                got = await stream.recv(65536)
        except aio.libvirtError as e:
            await stream.eventRemoveCallback()
            self.done.set_exception(e)
            return
        assert isinstance(got, bytes)
        if got:
            self.pieces.append(got)
            return
        await stream.eventRemoveCallback()
        await stream.finish()
        self.done.set_result(None)


async def test_screenshot_read_by_a_readable_callback(daemon: PrivateLibvirtd) -> None:
    conn = await aio.open(daemon.uri)
    try:
        dom = await conn.lookupByName("test")
        stream = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        assert await dom.screenshot(stream, 0, 0) == "image/png"
        reader = Reader()
        await stream.eventAddCallback(READABLE, reader, "opaque")
        await asyncio.wait_for(reader.done, 10)
    finally:
        await conn.close()
    image = b"".join(p for p in reader.pieces if isinstance(p, bytes))
    assert image[:4] == b"\x89PNG"
    assert reader.events == {READABLE}  # libvirt's remote streams report only READABLE here
    if has_libvirt_python():
        real = subprocess.run(["/usr/bin/python3", "-c", REAL_SCREENSHOT, daemon.uri],
                              capture_output=True, text=True, timeout=30)
        assert real.returncode == 0, real.stderr
        assert real.stdout.split() == [str(len(image)), hashlib.sha256(image).hexdigest()]


def _error(e: aio.libvirtError) -> tuple[int | None, int | None, str | None]:
    return e.get_error_code(), e.get_error_domain(), e.get_error_message()


async def test_errors_are_libvirts(daemon: PrivateLibvirtd) -> None:
    """The codes, domains and messages tests/test_libvirt_stream_events.py
    compares with the real libvirt-python for the blocking twin."""
    aio.registerErrorHandler(lambda ctx, err: None, None)
    conn = await aio.open(daemon.uri)
    try:
        unbound = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        calls: list[Callable[[], Awaitable[None]]] = [
            lambda: unbound.eventAddCallback(READABLE, lambda *a: None, None),
            lambda: unbound.eventUpdateCallback(READABLE), unbound.eventRemoveCallback]
        for call in calls:
            with pytest.raises(aio.libvirtError) as caught:
                await call()
            assert _error(caught.value)[:2] == (aio.VIR_ERR_NO_SUPPORT, aio.VIR_FROM_STREAMS)
        stream = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        await (await conn.lookupByName("test")).screenshot(stream, 0, 0)
        calls = [stream.eventRemoveCallback, lambda: stream.eventUpdateCallback(0)]
        for call in calls:
            with pytest.raises(aio.libvirtError) as caught:
                await call()
            assert _error(caught.value) == (aio.VIR_ERR_INTERNAL_ERROR, aio.VIR_FROM_RPC,
                                            "internal error: no stream callback registered")
        await stream.eventAddCallback(0, lambda *a: None, None)
        with pytest.raises(aio.libvirtError) as caught:
            await stream.eventAddCallback(READABLE, lambda *a: None, None)
        assert _error(caught.value) == (
            aio.VIR_ERR_INTERNAL_ERROR, aio.VIR_FROM_RPC,
            "internal error: multiple stream callbacks not supported")
        with pytest.raises(TypeError):
            await stream.eventUpdateCallback("readable")  # type: ignore[arg-type]
        await stream.eventRemoveCallback()
        await stream.abort()
    finally:
        await conn.close()
        aio.registerErrorHandler(None, None)


async def test_coroutine_callbacks_never_overlap_and_stop_when_removed(
        daemon: PrivateLibvirtd) -> None:
    """A WRITABLE callback is dispatched on every loop iteration, one
    coroutine at a time; updated to READABLE it reads; removed, it is quiet."""
    conn = await aio.open(daemon.uri)
    try:
        stream = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        await (await conn.lookupByName("test")).screenshot(stream, 0, 0)
        state = {"running": 0, "overlaps": 0, "writable": 0}
        reader = Reader()

        async def callback(st: aio.virStream, events: int, opaque: Any) -> None:
            state["overlaps"] += state["running"]
            state["running"] += 1
            try:
                await asyncio.sleep(0)  # let the loop turn while this one runs
                if events & WRITABLE:
                    state["writable"] += 1
                    if state["writable"] == 3:
                        await st.eventUpdateCallback(READABLE)
                elif events & READABLE:
                    await reader(st, events, "opaque")
            finally:
                state["running"] -= 1

        await stream.eventAddCallback(WRITABLE, callback, None)
        await asyncio.wait_for(reader.done, 10)
        after = dict(state)
        for _ in range(5):  # a few loop iterations: nothing more is dispatched
            await asyncio.sleep(0)
        assert state == after
    finally:
        await conn.close()
    assert state["writable"] == 3 and state["overlaps"] == 0
    assert b"".join(p for p in reader.pieces if isinstance(p, bytes))[:4] == b"\x89PNG"


async def test_upload_by_a_writable_callback_and_download_by_a_readable_one(
        served: tuple[str, subprocess.Popen[str]]) -> None:
    conn = await aio.open(served[0])
    try:
        pool = await conn.storagePoolLookupByName("default-pool")
        vol = await pool.createXML(
            "<volume><name>cb.img</name><capacity unit='K'>256</capacity></volume>", 0)
        payload = bytes(range(256)) * 400  # 102400 bytes, in 4 KiB pieces
        pieces = [payload[i:i + 4096] for i in range(0, len(payload), 4096)]
        upload = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        await vol.upload(upload, 0, len(payload), 0)
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def writable(st: aio.virStream, events: int, opaque: list[bytes]) -> object:
            assert events == WRITABLE
            if opaque:
                return st.send(opaque.pop(0))  # a coroutine: awaited before the next dispatch

            async def end() -> None:
                await st.eventRemoveCallback()
                await st.finish()
                sent.set_result(None)
            return end()

        await upload.eventAddCallback(WRITABLE, writable, pieces)
        await asyncio.wait_for(sent, 10)

        download = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        await vol.download(download, 0, len(payload), 0)
        reader = Reader()
        await download.eventAddCallback(READABLE, reader, "opaque")
        await asyncio.wait_for(reader.done, 10)
        assert b"".join(p for p in reader.pieces if isinstance(p, bytes)) == payload

        # sparse: data, a hole, data; a callback keeping the hole
        sparse = await conn.newStream()
        await vol.upload(sparse, 0, 0, aio.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM)
        await sparse.send(b"D" * 4096)
        await sparse.sendHole(65536)
        await sparse.send(b"E" * 4096)
        await sparse.finish()
        back = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        await vol.download(back, 0, 0, aio.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
        holes = Reader(keep_holes=True)
        await back.eventAddCallback(READABLE, holes, "opaque")
        await asyncio.wait_for(holes.done, 10)
        await vol.delete(0)
    finally:
        await conn.close()
    assert [("hole", p) if isinstance(p, int) else ("data", p[:1], len(p))
            for p in holes.pieces][:3] == [("data", b"D", 4096), ("hole", 65536),
                                           ("data", b"E", 4096)]


async def test_a_dying_connection_is_readable_and_the_receive_raises(
        served: tuple[str, subprocess.Popen[str]]) -> None:
    uri, process = served
    aio.registerErrorHandler(lambda ctx, err: None, None)
    conn = await aio.open(uri)
    try:
        pool = await conn.storagePoolLookupByName("default-pool")
        vol = await pool.createXML(
            "<volume><name>dies.img</name><capacity unit='K'>64</capacity></volume>", 0)
        upload = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
        await vol.upload(upload, 0, 4096, 0)  # the server waits for our data: nothing arrives
        reader = Reader()
        await upload.eventAddCallback(READABLE, reader, "opaque")
        for _ in range(3):
            await asyncio.sleep(0)
        assert reader.events == set()  # nothing to read yet: no dispatch
        process.kill()
        with pytest.raises(aio.libvirtError):
            await asyncio.wait_for(reader.done, 10)
        assert reader.events == {READABLE}
    finally:
        await conn.close()
        aio.registerErrorHandler(None, None)


def test_stream_callbacks_leak_no_fds(daemon: PrivateLibvirtd, fd_leak_check: FdLeakCheck) -> None:
    async def screenshots(count: int) -> None:
        for _ in range(count):
            conn = await aio.open(daemon.uri)
            stream = await conn.newStream(aio.VIR_STREAM_NONBLOCK)
            await (await conn.lookupByName("test")).screenshot(stream, 0, 0)
            reader = Reader()
            await stream.eventAddCallback(READABLE, reader, "opaque")
            await asyncio.wait_for(reader.done, 10)
            await conn.close()

    asyncio.run(screenshots(1))  # the first connection sets up lazily-made fds
    with fd_leak_check():
        asyncio.run(screenshots(3))
