"""Handlers of virtual networks."""

from __future__ import annotations

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.testdriver.common import DriverBase
from virtrpc.testdriver.model import Network, internal_error
from virtrpc.testdriver.refusals import check_flags


class NetworkHandlers(DriverBase):
    """Virtual networks."""

    def _filtered_networks(self, flags: int) -> list[Network]:
        result = []
        for network in self.hv.networks.values():
            if flags & 0x3 and not (
                (flags & 2 and network.active) or (flags & 1 and not network.active)
            ):
                continue
            if flags & 0xC and not (
                (flags & 4 and network.persistent) or (flags & 8 and not network.persistent)
            ):
                continue
            if flags & 0x30 and not (
                (flags & 16 and network.autostart) or (flags & 32 and not network.autostart)
            ):
                continue
            result.append(network)
        return sorted(result, key=lambda n: n.name)

    def connect_list_all_networks(
        self, ctx: CallContext, args: remote.RemoteConnectListAllNetworksArgs
    ) -> remote.RemoteConnectListAllNetworksRet:
        networks = self._filtered_networks(args.flags)
        listed = [self._net(n) for n in networks] if args.need_results else []
        return remote.RemoteConnectListAllNetworksRet(nets=listed, ret=len(networks))

    def connect_num_of_networks(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfNetworksRet:
        return remote.RemoteConnectNumOfNetworksRet(num=len(self._filtered_networks(2)))

    def connect_list_networks(
        self, ctx: CallContext, args: remote.RemoteConnectListNetworksArgs
    ) -> remote.RemoteConnectListNetworksRet:
        names = [n.name for n in self._filtered_networks(2)]
        return remote.RemoteConnectListNetworksRet(names=names[: args.maxnames])

    def connect_num_of_defined_networks(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfDefinedNetworksRet:
        return remote.RemoteConnectNumOfDefinedNetworksRet(num=len(self._filtered_networks(1)))

    def connect_list_defined_networks(
        self, ctx: CallContext, args: remote.RemoteConnectListDefinedNetworksArgs
    ) -> remote.RemoteConnectListDefinedNetworksRet:
        names = [n.name for n in self._filtered_networks(1)]
        return remote.RemoteConnectListDefinedNetworksRet(names=names[: args.maxnames])

    def network_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteNetworkLookupByNameArgs
    ) -> remote.RemoteNetworkLookupByNameRet:
        return remote.RemoteNetworkLookupByNameRet(
            net=self._net(self.hv.lookup_network(name=args.name))
        )

    def network_lookup_by_uuid(
        self, ctx: CallContext, args: remote.RemoteNetworkLookupByUuidArgs
    ) -> remote.RemoteNetworkLookupByUuidRet:
        return remote.RemoteNetworkLookupByUuidRet(
            net=self._net(self.hv.lookup_network(uuid=bytes(args.uuid)))
        )

    def network_define_xml(
        self, ctx: CallContext, args: remote.RemoteNetworkDefineXmlArgs
    ) -> remote.RemoteNetworkDefineXmlRet:
        return remote.RemoteNetworkDefineXmlRet(net=self._net(self.hv.define_network(args.xml)))

    def network_define_xml_flags(
        self, ctx: CallContext, args: remote.RemoteNetworkDefineXmlFlagsArgs
    ) -> remote.RemoteNetworkDefineXmlFlagsRet:
        return remote.RemoteNetworkDefineXmlFlagsRet(
            net=self._net(self.hv.define_network(args.xml))
        )

    def network_create_xml(
        self, ctx: CallContext, args: remote.RemoteNetworkCreateXmlArgs
    ) -> remote.RemoteNetworkCreateXmlRet:
        network = self.hv.define_network(args.xml)
        network.persistent = False
        self.hv.start_network(network)
        return remote.RemoteNetworkCreateXmlRet(net=self._net(network))

    def network_create(self, ctx: CallContext, args: remote.RemoteNetworkCreateArgs) -> None:
        self.hv.start_network(self._network(args.net))

    def network_destroy(self, ctx: CallContext, args: remote.RemoteNetworkDestroyArgs) -> None:
        self.hv.destroy_network(self._network(args.net))

    def network_undefine(self, ctx: CallContext, args: remote.RemoteNetworkUndefineArgs) -> None:
        self.hv.undefine_network(self._network(args.net))

    def network_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteNetworkGetXmlDescArgs
    ) -> remote.RemoteNetworkGetXmlDescRet:
        check_flags(args.flags, 0, "testNetworkGetXMLDesc")
        return remote.RemoteNetworkGetXmlDescRet(xml=self._network(args.net).xml())

    def network_get_bridge_name(
        self, ctx: CallContext, args: remote.RemoteNetworkGetBridgeNameArgs
    ) -> remote.RemoteNetworkGetBridgeNameRet:
        network = self._network(args.net)
        if not network.bridge:
            raise internal_error(f"network '{network.name}' does not have a bridge name.")
        return remote.RemoteNetworkGetBridgeNameRet(name=network.bridge)

    def network_is_active(
        self, ctx: CallContext, args: remote.RemoteNetworkIsActiveArgs
    ) -> remote.RemoteNetworkIsActiveRet:
        return remote.RemoteNetworkIsActiveRet(active=int(self._network(args.net).active))

    def network_is_persistent(
        self, ctx: CallContext, args: remote.RemoteNetworkIsPersistentArgs
    ) -> remote.RemoteNetworkIsPersistentRet:
        return remote.RemoteNetworkIsPersistentRet(
            persistent=int(self._network(args.net).persistent)
        )

    def network_get_autostart(
        self, ctx: CallContext, args: remote.RemoteNetworkGetAutostartArgs
    ) -> remote.RemoteNetworkGetAutostartRet:
        return remote.RemoteNetworkGetAutostartRet(autostart=int(self._network(args.net).autostart))

    def network_set_autostart(
        self, ctx: CallContext, args: remote.RemoteNetworkSetAutostartArgs
    ) -> None:
        self._network(args.net).autostart = bool(args.autostart)
