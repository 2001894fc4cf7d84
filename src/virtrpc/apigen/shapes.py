"""The methods libvirt-python writes by hand, as data.

libvirt-python generates only the C functions whose arguments and results are
plain values; the rest (about 125, listed without their shapes in its
``libvirt-override-api.xml``) are written in C, each returning a list, tuple,
dict or bytes of its own.  This table states, for each such method: its
Python parameters, the procedure it calls and how that procedure's arguments
are built, how the reply becomes libvirt-python's value, and its annotation.
The generator turns each entry into a method; nothing here is executed.

Fields of :class:`Shape`:

``cname``    the C function (libvirt-api.xml) the method stands for
``params``   Python parameters after ``self``, libvirt-python's names
``proc``     the remote procedure (snake case), or None when the value is
             known locally (object names, UUIDs)
``args``     the procedure's arguments: ``field=expression`` in Python over
             the parameters and ``self`` (``self._o`` is the object's wire
             struct, ``self._c`` the connection's blocking client)
``result``   the returned expression over ``r`` (the reply as the blocking
             client returns it) and the parameters; helpers are in
             :mod:`virtrpc.libvirt._runtime` (imported as ``_rt``)
``returns``  the annotation
``probe``    the typed-parameter count to pass first: the procedure is called
             with ``nparams=0``, then with the count the daemon reported
             (libvirt's remote driver does the same)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HAND_WRITTEN", "PARAM_GROUPS", "PARAM_TYPES", "SHAPES", "Shape"]

#: Typed-parameter setters with no getter to learn the types from take them
#: from libvirt-api.xml's macros (the generated virtrpc.libvirt.param_types),
#: one group per macro prefix.  PARAM_TYPES adds the types the macros' docs
#: do not state.
PARAM_GROUPS = {
    "block_copy": "VIR_DOMAIN_BLOCK_COPY_", "save": "VIR_DOMAIN_SAVE_PARAM_",
    "identity": "VIR_CONNECT_IDENTITY_", "iothread": "VIR_DOMAIN_IOTHREAD_",
    "launch_security": "VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET",
    "network_port": "VIR_NETWORK_PORT_BANDWIDTH_", "migrate": "VIR_MIGRATE_PARAM_",
}
PARAM_TYPES = {
    "VIR_DOMAIN_BLOCK_COPY_BUF_SIZE": "ULLONG", "VIR_DOMAIN_BLOCK_COPY_GRANULARITY": "UINT",
    "VIR_DOMAIN_SAVE_PARAM_DXML": "STRING", "VIR_DOMAIN_SAVE_PARAM_FILE": "STRING",
    "VIR_DOMAIN_IOTHREAD_POLL_GROW": "UINT", "VIR_DOMAIN_IOTHREAD_POLL_MAX_NS": "ULLONG",
    "VIR_DOMAIN_IOTHREAD_POLL_SHRINK": "UINT", "VIR_MIGRATE_PARAM_COMPRESSION": "STRING",
    "VIR_MIGRATE_PARAM_LISTEN_ADDRESS": "STRING", "VIR_MIGRATE_PARAM_MIGRATE_DISKS": "STRING",
}

#: C functions whose methods are written by hand in virtrpc/libvirt/_objects.py
#: (connection state, streams, events): the generator leaves them out.
HAND_WRITTEN = frozenset({
    "virConnectClose", "virConnectIsAlive", "virConnectIsEncrypted",
    "virConnGetLastError", "virConnResetLastError", "virStreamNew",
    "virStreamRecv", "virStreamSend", "virStreamFinish", "virStreamAbort", "virStreamRecvAll",
    "virStreamSendAll", "virConnectGetURI", "virStreamRecvFlags", "virStreamRecvHole",
    "virStreamSendHole", "virStreamSparseRecvAll", "virStreamSparseSendAll",
    "virStreamEventAddCallback", "virStreamEventUpdateCallback", "virStreamEventRemoveCallback",
    # events (virtrpc/libvirt/_connevents.py)
    "virConnectDomainEventRegisterAny", "virConnectDomainEventDeregisterAny",
    "virConnectNetworkEventRegisterAny", "virConnectNetworkEventDeregisterAny",
    "virConnectStoragePoolEventRegisterAny", "virConnectStoragePoolEventDeregisterAny",
    "virConnectNodeDeviceEventRegisterAny", "virConnectNodeDeviceEventDeregisterAny",
    "virConnectSecretEventRegisterAny", "virConnectSecretEventDeregisterAny",
    "virConnectDomainEventRegister", "virConnectDomainEventDeregister",
    "virConnectRegisterCloseCallback", "virConnectUnregisterCloseCallback",
    "virConnectSetKeepAlive",
})


@dataclass(frozen=True, slots=True)
class Shape:
    cname: str
    params: str
    proc: str | None
    args: str
    result: str
    returns: str
    probe: bool = False


def _listall(cname: str, proc: str, field: str, cls: str, owner: str = "self") -> Shape:
    return Shape(cname, "flags: int = 0", proc, f"{owner}need_results=1, flags=flags",
                 f"{cls}._list(self, r.{field})", f"list[{cls}]")


def _names(cname: str, proc: str, count_proc: str, obj: str = "", field: str = "maxnames") -> Shape:
    # The old list APIs take a maximum; libvirt-python asks for the count first.
    count_args = obj.rstrip(", ")
    return Shape(cname, "", proc, f"{obj}{field}=self._c.{count_proc}({count_args})", "list(r)",
                 "list[str]")


def _uuid_lookup(cname: str, proc: str, cls: str) -> Shape:
    return Shape(cname, "uuidstr: str", proc, f'uuid=_rt.uuid_bytes(uuidstr, "{cname}")',
                 f"{cls}(self, r)", cls)


def _uuid_pair(prefix: str, kind: str = "") -> list[Shape]:
    return [
        Shape(f"{prefix}GetUUID", "", None, "", "self._o.uuid", "bytes"),
        Shape(f"{prefix}GetUUIDString", "", None, "", "_rt.uuid_str(self._o.uuid)", "str"),
    ]


def _local(cname: str, expr: str, returns: str = "str") -> Shape:
    return Shape(cname, "", None, "", expr, returns)


_DOM = "dom=self._o, "

SHAPES: tuple[Shape, ...] = (
    # --- virConnect: host -------------------------------------------------
    Shape("virNodeGetInfo", "", "node_get_info", "",
          "[_rt.cstr(r.model), r.memory >> 10, r.cpus, r.mhz, r.nodes, r.sockets, r.cores,"
          " r.threads]", "list[str | int]"),
    Shape("virConnectGetVersion", "", "connect_get_version", "", "r", "int"),
    Shape("virConnectGetLibVersion", "", "connect_get_lib_version", "", "r", "int"),
    Shape("virNodeGetFreeMemory", "", "node_get_free_memory", "", "r", "int"),
    Shape("virNodeGetCellsFreeMemory", "startCell: int, maxCells: int",
          "node_get_cells_free_memory", "startCell=startCell, maxcells=maxCells", "list(r)",
          "list[int]"),
    Shape("virNodeGetSecurityModel", "", "node_get_security_model", "",
          "[_rt.cstr(r.model), _rt.cstr(r.doi)]", "list[str]"),
    Shape("virNodeGetCPUStats", "cpuNum: int, flags: int = 0", "node_get_cpu_stats",
          "cpuNum=cpuNum, flags=flags", "{p.field: p.value for p in r.params}",
          "dict[str, int]", probe=True),
    Shape("virNodeGetMemoryStats", "cellNum: int, flags: int = 0", "node_get_memory_stats",
          "cellNum=cellNum, flags=flags", "{p.field: p.value for p in r.params}",
          "dict[str, int]", probe=True),
    Shape("virNodeGetMemoryParameters", "flags: int = 0", "node_get_memory_parameters",
          "flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]", probe=True),
    Shape("virConnectGetCPUModelNames", "arch: str, flags: int = 0",
          "connect_get_cpu_model_names", "arch=arch, need_results=1, flags=flags",
          "list(r.models)", "list[str]"),
    # --- virConnect: listing ----------------------------------------------
    Shape("virConnectListDomains", "", "connect_list_domains",
          "maxids=self._c.connect_num_of_domains()", "list(r)", "list[int]"),
    _names("virConnectListDefinedDomains", "connect_list_defined_domains",
           "connect_num_of_defined_domains"),
    _names("virConnectListNetworks", "connect_list_networks", "connect_num_of_networks"),
    _names("virConnectListDefinedNetworks", "connect_list_defined_networks",
           "connect_num_of_defined_networks"),
    _names("virConnectListStoragePools", "connect_list_storage_pools",
           "connect_num_of_storage_pools"),
    _names("virConnectListDefinedStoragePools", "connect_list_defined_storage_pools",
           "connect_num_of_defined_storage_pools"),
    _names("virConnectListInterfaces", "connect_list_interfaces", "connect_num_of_interfaces"),
    _names("virConnectListDefinedInterfaces", "connect_list_defined_interfaces",
           "connect_num_of_defined_interfaces"),
    _names("virConnectListNWFilters", "connect_list_nwfilters", "connect_num_of_nwfilters"),
    _names("virConnectListSecrets", "connect_list_secrets", "connect_num_of_secrets",
           field="maxuuids"),
    Shape("virNodeListDevices", "cap: str | None, flags: int = 0", "node_list_devices",
          "cap=cap, maxnames=self._c.node_num_of_devices(cap=cap, flags=flags), flags=flags",
          "list(r)", "list[str]"),
    _listall("virConnectListAllDomains", "connect_list_all_domains", "domains", "virDomain", ""),
    _listall("virConnectListAllNetworks", "connect_list_all_networks", "nets", "virNetwork", ""),
    _listall("virConnectListAllStoragePools", "connect_list_all_storage_pools", "pools",
             "virStoragePool", ""),
    _listall("virConnectListAllInterfaces", "connect_list_all_interfaces", "ifaces",
             "virInterface", ""),
    _listall("virConnectListAllNodeDevices", "connect_list_all_node_devices", "devices",
             "virNodeDevice", ""),
    _listall("virConnectListAllSecrets", "connect_list_all_secrets", "secrets", "virSecret", ""),
    _listall("virConnectListAllNWFilters", "connect_list_all_nwfilters", "filters",
             "virNWFilter", ""),
    _listall("virConnectListAllNWFilterBindings", "connect_list_all_nwfilter_bindings",
             "bindings", "virNWFilterBinding", ""),
    Shape("virStoragePoolListAllVolumes", "flags: int = 0", "storage_pool_list_all_volumes",
          "pool=self._o, need_results=1, flags=flags",
          "virStorageVol._list(self._conn, r.vols)", "list[virStorageVol]"),
    Shape("virStoragePoolListVolumes", "", "storage_pool_list_volumes",
          "pool=self._o, maxnames=self._c.storage_pool_num_of_volumes(pool=self._o)",
          "list(r)", "list[str]"),
    Shape("virDomainListAllSnapshots", "flags: int = 0", "domain_list_all_snapshots",
          _DOM + "need_results=1, flags=flags",
          "virDomainSnapshot._list(self, r.snapshots)", "list[virDomainSnapshot]"),
    Shape("virDomainListAllCheckpoints", "flags: int = 0", "domain_list_all_checkpoints",
          _DOM + "need_results=1, flags=flags",
          "virDomainCheckpoint._list(self, r.checkpoints)",
          "list[virDomainCheckpoint]"),
    Shape("virDomainSnapshotListNames", "flags: int = 0", "domain_snapshot_list_names",
          _DOM + "maxnames=self._c.domain_snapshot_num(dom=self._o, flags=flags), flags=flags",
          "list(r)", "list[str]"),
    Shape("virNetworkListAllPorts", "flags: int = 0", "network_list_all_ports",
          "network=self._o, need_results=1, flags=flags",
          "virNetworkPort._list(self, r.ports)", "list[virNetworkPort]"),
    # --- lookups by UUID ------------------------------------------------------
    Shape("virDomainLookupByUUID", "uuid: bytes", "domain_lookup_by_uuid",
          'uuid=_rt.uuid_arg(uuid, "virDomainLookupByUUID")',
          "virDomain(self, r)", "virDomain"),
    _uuid_lookup("virDomainLookupByUUIDString", "domain_lookup_by_uuid", "virDomain"),
    Shape("virNetworkLookupByUUID", "uuid: bytes", "network_lookup_by_uuid",
          'uuid=_rt.uuid_arg(uuid, "virNetworkLookupByUUID")',
          "virNetwork(self, r)", "virNetwork"),
    _uuid_lookup("virNetworkLookupByUUIDString", "network_lookup_by_uuid", "virNetwork"),
    Shape("virStoragePoolLookupByUUID", "uuid: bytes", "storage_pool_lookup_by_uuid",
          'uuid=_rt.uuid_arg(uuid, "virStoragePoolLookupByUUID")', "virStoragePool(self, r)",
          "virStoragePool"),
    _uuid_lookup("virStoragePoolLookupByUUIDString", "storage_pool_lookup_by_uuid",
                 "virStoragePool"),
    Shape("virSecretLookupByUUID", "uuid: bytes", "secret_lookup_by_uuid",
          'uuid=_rt.uuid_arg(uuid, "virSecretLookupByUUID")',
          "virSecret(self, r)", "virSecret"),
    _uuid_lookup("virSecretLookupByUUIDString", "secret_lookup_by_uuid", "virSecret"),
    Shape("virNWFilterLookupByUUID", "uuid: bytes", "nwfilter_lookup_by_uuid",
          'uuid=_rt.uuid_arg(uuid, "virNWFilterLookupByUUID")',
          "virNWFilter(self, r)", "virNWFilter"),
    _uuid_lookup("virNWFilterLookupByUUIDString", "nwfilter_lookup_by_uuid", "virNWFilter"),
    Shape("virNetworkPortLookupByUUID", "uuid: bytes", "network_port_lookup_by_uuid",
          'network=self._o, uuid=_rt.uuid_arg(uuid, "virNetworkPortLookupByUUID")',
          "virNetworkPort(self, r)", "virNetworkPort"),
    Shape("virNetworkPortLookupByUUIDString", "uuidstr: str", "network_port_lookup_by_uuid",
          'network=self._o, uuid=_rt.uuid_bytes(uuidstr, "virNetworkPortLookupByUUIDString")',
          "virNetworkPort(self, r)",
          "virNetworkPort"),
    # --- values the object carries --------------------------------------------
    _local("virDomainGetName", "self._o.name"),
    _local("virDomainGetID", "self._o.id", "int"),
    *_uuid_pair("virDomain"),
    *_uuid_pair("virNetwork"),
    *_uuid_pair("virStoragePool"),
    *_uuid_pair("virSecret"),
    *_uuid_pair("virNWFilter"),
    *_uuid_pair("virNetworkPort"),
    _local("virNetworkGetName", "self._o.name"),
    _local("virStoragePoolGetName", "self._o.name"),
    _local("virStorageVolGetName", "self._o.name"),
    _local("virStorageVolGetKey", "self._o.key"),
    _local("virNodeDeviceGetName", "self._o.name"),
    _local("virInterfaceGetName", "self._o.name"),
    _local("virInterfaceGetMACString", "self._o.mac"),
    _local("virNWFilterGetName", "self._o.name"),
    _local("virNWFilterBindingGetPortDev", "self._o.portdev"),
    _local("virNWFilterBindingGetFilterName", "self._o.filtername"),
    _local("virSecretGetUsageType", "self._o.usageType", "int"),
    _local("virSecretGetUsageID", "self._o.usageID"),
    _local("virDomainSnapshotGetName", "self._o.name"),
    _local("virDomainCheckpointGetName", "self._o.name"),
    # --- virDomain --------------------------------------------------------
    Shape("virDomainGetInfo", "", "domain_get_info", _DOM,
          "[r.state, r.maxMem, r.memory, r.nrVirtCpu, r.cpuTime]", "list[int]"),
    Shape("virDomainGetState", "flags: int = 0", "domain_get_state", _DOM + "flags=flags",
          "[r.state, r.reason]", "list[int]"),
    Shape("virDomainGetControlInfo", "flags: int = 0", "domain_get_control_info",
          _DOM + "flags=flags", "[r.state, r.details, r.stateTime]", "list[int]"),
    Shape("virDomainGetBlockInfo", "path: str, flags: int = 0", "domain_get_block_info",
          _DOM + 'path=_rt.non_null(path, "disk", "virDomainGetBlockInfo"), flags=flags',
          "[r.capacity, r.allocation, r.physical]",
          "list[int]"),
    Shape("virDomainGetJobInfo", "", "domain_get_job_info", _DOM,
          "[r.type, r.timeElapsed, r.timeRemaining, r.dataTotal, r.dataProcessed,"
          " r.dataRemaining, r.memTotal, r.memProcessed, r.memRemaining, r.fileTotal,"
          " r.fileProcessed, r.fileRemaining]", "list[int]"),
    Shape("virDomainGetJobStats", "flags: int = 0", "domain_get_job_stats",
          _DOM + "flags=flags", "_rt.job_stats(r.type, r.params)",
          "dict[str, _rt.TypedValue]"),
    Shape("virDomainGetAutostart", "", "domain_get_autostart", _DOM, "r", "int"),
    Shape("virNetworkGetAutostart", "", "network_get_autostart", "net=self._o", "r", "int"),
    Shape("virStoragePoolGetAutostart", "", "storage_pool_get_autostart", "pool=self._o", "r",
          "int"),
    Shape("virNodeDeviceGetAutostart", "", "node_device_get_autostart", "name=self._o.name",
          "r", "int"),
    Shape("virDomainGetSchedulerType", "", "domain_get_scheduler_type", _DOM,
          "(r.type, r.nparams)", "tuple[str, int]"),
    Shape("virDomainGetSchedulerParameters", "", "domain_get_scheduler_parameters",
          _DOM + "nparams=self._c.domain_get_scheduler_type(dom=self._o).nparams",
          "_rt.params_dict(r)", "dict[str, _rt.TypedValue]"),
    Shape("virDomainGetSchedulerParametersFlags", "flags: int = 0",
          "domain_get_scheduler_parameters_flags",
          _DOM + "nparams=self._c.domain_get_scheduler_type(dom=self._o).nparams,"
          " flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r)", "dict[str, _rt.TypedValue]"),
    Shape("virDomainSetSchedulerParameters", "params: dict[str, _rt.TypedValue]",
          "domain_set_scheduler_parameters",
          _DOM + "params=_rt.typed_params(params, self._c.domain_get_scheduler_parameters("
          "dom=self._o, nparams=self._c.domain_get_scheduler_type(dom=self._o).nparams))",
          "0", "int"),
    Shape("virDomainSetSchedulerParametersFlags",
          "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_scheduler_parameters_flags",
          _DOM + "params=_rt.typed_params(params, self._c.domain_get_scheduler_parameters_flags("
          "dom=self._o, nparams=self._c.domain_get_scheduler_type(dom=self._o).nparams,"
          " flags=flags)), flags=flags", "0", "int"),
    Shape("virDomainGetMemoryParameters", "flags: int = 0", "domain_get_memory_parameters",
          _DOM + "flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]",
          probe=True),
    Shape("virDomainGetBlkioParameters", "flags: int = 0", "domain_get_blkio_parameters",
          _DOM + "flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]",
          probe=True),
    Shape("virDomainGetNumaParameters", "flags: int = 0", "domain_get_numa_parameters",
          _DOM + "flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]",
          probe=True),
    Shape("virDomainGetInterfaceParameters", "device: str, flags: int = 0",
          "domain_get_interface_parameters", _DOM + "device=device, flags=flags | _rt.STRING_OKAY",
          "_rt.params_dict(r.params)", "dict[str, _rt.TypedValue]", probe=True),
    Shape("virDomainGetBlockIoTune", "disk: str | None, flags: int = 0",
          "domain_get_block_io_tune", _DOM + "disk=disk, flags=flags | _rt.STRING_OKAY",
          "_rt.params_dict(r.params)", "dict[str, _rt.TypedValue]", probe=True),
    Shape("virDomainBlockStatsFlags", "path: str, flags: int = 0", "domain_block_stats_flags",
          _DOM + "path=path, flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]", probe=True),
    Shape("virDomainGetPerfEvents", "flags: int = 0", "domain_get_perf_events",
          _DOM + "flags=flags", "_rt.params_dict(r)", "dict[str, _rt.TypedValue]"),
    Shape("virDomainGetLaunchSecurityInfo", "flags: int = 0",
          "domain_get_launch_security_info", _DOM + "flags=flags | _rt.STRING_OKAY",
          "_rt.params_dict(r)",
          "dict[str, _rt.TypedValue]"),
    Shape("virDomainSetMemoryParameters", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_memory_parameters",
          _DOM + "params=_rt.typed_params(params, _rt.probe(self._c.domain_get_memory_parameters,"
          " dom=self._o, flags=flags | _rt.STRING_OKAY).params), flags=flags",
          "0", "int"),
    Shape("virDomainSetBlkioParameters", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_blkio_parameters",
          _DOM + "params=_rt.typed_params(params, _rt.probe(self._c.domain_get_blkio_parameters,"
          " dom=self._o, flags=flags | _rt.STRING_OKAY).params), flags=flags",
          "0", "int"),
    Shape("virDomainSetNumaParameters", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_numa_parameters",
          _DOM + "params=_rt.typed_params(params, _rt.probe(self._c.domain_get_numa_parameters,"
          " dom=self._o, flags=flags | _rt.STRING_OKAY).params), flags=flags",
          "0", "int"),
    Shape("virDomainBlockStats", "path: str", "domain_block_stats",
          _DOM + 'path=_rt.non_null(path, "disk", "virDomainBlockStats")',
          "(r.rd_req, r.rd_bytes, r.wr_req, r.wr_bytes, r.errs)",
          "tuple[int, int, int, int, int]"),
    Shape("virDomainInterfaceStats", "path: str", "domain_interface_stats",
          _DOM + 'device=_rt.non_null(path, "device", "virDomainInterfaceStats")',
          "(r.rx_bytes, r.rx_packets, r.rx_errs, r.rx_drop, r.tx_bytes, r.tx_packets,"
          " r.tx_errs, r.tx_drop)", "tuple[int, int, int, int, int, int, int, int]"),
    Shape("virDomainMemoryStats", "", "domain_memory_stats",
          _DOM + "maxStats=_rt.MEMORY_STAT_NR, flags=0", "_rt.memory_stats(r)",
          "dict[str, int]"),
    Shape("virDomainGetVcpus", "", "domain_get_vcpus",
          _DOM + "maxinfo=self.info()[3], maplen=_rt.cpumap_len(self._conn)",
          "_rt.vcpus(r, self._conn)",
          "tuple[list[tuple[int, int, int, int]], list[tuple[bool, ...]]]"),
    Shape("virDomainGetVcpuPinInfo", "flags: int = 0", "domain_get_vcpu_pin_info",
          _DOM + "ncpumaps=self.vcpusFlags(flags), maplen=_rt.cpumap_len(self._conn),"
          " flags=flags", "_rt.cpumaps(r.cpumaps, r.num, self._conn)",
          "list[tuple[bool, ...]]"),
    Shape("virDomainGetEmulatorPinInfo", "flags: int = 0", "domain_get_emulator_pin_info",
          _DOM + "maplen=_rt.cpumap_len(self._conn), flags=flags",
          "_rt.cpumaps(r.cpumaps, 1, self._conn)[0] if r.ret else None",
          "tuple[bool, ...] | None"),
    Shape("virDomainGetCPUStats", "total: bool, flags: int = 0", None, "",
          "_rt.domain_cpu_stats(self, total, flags)", "list[dict[str, int]]"),
    Shape("virDomainGetSecurityLabel", "", "domain_get_security_label", _DOM,
          "[_rt.cstr(r.label), bool(r.enforcing)]", "list[str | bool]"),
    Shape("virDomainCreate", "", "domain_create", _DOM, "_rt.refresh_id(self)", "int"),
    Shape("virDomainDestroy", "", "domain_destroy", _DOM, "_rt.forget_id(self)", "int"),
    Shape("virDomainDestroyFlags", "flags: int = 0", "domain_destroy_flags",
          _DOM + "flags=flags", "_rt.forget_id(self)", "int"),
    Shape("virDomainCreateWithFlags", "flags: int = 0", "domain_create_with_flags",
          _DOM + "flags=flags", "_rt.refresh_domain(self, r)", "int"),
    Shape("virDomainGetTime", "flags: int = 0", "domain_get_time", _DOM + "flags=flags",
          '{"seconds": r.seconds, "nseconds": r.nseconds}', "dict[str, int]"),
    Shape("virDomainSetTime", "time: dict[str, int] | None = None, flags: int = 0",
          "domain_set_time",
          _DOM + 'seconds=_rt.time_field(time, "seconds"), nseconds=_rt.time_field(time,'
          ' "nseconds"), flags=flags', "0", "int"),
    Shape("virDomainHasCurrentSnapshot", "flags: int = 0", "domain_has_current_snapshot",
          _DOM + "flags=flags", "r", "int"),
    # --- other objects ----------------------------------------------------
    Shape("virStoragePoolGetInfo", "", "storage_pool_get_info", "pool=self._o",
          "[r.state, r.capacity, r.allocation, r.available]", "list[int]"),
    Shape("virStorageVolGetInfo", "", "storage_vol_get_info", "vol=self._o",
          "[r.type, r.capacity, r.allocation]", "list[int]"),
    Shape("virStorageVolGetInfoFlags", "flags: int = 0", "storage_vol_get_info_flags",
          "vol=self._o, flags=flags", "[r.type, r.capacity, r.allocation]", "list[int]"),
    Shape("virSecretGetValue", "flags: int = 0", "secret_get_value",
          "secret=self._o, flags=flags", "r", "bytes"),
    Shape("virSecretSetValue", "value: bytes | str, flags: int = 0", "secret_set_value",
          "secret=self._o, value=_rt.as_bytes(value), flags=flags", "0", "int"),
    Shape("virDomainGetDiskErrors", "flags: int = 0", "domain_get_disk_errors",
          _DOM + "maxerrors=self._c.domain_get_disk_errors(dom=self._o, maxerrors=0,"
          " flags=flags).nerrors, flags=flags", "{e.disk: e.error for e in r.errors}",
          "dict[str, int]"),
    Shape("virDomainGetFSInfo", "flags: int = 0", "domain_get_fsinfo", _DOM + "flags=flags",
          "[(i.mountpoint, i.name, i.fstype, list(i.dev_aliases)) for i in r.info]",
          "list[tuple[str, str, str, list[str]]]"),
    Shape("virDomainFSFreeze", "mountpoints: list[str] | None = None, flags: int = 0",
          "domain_fsfreeze", _DOM + "mountpoints=list(mountpoints or []), flags=flags", "r",
          "int"),
    Shape("virDomainFSThaw", "mountpoints: list[str] | None = None, flags: int = 0",
          "domain_fsthaw", _DOM + "mountpoints=list(mountpoints or []), flags=flags", "r",
          "int"),
    Shape("virDomainInterfaceAddresses", "source: int, flags: int = 0",
          "domain_interface_addresses", _DOM + "source=source, flags=flags",
          "_rt.interface_addresses(r)", "dict[str, dict[str, Any]]"),
    Shape("virDomainGetIOThreadInfo", "flags: int = 0", "domain_get_iothread_info",
          _DOM + "flags=flags",
          "[(t.iothread_id, list(_rt.cpumaps(t.cpumap, 1, self._conn)[0])) for t in r.info]",
          "list[tuple[int, list[bool]]]"),
    Shape("virDomainGetMessages", "flags: int = 0", "domain_get_messages",
          _DOM + "flags=flags", "list(r)", "list[str]"),
    # libvirt-python returns None when this call fails (its error is still reported)
    Shape("virDomainGetGuestVcpus", "flags: int = 0", None, "",
          "_rt.guest_vcpus(self, flags)", "dict[str, _rt.TypedValue] | None"),
    Shape("virDomainGetGuestInfo", "types: int = 0, flags: int = 0", "domain_get_guest_info",
          _DOM + "types=types, flags=flags", "_rt.params_dict(r)",
          "dict[str, _rt.TypedValue]"),
    # libvirt-python returns None when these fail (the error is still reported)
    Shape("virDomainMigrateGetCompressionCache", "flags: int = 0", None, "",
          '_rt.none_on_failure(self, "domain_migrate_get_compression_cache",'
          ' "virDomainMigrateGetCompressionCache", dom=self._o, flags=flags & 0xFFFFFFFF)',
          "int | None"),
    Shape("virDomainMigrateGetMaxDowntime", "flags: int = 0", None, "",
          '_rt.none_on_failure(self, "domain_migrate_get_max_downtime",'
          ' "virDomainMigrateGetMaxDowntime", dom=self._o, flags=flags & 0xFFFFFFFF)',
          "int | None"),
    Shape("virDomainMigrateGetMaxSpeed", "flags: int = 0", "domain_migrate_get_max_speed",
          _DOM + "flags=flags", "r", "int"),
    Shape("virDomainBlockPeek", "disk: str, offset: int, size: int, flags: int = 0",
          "domain_block_peek",
          _DOM + 'path=_rt.non_null(disk, "disk", "virDomainBlockPeek"), offset=offset,'
          " size=size, flags=flags",
          "r", "bytes"),
    Shape("virDomainMemoryPeek", "start: int, size: int, flags: int = 0",
          "domain_memory_peek", _DOM + "offset=start, size=size, flags=flags", "r", "bytes"),
    Shape("virDomainGetBlockJobInfo", "path: str, flags: int = 0",
          "domain_get_block_job_info", _DOM + "path=path, flags=flags",
          '{"type": r.type, "bandwidth": r.bandwidth, "cur": r.cur, "end": r.end}'
          " if r.found else {}", "dict[str, int]"),
    Shape("virDomainPinVcpu", "vcpu: int, cpumap: tuple[bool, ...]", "domain_pin_vcpu",
          _DOM + "vcpu=vcpu, cpumap=_rt.cpumap_bytes(cpumap, self._conn)", "0", "int"),
    Shape("virDomainPinVcpuFlags", "vcpu: int, cpumap: tuple[bool, ...], flags: int = 0",
          "domain_pin_vcpu_flags",
          _DOM + "vcpu=vcpu, cpumap=_rt.cpumap_bytes(cpumap, self._conn), flags=flags", "0",
          "int"),
    Shape("virDomainPinEmulator", "cpumap: tuple[bool, ...], flags: int = 0",
          "domain_pin_emulator",
          _DOM + "cpumap=_rt.cpumap_bytes(cpumap, self._conn), flags=flags", "0", "int"),
    Shape("virDomainPinIOThread",
          "iothread_val: int, cpumap: tuple[bool, ...], flags: int = 0", "domain_pin_iothread",
          _DOM + "iothreads_id=iothread_val, cpumap=_rt.cpumap_bytes(cpumap, self._conn),"
          " flags=flags", "0", "int"),
    Shape("virDomainGetSecurityLabelList", "", "domain_get_security_label_list", _DOM,
          "_rt.security_labels(r.labels)",
          "list[list[str | bool]]"),
    Shape("virDomainSendKey",
          "codeset: int, holdtime: int, keycodes: list[int], nkeycodes: int, flags: int = 0",
          "domain_send_key",
          _DOM + "codeset=codeset, holdtime=holdtime, keycodes=_rt.keycodes(keycodes,"
          " nkeycodes), flags=flags", "0", "int"),
    Shape("virDomainAuthorizedSSHKeysGet", "user: str, flags: int = 0",
          "domain_authorized_ssh_keys_get", _DOM + "user=user, flags=flags", "list(r)",
          "list[str]"),
    Shape("virDomainAuthorizedSSHKeysSet",
          "user: str, keys: list[str] | None = None, flags: int = 0",
          "domain_authorized_ssh_keys_set",
          _DOM + "user=user, keys=list(keys or []), flags=flags", "0", "int"),
    Shape("virDomainSetBlockIoTune",
          "disk: str, params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_block_io_tune",
          _DOM + "disk=disk, params=_rt.typed_params(params, _rt.probe("
          "self._c.domain_get_block_io_tune, dom=self._o, disk=disk,"
          " flags=flags | _rt.STRING_OKAY).params), flags=flags", "0", "int"),
    Shape("virDomainSetInterfaceParameters",
          "device: str, params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_interface_parameters",
          _DOM + "device=device, params=_rt.typed_params(params, _rt.probe("
          "self._c.domain_get_interface_parameters, dom=self._o, device=device,"
          " flags=flags | _rt.STRING_OKAY).params), flags=flags", "0", "int"),
    Shape("virDomainSetPerfEvents", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_perf_events",
          _DOM + "params=_rt.typed_params(params, self._c.domain_get_perf_events("
          "dom=self._o, flags=flags)), flags=flags", "0", "int"),
    Shape("virDomainSnapshotListAllChildren", "flags: int = 0",
          "domain_snapshot_list_all_children", "snapshot=self._o, need_results=1, flags=flags",
          "virDomainSnapshot._list(self._parent, r.snapshots)",
          "list[virDomainSnapshot]"),
    Shape("virDomainSnapshotListChildrenNames", "flags: int = 0",
          "domain_snapshot_list_children_names",
          "snap=self._o, maxnames=self._c.domain_snapshot_num_children(snap=self._o,"
          " flags=flags), flags=flags", "list(r)", "list[str]"),
    Shape("virDomainCheckpointListAllChildren", "flags: int = 0",
          "domain_checkpoint_list_all_children",
          "checkpoint=self._o, need_results=1, flags=flags",
          "virDomainCheckpoint._list(self._parent, r.checkpoints)",
          "list[virDomainCheckpoint]"),
    Shape("virNetworkGetDHCPLeases", "mac: str | None = None, flags: int = 0",
          "network_get_dhcp_leases", "net=self._o, mac=mac, need_results=1, flags=flags",
          "_rt.dhcp_leases(r.leases)", "list[dict[str, Any]]"),
    Shape("virNetworkPortGetParameters", "flags: int = 0", "network_port_get_parameters",
          "port=self._o, flags=flags", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]", probe=True),
    Shape("virNodeGetCPUMap", "flags: int = 0", "node_get_cpu_map",
          "need_map=1, need_online=1, flags=flags", "_rt.node_cpu_map(r)",
          "tuple[int, list[bool], int]"),
    Shape("virNodeGetFreePages",
          "pages: list[int], startCell: int, maxCells: int, flags: int = 0",
          "node_get_free_pages",
          "pages=list(pages), startCell=startCell, cellCount=maxCells, flags=flags",
          "_rt.free_pages(r, pages, startCell)", "dict[int, dict[int, int]]"),
    Shape("virNodeGetSEVInfo", "flags: int = 0", "node_get_sev_info",
          "flags=flags | _rt.STRING_OKAY", "_rt.params_dict(r.params)",
          "dict[str, _rt.TypedValue]", probe=True),
    Shape("virNodeSetMemoryParameters", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "node_set_memory_parameters",
          "params=_rt.typed_params(params, _rt.probe(self._c.node_get_memory_parameters,"
          " flags=flags | _rt.STRING_OKAY).params), flags=flags", "0", "int"),
    Shape("virConnectGetAllDomainStats", "stats: int = 0, flags: int = 0",
          "connect_get_all_domain_stats", "doms=[], stats=stats, flags=flags",
          "[(virDomain(self, x.dom), _rt.params_dict(x.params)) for x in r]",
          "list[tuple[virDomain, dict[str, _rt.TypedValue]]]"),
    Shape("virDomainListGetStats", "doms: list[virDomain], stats: int = 0, flags: int = 0",
          "connect_get_all_domain_stats",
          "doms=_rt.stats_domains(doms), stats=stats, flags=flags",
          "[(virDomain(self, x.dom), _rt.params_dict(x.params)) for x in r]",
          "list[tuple[virDomain, dict[str, _rt.TypedValue]]]"),
    Shape("virConnectBaselineCPU", "xmlCPUs: list[str], flags: int = 0", "connect_baseline_cpu",
          "xmlCPUs=list(xmlCPUs), flags=flags", "r", "str"),
    Shape("virConnectBaselineHypervisorCPU",
          "emulator: str | None, arch: str | None, machine: str | None,"
          " virttype: str | None, xmlCPUs: list[str], flags: int = 0",
          "connect_baseline_hypervisor_cpu",
          "emulator=emulator, arch=arch, machine=machine, virttype=virttype,"
          " xmlCPUs=list(xmlCPUs), flags=flags", "r", "str"),
    Shape("virDomainCreateLinux", "xmlDesc: str, flags: int = 0", "domain_create_xml",
          "xml_desc=xmlDesc, flags=flags", "virDomain(self, r)", "virDomain"),
    Shape("virNodeAllocPages",
          "pages: dict[int, int], startCell: int = 0, cellCount: int = 0, flags: int = 0",
          "node_alloc_pages",
          "pageSizes=list(pages), pageCounts=list(pages.values()), startCell=startCell,"
          " cellCount=cellCount, flags=flags", "r", "int"),
    Shape("virDomainBlockCopy",
          "disk: str, destxml: str, params: dict[str, _rt.TypedValue] | None = None,"
          " flags: int = 0", "domain_block_copy",
          _DOM + 'path=disk, destxml=destxml, params=_rt.hinted_params(params, "block_copy"),'
          " flags=flags", "0", "int"),
    Shape("virDomainSaveParams", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_save_params", _DOM + 'params=_rt.hinted_params(params, "save"), flags=flags',
          "0", "int"),
    Shape("virDomainRestoreParams", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_restore_params", 'params=_rt.hinted_params(params, "save"), flags=flags',
          "0", "int"),
    Shape("virConnectSetIdentity", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "connect_set_identity", 'params=_rt.hinted_params(params, "identity"), flags=flags',
          "0", "int"),
    Shape("virDomainSetIOThreadParams",
          "iothread_val: int, params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_iothread_params",
          _DOM + 'iothread_id=iothread_val, params=_rt.hinted_params(params, "iothread"),'
          " flags=flags", "0", "int"),
    Shape("virDomainSetLaunchSecurityState",
          "params: dict[str, _rt.TypedValue], flags: int = 0",
          "domain_set_launch_security_state",
          _DOM + 'params=_rt.hinted_params(params, "launch_security"), flags=flags', "0",
          "int"),
    Shape("virNetworkPortSetParameters", "params: dict[str, _rt.TypedValue], flags: int = 0",
          "network_port_set_parameters",
          'port=self._o, params=_rt.hinted_params(params, "network_port"), flags=flags', "0",
          "int"),
    # --- migration (virtrpc/libvirt/_migration.py, over client/migration.py) -----
    Shape("virDomainMigrate", "dconn: virConnect, flags: int = 0, dname: str | None = None,"
          " uri: str | None = None, bandwidth: int = 0", None, "",
          "_rt.domain_migrate(self, dconn, flags, None, dname, uri, bandwidth, None,"
          ' "virDomainMigrate")', "virDomain"),
    Shape("virDomainMigrate2", "dconn: virConnect, dxml: str | None = None, flags: int = 0,"
          " dname: str | None = None, uri: str | None = None, bandwidth: int = 0", None, "",
          "_rt.domain_migrate(self, dconn, flags, None, dname, uri, bandwidth, dxml,"
          ' "virDomainMigrate2")', "virDomain"),
    Shape("virDomainMigrate3", "dconn: virConnect, params: dict[str, _rt.TypedValue],"
          " flags: int = 0", None, "",
          "_rt.domain_migrate(self, dconn, flags, params, None, None, 0, None,"
          ' "virDomainMigrate3")', "virDomain"),
    Shape("virDomainMigrateToURI", "duri: str, flags: int = 0, dname: str | None = None,"
          " bandwidth: int = 0", None, "",
          "_rt.domain_migrate_to_uri(self, duri, flags, None, dname, None, bandwidth, None,"
          ' "virDomainMigrateToURI")', "int"),
    Shape("virDomainMigrateToURI2", "dconnuri: str | None = None, miguri: str | None = None,"
          " dxml: str | None = None, flags: int = 0, dname: str | None = None,"
          " bandwidth: int = 0", None, "",
          "_rt.domain_migrate_to_uri(self, dconnuri, flags, None, dname, miguri, bandwidth,"
          ' dxml, "virDomainMigrateToURI2")', "int"),
    Shape("virDomainMigrateToURI3", "dconnuri: str, params: dict[str, _rt.TypedValue],"
          " flags: int = 0", None, "",
          "_rt.domain_migrate_to_uri(self, dconnuri, flags, params, None, None, 0, None,"
          ' "virDomainMigrateToURI3")', "int"),
    # --- file descriptors -------------------------------------------------
    Shape("virDomainCreateXMLWithFiles", "xmlDesc: str, files: list[int], flags: int = 0",
          "domain_create_xml_with_files", "xml_desc=xmlDesc, flags=flags, fds=files",
          "virDomain(self, r)", "virDomain"),
    Shape("virDomainCreateWithFiles", "files: list[int], flags: int = 0",
          "domain_create_with_files", _DOM + "flags=flags, fds=files",
          "_rt.refresh_domain(self, r)", "int"),
    Shape("virDomainOpenGraphics", "idx: int, fd: int, flags: int = 0", "domain_open_graphics",
          _DOM + 'idx=idx, flags=flags, fds=[_rt.socket_fd(fd, "virDomainOpenGraphics")]', "0", "int"),
    Shape("virDomainOpenGraphicsFD", "idx: int, flags: int = 0", "domain_open_graphics_fd",
          _DOM + "idx=idx, flags=flags", "_rt.single_fd(r[1])", "int"),
    Shape("virDomainFDAssociate", "name: str, files: list[int], flags: int = 0",
          "domain_fd_associate", _DOM + "name=name, flags=flags, fds=files", "0", "int"),
    Shape("virNodeDeviceListCaps", "", "node_device_list_caps",
          "name=self._o.name, maxnames=self._c.node_device_num_of_caps(name=self._o.name)",
          "list(r)", "list[str]"),
)
