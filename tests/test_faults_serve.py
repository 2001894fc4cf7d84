"""Faults of a real server process seen by the virtrpc client: a frozen
`virtrpc serve` (SIGSTOP) caught by keepalive, and a server killed in the
middle of a stream download with calls in flight.  Every pending call and
stream must fail promptly with ConnectionLost, and no fd may leak."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import virtrpc
from tests.support.fdcount import FdLeakCheck
from tests.support.peers import serve_process


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serve_process(tmp_path, ["--extras"]) as served:
        yield served


async def test_frozen_server_is_caught_by_keepalive(
    server: tuple[str, subprocess.Popen[str]], fd_leak_check: FdLeakCheck
) -> None:
    uri, process = server
    interval, count = 0.2, 2
    with fd_leak_check("client"):
        client = await virtrpc.connect(uri, keepalive=(interval, count))
        try:
            assert await client.connect_get_lib_version() == 9000000
            process.send_signal(signal.SIGSTOP)
            started = time.monotonic()
            pending = [asyncio.ensure_future(client.connect_get_lib_version()) for _ in range(10)]
            results = await asyncio.wait_for(
                asyncio.gather(*pending, return_exceptions=True), timeout=10
            )
            elapsed = time.monotonic() - started
            assert all(isinstance(r, virtrpc.ConnectionLost) for r in results), results
            # libvirt's rule: dead after interval * (count + 1) of silence, give or take a tick.
            assert interval * count <= elapsed < interval * (count + 1) + 2.0, elapsed
            with pytest.raises(virtrpc.ConnectionLost):
                await client.connect_get_lib_version()
        finally:
            client.abort()
            process.send_signal(signal.SIGCONT)


async def test_server_killed_mid_stream_fails_everything_promptly(
    server: tuple[str, subprocess.Popen[str]], fd_leak_check: FdLeakCheck
) -> None:
    uri, process = server
    with fd_leak_check("client"):
        client = await virtrpc.connect(uri)
        try:
            pool = await client.storage_pool_lookup_by_name(name="default-pool")
            vol = await client.storage_vol_lookup_by_name(pool=pool, name="disk1.img")
            # 4 MiB: far more than the socket buffers hold, so the kill lands mid-stream.
            stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=0)
            assert await stream.recv()  # the download has started
            pending = [asyncio.ensure_future(client.connect_get_lib_version()) for _ in range(100)]
            process.kill()
            async with asyncio.timeout(10):
                results = await asyncio.gather(*pending, return_exceptions=True)
                with pytest.raises(virtrpc.ConnectionLost):
                    while await stream.recv():
                        pass
            # Calls answered before the kill are fine; every other one failed with ConnectionLost.
            assert all(r == 9000000 or isinstance(r, virtrpc.ConnectionLost) for r in results)
            assert any(isinstance(r, virtrpc.ConnectionLost) for r in results)
        finally:
            client.abort()
