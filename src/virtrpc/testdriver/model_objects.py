"""The model's networks, storage pools and volumes (the domain and the
:class:`~virtrpc.testdriver.model.Hypervisor` live in :mod:`model`, which
re-exports these names)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from virtrpc.rpc.stream import STREAM_CHUNK_SIZE
from virtrpc.testdriver.xmlutil import to_xml, uuid_str

#: Largest data piece a volume read yields: one stream packet's payload.
STREAM_CHUNK = STREAM_CHUNK_SIZE
#: the size libvirt's test driver gives every storage pool
DEFAULT_POOL_BYTES = 100 * 1024**3
MAX_VOLUME_BYTES = 1 << 40


@dataclass
class Network:
    """A virtual network."""

    name: str
    uuid: bytes
    definition: ET.Element
    bridge: str
    active: bool = False
    persistent: bool = True
    autostart: bool = False

    def xml(self) -> str:
        return to_xml(self.definition)


@dataclass
class Volume:
    """A storage volume; its content is a list of extents (``None`` = hole)."""

    name: str
    pool: str
    path: str
    capacity: int
    extents: list[tuple[int, bytes | None]] = field(default_factory=list)
    #: the image format its definition names (``target/format``)
    format: str = "raw"
    #: the allocation its definition asked for (libvirt's test driver
    #: allocates that much at once, the whole capacity if it names none)
    declared_allocation: int = 0

    @property
    def size(self) -> int:
        return sum(length for length, _ in self.extents)

    @property
    def allocation(self) -> int:
        written = sum(length for length, data in self.extents if data is not None)
        return max(written, self.declared_allocation)

    def read(self, offset: int, length: int) -> Iterator[tuple[int, bytes | None]]:
        """Yield (length, data-or-None-for-hole) pieces of the given range,
        data pieces at most ``STREAM_CHUNK`` bytes long."""
        end = self.size if length == 0 else min(self.size, offset + length)
        position = 0
        for extent_length, data in self.extents:
            extent_end = position + extent_length
            start = max(position, offset)
            stop = min(extent_end, end)
            if start < stop:
                if data is None:
                    yield stop - start, None
                else:
                    for chunk_start in range(start, stop, STREAM_CHUNK):
                        chunk_stop = min(stop, chunk_start + STREAM_CHUNK)
                        yield (
                            chunk_stop - chunk_start,
                            data[chunk_start - position : chunk_stop - position],
                        )
            position = extent_end
            if position >= end:
                break

    def replace_from(self, offset: int, pieces: list[tuple[int, bytes | None]]) -> None:
        """Keep the content before ``offset``, then append the uploaded pieces."""
        kept: list[tuple[int, bytes | None]] = []
        position = 0
        for extent_length, data in self.extents:
            if position >= offset:
                break
            take = min(extent_length, offset - position)
            kept.append((take, None if data is None else data[:take]))
            position += take
        if position < offset:
            kept.append((offset - position, None))
        # Runs of data pieces become one extent, joined once (concatenating
        # piece by piece copied the whole run again for every piece).
        merged: list[tuple[int, bytes | None]] = []
        run: list[bytes] = []
        for length, data in [*kept, *pieces, (0, None)]:
            if data is not None:
                if length:
                    run.append(data)
                continue
            if run:
                joined = b"".join(run)
                merged.append((len(joined), joined))
                run = []
            if length:
                if merged and merged[-1][1] is None:
                    merged[-1] = (merged[-1][0] + length, None)
                else:
                    merged.append((length, None))
        self.extents = merged
        self.capacity = max(self.capacity, self.size)

    def xml(self) -> str:
        root = ET.Element("volume", type="file")
        ET.SubElement(root, "name").text = self.name
        ET.SubElement(root, "key").text = self.path
        ET.SubElement(root, "capacity", unit="bytes").text = str(self.capacity)
        ET.SubElement(root, "allocation", unit="bytes").text = str(self.allocation)
        target = ET.SubElement(root, "target")
        ET.SubElement(target, "path").text = self.path
        ET.SubElement(target, "format", type=self.format)
        return to_xml(root)


@dataclass
class StoragePool:
    """A directory-like storage pool holding volumes."""

    name: str
    uuid: bytes
    path: str
    capacity: int
    active: bool = True
    persistent: bool = True
    autostart: bool = False
    volumes: dict[str, Volume] = field(default_factory=dict)
    kind: str = "dir"

    @property
    def allocation(self) -> int:
        return sum(volume.allocation for volume in self.volumes.values())

    def xml(self) -> str:
        root = ET.Element("pool", type=self.kind)
        ET.SubElement(root, "name").text = self.name
        ET.SubElement(root, "uuid").text = uuid_str(self.uuid)
        ET.SubElement(root, "capacity", unit="bytes").text = str(self.capacity)
        ET.SubElement(root, "allocation", unit="bytes").text = str(self.allocation)
        available = self.capacity - self.allocation
        ET.SubElement(root, "available", unit="bytes").text = str(available)
        ET.SubElement(root, "source")
        target = ET.SubElement(root, "target")
        ET.SubElement(target, "path").text = self.path
        return to_xml(root)


# The order libvirt writes a network's elements in (virNetworkDefFormat).
_NETWORK_ORDER = ("name", "uuid", "metadata", "forward", "bridge", "mtu", "mac", "domain",
                  "dns", "ip", "route", "bandwidth", "portgroup", "vlan", "virtualport")
# Forward modes whose network is a bridge libvirt makes (STP and delay apply).
_BRIDGED_MODES = frozenset({"nat", "route", "open", ""})


def network_defaults(root: ET.Element) -> str:
    """Fill in what libvirt's parser fills in for a network definition (the
    bridge's STP and delay for a network libvirt bridges), put the elements
    in libvirt's order; return the bridge's name ("" if none was given: the
    test driver names none)."""
    forward = root.find("forward")
    mode = forward.get("mode", "nat") if forward is not None else ""
    bridge = root.find("bridge")
    if mode in _BRIDGED_MODES:
        if bridge is None:
            bridge = ET.SubElement(root, "bridge")
        bridge.set("stp", bridge.get("stp", "on"))
        bridge.set("delay", bridge.get("delay", "0"))
    rank = {tag: i for i, tag in enumerate(_NETWORK_ORDER)}
    children = sorted(root, key=lambda child: rank.get(child.tag, len(rank)))
    for child in list(root):
        root.remove(child)
    root.extend(children)
    return bridge.get("name", "") if bridge is not None else ""
