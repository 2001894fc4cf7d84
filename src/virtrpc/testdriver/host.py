"""Static facts about the test hypervisor's host (modelled on libvirt's test driver)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from virtrpc.testdriver.xmlutil import parse_xml, to_xml

HYPERVISOR_TYPE = "TEST"
#: virConnectGetVersion of libvirt's test driver: 0.0.2
HYPERVISOR_VERSION = 2
#: libvirt 9.0.0, the version Debian 12's virsh and libvirtd report.
LIB_VERSION = 9_000_000
HOSTNAME = "vm"
MAX_VCPUS = 32

NODE_MODEL = "i686"
NODE_MEMORY_KIB = 3 * 1024 * 1024
NODE_CPUS = 16
NODE_MHZ = 1400
NODE_NUMA_CELLS = 2
NODE_SOCKETS = 2
NODE_CORES = 2
NODE_THREADS = 2
CELL_MEMORY_KIB = (2 * 1024 * 1024, 4 * 1024 * 1024)
#: what libvirt's test driver answers for the node's free memory: the node's
#: memory in KiB, given where the API says bytes (virsh freecell: 3072 KiB)
FREE_MEMORY_BYTES = NODE_MEMORY_KIB
#: page sizes (KiB) of the host CPU, and each cell's (size, count) pages
PAGE_SIZES_KIB = (4, 8, 2048, 1048576)
CELL_PAGES = (((4, 524288), (2048, 0), (1048576, 0)), ((8, 524288), (2048, 0), (1048576, 0)))
#: where libvirt keeps its CPU model map, when libvirt is installed
CPU_MAP_DIR = Path("/usr/share/libvirt/cpu_map")
# libvirt's architecture names -> the family of its CPU map (index.xml's <arch>)
# whose models libvirt 9.0 lists; its ARM and s390 CPU drivers list none.
_CPU_MAP_FAMILIES = {"i686": "x86", "x86_64": "x86", "ppc64": "ppc64", "ppc64le": "ppc64"}
_NO_MODELS = frozenset({"armv6l", "armv7l", "armv7b", "aarch64", "s390", "s390x"})
#: the other architectures libvirt knows (virArch), for which it has no CPU driver
KNOWN_ARCHES = frozenset({
    "alpha", "cris", "ia64", "lm32", "loongarch64", "m68k", "microblaze", "microblazeel",
    "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64", "ppc", "ppcle",
    "ppcemb", "riscv32", "riscv64", "sh4", "sh4eb", "sparc", "sparc64", "unicore32", "xtensa",
    "xtensaeb",
}) | _NO_MODELS | set(_CPU_MAP_FAMILIES)

# The SMBIOS data libvirt's test driver reports, so scripts see the same host.
SYSINFO_XML = """<sysinfo type='smbios'>
  <bios>
    <entry name='vendor'>LENOVO</entry>
    <entry name='version'>G4ETA1WW (2.61 )</entry>
    <entry name='date'>05/07/2014</entry>
    <entry name='release'>2.61</entry>
  </bios>
</sysinfo>
"""


def capabilities_xml() -> str:
    """The host and guest capabilities document."""
    root = ET.Element("capabilities")
    host = ET.SubElement(root, "host")
    cpu = ET.SubElement(host, "cpu")
    ET.SubElement(cpu, "arch").text = NODE_MODEL
    features = ET.SubElement(cpu, "features")
    ET.SubElement(features, "pae")
    ET.SubElement(features, "nonpae")
    for size in PAGE_SIZES_KIB:
        ET.SubElement(cpu, "pages", unit="KiB", size=str(size))
    ET.SubElement(host, "power_management")
    ET.SubElement(host, "iommu", support="no")
    topology = ET.SubElement(host, "topology")
    cells = ET.SubElement(topology, "cells", num=str(NODE_NUMA_CELLS))
    per_cell = NODE_CPUS // NODE_NUMA_CELLS
    for cell_id in range(NODE_NUMA_CELLS):
        cell = ET.SubElement(cells, "cell", id=str(cell_id))
        ET.SubElement(cell, "memory", unit="KiB").text = str(CELL_MEMORY_KIB[cell_id])
        for size, count in CELL_PAGES[cell_id]:
            ET.SubElement(cell, "pages", unit="KiB", size=str(size)).text = str(count)
        cpus = ET.SubElement(cell, "cpus", num=str(per_cell))
        for index in range(per_cell):
            cpu_id = cell_id * per_cell + index
            ET.SubElement(
                cpus,
                "cpu",
                id=str(cpu_id),
                socket_id=str(cell_id),
                die_id="0",
                core_id=str(index),
                siblings=str(cpu_id),
            )
    secmodel = ET.SubElement(host, "secmodel")
    ET.SubElement(secmodel, "model").text = "testSecurity"
    ET.SubElement(secmodel, "doi").text = ""
    for os_type in ("hvm", "xen"):
        guest = ET.SubElement(root, "guest")
        ET.SubElement(guest, "os_type").text = os_type
        arch = ET.SubElement(guest, "arch", name=NODE_MODEL)
        ET.SubElement(arch, "wordsize").text = "32"
        ET.SubElement(arch, "emulator").text = "/usr/bin/test-hv"
        ET.SubElement(arch, "domain", type="test")
        guest_features = ET.SubElement(guest, "features")
        ET.SubElement(guest_features, "pae")
        ET.SubElement(guest_features, "nonpae")
    return to_xml(root)


def cpu_model_names(arch: str, cpu_map: Path = CPU_MAP_DIR) -> list[str] | None:
    """The CPU models libvirt knows for ``arch``, read as libvirt reads them
    from its CPU map (``index.xml`` and the files it includes), in its order;
    None when libvirt has no CPU driver for the architecture, [] when its
    driver lists none or libvirt's map is not installed."""
    if arch in _NO_MODELS:
        return []
    family = _CPU_MAP_FAMILIES.get(arch)
    if family is None:
        return None
    try:
        index = parse_xml((cpu_map / "index.xml").read_text(), "cpu_map")
    except OSError:
        return []
    names: list[str] = []
    for arch_element in index.iterfind("arch"):
        if arch_element.get("name") != family:
            continue
        for include in arch_element.iterfind("include"):
            filename = include.get("filename", "")
            if "/" in filename:
                continue
            try:
                included = parse_xml((cpu_map / filename).read_text(), "cpu_map")
            except OSError:
                continue
            names.extend(model.get("name", "") for model in included.iterfind("model"))
    return names
