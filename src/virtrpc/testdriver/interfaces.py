"""Host network interfaces (``virInterface``): the default node's ``eth1``,
define / undefine, start / stop, XML, and the change transaction
(``iface-begin`` / ``iface-commit`` / ``iface-rollback``), answering as
libvirtd 9.0's test driver does.

libvirtd lists interfaces in its hash table's order; callers that compare
listings sort them (virsh does).
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
from virtrpc.testdriver.xmlutil import parse_xml, xml_invalid
from virtrpc.testdriver.xmlwrite import libvirt_xml

ERR_NO_INTERFACE = 57  # VIR_ERR_NO_INTERFACE
ERR_MULTIPLE_INTERFACES = 59  # VIR_ERR_MULTIPLE_INTERFACES
DOMAIN_INTERFACE = 26  # VIR_FROM_INTERFACE
DOMAIN_XML = 5  # VIR_FROM_XML

LIST_INACTIVE = 1  # VIR_CONNECT_LIST_INTERFACES_INACTIVE
LIST_ACTIVE = 2
DEFINE_VALIDATE = 1  # VIR_INTERFACE_DEFINE_VALIDATE (accepted, nothing to check against)

INTERFACE_TYPES = ("ethernet", "bridge", "bond", "vlan")

DEFAULT_INTERFACE_XML = """<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mtu size='1492'/>
  <protocol family='ipv4'>
    <ip address='192.168.0.5' prefix='24'/>
    <route gateway='192.168.0.1'/>
  </protocol>
  <mac address='aa:bb:cc:dd:ee:ff'/>
</interface>
"""

# The order in which libvirt's formatter writes an interface's children.
_CHILD_ORDER = ("start", "mtu", "protocol", "bridge", "bond", "vlan", "mac", "link")


@dataclass
class Interface:
    """One host interface: its definition and whether it is up."""

    name: str
    mac: str
    definition: ET.Element
    active: bool = False

    def xml(self) -> str:
        return format_interface(self.definition)


def format_interface(element: ET.Element) -> str:
    """An ``<interface>`` as libvirt writes it: children in libvirt's order,
    ``<interface>`` elements always with an end tag."""
    ordered = copy.deepcopy(element)
    rank = {tag: index for index, tag in enumerate(_CHILD_ORDER)}
    for nested in ordered.iter("interface"):
        children = sorted(nested, key=lambda child: rank.get(child.tag, len(rank)))
        for child in list(nested):
            nested.remove(child)
        nested.extend(children)
    return libvirt_xml(ordered, lambda e: e.tag == "interface")


def parse_interface(xml_text: str) -> Interface:
    """An interface definition, checked as libvirt's parser checks it."""
    root = parse_xml(xml_text, "interface_definition", domain=DOMAIN_INTERFACE)
    if root.tag != "interface":
        raise xml_invalid(f"unexpected root element <{root.tag}>, expecting <interface>",
                          DOMAIN_INTERFACE)
    return interface_from_element(root)


def interface_from_element(root: ET.Element) -> Interface:
    kind = root.get("type")
    if kind is None:
        raise xml_invalid("Missing required attribute 'type' in element 'interface'", DOMAIN_XML)
    if kind not in INTERFACE_TYPES:
        raise xml_invalid(
            f"Invalid value for attribute 'type' in element 'interface': '{kind}'.", DOMAIN_XML
        )
    name = root.get("name")
    if not name:
        raise xml_invalid("interface has no name", DOMAIN_INTERFACE)
    definition = copy.deepcopy(root)
    mac_element = definition.find("mac")
    if kind == "bridge" and mac_element is not None:
        # libvirt keeps no MAC address for a bridge's own definition.
        definition.remove(mac_element)
        mac_element = None
    mac = mac_element.get("address", "") if mac_element is not None else ""
    return Interface(name, mac, definition)


