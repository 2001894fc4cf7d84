"""The test hypervisor's switch between libvirtd's behaviour (the default)
and virtrpc's extras, and the model rules behind the differential tests
(vcpus live and config, pinning until the domain stops, volume allocation)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import virtrpc
from tests.support.served import serve_test_hypervisor
from virtrpc.client.client import Client
from virtrpc.client.errors import LibvirtError
from virtrpc.server.errors import ErrorCode

AFFECT_LIVE, AFFECT_CONFIG, VCPU_MAXIMUM = 1, 2, 4


@contextlib.asynccontextmanager
async def served(tmp_path: Path, *, extras: bool = False) -> AsyncIterator[Client]:
    """A client of the test hypervisor served in ``tmp_path`` (tests/support/served.py)."""
    async with (
        serve_test_hypervisor(tmp_path, extras=extras) as hypervisor,
        virtrpc.connect(hypervisor.uri) as client,
    ):
        yield client


async def test_secrets_and_job_info_only_with_extras(tmp_path: Path) -> None:
    async with served(tmp_path) as client:
        dom = await client.domain_lookup_by_name(name="test")
        for call in (client.connect_num_of_secrets(),
                     client.domain_get_job_info(dom=dom)):
            with pytest.raises(LibvirtError) as caught:
                await call
            assert caught.value.code == ErrorCode.NO_SUPPORT
            assert "not supported by the connection driver" in (caught.value.message or "")
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


# -- the model's rules, without a server ---------------------------------------

MINIMAL = ("<domain type='test'><name>m</name><memory unit='MiB'>64</memory>"
           "<os><type>hvm</type></os><devices><interface type='network'>"
           "<source network='default'/></interface><disk device='disk'>"
           "<source file='/x.img'/><target dev='sdb'/></disk></devices></domain>")


def test_minimal_definitions_get_libvirts_defaults() -> None:
    import xml.etree.ElementTree as ET

    from virtrpc.testdriver.model import Hypervisor

    hv = Hypervisor()
    root = ET.fromstring(hv.define_domain(MINIMAL).xml())

    def at(path: str, parent: ET.Element = root) -> ET.Element:
        found = parent.find(path)
        assert found is not None, path
        return found

    assert [child.tag for child in root] == [
        "name", "uuid", "memory", "currentMemory", "vcpu", "os", "clock", "on_poweroff",
        "on_reboot", "on_crash", "devices"]
    assert (root.findtext("memory"), at("memory").get("unit")) == ("65536", "KiB")
    assert at("vcpu").get("placement") == "static" and root.findtext("vcpu") == "1"
    assert at("os/type").get("arch") == "i686"
    assert at("os/boot").get("dev") == "hd"
    interface = at("devices/interface")
    assert [child.tag for child in interface] == ["mac", "source", "target"]
    assert (at("mac", interface).get("address") or "").startswith("52:54:00:")
    assert at("target", interface).get("dev") == "testnet0"
    assert at("devices/disk").get("type") == "file"
    assert at("devices/disk/target").get("bus") == "scsi"


def test_live_texts_go_with_the_running_domain() -> None:
    from virtrpc.testdriver.model import (
        AFFECT_CONFIG,
        AFFECT_LIVE,
        METADATA_DESCRIPTION,
        Hypervisor,
    )

    hv = Hypervisor()
    domain = hv.lookup_domain(name="test")
    hv.set_metadata(domain, METADATA_DESCRIPTION, "live", None, None, AFFECT_LIVE)
    hv.set_metadata(domain, METADATA_DESCRIPTION, "config", None, None, AFFECT_CONFIG)
    assert hv.get_metadata(domain, METADATA_DESCRIPTION, None) == "live"
    assert hv.get_metadata(domain, METADATA_DESCRIPTION, None, AFFECT_CONFIG) == "config"
    assert "<description>live</description>" in domain.xml()
    assert "<description>config</description>" in domain.xml(inactive=True)
    hv.destroy_domain(domain)
    assert hv.get_metadata(domain, METADATA_DESCRIPTION, None) == "config"
    with pytest.raises(Exception, match="domain is not running"):
        hv.set_metadata(domain, METADATA_DESCRIPTION, "x", None, None, AFFECT_LIVE)


def test_rename_moves_a_stopped_domain() -> None:
    from virtrpc.testdriver.model import Hypervisor

    hv = Hypervisor()
    domain = hv.define_domain(MINIMAL)
    with pytest.raises(Exception, match="already exists"):
        hv.rename_domain(domain, "test")
    hv.rename_domain(domain, "renamed")
    assert hv.lookup_domain(name="renamed") is domain
    assert "<name>renamed</name>" in domain.xml()
    with pytest.raises(Exception, match="cannot rename active domain"):
        hv.rename_domain(hv.lookup_domain(name="test"), "other")
