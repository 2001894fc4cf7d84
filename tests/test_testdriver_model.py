"""The in-memory hypervisor model: rules, errors, events, XML safety, volumes, PNG."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from virtrpc.server.errors import ErrorCode, RpcFault
from virtrpc.testdriver.model import (
    DomainState,
    Hypervisor,
    LifecycleEvent,
    ObjectEvent,
    Volume,
)
from virtrpc.testdriver.png import encode_png, screenshot
from virtrpc.testdriver.xmlutil import parse_xml

XML = "<domain type='test'><name>{}</name><memory unit='MiB'>2</memory>" \
      "<os><type>hvm</type></os></domain>"


def recorded(hv: Hypervisor) -> list[ObjectEvent]:
    events: list[ObjectEvent] = []
    hv.add_listener(events.append)
    return events


def test_default_state_matches_libvirts_test_driver() -> None:
    hv = Hypervisor(sample_volume=True)
    domain = hv.domains["test"]
    assert (domain.id, domain.state, domain.vcpus, domain.max_memory) == (
        1, DomainState.RUNNING, 2, 8388608)
    assert hv.networks["default"].active
    assert "disk1.img" in hv.pools["default-pool"].volumes


def test_lifecycle_rules_and_events() -> None:
    hv = Hypervisor(sample_volume=True)
    events = recorded(hv)
    domain = hv.define_domain(XML.format("d"))
    assert domain.max_memory == 2048 and not domain.active
    hv.start_domain(domain)
    with pytest.raises(RpcFault, match="already running"):
        hv.start_domain(domain)
    hv.suspend_domain(domain)
    with pytest.raises(RpcFault, match="not running"):
        hv.suspend_domain(domain)
    hv.resume_domain(domain)
    with pytest.raises(RpcFault, match="not paused"):
        hv.resume_domain(domain)
    hv.shutdown_domain(domain)
    with pytest.raises(RpcFault) as info:
        hv.destroy_domain(domain)
    assert info.value.code == ErrorCode.OPERATION_INVALID
    hv.undefine_domain(domain)
    assert "d" not in hv.domains
    assert [(e.event, e.detail) for e in events] == [
        (LifecycleEvent.DEFINED, 0), (LifecycleEvent.STARTED, 0), (LifecycleEvent.SUSPENDED, 0),
        (LifecycleEvent.RESUMED, 0), (LifecycleEvent.SHUTDOWN, 0), (LifecycleEvent.STOPPED, 0),
        (LifecycleEvent.UNDEFINED, 0)]


def test_ids_grow_and_lookup_errors() -> None:
    hv = Hypervisor(sample_volume=True)
    first = hv.create_domain(XML.format("a"))
    second = hv.create_domain(XML.format("b"))
    assert second.id == first.id + 1
    assert hv.lookup_domain(id=second.id) is second
    with pytest.raises(RpcFault) as info:
        hv.lookup_domain(name="nope")
    assert (info.value.code, info.value.message) == (ErrorCode.NO_DOMAIN, "Domain not found")
    hv.destroy_domain(first)
    assert "a" not in hv.domains  # transient domains vanish when stopped


def test_name_and_uuid_conflicts() -> None:
    hv = Hypervisor(sample_volume=True)
    with pytest.raises(RpcFault, match="already exists with uuid"):
        hv.create_domain(XML.format("test"))
    clash = ("<domain type='test'><name>other</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f"
             "</uuid><memory>1</memory><os><type>hvm</type></os></domain>")
    with pytest.raises(RpcFault, match="already defined with uuid"):
        hv.define_domain(clash)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<domain><name>x", "(domain_definition):1:"),
        ('<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>', "document type declarations"),
        ('<!DOCTYPE d SYSTEM "file:///etc/passwd"><d/>', "document type declarations"),
        ("<d>&undefined;</d>", "(domain_definition):1:"),
        ("", "(domain_definition):"),
    ],
)
def test_unsafe_or_bad_xml_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(RpcFault) as info:
        parse_xml(text, "domain_definition")
    assert info.value.code == ErrorCode.XML_DETAIL
    assert fragment in info.value.message


def test_semantic_xml_errors() -> None:
    hv = Hypervisor(sample_volume=True)
    with pytest.raises(RpcFault, match="an os <type> must be specified"):
        hv.define_domain("<domain type='test'><name>x</name></domain>")
    with pytest.raises(RpcFault, match="malformed uuid"):
        hv.define_domain("<domain><name>x</name><uuid>zz</uuid><os><type>hvm</type></os></domain>")


def test_metadata_roundtrip() -> None:
    hv = Hypervisor(sample_volume=True)
    domain = hv.domains["test"]
    with pytest.raises(RpcFault) as info:
        hv.get_metadata(domain, 0, None)
    assert info.value.code == ErrorCode.NO_DOMAIN_METADATA
    hv.set_metadata(domain, 0, "a description", None, None)
    hv.set_metadata(domain, 2, "<owner>me</owner>", "app", "http://example.org/app")
    assert hv.get_metadata(domain, 0, None) == "a description"
    assert hv.get_metadata(domain, 2, "http://example.org/app") == "<owner>me</owner>"
    xml = domain.xml()
    assert "<description>a description</description>" in xml and "http://example.org/app" in xml


pieces = st.lists(
    st.one_of(st.binary(min_size=1, max_size=300).map(lambda b: (len(b), b)),
              st.integers(min_value=1, max_value=5000).map(lambda n: (n, None))),
    max_size=12)


@settings(max_examples=200, deadline=None)
@given(pieces, st.integers(min_value=0, max_value=3000), st.integers(min_value=0, max_value=3000))
def test_volume_content_roundtrips(
    uploaded: list[tuple[int, bytes | None]], offset: int, length: int
) -> None:
    volume = Volume("v", "p", "/p/v", 0)
    volume.replace_from(0, uploaded)
    flat = b"".join(data if data is not None else bytes(n) for n, data in uploaded)
    assert volume.size == len(flat)
    assert volume.allocation == sum(n for n, d in uploaded if d is not None)
    read = b"".join(data if data is not None else bytes(n) for n, data in volume.read(offset, length))
    end = len(flat) if length == 0 else min(len(flat), offset + length)
    assert read == flat[offset:end]
    # overwriting from an offset keeps the head and replaces the tail
    volume.replace_from(offset, [(3, b"xyz")])
    expected = (flat[:offset] + bytes(max(0, offset - len(flat))))[:offset] + b"xyz"
    assert b"".join(d if d is not None else bytes(n) for n, d in volume.read(0, 0)) == expected


def test_png_is_well_formed() -> None:
    data = screenshot("test", 16, 8)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position = 8
    chunks = []
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack_from(">I", data, position + 8 + length)
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        position += 12 + length
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">II", chunks[0][1][:8]) == (16, 8)
    assert len(zlib.decompress(chunks[1][1])) == 8 * (1 + 16 * 3)
    with pytest.raises(ValueError):
        encode_png(2, 2, [b"\0" * 6])


def test_pool_stop_and_start_rules_and_events() -> None:
    hv = Hypervisor(sample_volume=True)
    events = recorded(hv)
    pool = hv.pools["default-pool"]
    assert hv.lookup_volume(key="/default-pool/disk1.img").name == "disk1.img"
    with pytest.raises(RpcFault, match="storage pool 'default-pool' is active"):
        hv.start_pool(pool)
    hv.stop_pool(pool)
    assert not pool.active and "default-pool" in hv.pools  # persistent: kept
    with pytest.raises(RpcFault, match="storage pool 'default-pool' is not active") as info:
        hv.stop_pool(pool)
    assert info.value.code == ErrorCode.OPERATION_INVALID
    # a stopped pool hides its volumes from every kind of lookup
    with pytest.raises(RpcFault, match="is not active"):
        hv.lookup_volume(pool="default-pool", name="disk1.img")
    with pytest.raises(RpcFault, match="no storage vol with matching key"):
        hv.lookup_volume(key="/default-pool/disk1.img")
    with pytest.raises(RpcFault, match="no storage vol with matching path"):
        hv.lookup_volume(path="/default-pool/disk1.img")
    hv.start_pool(pool)
    assert hv.lookup_volume(path="/default-pool/disk1.img").name == "disk1.img"
    assert [(e.kind, e.obj.name, e.event) for e in events] == [
        ("pool", "default-pool", 3), ("pool", "default-pool", 2)]
    pool.persistent = False
    hv.stop_pool(pool)
    assert "default-pool" not in hv.pools  # a transient pool goes away when stopped


def test_uploaded_pieces_become_alternating_extents() -> None:
    volume = Volume("v", "p", "/p/v", 0)
    volume.replace_from(0, [(3, b"abc"), (0, b""), (2, b"de"), (4, None), (1, None), (1, b"f")])
    assert volume.extents == [(5, b"abcde"), (5, None), (1, b"f")]
    # an upload at an offset keeps the head (cut inside the first extent)
    volume.replace_from(2, [(2, None), (1, b"g")])
    assert volume.extents == [(2, b"ab"), (2, None), (1, b"g")]
    # many small pieces (a long stream upload) make one extent
    volume.replace_from(0, [(1, bytes([n % 256])) for n in range(5000)])
    assert volume.extents == [(5000, bytes(n % 256 for n in range(5000)))]
