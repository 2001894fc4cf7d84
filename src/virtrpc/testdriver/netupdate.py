"""``virNetworkUpdate`` (``virsh net-update``): the DHCP hosts and ranges of
a network's ``<ip>`` elements, with the checks, matching rules and messages
of libvirtd 9.0's test driver.

The other sections libvirt can update (forward interfaces, port groups,
DNS hosts, TXT and SRV records) are refused here; the test hypervisor keeps
one definition per network, so an update made with ``--config`` alone shows
at once (libvirtd shows it when the network next starts).
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import DriverBase, check_flags, fault
from virtrpc.testdriver.model import Network
from virtrpc.testdriver.xmlutil import parse_xml

COMMAND_MODIFY, COMMAND_DELETE, COMMAND_ADD_LAST, COMMAND_ADD_FIRST = 1, 2, 3, 4
SECTION_DHCP_HOST, SECTION_DHCP_RANGE = 4, 5
SECTION_NAMES = {1: "bridge", 2: "domain", 3: "ip", 4: "ip dhcp host", 5: "ip dhcp range",
                 6: "forward", 7: "forward interface", 8: "forward pf", 9: "portgroup",
                 10: "dns host", 11: "dns txt", 12: "dns srv"}
AFFECT_LIVE, AFFECT_CONFIG = 1, 2

_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def _invalid(message: str) -> RpcFault:
    return fault(ErrorCode.OPERATION_INVALID, ErrorDomain.NETWORK,
                 f"Requested operation is not valid: {message}")


def _unsupported(message: str) -> RpcFault:
    return fault(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.NETWORK,
                 f"Operation not supported: {message}")


def _xml_error(message: str) -> RpcFault:
    return fault(ErrorCode.XML_ERROR, ErrorDomain.NETWORK, f"XML error: {message}")


def _ip_network(ip: ET.Element) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    address = ip.get("address")
    if address is None:
        return None
    prefix = ip.get("prefix") or ip.get("netmask") or "24"
    try:
        return ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    except ValueError:
        return None


class NetworkUpdateHandlers(DriverBase):
    """``virNetworkUpdate``."""

    def network_update(self, ctx: CallContext, args: remote.RemoteNetworkUpdateArgs) -> None:
        check_flags(args.flags, AFFECT_LIVE | AFFECT_CONFIG, "testNetworkUpdate")
        network = self._network(args.net)
        if args.flags & AFFECT_LIVE and not network.active:
            raise _invalid("network is not running")
        section = args.section
        if section not in (SECTION_DHCP_HOST, SECTION_DHCP_RANGE):
            if section in SECTION_NAMES:
                raise _unsupported(f"can't update '{SECTION_NAMES[section]}' section of "
                                   f"network '{network.name}'")
            raise _unsupported("can't update unrecognized section of network")
        element = parse_xml(args.xml, "network_update_xml", domain=ErrorDomain.NETWORK)
        expected = "host" if section == SECTION_DHCP_HOST else "range"
        if element.tag != expected:
            raise _xml_error(f"unexpected element <{element.tag}>, expecting <{expected}>, "
                             f"while updating network '{network.name}'")
        if section == SECTION_DHCP_HOST:
            self._update_host(network, args.command, args.parentIndex, element)
        else:
            self._update_range(network, args.command, args.parentIndex, element, args.xml)

    @staticmethod
    def _ip(network: Network, index: int, what: str) -> ET.Element:
        ips = network.definition.findall("ip")
        if index < 0:
            ipv4 = [ip for ip in ips if ip.get("family", "ipv4") == "ipv4"]
            if ipv4:
                return ipv4[0]
        elif index < len(ips):
            return ips[index]
        raise _invalid(f"couldn't update dhcp {what} entry - no <ip> element found at index "
                       f"{index} in network '{network.name}'")

    @staticmethod
    def _check_command(command: int) -> None:
        if command not in (COMMAND_MODIFY, COMMAND_DELETE, COMMAND_ADD_LAST, COMMAND_ADD_FIRST):
            raise _unsupported(f"unrecognized network update command code {command}")

    def _update_host(self, network: Network, command: int, index: int,
                     host: ET.Element) -> None:
        mac, name, ip = host.get("mac"), host.get("name"), host.get("ip")
        if mac is not None and not _MAC.match(mac):
            raise _xml_error(f"Cannot parse MAC address '{mac}' in network '{network.name}'")
        if ip is not None:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise _xml_error("Invalid IP address in static host definition for network "
                                 f"'{network.name}'") from None
        if mac is None and name is None:
            raise _xml_error(f"Static host definition in IPv4 network '{network.name}' must "
                             "have mac or name attribute")
        self._check_command(command)
        parent = self._ip(network, index, "host")
        dhcp = parent.find("dhcp")
        if dhcp is None:
            dhcp = ET.SubElement(parent, "dhcp")
        hosts = dhcp.findall("host")
        new = ET.Element("host", {k: v for k, v in (("mac", mac), ("name", name), ("ip", ip))
                                  if v is not None})
        def same(a: str | None, b: str | None) -> bool:
            return a is not None and b is not None and a.lower() == b.lower()

        def overlaps(h: ET.Element) -> bool:
            # An entry with the same MAC, name or address (adding refuses it,
            # modifying replaces it).
            return same(mac, h.get("mac")) or same(name, h.get("name")) or same(ip, h.get("ip"))

        if command in (COMMAND_ADD_LAST, COMMAND_ADD_FIRST):
            if any(overlaps(h) for h in hosts):
                # libvirt prints the parsed entry, a missing attribute as C's "(null)".
                shown = "<host mac='{}' name='{}' ip='{}'/>".format(
                    *("(null)" if v is None else v for v in (mac and mac.lower(), name, ip)))
                raise _invalid(f"there is an existing dhcp host entry in network "
                               f"'{network.name}' that matches \"{shown}\"")
            position = list(dhcp).index(hosts[0]) if hosts and command == COMMAND_ADD_FIRST \
                else len(dhcp)
            dhcp.insert(position, new)
        elif command == COMMAND_MODIFY:
            match = next((h for h in hosts if overlaps(h)), None)
            if match is None:
                given = " ".join(f"\"{k}='{v}'\"" for k, v in (("mac", mac), ("name", name),
                                                               ("ip", ip)) if v is not None)
                raise _invalid(f"couldn't locate an existing dhcp host entry with {given} in "
                               f"network '{network.name}'")
            dhcp.insert(list(dhcp).index(match), new)
            dhcp.remove(match)
        else:
            def matches(h: ET.Element) -> bool:
                return all(value is None or (h.get(key) or "").lower() == value.lower()
                           for key, value in (("mac", mac), ("name", name), ("ip", ip)))

            match = next((h for h in hosts if matches(h)), None)
            if match is None:
                raise _invalid(f"couldn't locate a matching dhcp host entry in network "
                               f"'{network.name}'")
            dhcp.remove(match)

    def _update_range(self, network: Network, command: int, index: int,
                      element: ET.Element, text: str) -> None:
        start, end = element.get("start"), element.get("end")
        try:
            first, last = ipaddress.ip_address(start or ""), ipaddress.ip_address(end or "")
        except ValueError:
            raise _xml_error(f"Invalid dhcp range '{start}' to '{end}' in network "
                             f"'{network.name}'") from None
        self._check_command(command)
        if command == COMMAND_MODIFY:
            raise _unsupported("dhcp ranges cannot be modified, only added or deleted")
        parent = self._ip(network, index, "range")
        dhcp = parent.find("dhcp")
        if dhcp is None:
            dhcp = ET.SubElement(parent, "dhcp")
        ranges = dhcp.findall("range")
        match = next((r for r in ranges if r.get("start") == start and r.get("end") == end),
                     None)
        if command == COMMAND_DELETE:
            if match is None:
                raise _invalid(f"couldn't locate a matching dhcp range entry in network "
                               f"'{network.name}'")
            dhcp.remove(match)
            return
        if match is not None:
            raise _invalid(f"there is an existing dhcp range entry in network "
                           f"'{network.name}' that matches \"{text.strip()}\"")
        subnet = _ip_network(parent)
        if subnet is not None and (first not in subnet or last not in subnet):
            raise RpcFault(ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE,
                           f"internal error: range {start} - {end} is not entirely within "
                           f"network {parent.get('address')}/{subnet.prefixlen}")
        new = ET.Element("range", start=start or "", end=end or "")
        if command == COMMAND_ADD_FIRST:
            dhcp.insert(0, new)
        else:
            dhcp.insert(list(dhcp).index(ranges[-1]) + 1 if ranges else 0, new)