class InterfaceTable:
    """The interfaces of one hypervisor, and the change transaction's backup."""

    def __init__(self, hv: Hypervisor) -> None:
        self.interfaces: dict[str, Interface] = {}
        self.backup: dict[str, Interface] | None = None
        if hv.populated:
            default = parse_interface(DEFAULT_INTERFACE_XML)
            default.active = True
            self.interfaces[default.name] = default

    def lookup(self, name: str) -> Interface:
        interface = self.interfaces.get(name)
        if interface is None:
            raise fault(ERR_NO_INTERFACE, ErrorDomain.TEST,
                        f"Interface not found: no interface with matching name '{name}'")
        return interface

    def lookup_mac(self, mac: str) -> Interface:
        matches = [i for i in self.interfaces.values() if i.mac.lower() == mac.lower()]
        if not matches:
            raise fault(ERR_NO_INTERFACE, ErrorDomain.TEST,
                        f"Interface not found: no interface with matching mac '{mac}'")
        if len(matches) > 1:
            raise fault(ERR_MULTIPLE_INTERFACES, ErrorDomain.TEST,
                        "multiple matching interfaces found")
        return matches[0]

    def define(self, new: Interface) -> Interface:
        """Add ``new``, or replace the definition of the same name (which
        stays up if it was)."""
        existing = self.interfaces.get(new.name)
        if existing is not None:
            new.active = existing.active
        self.interfaces[new.name] = new
        return new


def _not_valid(detail: str | None = None) -> RpcFault:
    message = "Requested operation is not valid" + (f": {detail}" if detail else "")
    return fault(ErrorCode.OPERATION_INVALID, ErrorDomain.TEST, message)


