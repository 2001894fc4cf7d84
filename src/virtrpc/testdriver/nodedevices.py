"""Host devices (``virNodeDevice``): the default node's ``computer`` and its
SCSI hosts, lookup, XML, capability listings, creating and destroying a
virtual HBA (vHBA) from XML; and the host's CPU statistics, answering as
libvirtd 9.0's test driver does (including what it refuses).

Like libvirt's test driver, creating a vHBA copies ``scsi_host11``, names the
copy ``scsi_host12`` and gives it the WWNs of the XML; destroying a device
that is no vHBA answers success and changes nothing.  libvirtd lists devices
in its hash table's order; callers that compare listings sort them.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import DriverBase, check_flags, fault
from virtrpc.testdriver.model import Hypervisor
from virtrpc.testdriver.xmlutil import parse_xml
from virtrpc.testdriver.xmlwrite import libvirt_xml

ERR_NO_NODE_DEVICE = 53  # VIR_ERR_NO_NODE_DEVICE
DOMAIN_NODEDEV = 22  # VIR_FROM_NODEDEV
CREATE_XML_VALIDATE = 1  # VIR_NODE_DEVICE_CREATE_XML_VALIDATE (no schema here: accepted)

#: Capability names in the order of their VIR_CONNECT_LIST_NODE_DEVICES_CAP_* bits.
CAPABILITY_FLAGS = (
    "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi",
    "storage", "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw",
    "css", "vdpa", "ap_card", "ap_queue", "ap_matrix", "vpd",
)
LIST_CAP_MASK = (1 << len(CAPABILITY_FLAGS)) - 1

# The host CPU times (ns) libvirt's test driver reports for every CPU.
CPU_STATS = (("user", 9797400000), ("kernel", 34678723400000), ("idle", 87264900000),
             ("iowait", 763600000))


def _fc_host(host: int, unique_id: int, wwnn: str, wwpn: str, fabric: str,
             vport_ops: bool) -> str:
    vports = ("    <capability type='vport_ops'>\n      <max_vports>0</max_vports>\n"
              "      <vports>0</vports>\n    </capability>\n") if vport_ops else ""
    parent = "computer" if vport_ops else "scsi_host1"
    return (f"<device>\n  <name>scsi_host{host}</name>\n  <parent>{parent}</parent>\n"
            f"  <capability type='scsi_host'>\n    <host>{host}</host>\n"
            f"    <unique_id>{unique_id}</unique_id>\n    <capability type='fc_host'>\n"
            f"      <wwnn>{wwnn}</wwnn>\n      <wwpn>{wwpn}</wwpn>\n"
            f"      <fabric_wwn>{fabric}</fabric_wwn>\n    </capability>\n"
            f"{vports}  </capability>\n</device>\n")


DEFAULT_DEVICE_XMLS = (
    """<device>
  <name>computer</name>
  <capability type='system'>
    <hardware>
      <vendor>Libvirt</vendor>
      <version>Test driver</version>
      <serial>123456</serial>
      <uuid>11111111-2222-3333-4444-555555555555</uuid>
    </hardware>
    <firmware>
      <vendor>Libvirt</vendor>
      <version>Test Driver</version>
      <release_date>01/22/2007</release_date>
    </firmware>
  </capability>
