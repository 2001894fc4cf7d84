"""RPC handlers of the remote program backed by the in-memory hypervisor.

:class:`TestDriver` has one method per implemented remote procedure, named
after it (``domain_get_info``...), so :class:`~virtrpc.server.ProgramService`
binds them by name.  State lives in a shared :class:`~virtrpc.testdriver.model.Hypervisor`
for the whole life of the server; per-client state (the open connection,
event registrations) lives in ``client.data``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from virtrpc.protocols import remote
from virtrpc.server.client import ServerClient
from virtrpc.server.context import CallContext, Hole, close_fds
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault, rpc_error
from virtrpc.server.program import ProgramService
from virtrpc.testdriver import host
from virtrpc.testdriver.model import (
    Domain,
    DomainState,
    Hypervisor,
    LifecycleEvent,
    Network,
    ObjectEvent,
    StoragePool,
    Volume,
)
from virtrpc.testdriver.png import screenshot
from virtrpc.testdriver.xmlutil import uuid_str

log = logging.getLogger("virtrpc.testdriver")

# virDrvFeature values the remote daemon answers "supported" for (see
# remoteDispatchConnectSupportsFeature and testConnectSupportsFeature).
FEATURE_PROGRAM_KEEPALIVE = 10
SUPPORTED_FEATURES = frozenset({8, 9, 10, 14, 15, 16})

VIR_CONNECT_RO = 1
DOMAIN_EVENT_ID_LIFECYCLE = 0
DOMAIN_EVENT_ID_REBOOT = 1
DOMAIN_EVENT_ID_METADATA_CHANGE = 23
DOMAIN_EVENT_ID_MAX = 64
NETWORK_EVENT_ID_LIFECYCLE = 0
POOL_EVENT_ID_LIFECYCLE = 0
UPLOAD_LIMIT = 256 * 1024 * 1024

# virTypedParameterType values and names (virtypedparam.c).
TYPED_PARAM_UINT = 2
TYPED_PARAM_TYPE_NAMES = ("unknown", "int", "uint", "llong", "ullong", "double", "boolean",
                          "string")
TYPED_PARAM_STRING_OKAY = 1 << 2
TYPED_PARAM_FIELD_LENGTH = 80  # VIR_TYPED_PARAM_FIELD_LENGTH, including the NUL
DOMAIN_AFFECT_LIVE = 1
DOMAIN_AFFECT_CONFIG = 2
SCHEDULER_TYPE = "fair"
# name -> (virTypedParameterType, value), as testDomainGetSchedulerParametersFlags.
SCHEDULER_PARAMETERS: dict[str, tuple[int, int]] = {"weight": (TYPED_PARAM_UINT, 50)}
RFB_GREETING = b"RFB 003.008\n"

# Procedures a client may call before connect_open.
_BEFORE_OPEN = frozenset({"auth_list", "connect_open", "connect_supports_feature",
                          "connect_close"})

# The legacy list procedures whose server side libvirt generates
# (gendispatch.pl): libvirtd checks the requested maximum against the bound of
# the returned array before the driver runs.  Procedure -> (args field, name of
# the bound in remote_protocol.x, which libvirtd's message quotes).
LIST_LIMITS: dict[str, tuple[str, str]] = {
    "connect_list_domains": ("maxids", "REMOTE_DOMAIN_LIST_MAX"),
    "connect_list_defined_domains": ("maxnames", "REMOTE_DOMAIN_LIST_MAX"),
    "connect_list_networks": ("maxnames", "REMOTE_NETWORK_LIST_MAX"),
    "connect_list_defined_networks": ("maxnames", "REMOTE_NETWORK_LIST_MAX"),
    "connect_list_storage_pools": ("maxnames", "REMOTE_STORAGE_POOL_LIST_MAX"),
    "connect_list_defined_storage_pools": ("maxnames", "REMOTE_STORAGE_POOL_LIST_MAX"),
    "storage_pool_list_volumes": ("maxnames", "REMOTE_STORAGE_VOL_LIST_MAX"),
    "node_get_cells_free_memory": ("maxcells", "REMOTE_NODE_MAX_CELLS"),
    "node_list_devices": ("maxnames", "REMOTE_NODE_DEVICE_LIST_MAX"),
    "node_device_list_caps": ("maxnames", "REMOTE_NODE_DEVICE_CAPS_LIST_MAX"),
    "connect_list_interfaces": ("maxnames", "REMOTE_INTERFACE_LIST_MAX"),
    "connect_list_defined_interfaces": ("maxnames", "REMOTE_INTERFACE_LIST_MAX"),
    "connect_list_secrets": ("maxuuids", "REMOTE_SECRET_LIST_MAX"),
    "connect_list_nwfilters": ("maxnames", "REMOTE_NWFILTER_LIST_MAX"),
    "domain_snapshot_list_names": ("maxnames", "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX"),
    "domain_snapshot_list_children_names": ("maxnames", "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX"),
}


class _Stopped:
    """Marks the end of a console whose domain stopped."""


_STOPPED = _Stopped()


def _fault(code: int, domain: int, message: str) -> RpcFault:
    return RpcFault(code, domain, message)


def _not_open() -> RpcFault:
    return _fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.REMOTE,
                  "internal error: hypervisor connection not open")


def _check_scheduler_nparams(nparams: int, api: str) -> None:
    """libvirtd's checks of a requested parameter count (remote dispatch, then
    the public API, which refuses a NULL array, i.e. nparams 0)."""
    if nparams < 0:
        raise _fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC,
                     "internal error: nparams must be non-negative")
    if nparams > remote.REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX:
        raise _fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, "internal error: nparams too large")
    if nparams == 0:
        raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN, f"params in {api} must not be NULL")


def _check_affect_flags(flags: int) -> None:
    both = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG
    if flags & both == both:
        raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                     "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' "
                     "are mutually exclusive")


def _unsupported_flags(flags: int, function: str) -> RpcFault:
    """The test driver's ``virCheckFlags`` failure."""
    return _fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                  f"unsupported flags ({flags:#x}) in function {function}")


