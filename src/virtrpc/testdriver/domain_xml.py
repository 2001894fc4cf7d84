"""What libvirt's domain parser fills in, so a domain defined from the minimal
XML people write comes back as libvirtd's test driver gives it: memory in
KiB with ``currentMemory``, ``vcpu placement='static'``, the test host's
architecture and the ``hd`` boot device, a UTC clock, the ``on_*`` actions,
disk buses from their target names, NIC MAC addresses and ``testnetN``
targets, and libvirt's element order.

:func:`fill_domain_defaults` works on the parsed tree in place; the model
keeps the result as the domain's definition.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

from virtrpc.testdriver.xmlutil import scaled_int

#: The order libvirt writes a domain's top-level elements in (virDomainDefFormat).
DOMAIN_ORDER = (
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
    "currentMemory", "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads",
    "cputune", "numatune", "resource", "sysinfo", "bootloader", "bootloader_args", "os",
    "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash",
    "on_lockfailure", "pm", "perf", "devices", "seclabel",
)
#: The test driver's host (its capabilities): what an ``os/type`` without arch gets.
DEFAULT_ARCH = "i686"
_LIFECYCLE_DEFAULTS = (("on_poweroff", "destroy"), ("on_reboot", "restart"),
                       ("on_crash", "destroy"))
# Disk target prefix -> the bus libvirt picks for it (virDomainDiskDefAssignAddress).
_BUS_BY_PREFIX = (("vd", "virtio"), ("xvd", "xen"), ("sd", "scsi"), ("hd", "ide"),
                  ("fd", "fdc"), ("ubd", "uml"))


def _child(root: ET.Element, tag: str) -> ET.Element:
    element = root.find(tag)
    if element is None:
        element = ET.SubElement(root, tag)
    return element


def _in_kib(root: ET.Element, tag: str, value: int) -> None:
    element = _child(root, tag)
    element.attrib.clear()
    element.set("unit", "KiB")
    element.text = str(value)


def random_mac() -> str:
    """A MAC address in libvirt's (QEMU's) locally administered range."""
    return "52:54:00:" + ":".join(f"{random.randrange(256):02x}" for _ in range(3))


def fill_domain_defaults(root: ET.Element) -> None:
    """Fill in libvirt's defaults and order the elements as libvirt writes them."""
    memory = scaled_int(root.find("memory"))
    if memory is not None:
        _in_kib(root, "memory", memory)
        current = scaled_int(root.find("currentMemory"))
        _in_kib(root, "currentMemory", min(current, memory) if current is not None else memory)
    vcpu = _child(root, "vcpu")
    vcpu.text = (vcpu.text or "1").strip()
    vcpu.set("placement", vcpu.get("placement", "static"))
    if vcpu.get("current") == vcpu.text:
        del vcpu.attrib["current"]
    os_element = _child(root, "os")
    os_type = os_element.find("type")
    if os_type is not None:
        os_type.set("arch", os_type.get("arch", DEFAULT_ARCH))
    if os_element.find("boot") is None and os_element.find("kernel") is None:
        ET.SubElement(os_element, "boot", dev="hd")
    clock = _child(root, "clock")
    clock.set("offset", clock.get("offset", "utc"))
    for tag, default in _LIFECYCLE_DEFAULTS:
        element = _child(root, tag)
        element.text = (element.text or default).strip()
    devices = _child(root, "devices")
    _fill_device_defaults(devices)
    rank = {tag: i for i, tag in enumerate(DOMAIN_ORDER)}
    children = sorted(root, key=lambda child: rank.get(child.tag, len(rank)))
    for child in list(root):
        root.remove(child)
    root.extend(children)


def _fill_device_defaults(devices: ET.Element) -> None:
    for disk in devices.iterfind("disk"):
        disk.set("type", disk.get("type", "file"))
        disk.set("device", disk.get("device", "disk"))
        target = disk.find("target")
        if target is not None and target.get("bus") is None:
            name = target.get("dev", "")
            bus = next((bus for prefix, bus in _BUS_BY_PREFIX if name.startswith(prefix)), None)
            if bus is not None:
                target.set("bus", bus)
    for index, interface in enumerate(devices.iterfind("interface")):
        mac = interface.find("mac")
        if mac is None:
            mac = ET.Element("mac")
            interface.insert(0, mac)
        if not mac.get("address"):
            mac.set("address", random_mac())
        # the test driver names every NIC's host side testnetN
        if interface.find("target") is None:
            source = interface.find("source")
            position = list(interface).index(mac if source is None else source) + 1
            interface.insert(position, ET.Element("target", dev=f"testnet{index}"))