</device>
""",
    _fc_host(1, 0, "2000000012341234", "1000000012341234", "2000000043214321", True),
    _fc_host(2, 1, "2000000056785678", "1000000056785678", "2000000087658765", True),
    _fc_host(11, 10, "2000000034563456", "1000000034563456", "2000000043214321", False),
)


@dataclass
class NodeDevice:
    """One host device: its definition (``<device>``)."""

    definition: ET.Element

    @property
    def name(self) -> str:
        return (self.definition.findtext("name") or "").strip()

    @property
    def parent(self) -> str | None:
        text = self.definition.findtext("parent")
        return text.strip() if text is not None else None

    def capabilities(self) -> list[str]:
        """The top-level capability types (``virNodeDeviceListCaps``)."""
        return [cap.get("type", "") for cap in self.definition.findall("capability")]

    def has_capability(self, name: str) -> bool:
        """Whether ``name`` is a top-level capability or one nested in a
        SCSI host (``fc_host``; ``vports`` for a host with ``vport_ops``)."""
        if name in self.capabilities():
            return True
        nested = {cap.get("type", "") for cap in self.definition.findall("capability/capability")}
        if name == "vports":
            return "vport_ops" in nested
        return name in nested and name != "vport_ops"

    def wwns(self) -> tuple[str, str] | None:
        fc_host = self.definition.find("capability/capability[@type='fc_host']")
        if fc_host is None:
            return None
        return (fc_host.findtext("wwnn") or "").strip(), (fc_host.findtext("wwpn") or "").strip()

    def xml(self) -> str:
        # libvirt always writes a system capability's <hardware> and <firmware>,
        # with an end tag when empty.
        root = copy.deepcopy(self.definition)
        for cap in root.findall("capability[@type='system']"):
            for index, tag in enumerate(("hardware", "firmware")):
                if cap.find(tag) is None:
                    cap.insert(index + (cap.find("product") is not None), ET.Element(tag))
        return libvirt_xml(root, lambda element: element.tag in ("hardware", "firmware"))


class NodeDeviceTable:
    """The devices of one hypervisor, by name."""

    def __init__(self, hv: Hypervisor) -> None:
        self.devices: dict[str, NodeDevice] = {}
        if hv.populated:
            for text in DEFAULT_DEVICE_XMLS:
                self.add(NodeDevice(parse_xml(text, "node_device_definition",
                                              domain=DOMAIN_NODEDEV)))

    def add(self, device: NodeDevice) -> None:
        self.devices[device.name] = device

    def lookup(self, name: str) -> NodeDevice:
        device = self.devices.get(name)
        if device is None:
            raise fault(ERR_NO_NODE_DEVICE, ErrorDomain.TEST,
                        f"Node device not found: no node device with matching name '{name}'")
        return device

    def with_capability(self, cap: str | None) -> list[NodeDevice]:
        return [d for d in self.devices.values() if cap is None or d.has_capability(cap)]

    def create_vhba(self, xml_text: str) -> NodeDevice:
        """``virNodeDeviceCreateXML``: a vHBA from an fc_host definition."""
        root = parse_xml(xml_text, "node_device_definition", domain=DOMAIN_NODEDEV)
        new = NodeDevice(root)
        _check_definition(new)
        wwns = new.wwns()
        if wwns is None:
            raise _nodedev_error("internal error: Device is not a fibre channel HBA")
        parent_name = new.parent
        if parent_name is not None:
            parent = self.devices.get(parent_name)
            if parent is None:
                raise _nodedev_error("internal error: Could not find parent device for "
                                     "'new device'")
            if not parent.has_capability("vports"):
                raise _nodedev_error(f"internal error: Parent device {parent_name} is not "
                                     "capable of vport operations")
        template = self.devices.get("scsi_host11")
        if template is None:
            raise RpcFault(ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE,
                           "An error occurred, but the cause is unknown")
        created = NodeDevice(copy.deepcopy(template.definition))
        name = created.definition.find("name")
        fc_host = created.definition.find("capability/capability[@type='fc_host']")
        assert name is not None and fc_host is not None
        name.text = "scsi_host12"
        for tag, value in zip(("wwnn", "wwpn"), wwns, strict=True):
            element = fc_host.find(tag)
            if element is not None:
                element.text = value
        self.add(created)
        return created

    def destroy(self, name: str) -> None:
        """``virNodeDeviceDestroy``: removes a vHBA whose parent exists;
        for anything else libvirt's test driver answers success and does nothing."""
        device = self.lookup(name)
        if device.wwns() is None or device.parent not in self.devices:
            return
        del self.devices[name]


def _nodedev_error(message: str) -> RpcFault:
    return RpcFault(ErrorCode.INTERNAL_ERROR, DOMAIN_NODEDEV, message)