def _validate_typed_params(params: list[Any], allowed: dict[str, int]) -> None:
    """``virTypedParamsValidate``: each allowed field at most once, with its
    type; the first field (in sorted order) that is not allowed is refused."""
    seen: set[str] = set()
    for param in sorted(params, key=lambda p: p.field.encode()):
        expected = allowed.get(param.field)
        if expected is None:
            raise _fault(ErrorCode.ARGUMENT_UNSUPPORTED, ErrorDomain.NONE,
                         f"argument unsupported: parameter '{param.field}' not supported")
        if param.field in seen:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.NONE,
                         f"invalid argument: parameter '{param.field}' occurs multiple times")
        kind = param.value.type
        if kind != expected:
            names = TYPED_PARAM_TYPE_NAMES
            given = names[kind] if 0 <= kind < len(names) else names[0]
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.NONE,
                         f"invalid argument: invalid type '{given}' for parameter "
                         f"'{param.field}', expected '{names[expected]}'")
        seen.add(param.field)


def _chars(text: str, size: int | None = None) -> list[int]:
    """A C char array: NUL-terminated bytes (padded to ``size`` for fixed arrays)."""
    data = [*list(text.encode()), 0]
    if size is not None:
        data = (data + [0] * size)[:size]
    return data


@dataclass
class Registration:
    """One event callback registered by a client."""

    client: ServerClient
    callback_id: int
    kind: str  # "domain", "network", "pool", "domain-legacy"
    event_id: int
    uuid: bytes | None


