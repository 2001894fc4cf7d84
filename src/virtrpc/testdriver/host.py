"""Static facts about the test hypervisor's host (modelled on libvirt's test driver)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from virtrpc.testdriver.xmlutil import to_xml

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
FREE_MEMORY_BYTES = 3 * 1024 * 1024 * 1024

SYSINFO_XML = """<sysinfo type='smbios'>
  <bios>
    <entry name='vendor'>virtrpc</entry>
    <entry name='version'>0.1.0</entry>
    <entry name='date'>11/25/2026</entry>
    <entry name='release'>0.1</entry>
  </bios>
</sysinfo>
"""


def capabilities_xml() -> str:
    """The host and guest capabilities document."""
    root = ET.Element("capabilities")
    host = ET.SubElement(root, "host")
    ET.SubElement(host, "uuid").text = "6695eb01-f6a4-8304-79aa-97f2502e193f"
    cpu = ET.SubElement(host, "cpu")
    ET.SubElement(cpu, "arch").text = NODE_MODEL
    features = ET.SubElement(cpu, "features")
    ET.SubElement(features, "pae")
    ET.SubElement(features, "nonpae")
    ET.SubElement(cpu, "pages", unit="KiB", size="4")
    ET.SubElement(host, "power_management")
    ET.SubElement(host, "iommu", support="no")
    topology = ET.SubElement(host, "topology")
    cells = ET.SubElement(topology, "cells", num=str(NODE_NUMA_CELLS))
    per_cell = NODE_CPUS // NODE_NUMA_CELLS
    for cell_id in range(NODE_NUMA_CELLS):
        cell = ET.SubElement(cells, "cell", id=str(cell_id))
        ET.SubElement(cell, "memory", unit="KiB").text = str(CELL_MEMORY_KIB[cell_id])
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
