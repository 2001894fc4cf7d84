"""Handlers of the connection itself and of the host (node): open and close,
versions, capabilities, host information; and the object kinds the test
hypervisor does not model (secrets), listed as empty."""

from __future__ import annotations

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain
from virtrpc.testdriver import host
from virtrpc.testdriver.common import DriverBase, c_chars, fault, not_open
from virtrpc.testdriver.refusals import check_flags, no_support

# virDrvFeature values the remote daemon answers "supported" for (see
# remoteDispatchConnectSupportsFeature and testConnectSupportsFeature).
FEATURE_PROGRAM_KEEPALIVE = 10
SUPPORTED_FEATURES = frozenset({8, 9, 10, 14, 15, 16})
# ... and the migration features (see testdriver/migration.py): MIGRATION_P2P,
# MIGRATION_V3, MIGRATE_CHANGE_PROTECTION, MIGRATION_OFFLINE, MIGRATION_PARAMS.
SUPPORTED_FEATURES |= frozenset({4, 6, 7, 12, 13})

VIR_CONNECT_RO = 1


ERROR_DOMAIN_CPU = 31  # VIR_FROM_CPU


class ConnectionHandlers(DriverBase):
    """The connection and the host."""

    # -- connection ----------------------------------------------------------

    def auth_list(self, ctx: CallContext, args: None) -> remote.RemoteAuthListRet:
        return remote.RemoteAuthListRet(types=[0])  # REMOTE_AUTH_NONE

    def connect_supports_feature(
        self, ctx: CallContext, args: remote.RemoteConnectSupportsFeatureArgs
    ) -> remote.RemoteConnectSupportsFeatureRet:
        if args.feature == FEATURE_PROGRAM_KEEPALIVE:
            ctx.client.start_keepalive()
            return remote.RemoteConnectSupportsFeatureRet(supported=1)
        if not ctx.client.data.get("open"):
            raise not_open()
        return remote.RemoteConnectSupportsFeatureRet(
            supported=int(args.feature in SUPPORTED_FEATURES)
        )

    def connect_open(self, ctx: CallContext, args: remote.RemoteConnectOpenArgs) -> None:
        name = args.name
        if name and not (name.startswith("test:") or name.startswith("test+")):
            raise fault(
                ErrorCode.NO_CONNECT, ErrorDomain.NONE, f"no connection driver available for {name}"
            )
        ctx.client.data["open"] = True
        ctx.client.data["uri"] = "test:///default"
        self.connection_opened(ctx.client)
        if args.flags & VIR_CONNECT_RO:
            ctx.client.readonly = True

    def connect_close(self, ctx: CallContext, args: None) -> None:
        ctx.client.data["open"] = False
        self.client_closed(ctx.client)

    def connect_register_close_callback(self, ctx: CallContext, args: None) -> None:
        ctx.client.data["close_callback"] = True

    def connect_unregister_close_callback(self, ctx: CallContext, args: None) -> None:
        ctx.client.data["close_callback"] = False

    def connect_get_type(self, ctx: CallContext, args: None) -> remote.RemoteConnectGetTypeRet:
        return remote.RemoteConnectGetTypeRet(type=host.HYPERVISOR_TYPE)

    def connect_get_version(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectGetVersionRet:
        return remote.RemoteConnectGetVersionRet(hv_ver=host.HYPERVISOR_VERSION)

    def connect_get_lib_version(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectGetLibVersionRet:
        return remote.RemoteConnectGetLibVersionRet(lib_ver=host.LIB_VERSION)

    def connect_get_hostname(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectGetHostnameRet:
        return remote.RemoteConnectGetHostnameRet(hostname=host.HOSTNAME)

    def connect_get_uri(self, ctx: CallContext, args: None) -> remote.RemoteConnectGetUriRet:
        return remote.RemoteConnectGetUriRet(uri=ctx.client.data.get("uri", "test:///default"))

    def connect_get_sysinfo(
        self, ctx: CallContext, args: remote.RemoteConnectGetSysinfoArgs
    ) -> remote.RemoteConnectGetSysinfoRet:
        return remote.RemoteConnectGetSysinfoRet(sysinfo=host.SYSINFO_XML)

    def connect_get_capabilities(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectGetCapabilitiesRet:
        return remote.RemoteConnectGetCapabilitiesRet(capabilities=host.capabilities_xml())

    def connect_get_cpu_model_names(
        self, ctx: CallContext, args: remote.RemoteConnectGetCpuModelNamesArgs
    ) -> remote.RemoteConnectGetCpuModelNamesRet:
        check_flags(args.flags, 0, "testConnectGetCPUModelNames")
        if args.arch not in host.KNOWN_ARCHES:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: cannot find architecture {args.arch}")
        names = host.cpu_model_names(args.arch)
        if names is None:
            raise fault(ErrorCode.NO_SUPPORT, ERROR_DOMAIN_CPU,
                        f"this function is not supported by the connection driver: "
                        f"'{args.arch}' architecture is not supported by CPU driver")
        return remote.RemoteConnectGetCpuModelNamesRet(
            models=names if args.need_results else [], ret=len(names))

    def connect_get_max_vcpus(
        self, ctx: CallContext, args: remote.RemoteConnectGetMaxVcpusArgs
    ) -> remote.RemoteConnectGetMaxVcpusRet:
        return remote.RemoteConnectGetMaxVcpusRet(max_vcpus=host.MAX_VCPUS)

    def connect_is_secure(self, ctx: CallContext, args: None) -> remote.RemoteConnectIsSecureRet:
        return remote.RemoteConnectIsSecureRet(secure=1)

    # -- host ----------------------------------------------------------------

    def node_get_info(self, ctx: CallContext, args: None) -> remote.RemoteNodeGetInfoRet:
        return remote.RemoteNodeGetInfoRet(
            model=c_chars(host.NODE_MODEL, 32),
            memory=host.NODE_MEMORY_KIB,
            cpus=host.NODE_CPUS,
            mhz=host.NODE_MHZ,
            nodes=host.NODE_NUMA_CELLS,
            sockets=host.NODE_SOCKETS,
            cores=host.NODE_CORES,
            threads=host.NODE_THREADS,
        )

    def node_get_free_memory(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteNodeGetFreeMemoryRet:
        return remote.RemoteNodeGetFreeMemoryRet(freeMem=host.FREE_MEMORY_BYTES)

    def node_get_cells_free_memory(
        self, ctx: CallContext, args: remote.RemoteNodeGetCellsFreeMemoryArgs
    ) -> remote.RemoteNodeGetCellsFreeMemoryRet:
        # libvirt's test driver reports each cell's memory size in KiB where the
        # API promises free bytes; virsh freecell shows the same numbers that way.
        cells = list(host.CELL_MEMORY_KIB)
        # libvirt's public API checks (virNodeGetCellsFreeMemory), then its test driver's.
        if args.maxcells <= 0:
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.DOMAIN,
                "maxCells in virNodeGetCellsFreeMemory must be greater than zero",
            )
        if args.startCell < 0:
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.DOMAIN,
                "startCell in virNodeGetCellsFreeMemory must be zero or greater",
            )
        start = args.startCell
        if start >= len(cells):
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.TEST,
                "invalid argument: Range exceeds available cells",
            )
        return remote.RemoteNodeGetCellsFreeMemoryRet(cells=cells[start : start + args.maxcells])

    def node_get_cpu_map(
        self, ctx: CallContext, args: remote.RemoteNodeGetCpuMapArgs
    ) -> remote.RemoteNodeGetCpuMapRet:
        """As libvirt's test driver: 8 CPUs, of which 0, 2 and 4 are online."""
        check_flags(args.flags, 0, "testNodeGetCPUMap")
        return remote.RemoteNodeGetCpuMapRet(
            cpumap=b"\x15" if args.need_map else b"", online=3 if args.need_online else 0, ret=8)

    def node_get_security_model(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteNodeGetSecurityModelRet:
        return remote.RemoteNodeGetSecurityModelRet(model=c_chars("testSecurity"), doi=c_chars(""))

        return self._ret(ctx, snapshots=[], ret=0)

    # -- object kinds the test hypervisor does not model ---------------------------
    # Secrets only with ``extras`` (libvirtd's test driver has no secret
    # driver); with them, an empty list rather than unsupported.

    def connect_num_of_secrets(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfSecretsRet:
        if not self.extras:  # libvirtd's test driver has no secret driver
            raise no_support("connect_num_of_secrets")
        return remote.RemoteConnectNumOfSecretsRet(num=0)

    def connect_list_all_secrets(
        self, ctx: CallContext, args: remote.RemoteConnectListAllSecretsArgs
    ) -> remote.RemoteConnectListAllSecretsRet:
        if not self.extras:
            raise no_support("connect_list_all_secrets")
        return remote.RemoteConnectListAllSecretsRet(secrets=[], ret=0)