class TestDriver:
    """The remote program's handlers for the built-in test hypervisor."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, hypervisor: Hypervisor | None = None) -> None:
        self.hv = hypervisor if hypervisor is not None else Hypervisor()
        self.hv.add_listener(self._on_event)
        self._callback_ids = itertools.count(1)
        self.registrations: list[Registration] = []
        self.events_sent = 0

    def service(self) -> ProgramService:
        """The remote program with these handlers, guarded by connect_open."""
        service = ProgramService(remote.PROGRAM)
        for procedure in remote.PROGRAM.procedures.values():
            if procedure.is_event:
                continue
            method = getattr(self, procedure.name, None)
            if method is None:
                continue
            if procedure.name in LIST_LIMITS:
                method = _check_list_limit(method, *LIST_LIMITS[procedure.name])
            if procedure.name in _BEFORE_OPEN:
                service.add(procedure.name, method)
            else:
                service.add(procedure.name, _require_open(method))
        return service

    def client_closed(self, client: ServerClient) -> None:
        """Drop the event registrations of a departed client."""
        self.registrations = [r for r in self.registrations if r.client is not client]

    def close(self) -> None:
        """Release every fd the hypervisor's domains hold (server shutdown)."""
        for domain in list(self.hv.domains.values()):
            domain.release_fds()

    # -- helpers -------------------------------------------------------------

    @staticmethod
    def _ret(ctx: CallContext, **fields: Any) -> Any:
        ret_class = ctx.procedure.ret_class
        assert ret_class is not None
        return ret_class(**fields)

    @staticmethod
    def _dom(domain: Domain) -> Any:
        return remote.RemoteNonnullDomain(name=domain.name, uuid=domain.uuid, id=domain.id)

    @staticmethod
    def _net(network: Network) -> Any:
        return remote.RemoteNonnullNetwork(name=network.name, uuid=network.uuid)

    @staticmethod
    def _pool(pool: StoragePool) -> Any:
        return remote.RemoteNonnullStoragePool(name=pool.name, uuid=pool.uuid)

    @staticmethod
    def _vol(volume: Volume) -> Any:
        return remote.RemoteNonnullStorageVol(pool=volume.pool, name=volume.name, key=volume.path)

    def _domain(self, ref: Any) -> Domain:
        try:
            return self.hv.lookup_domain(uuid=bytes(ref.uuid))
        except RpcFault:
            raise _fault(ErrorCode.NO_DOMAIN, ErrorDomain.TEST,
                         f"Domain not found: no domain with matching uuid "
                         f"'{uuid_str(bytes(ref.uuid))}' ({ref.name})") from None

    def _network(self, ref: Any) -> Network:
        return self.hv.lookup_network(name=ref.name)

    def _storage_pool(self, ref: Any) -> StoragePool:
        return self.hv.lookup_pool(name=ref.name)

    def _volume(self, ref: Any) -> Volume:
        return self.hv.lookup_volume(pool=ref.pool, name=ref.name)

    # -- connection ----------------------------------------------------------

    def auth_list(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, types=[0])  # REMOTE_AUTH_NONE

    def connect_supports_feature(self, ctx: CallContext, args: Any) -> Any:
        if args.feature == FEATURE_PROGRAM_KEEPALIVE:
            ctx.client.start_keepalive()
            return self._ret(ctx, supported=1)
        if not ctx.client.data.get("open"):
            raise _not_open()
        return self._ret(ctx, supported=int(args.feature in SUPPORTED_FEATURES))

    def connect_open(self, ctx: CallContext, args: Any) -> None:
        name = args.name
        if name and not (name.startswith("test:") or name.startswith("test+")):
            raise _fault(ErrorCode.NO_CONNECT, ErrorDomain.NONE,
                         f"no connection driver available for {name}")
        ctx.client.data["open"] = True
        ctx.client.data["uri"] = "test:///default"
        if args.flags & VIR_CONNECT_RO:
            ctx.client.readonly = True

    def connect_close(self, ctx: CallContext, args: None) -> None:
        ctx.client.data["open"] = False
        self.client_closed(ctx.client)

    def connect_register_close_callback(self, ctx: CallContext, args: None) -> None:
        ctx.client.data["close_callback"] = True

    def connect_unregister_close_callback(self, ctx: CallContext, args: None) -> None:
        ctx.client.data["close_callback"] = False

    def connect_get_type(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, type=host.HYPERVISOR_TYPE)

    def connect_get_version(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, hv_ver=host.HYPERVISOR_VERSION)

    def connect_get_lib_version(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, lib_ver=host.LIB_VERSION)

    def connect_get_hostname(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, hostname=host.HOSTNAME)

    def connect_get_uri(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, uri=ctx.client.data.get("uri", "test:///default"))

    def connect_get_sysinfo(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, sysinfo=host.SYSINFO_XML)

    def connect_get_capabilities(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, capabilities=host.capabilities_xml())

    def connect_get_max_vcpus(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, max_vcpus=host.MAX_VCPUS)

    def connect_is_secure(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, secure=1)

    def connect_is_encrypted(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, encrypted=0)

    def connect_is_alive(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, alive=1)

    def node_get_info(self, ctx: CallContext, args: None) -> Any:
        return self._ret(
            ctx,
            model=_chars(host.NODE_MODEL, 32),
            memory=host.NODE_MEMORY_KIB,
            cpus=host.NODE_CPUS,
            mhz=host.NODE_MHZ,
            nodes=host.NODE_NUMA_CELLS,
            sockets=host.NODE_SOCKETS,
            cores=host.NODE_CORES,
            threads=host.NODE_THREADS,
        )

    def node_get_free_memory(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, freeMem=host.FREE_MEMORY_BYTES)

    def node_get_cells_free_memory(self, ctx: CallContext, args: Any) -> Any:
        # libvirt's test driver reports each cell's memory size in KiB where the
        # API promises free bytes; virsh freecell shows the same numbers that way.
        cells = list(host.CELL_MEMORY_KIB)
        # libvirt's public API checks (virNodeGetCellsFreeMemory), then its test driver's.
        if args.maxcells <= 0:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                         "maxCells in virNodeGetCellsFreeMemory must be greater than zero")
        if args.startCell < 0:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                         "startCell in virNodeGetCellsFreeMemory must be zero or greater")
        start = args.startCell
        if start >= len(cells):
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                         "invalid argument: Range exceeds available cells")
        return self._ret(ctx, cells=cells[start:start + args.maxcells])

    def node_get_security_model(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, model=_chars("testSecurity"), doi=_chars(""))

    # -- domains: listing and lookup ------------------------------------------

    def _filtered_domains(self, flags: int) -> list[Domain]:
        def keep(domain: Domain) -> bool:
            groups = (
                (flags & 0x3, (domain.active, not domain.active)),
                (flags & 0xC, (domain.persistent, not domain.persistent)),
                (flags & 0xF0, (domain.state == DomainState.RUNNING,
                                domain.state == DomainState.PAUSED,
                                domain.state == DomainState.SHUTOFF,
                                domain.state not in (DomainState.RUNNING, DomainState.PAUSED,
                                                     DomainState.SHUTOFF))),
                (flags & 0x300, (False, True)),  # managed save: never
                (flags & 0xC00, (domain.autostart, not domain.autostart)),
                (flags & 0x3000, (False, True)),  # snapshots: never
                (flags & 0xC000, (False, True)),  # checkpoints: never
            )
            for group_flags, tests in groups:
                if not group_flags:
                    continue
                low = (group_flags & -group_flags).bit_length() - 1
                if not any(test for i, test in enumerate(tests) if group_flags & (1 << (low + i))):
                    return False
            return True

        return sorted((d for d in self.hv.domains.values() if keep(d)),
                      key=lambda d: (not d.active, d.id if d.active else 0, d.name))

    def connect_list_all_domains(self, ctx: CallContext, args: Any) -> Any:
        domains = self._filtered_domains(args.flags)
        listed = [self._dom(d) for d in domains] if args.need_results else []
        return self._ret(ctx, domains=listed, ret=len(domains))

    def connect_num_of_domains(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=sum(d.active for d in self.hv.domains.values()))

    def connect_list_domains(self, ctx: CallContext, args: Any) -> Any:
        ids = sorted(d.id for d in self.hv.domains.values() if d.active)
        return self._ret(ctx, ids=ids[: args.maxids])

    def connect_num_of_defined_domains(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=sum(not d.active for d in self.hv.domains.values()))

    def connect_list_defined_domains(self, ctx: CallContext, args: Any) -> Any:
        names = sorted(d.name for d in self.hv.domains.values() if not d.active)
        return self._ret(ctx, names=names[: args.maxnames])

    def domain_lookup_by_name(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, dom=self._dom(self.hv.lookup_domain(name=args.name)))

    def domain_lookup_by_uuid(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, dom=self._dom(self.hv.lookup_domain(uuid=bytes(args.uuid))))

    def domain_lookup_by_id(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, dom=self._dom(self.hv.lookup_domain(id=args.id)))

    # -- domains: information ----------------------------------------------------

    def domain_get_info(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        return self._ret(ctx, state=int(domain.state), maxMem=domain.max_memory,
                         memory=domain.memory, nrVirtCpu=domain.vcpus,
                         cpuTime=domain.cpu_time_ns())

    def domain_get_state(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        return self._ret(ctx, state=int(domain.state), reason=domain.reason)

    def domain_get_xml_desc(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        inactive = bool(args.flags & 2)  # VIR_DOMAIN_XML_INACTIVE
        return self._ret(ctx, xml=domain.xml(inactive=inactive))

    def domain_get_os_type(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, type="linux")

    def domain_get_max_memory(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, memory=self._domain(args.dom).max_memory)

    def domain_get_max_vcpus(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, num=self._domain(args.dom).vcpus)

    def domain_get_vcpus_flags(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, num=self._domain(args.dom).vcpus)

    def domain_is_active(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, active=int(self._domain(args.dom).active))

    def domain_is_persistent(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, persistent=int(self._domain(args.dom).persistent))

    def domain_is_updated(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, updated=0)

    def domain_get_autostart(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, autostart=int(self._domain(args.dom).autostart))

    def domain_set_autostart(self, ctx: CallContext, args: Any) -> None:
        domain = self._domain(args.dom)
        if not domain.persistent:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                         "Requested operation is not valid: cannot set autostart for "
                         "transient domain")
        domain.autostart = bool(args.autostart)

    def domain_has_managed_save_image(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, result=0)

    def domain_get_security_label(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, label=_chars("libvirt-test"), enforcing=1)

    def domain_get_security_label_list(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        label = remote.RemoteDomainGetSecurityLabelRet(label=_chars("libvirt-test"), enforcing=1)
        return self._ret(ctx, labels=[label], ret=1)

    def domain_get_metadata(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        return self._ret(ctx, metadata=self.hv.get_metadata(domain, args.type, args.uri))

    def domain_set_metadata(self, ctx: CallContext, args: Any) -> None:
        domain = self._domain(args.dom)
        self.hv.set_metadata(domain, args.type, args.metadata, args.key, args.uri)

    def _set_memory(self, domain: Domain, memory: int, maximum: bool) -> None:
        if maximum:
            if domain.active:
                raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                             "Requested operation is not valid: cannot resize the maximum "
                             "memory on an active domain")
            domain.max_memory = memory
            domain.memory = min(domain.memory, memory)
            return
        if memory > domain.max_memory:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                         "invalid argument: cannot set memory higher than max memory")
        domain.memory = memory

    def domain_set_memory(self, ctx: CallContext, args: Any) -> None:
        self._set_memory(self._domain(args.dom), args.memory, maximum=False)

    def domain_set_max_memory(self, ctx: CallContext, args: Any) -> None:
        self._set_memory(self._domain(args.dom), args.memory, maximum=True)

    def domain_set_memory_flags(self, ctx: CallContext, args: Any) -> None:
        self._set_memory(self._domain(args.dom), args.memory, maximum=bool(args.flags & 4))

    # -- domains: scheduler (as libvirt's test driver: one "weight" that stays 50) --

    def domain_get_scheduler_type(self, ctx: CallContext, args: Any) -> Any:
        # libvirt's test driver answers without looking the domain up.
        return self._ret(ctx, type=SCHEDULER_TYPE, nparams=len(SCHEDULER_PARAMETERS))

    def _scheduler_parameters(self, args: Any, api: str) -> list[Any]:
        _check_scheduler_nparams(args.nparams, api)
        self._domain(args.dom)
        return [remote.RemoteTypedParam(field=name, value=remote.RemoteTypedParamValue(
            type=kind, value=value)) for name, (kind, value) in SCHEDULER_PARAMETERS.items()]

    def domain_get_scheduler_parameters(self, ctx: CallContext, args: Any) -> Any:
        params = self._scheduler_parameters(args, "virDomainGetSchedulerParameters")
        return self._ret(ctx, params=params)

    def domain_get_scheduler_parameters_flags(self, ctx: CallContext, args: Any) -> Any:
        _check_scheduler_nparams(args.nparams, "virDomainGetSchedulerParametersFlags")
        _check_affect_flags(args.flags)
        # libvirt's public API adds VIR_TYPED_PARAM_STRING_OKAY for drivers that
        # support string parameters (the test driver does), and the test
        # driver's function accepts no flags at all: through libvirtd this
        # call always fails, so it does here too.
        raise _unsupported_flags(args.flags | TYPED_PARAM_STRING_OKAY,
                                 "testDomainGetSchedulerParametersFlags")

    def _set_scheduler_parameters(self, args: Any, flags: int, api: str, function: str) -> None:
        params = args.params
        for param in params:
            if len(param.field.encode()) >= TYPED_PARAM_FIELD_LENGTH:
                raise _fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE,
                             f"internal error: parameter {param.field} too big for destination")
        if not params:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                         f"params in {api} must not be NULL")
        if flags:
            raise _unsupported_flags(flags, function)
        _validate_typed_params(params, {name: kind for name, (kind, _) in
                                        SCHEDULER_PARAMETERS.items()})
        self._domain(args.dom)
        # libvirt's test driver validates the weight and then forgets it.

    def domain_set_scheduler_parameters(self, ctx: CallContext, args: Any) -> None:
        self._set_scheduler_parameters(args, 0, "virDomainSetSchedulerParameters",
                                       "testDomainSetSchedulerParametersFlags")

    def domain_set_scheduler_parameters_flags(self, ctx: CallContext, args: Any) -> None:
        self._set_scheduler_parameters(args, args.flags, "virDomainSetSchedulerParametersFlags",
                                       "testDomainSetSchedulerParametersFlags")

    def domain_get_time(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        if not domain.active:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                         "Requested operation is not valid: domain is not running")
        now = time.time_ns()
        return self._ret(ctx, seconds=now // 1_000_000_000, nseconds=now % 1_000_000_000)

    def domain_get_job_info(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, type=0, timeElapsed=0, timeRemaining=0, dataTotal=0,
                         dataProcessed=0, dataRemaining=0, memTotal=0, memProcessed=0,
                         memRemaining=0, fileTotal=0, fileProcessed=0, fileRemaining=0)

    # The test hypervisor has no snapshots, host interfaces, secrets or node
    # devices: list them as empty rather than unsupported, as virsh expects.
    def domain_snapshot_num(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, num=0)

    def domain_list_all_snapshots(self, ctx: CallContext, args: Any) -> Any:
        self._domain(args.dom)
        return self._ret(ctx, snapshots=[], ret=0)

    def connect_num_of_interfaces(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=0)

    def connect_list_all_interfaces(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, ifaces=[], ret=0)

    def connect_num_of_secrets(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=0)

    def connect_list_all_secrets(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, secrets=[], ret=0)

    def node_num_of_devices(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, num=0)

    def connect_list_all_node_devices(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, devices=[], ret=0)

    # -- domains: lifecycle --------------------------------------------------------

    def domain_define_xml(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, dom=self._dom(self.hv.define_domain(args.xml)))

    def domain_define_xml_flags(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, dom=self._dom(self.hv.define_domain(args.xml)))

    def domain_create_xml(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, dom=self._dom(self.hv.create_domain(args.xml_desc)))

    def domain_create_xml_with_files(self, ctx: CallContext, args: Any) -> Any:
        # The new domain keeps the fds (as a QEMU guest would): ownership moves
        # from the call to the domain, which closes them when it stops.
        fds = ctx.take_fds()
        return self._ret(ctx, dom=self._dom(self.hv.create_domain(args.xml_desc, fds)))

    def domain_create(self, ctx: CallContext, args: Any) -> None:
        self.hv.start_domain(self._domain(args.dom))

    def domain_create_with_flags(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        self.hv.start_domain(domain)
        return self._ret(ctx, dom=self._dom(domain))

    def domain_create_with_files(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        fds = ctx.take_fds()
        try:
            self.hv.start_domain(domain)
        except RpcFault:
            close_fds(fds)
            raise
        domain.kept_fds.extend(fds)
        return self._ret(ctx, dom=self._dom(domain))

    def domain_destroy(self, ctx: CallContext, args: Any) -> None:
        self.hv.destroy_domain(self._domain(args.dom))

    def domain_destroy_flags(self, ctx: CallContext, args: Any) -> None:
        self.hv.destroy_domain(self._domain(args.dom))

    def domain_shutdown(self, ctx: CallContext, args: Any) -> None:
        self.hv.shutdown_domain(self._domain(args.dom))

    def domain_shutdown_flags(self, ctx: CallContext, args: Any) -> None:
        self.hv.shutdown_domain(self._domain(args.dom))

    def domain_reboot(self, ctx: CallContext, args: Any) -> None:
        self.hv.reboot_domain(self._domain(args.dom))

    def domain_reset(self, ctx: CallContext, args: Any) -> None:
        self.hv.reboot_domain(self._domain(args.dom))

    def domain_suspend(self, ctx: CallContext, args: Any) -> None:
        self.hv.suspend_domain(self._domain(args.dom))

    def domain_resume(self, ctx: CallContext, args: Any) -> None:
        self.hv.resume_domain(self._domain(args.dom))

    def domain_undefine(self, ctx: CallContext, args: Any) -> None:
        self.hv.undefine_domain(self._domain(args.dom))

    def domain_undefine_flags(self, ctx: CallContext, args: Any) -> None:
        self.hv.undefine_domain(self._domain(args.dom))

    # -- domains: fds ------------------------------------------------------------

    def domain_fd_associate(self, ctx: CallContext, args: Any) -> None:
        domain = self._domain(args.dom)
        fds = ctx.take_fds()
        if not fds:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                         "invalid argument: no file descriptors passed")
        self.hv.associate_fds(domain, args.name, fds)

    def domain_open_graphics(self, ctx: CallContext, args: Any) -> None:
        """Attach the client's socket to the (pretend) VNC server: it gets the
        RFB greeting and stays open while the domain runs."""
        domain = self._domain(args.dom)
        if not domain.active:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                         "Requested operation is not valid: domain is not running")
        fds = ctx.take_fds()
        if len(fds) != 1:
            close_fds(fds)
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                         "invalid argument: expected exactly one file descriptor")
        with contextlib.suppress(OSError):
            os.write(fds[0], RFB_GREETING)
        domain.associated_fds.setdefault("graphics", []).extend(fds)

    def domain_open_graphics_fd(self, ctx: CallContext, args: Any) -> None:
        domain = self._domain(args.dom)
        if not domain.active:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                         "Requested operation is not valid: domain is not running")
        server_end, client_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        server_end.setblocking(False)
        with contextlib.suppress(OSError):
            server_end.send(RFB_GREETING)
        domain.associated_fds.setdefault("graphics", []).append(server_end.detach())
        ctx.reply_with_fds([client_end.detach()])

    # -- domains: streams -------------------------------------------------------

    def domain_screenshot(self, ctx: CallContext, args: Any) -> Any:
        domain = self._domain(args.dom)
        if not domain.active:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                         "Requested operation is not valid: domain is not running")
        image = screenshot(domain.name)
        stream = ctx.stream
        assert stream is not None

        async def transfer() -> None:
            await stream.send(image)
            await stream.finish()

        ctx.after_reply(transfer)
        return self._ret(ctx, mime="image/png")

    def domain_open_console(self, ctx: CallContext, args: Any) -> None:
        domain = self._domain(args.dom)
        if not domain.active:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                         "Requested operation is not valid: domain is not running")
        stream = ctx.stream
        assert stream is not None
        prompt = f"\r\n{domain.name} login: ".encode()

        # A guest's console ends when the guest stops: libvirt then sends the
        # end of the stream (its pty hung up) and the client finishes it.
        stopped = asyncio.Event()

        def watch(event: ObjectEvent) -> None:
            if (event.obj is domain and event.kind == "domain"
                    and event.event == LifecycleEvent.STOPPED):
                stopped.set()

        async def next_piece() -> bytes | Hole | _Stopped | None:
            if stopped.is_set():
                return _STOPPED
            receiving = asyncio.ensure_future(stream.receive())
            stopping = asyncio.ensure_future(stopped.wait())
            try:
                done, _ = await asyncio.wait((receiving, stopping),
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (receiving, stopping):
                    if not waiter.done():
                        waiter.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await waiter
            # What the client sent before the guest stopped is still handled.
            return receiving.result() if receiving in done else _STOPPED

        async def console() -> None:
            self.hv.add_listener(watch)
            try:
                await stream.send(b"\r\nvirtrpc test console" + prompt)
                while True:
                    piece = await next_piece()
                    if piece is _STOPPED:
                        await stream.finish()
                        return
                    if piece is None:
                        await stream.close()
                        return
                    if not isinstance(piece, bytes):
                        continue  # a hole means nothing to a console
                    # Echo what was typed, and prompt again at every line end.
                    echo = piece.replace(b"\n", b"").replace(b"\r", prompt)
                    await stream.send(echo)
            finally:
                self.hv.remove_listener(watch)

        ctx.after_reply(console)

    # -- networks --------------------------------------------------------------

    def _filtered_networks(self, flags: int) -> list[Network]:
        result = []
        for network in self.hv.networks.values():
            if flags & 0x3 and not ((flags & 2 and network.active)
                                    or (flags & 1 and not network.active)):
                continue
            if flags & 0xC and not ((flags & 4 and network.persistent)
                                    or (flags & 8 and not network.persistent)):
                continue
            if flags & 0x30 and not ((flags & 16 and network.autostart)
                                     or (flags & 32 and not network.autostart)):
                continue
            result.append(network)
        return sorted(result, key=lambda n: n.name)

    def connect_list_all_networks(self, ctx: CallContext, args: Any) -> Any:
        networks = self._filtered_networks(args.flags)
        listed = [self._net(n) for n in networks] if args.need_results else []
        return self._ret(ctx, nets=listed, ret=len(networks))

    def connect_num_of_networks(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=len(self._filtered_networks(2)))

    def connect_list_networks(self, ctx: CallContext, args: Any) -> Any:
        names = [n.name for n in self._filtered_networks(2)]
        return self._ret(ctx, names=names[: args.maxnames])

    def connect_num_of_defined_networks(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=len(self._filtered_networks(1)))

    def connect_list_defined_networks(self, ctx: CallContext, args: Any) -> Any:
        names = [n.name for n in self._filtered_networks(1)]
        return self._ret(ctx, names=names[: args.maxnames])

    def network_lookup_by_name(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, net=self._net(self.hv.lookup_network(name=args.name)))

    def network_lookup_by_uuid(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, net=self._net(self.hv.lookup_network(uuid=bytes(args.uuid))))

    def network_define_xml(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, net=self._net(self.hv.define_network(args.xml)))

    def network_define_xml_flags(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, net=self._net(self.hv.define_network(args.xml)))

    def network_create_xml(self, ctx: CallContext, args: Any) -> Any:
        network = self.hv.define_network(args.xml)
        network.persistent = False
        self.hv.start_network(network)
        return self._ret(ctx, net=self._net(network))

    def network_create(self, ctx: CallContext, args: Any) -> None:
        self.hv.start_network(self._network(args.net))

    def network_destroy(self, ctx: CallContext, args: Any) -> None:
        self.hv.destroy_network(self._network(args.net))

    def network_undefine(self, ctx: CallContext, args: Any) -> None:
        self.hv.undefine_network(self._network(args.net))

    def network_get_xml_desc(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, xml=self._network(args.net).xml())

    def network_get_bridge_name(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, name=self._network(args.net).bridge)

    def network_is_active(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, active=int(self._network(args.net).active))

    def network_is_persistent(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, persistent=int(self._network(args.net).persistent))

    def network_get_autostart(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, autostart=int(self._network(args.net).autostart))

    def network_set_autostart(self, ctx: CallContext, args: Any) -> None:
        self._network(args.net).autostart = bool(args.autostart)

    # -- storage -----------------------------------------------------------------

    def connect_list_all_storage_pools(self, ctx: CallContext, args: Any) -> Any:
        pools = sorted(self.hv.pools.values(), key=lambda p: p.name)
        flags = args.flags
        if flags & 0x3:
            pools = [p for p in pools if (flags & 2 and p.active) or (flags & 1 and not p.active)]
        listed = [self._pool(p) for p in pools] if args.need_results else []
        return self._ret(ctx, pools=listed, ret=len(pools))

    def connect_num_of_storage_pools(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=sum(p.active for p in self.hv.pools.values()))

    def connect_list_storage_pools(self, ctx: CallContext, args: Any) -> Any:
        names = sorted(p.name for p in self.hv.pools.values() if p.active)
        return self._ret(ctx, names=names[: args.maxnames])

    def connect_num_of_defined_storage_pools(self, ctx: CallContext, args: None) -> Any:
        return self._ret(ctx, num=sum(not p.active for p in self.hv.pools.values()))

    def connect_list_defined_storage_pools(self, ctx: CallContext, args: Any) -> Any:
        names = sorted(p.name for p in self.hv.pools.values() if not p.active)
        return self._ret(ctx, names=names[: args.maxnames])

    def storage_pool_lookup_by_name(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, pool=self._pool(self.hv.lookup_pool(name=args.name)))

    def storage_pool_lookup_by_uuid(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, pool=self._pool(self.hv.lookup_pool(uuid=bytes(args.uuid))))

    def storage_pool_lookup_by_volume(self, ctx: CallContext, args: Any) -> Any:
        # As libvirt's test driver: the pool named in the reference, volume unchecked.
        return self._ret(ctx, pool=self._pool(self.hv.lookup_pool(name=args.vol.pool)))

    def storage_pool_get_info(self, ctx: CallContext, args: Any) -> Any:
        pool = self._storage_pool(args.pool)
        return self._ret(ctx, state=2 if pool.active else 0, capacity=pool.capacity,
                         allocation=pool.allocation,
                         available=pool.capacity - pool.allocation)

    def storage_pool_get_xml_desc(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, xml=self._storage_pool(args.pool).xml())

    def storage_pool_get_autostart(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, autostart=int(self._storage_pool(args.pool).autostart))

    def storage_pool_set_autostart(self, ctx: CallContext, args: Any) -> None:
        self._storage_pool(args.pool).autostart = bool(args.autostart)

    def storage_pool_is_active(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, active=int(self._storage_pool(args.pool).active))

    def storage_pool_is_persistent(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, persistent=int(self._storage_pool(args.pool).persistent))

    def storage_pool_refresh(self, ctx: CallContext, args: Any) -> None:
        self.hv.active_pool(args.pool.name)

    def storage_pool_create(self, ctx: CallContext, args: Any) -> None:
        if args.flags:
            raise _unsupported_flags(args.flags, "testStoragePoolCreate")
        self.hv.start_pool(self._storage_pool(args.pool))

    def storage_pool_destroy(self, ctx: CallContext, args: Any) -> None:
        self.hv.stop_pool(self._storage_pool(args.pool))

    def storage_pool_num_of_volumes(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, num=len(self.hv.active_pool(args.pool.name).volumes))

    def storage_pool_list_volumes(self, ctx: CallContext, args: Any) -> Any:
        names = sorted(self.hv.active_pool(args.pool.name).volumes)
        return self._ret(ctx, names=names[: args.maxnames])

    def storage_pool_list_all_volumes(self, ctx: CallContext, args: Any) -> Any:
        pool = self._storage_pool(args.pool)
        if not pool.active:
            raise _fault(ErrorCode.OPERATION_INVALID, ErrorDomain.TEST,
                         "Requested operation is not valid: storage pool is not active")
        volumes = [pool.volumes[name] for name in sorted(pool.volumes)]
        listed = [self._vol(v) for v in volumes] if args.need_results else []
        return self._ret(ctx, vols=listed, ret=len(volumes))

    def storage_vol_lookup_by_name(self, ctx: CallContext, args: Any) -> Any:
        volume = self.hv.lookup_volume(pool=args.pool.name, name=args.name)
        return self._ret(ctx, vol=self._vol(volume))

    def storage_vol_lookup_by_key(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, vol=self._vol(self.hv.lookup_volume(key=args.key)))

    def storage_vol_lookup_by_path(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, vol=self._vol(self.hv.lookup_volume(path=args.path)))

    def storage_vol_get_info(self, ctx: CallContext, args: Any) -> Any:
        volume = self._volume(args.vol)
        return self._ret(ctx, type=0, capacity=volume.capacity, allocation=volume.allocation)

    def storage_vol_get_info_flags(self, ctx: CallContext, args: Any) -> Any:
        volume = self._volume(args.vol)
        return self._ret(ctx, type=0, capacity=volume.capacity, allocation=volume.allocation)

    def storage_vol_get_xml_desc(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, xml=self._volume(args.vol).xml())

    def storage_vol_get_path(self, ctx: CallContext, args: Any) -> Any:
        return self._ret(ctx, name=self._volume(args.vol).path)

    def storage_vol_create_xml(self, ctx: CallContext, args: Any) -> Any:
        pool = self.hv.active_pool(args.pool.name)
        return self._ret(ctx, vol=self._vol(self.hv.create_volume(pool, args.xml)))

    def storage_vol_delete(self, ctx: CallContext, args: Any) -> None:
        self.hv.delete_volume(self._volume(args.vol))

    def storage_vol_download(self, ctx: CallContext, args: Any) -> None:
        volume = self._volume(args.vol)
        stream = ctx.stream
        assert stream is not None
        pieces = list(volume.read(args.offset, args.length))

        async def transfer() -> None:
            for length, data in pieces:
                if data is not None:
                    await stream.send(data)
                elif stream.sparse:
                    await stream.send_hole(length)
                else:
                    for start in range(0, length, 1 << 20):
                        await stream.send(bytes(min(1 << 20, length - start)))
            await stream.finish()

        ctx.after_reply(transfer)

    def storage_vol_upload(self, ctx: CallContext, args: Any) -> None:
        volume = self._volume(args.vol)
        stream = ctx.stream
        assert stream is not None
        offset, limit = args.offset, args.length

        async def transfer() -> None:
            pieces: list[tuple[int, bytes | None]] = []
            total = 0
            data_total = 0  # bytes held in memory (holes cost nothing)
            while True:
                piece = await stream.receive()
                if piece is None:
                    break
                if isinstance(piece, Hole):
                    pieces.append((piece.length, None))
                    total += piece.length
                else:
                    pieces.append((len(piece), bytes(piece)))
                    total += len(piece)
                    data_total += len(piece)
                if limit and total > limit:
                    raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE,
                                 "invalid argument: more data than the requested length")
                if data_total > UPLOAD_LIMIT:
                    raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE,
                                 "invalid argument: upload too large for the test pool")
            volume.replace_from(offset, pieces)
            await stream.close()

        ctx.after_reply(transfer)

    # -- events ------------------------------------------------------------------

    def _register(self, ctx: CallContext, kind: str, event_id: int, uuid: bytes | None) -> int:
        callback_id = next(self._callback_ids)
        self.registrations.append(Registration(ctx.client, callback_id, kind, event_id, uuid))
        return callback_id

    def _deregister(self, ctx: CallContext, callback_id: int, kinds: Iterable[str]) -> None:
        kinds = set(kinds)
        for registration in self.registrations:
            if (registration.client is ctx.client and registration.callback_id == callback_id
                    and registration.kind in kinds):
                self.registrations.remove(registration)
                return
        raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.NONE,
                     f"invalid argument: callback {callback_id} not registered")

    def connect_domain_event_callback_register_any(self, ctx: CallContext, args: Any) -> Any:
        if not 0 <= args.eventID < DOMAIN_EVENT_ID_MAX:
            raise _fault(ErrorCode.INVALID_ARG, ErrorDomain.NONE,
                         f"invalid argument: unsupported event ID {args.eventID}")
        uuid = bytes(args.dom.uuid) if args.dom is not None else None
        return self._ret(ctx, callbackID=self._register(ctx, "domain", args.eventID, uuid))

    def connect_domain_event_callback_deregister_any(self, ctx: CallContext, args: Any) -> None:
        self._deregister(ctx, args.callbackID, ["domain"])

    def connect_domain_event_register(self, ctx: CallContext, args: None) -> Any:
        self._register(ctx, "domain-legacy", DOMAIN_EVENT_ID_LIFECYCLE, None)
        return self._ret(ctx, cb_registered=1)

    def connect_domain_event_deregister(self, ctx: CallContext, args: None) -> Any:
        self.registrations = [r for r in self.registrations
                              if not (r.client is ctx.client and r.kind == "domain-legacy")]
        return self._ret(ctx, cb_registered=0)

    def connect_network_event_register_any(self, ctx: CallContext, args: Any) -> Any:
        uuid = bytes(args.net.uuid) if args.net is not None else None
        return self._ret(ctx, callbackID=self._register(ctx, "network", args.eventID, uuid))

    def connect_network_event_deregister_any(self, ctx: CallContext, args: Any) -> None:
        self._deregister(ctx, args.callbackID, ["network"])

    def connect_storage_pool_event_register_any(self, ctx: CallContext, args: Any) -> Any:
        uuid = bytes(args.pool.uuid) if args.pool is not None else None
        return self._ret(ctx, callbackID=self._register(ctx, "pool", args.eventID, uuid))

    def connect_storage_pool_event_deregister_any(self, ctx: CallContext, args: Any) -> None:
        self._deregister(ctx, args.callbackID, ["pool"])

    def _on_event(self, event: ObjectEvent) -> None:
        """Turn a model state change into event messages for every client that
        registered for it."""
        by_name = remote.PROGRAM.by_name
        for registration in list(self.registrations):
            if registration.uuid is not None and registration.uuid != event.obj.uuid:
                continue
            procedure = None
            message: Any = None
            obj = event.obj
            if registration.kind == "domain" and isinstance(obj, Domain):
                if event.kind == "domain" and registration.event_id == DOMAIN_EVENT_ID_LIFECYCLE:
                    procedure = by_name["domain_event_callback_lifecycle"]
                    message = remote.RemoteDomainEventCallbackLifecycleMsg(
                        callbackID=registration.callback_id,
                        msg=remote.RemoteDomainEventLifecycleMsg(
                            dom=self._dom(obj), event=event.event, detail=event.detail))
                elif event.kind == "domain-reboot" and registration.event_id == DOMAIN_EVENT_ID_REBOOT:
                    procedure = by_name["domain_event_callback_reboot"]
                    message = remote.RemoteDomainEventCallbackRebootMsg(
                        callbackID=registration.callback_id,
                        msg=remote.RemoteDomainEventRebootMsg(dom=self._dom(obj)))
                elif (event.kind == "domain-metadata"
                      and registration.event_id == DOMAIN_EVENT_ID_METADATA_CHANGE):
                    procedure = by_name["domain_event_callback_metadata_change"]
                    message = remote.RemoteDomainEventCallbackMetadataChangeMsg(
                        callbackID=registration.callback_id, dom=self._dom(obj),
                        type=event.event, nsuri=None)
            elif (registration.kind == "domain-legacy" and isinstance(obj, Domain)
                  and event.kind == "domain"):
                procedure = by_name["domain_event_lifecycle"]
                message = remote.RemoteDomainEventLifecycleMsg(
                    dom=self._dom(obj), event=event.event, detail=event.detail)
            elif (registration.kind == "network" and isinstance(obj, Network)
                  and registration.event_id == NETWORK_EVENT_ID_LIFECYCLE):
                procedure = by_name["network_event_lifecycle"]
                message = remote.RemoteNetworkEventLifecycleMsg(
                    callbackID=registration.callback_id, net=self._net(obj),
                    event=event.event, detail=event.detail)
            elif (registration.kind == "pool" and isinstance(obj, StoragePool)
                  and registration.event_id == POOL_EVENT_ID_LIFECYCLE):
                procedure = by_name["storage_pool_event_lifecycle"]
                message = remote.RemoteStoragePoolEventLifecycleMsg(
                    callbackID=registration.callback_id, pool=self._pool(obj),
                    event=event.event, detail=event.detail)
            if procedure is not None and registration.client.send_event(procedure, message):
                self.events_sent += 1