def _check_definition(device: NodeDevice) -> None:
    """The checks of libvirt's device parser the test driver's callers meet."""
    caps = device.definition.findall("capability")
    if not caps:
        raise _nodedev_error("internal error: no device capabilities for 'new device'")
    for cap in caps:
        kind = cap.get("type")
        if kind == "system" and not (cap.findtext("hardware/uuid") or "").strip():
            raise _nodedev_error("internal error: no system UUID supplied for 'new device'")
        if kind == "pci":
            for tag in ("domain", "bus", "slot", "function", "vendor", "product"):
                if cap.find(tag) is None:
                    raise _nodedev_error(
                        f"internal error: no PCI {tag} ID supplied for 'new device'")


def no_support(api: str, domain: int = DOMAIN_NODEDEV) -> RpcFault:
    return RpcFault(ErrorCode.NO_SUPPORT, domain,
                    f"this function is not supported by the connection driver: {api}")


class NodeDeviceHandlers(DriverBase):
    """Host devices and the host's CPU statistics."""

    def _devices(self) -> NodeDeviceTable:
        return self.hv.kind_state(NodeDeviceTable)

    def node_num_of_devices(
        self, ctx: CallContext, args: remote.RemoteNodeNumOfDevicesArgs
    ) -> remote.RemoteNodeNumOfDevicesRet:
        check_flags(args.flags, 0, "testNodeNumOfDevices")
        return remote.RemoteNodeNumOfDevicesRet(
            num=len(self._devices().with_capability(args.cap)))

    def node_list_devices(
        self, ctx: CallContext, args: remote.RemoteNodeListDevicesArgs
    ) -> remote.RemoteNodeListDevicesRet:
        check_flags(args.flags, 0, "testNodeListDevices")
        names = [d.name for d in self._devices().with_capability(args.cap)]
        return remote.RemoteNodeListDevicesRet(names=names[: args.maxnames])

    def connect_list_all_node_devices(
        self, ctx: CallContext, args: remote.RemoteConnectListAllNodeDevicesArgs
    ) -> remote.RemoteConnectListAllNodeDevicesRet:
        check_flags(args.flags, LIST_CAP_MASK, "testConnectListAllNodeDevices")
        wanted = [cap for bit, cap in enumerate(CAPABILITY_FLAGS) if args.flags & (1 << bit)]
        devices = [d for d in self._devices().devices.values()
                   if not wanted or any(d.has_capability(cap) for cap in wanted)]
        refs = ([remote.RemoteNonnullNodeDevice(name=d.name) for d in devices]
                if args.need_results else [])
        return remote.RemoteConnectListAllNodeDevicesRet(devices=refs, ret=len(devices))

    def node_device_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceLookupByNameArgs
    ) -> remote.RemoteNodeDeviceLookupByNameRet:
        device = self._devices().lookup(args.name)
        return remote.RemoteNodeDeviceLookupByNameRet(
            dev=remote.RemoteNonnullNodeDevice(name=device.name))

    def node_device_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceGetXmlDescArgs
    ) -> remote.RemoteNodeDeviceGetXmlDescRet:
        check_flags(args.flags, 0, "testNodeDeviceGetXMLDesc")
        return remote.RemoteNodeDeviceGetXmlDescRet(xml=self._devices().lookup(args.name).xml())

    def node_device_get_parent(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceGetParentArgs
    ) -> remote.RemoteNodeDeviceGetParentRet:
        return remote.RemoteNodeDeviceGetParentRet(
            parentName=self._devices().lookup(args.name).parent)

    def node_device_num_of_caps(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceNumOfCapsArgs
    ) -> remote.RemoteNodeDeviceNumOfCapsRet:
        return remote.RemoteNodeDeviceNumOfCapsRet(
            num=len(self._devices().lookup(args.name).capabilities()))

    def node_device_list_caps(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceListCapsArgs
    ) -> remote.RemoteNodeDeviceListCapsRet:
        caps = self._devices().lookup(args.name).capabilities()
        return remote.RemoteNodeDeviceListCapsRet(names=caps[: args.maxnames])

    def node_device_create_xml(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceCreateXmlArgs
    ) -> remote.RemoteNodeDeviceCreateXmlRet:
        check_flags(args.flags, CREATE_XML_VALIDATE, "testNodeDeviceCreateXML")
        device = self._devices().create_vhba(args.xml_desc)
        return remote.RemoteNodeDeviceCreateXmlRet(
            dev=remote.RemoteNonnullNodeDevice(name=device.name))

    def node_device_destroy(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceDestroyArgs
    ) -> None:
        self._devices().destroy(args.name)

    # -- what libvirt's test driver does not implement, refused as libvirtd
    # refuses it (the device is looked up first, as by the public API) --------

    def _refuse(self, name: str, api: str) -> RpcFault:
        self._devices().lookup(name)
        return no_support(api)

    def node_device_dettach(self, ctx: CallContext,
                            args: remote.RemoteNodeDeviceDettachArgs) -> None:
        raise self._refuse(args.name, "virNodeDeviceDettach")

    def node_device_re_attach(self, ctx: CallContext,
                              args: remote.RemoteNodeDeviceReAttachArgs) -> None:
        raise self._refuse(args.name, "virNodeDeviceReAttach")

    def node_device_reset(self, ctx: CallContext,
                          args: remote.RemoteNodeDeviceResetArgs) -> None:
        raise self._refuse(args.name, "virNodeDeviceReset")

    def node_device_is_active(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceIsActiveArgs
    ) -> remote.RemoteNodeDeviceIsActiveRet:
        raise self._refuse(args.name, "virNodeDeviceIsActive")

    def node_device_is_persistent(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceIsPersistentArgs
    ) -> remote.RemoteNodeDeviceIsPersistentRet:
        raise self._refuse(args.name, "virNodeDeviceIsPersistent")

    def node_device_get_autostart(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceGetAutostartArgs
    ) -> remote.RemoteNodeDeviceGetAutostartRet:
        raise self._refuse(args.name, "virNodeDeviceGetAutostart")

    def node_device_undefine(self, ctx: CallContext,
                             args: remote.RemoteNodeDeviceUndefineArgs) -> None:
        raise self._refuse(args.name, "virNodeDeviceUndefine")

    def node_device_create(self, ctx: CallContext,
                           args: remote.RemoteNodeDeviceCreateArgs) -> None:
        raise self._refuse(args.name, "virNodeDeviceCreate")

    def node_device_define_xml(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceDefineXmlArgs
    ) -> remote.RemoteNodeDeviceDefineXmlRet:
        raise no_support("virNodeDeviceDefineXML")

    def node_device_lookup_scsi_host_by_wwn(
        self, ctx: CallContext, args: remote.RemoteNodeDeviceLookupScsiHostByWwnArgs
    ) -> remote.RemoteNodeDeviceLookupScsiHostByWwnRet:
        raise no_support("virNodeDeviceLookupSCSIHostByWWN")

    # -- host statistics ---------------------------------------------------------

    def node_get_cpu_stats(
        self, ctx: CallContext, args: remote.RemoteNodeGetCpuStatsArgs
    ) -> remote.RemoteNodeGetCpuStatsRet:
        if args.cpuNum < -1:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "cpuNum in virNodeGetCPUStats only accepts -1 as a negative value")
        check_flags(args.flags, 0, "testNodeGetCPUStats")
        if args.nparams == 0:
            return remote.RemoteNodeGetCpuStatsRet(params=[], nparams=len(CPU_STATS))
        params = [remote.RemoteNodeGetCpuStats(field=name, value=value)
                  for name, value in CPU_STATS[: args.nparams]]
        return remote.RemoteNodeGetCpuStatsRet(params=params, nparams=len(params))

    def node_get_memory_stats(
        self, ctx: CallContext, args: remote.RemoteNodeGetMemoryStatsArgs
    ) -> remote.RemoteNodeGetMemoryStatsRet:
        raise no_support("virNodeGetMemoryStats", ErrorDomain.DOMAIN)

