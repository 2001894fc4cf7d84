"""The test hypervisor's switch between libvirtd's behaviour (the default)
and virtrpc's extras, and the model rules behind the differential tests
(vcpus live and config, pinning until the domain stops, volume allocation)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import virtrpc
from virtrpc.client.client import Client
from virtrpc.client.errors import LibvirtError
from virtrpc.server.errors import ErrorCode
from virtrpc.testdriver import build_test_server

AFFECT_LIVE, AFFECT_CONFIG, VCPU_MAXIMUM = 1, 2, 4


@contextlib.asynccontextmanager
async def served(tmp_path: Path, *, extras: bool = False) -> AsyncIterator[Client]:
    server, _driver = build_test_server(extras=extras)
    path = str(tmp_path / "sock")
    await server.listen_unix(path)
    task = asyncio.ensure_future(server.serve_forever())
    try:
        async with virtrpc.connect(f"test+unix:///default?socket={path}") as client:
            yield client
    finally:
        server.request_shutdown()
        await task


async def test_secrets_and_job_info_only_with_extras(tmp_path: Path) -> None:
    async with served(tmp_path) as client:
        dom = await client.domain_lookup_by_name(name="test")
        for call in (client.connect_num_of_secrets(),
                     client.domain_get_job_info(dom=dom)):
            with pytest.raises(LibvirtError) as caught:
                await call
            assert caught.value.code == ErrorCode.NO_SUPPORT
            assert "not supported by the connection driver" in caught.value.message
    async with served(tmp_path, extras=True) as client:
        dom = await client.domain_lookup_by_name(name="test")
        assert await client.connect_num_of_secrets() == 0
        assert (await client.domain_get_job_info(dom=dom)).type == 0


async def test_vcpus_live_and_config(tmp_path: Path) -> None:
    async with served(tmp_path) as client:
        dom = await client.domain_lookup_by_name(name="test")

        async def counts() -> list[int]:
            return [await client.domain_get_vcpus_flags(dom=dom, flags=flags)
                    for flags in (AFFECT_LIVE, AFFECT_CONFIG, AFFECT_LIVE | VCPU_MAXIMUM)]

        assert await counts() == [2, 2, 2]
        await client.domain_set_vcpus_flags(dom=dom, nvcpus=1, flags=AFFECT_LIVE)
        assert await counts() == [1, 2, 2]
        assert (await client.domain_get_info(dom=dom)).nrVirtCpu == 1
        with pytest.raises(LibvirtError, match=r"exceeds maximum \(3 > 2\)"):
            await client.domain_set_vcpus_flags(dom=dom, nvcpus=3, flags=AFFECT_CONFIG)
        await client.domain_pin_vcpu(dom=dom, vcpu=0, cpumap=b"\x02")
        pins = await client.domain_get_vcpu_pin_info(dom=dom, ncpumaps=2, maplen=1, flags=0)
        assert (pins.num, pins.cpumaps) == (2, b"\x02\xff")
        await client.domain_destroy(dom=dom)
        # the live config went with the running domain
        assert (await client.domain_get_info(dom=dom)).nrVirtCpu == 2
        with pytest.raises(LibvirtError, match="cannot pin vcpus on an inactive domain"):
            await client.domain_pin_vcpu(dom=dom, vcpu=0, cpumap=b"\x01")


async def test_refused_flags_name_the_unknown_bits(tmp_path: Path) -> None:
    async with served(tmp_path) as client:
        dom = await client.domain_lookup_by_name(name="test")
        with pytest.raises(LibvirtError) as caught:
            await client.domain_get_xml_desc(dom=dom, flags=1 | 4)
        assert caught.value.code == ErrorCode.INVALID_ARG
        assert caught.value.message == ("unsupported flags (0x4) in function "
                                        "testDomainGetXMLDesc")


async def test_new_volume_allocation(tmp_path: Path) -> None:
    async with served(tmp_path) as client:
        pool = await client.storage_pool_lookup_by_name(name="default-pool")
        before = (await client.storage_pool_get_info(pool=pool)).allocation
        xml = ("<volume><name>{}</name><capacity unit='KiB'>1024</capacity>{}</volume>")
        full = await client.storage_vol_create_xml(pool=pool, xml=xml.format("a", ""), flags=0)
        half = await client.storage_vol_create_xml(
            pool=pool, xml=xml.format("b", "<allocation unit='KiB'>512</allocation>"), flags=0)
        assert (await client.storage_vol_get_info(vol=full)).allocation == 1024 * 1024
        assert (await client.storage_vol_get_info(vol=half)).allocation == 512 * 1024
        after = (await client.storage_pool_get_info(pool=pool)).allocation
        assert after - before == 1536 * 1024