class InterfaceHandlers(DriverBase):
    """Host interfaces."""

    def _ifaces(self) -> InterfaceTable:
        return self.hv.kind_state(InterfaceTable)

    def _iface(self, ref: remote.RemoteNonnullInterface) -> Interface:
        return self._ifaces().lookup(ref.name)

    @staticmethod
    def _iface_ref(interface: Interface) -> remote.RemoteNonnullInterface:
        return remote.RemoteNonnullInterface(name=interface.name, mac=interface.mac)

    def _iface_names(self, active: bool) -> list[str]:
        return [i.name for i in self._ifaces().interfaces.values() if i.active == active]

    def connect_num_of_interfaces(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfInterfacesRet:
        return remote.RemoteConnectNumOfInterfacesRet(num=len(self._iface_names(True)))

    def connect_list_interfaces(
        self, ctx: CallContext, args: remote.RemoteConnectListInterfacesArgs
    ) -> remote.RemoteConnectListInterfacesRet:
        return remote.RemoteConnectListInterfacesRet(
            names=self._iface_names(True)[: args.maxnames])

    def connect_num_of_defined_interfaces(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfDefinedInterfacesRet:
        return remote.RemoteConnectNumOfDefinedInterfacesRet(num=len(self._iface_names(False)))

    def connect_list_defined_interfaces(
        self, ctx: CallContext, args: remote.RemoteConnectListDefinedInterfacesArgs
    ) -> remote.RemoteConnectListDefinedInterfacesRet:
        return remote.RemoteConnectListDefinedInterfacesRet(
            names=self._iface_names(False)[: args.maxnames])

    def connect_list_all_interfaces(
        self, ctx: CallContext, args: remote.RemoteConnectListAllInterfacesArgs
    ) -> remote.RemoteConnectListAllInterfacesRet:
        check_flags(args.flags, LIST_ACTIVE | LIST_INACTIVE, "testConnectListAllInterfaces")
        wanted = args.flags & (LIST_ACTIVE | LIST_INACTIVE)
        listed = [
            i for i in self._ifaces().interfaces.values()
            if not wanted or (wanted & LIST_ACTIVE and i.active)
            or (wanted & LIST_INACTIVE and not i.active)
        ]
        refs = [self._iface_ref(i) for i in listed] if args.need_results else []
        return remote.RemoteConnectListAllInterfacesRet(ifaces=refs, ret=len(listed))

    def interface_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteInterfaceLookupByNameArgs
    ) -> remote.RemoteInterfaceLookupByNameRet:
        return remote.RemoteInterfaceLookupByNameRet(
            iface=self._iface_ref(self._ifaces().lookup(args.name)))

    def interface_lookup_by_mac_string(
        self, ctx: CallContext, args: remote.RemoteInterfaceLookupByMacStringArgs
    ) -> remote.RemoteInterfaceLookupByMacStringRet:
        return remote.RemoteInterfaceLookupByMacStringRet(
            iface=self._iface_ref(self._ifaces().lookup_mac(args.mac)))

    def interface_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteInterfaceGetXmlDescArgs
    ) -> remote.RemoteInterfaceGetXmlDescRet:
        check_flags(args.flags, 0, "testInterfaceGetXMLDesc")
        return remote.RemoteInterfaceGetXmlDescRet(xml=self._iface(args.iface).xml())

    def interface_is_active(
        self, ctx: CallContext, args: remote.RemoteInterfaceIsActiveArgs
    ) -> remote.RemoteInterfaceIsActiveRet:
        return remote.RemoteInterfaceIsActiveRet(active=int(self._iface(args.iface).active))

    def interface_define_xml(
        self, ctx: CallContext, args: remote.RemoteInterfaceDefineXmlArgs
    ) -> remote.RemoteInterfaceDefineXmlRet:
        check_flags(args.flags, DEFINE_VALIDATE, "testInterfaceDefineXML")
        interface = self._ifaces().define(parse_interface(args.xml))
        return remote.RemoteInterfaceDefineXmlRet(iface=self._iface_ref(interface))

    def interface_undefine(
        self, ctx: CallContext, args: remote.RemoteInterfaceUndefineArgs
    ) -> None:
        interface = self._iface(args.iface)
        del self._ifaces().interfaces[interface.name]

    def interface_create(self, ctx: CallContext, args: remote.RemoteInterfaceCreateArgs) -> None:
        check_flags(args.flags, 0, "testInterfaceCreate")
        interface = self._iface(args.iface)
        if interface.active:
            raise _not_valid()
        interface.active = True

    def interface_destroy(
        self, ctx: CallContext, args: remote.RemoteInterfaceDestroyArgs
    ) -> None:
        check_flags(args.flags, 0, "testInterfaceDestroy")
        interface = self._iface(args.iface)
        if not interface.active:
            raise _not_valid()
        interface.active = False

    # -- the change transaction: a copy of every interface to go back to ------

    def interface_change_begin(
        self, ctx: CallContext, args: remote.RemoteInterfaceChangeBeginArgs
    ) -> None:
        check_flags(args.flags, 0, "testInterfaceChangeBegin")
        table = self._ifaces()
        if table.backup is not None:
            raise _not_valid("there is another transaction running.")
        # libvirt's copy keeps the definitions, not whether they are up: after
        # a rollback every interface is down.
        table.backup = {name: Interface(i.name, i.mac, copy.deepcopy(i.definition))
                        for name, i in table.interfaces.items()}

    def interface_change_commit(
        self, ctx: CallContext, args: remote.RemoteInterfaceChangeCommitArgs
    ) -> None:
        check_flags(args.flags, 0, "testInterfaceChangeCommit")
        table = self._ifaces()
        if table.backup is None:
            raise _not_valid("no transaction running, nothing to be committed.")
        table.backup = None

    def interface_change_rollback(
        self, ctx: CallContext, args: remote.RemoteInterfaceChangeRollbackArgs
    ) -> None:
        check_flags(args.flags, 0, "testInterfaceChangeRollback")
        table = self._ifaces()
        if table.backup is None:
            raise _not_valid("no transaction running, nothing to rollback.")
        table.interfaces, table.backup = table.backup, None