def _require_open(method: Any) -> Any:
    """Refuse a procedure until the client called connect_open (as libvirtd)."""

    def guarded(ctx: CallContext, args: Any) -> Any:
        if not ctx.client.data.get("open"):
            raise _not_open()
        return method(ctx, args)

    guarded.__name__ = getattr(method, "__name__", "guarded")
    guarded.__doc__ = getattr(method, "__doc__", None)
    return guarded


def list_limit_fault(requested: int, field: str, bound_name: str) -> RpcFault | None:
    """libvirtd's error for a list call asking for a negative or too large
    maximum (``maxids must be non-negative``, ``maxids > REMOTE_DOMAIN_LIST_MAX``),
    or None when ``requested`` is acceptable."""
    if requested < 0:
        return rpc_error(f"{field} must be non-negative")
    if requested > getattr(remote, bound_name):
        return rpc_error(f"{field} > {bound_name}")
    return None


def _check_list_limit(method: Any, field: str, bound_name: str) -> Any:
    """Wrap a legacy list handler with libvirtd's check of its maximum."""

    def checked(ctx: CallContext, args: Any) -> Any:
        fault = list_limit_fault(getattr(args, field), field, bound_name)
        if fault is not None:
            raise fault
        return method(ctx, args)

    checked.__name__ = getattr(method, "__name__", "checked")
    checked.__doc__ = getattr(method, "__doc__", None)
    return checked
