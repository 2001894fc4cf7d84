"""Handlers of domain statistics and tuning: vcpus (count, info, pinning),
memory and block I/O tuning, block, interface and memory statistics, the
control state, ``connect_get_all_domain_stats``, the guest clock.

The values are the ones libvirtd 9.0's test driver gives: counters derived
from the wall clock (so they grow), fixed tuning parameters, a fixed guest
time.  :class:`DomainStatsHandlers` is a base of
:class:`~virtrpc.testdriver.domains.DomainHandlers`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import DriverBase, fault
from virtrpc.testdriver.host import MAX_VCPUS
from virtrpc.testdriver.model import Domain, DomainState, operation_invalid
from virtrpc.testdriver.refusals import (
    api_error,
    check_flags,
    check_nparams,
    daemon_error,
    validate_typed_params,
)

DOMAIN_AFFECT_LIVE = 1
DOMAIN_AFFECT_CONFIG = 2
VCPU_MAXIMUM = 4
VCPU_RUNNING = 1  # virVcpuState
#: the default node's host: 2 NUMA cells of 8 CPUs (as nodeinfo says)
HOST_CPUS = 16
#: VIR_DOMAIN_MEMORY_PARAM_UNLIMITED
MEMORY_UNLIMITED = 9007199254740991
#: the test driver's guest clock stands still at this time
GUEST_TIME_SECONDS = 627319920
TYPED_INT, TYPED_UINT, TYPED_ULLONG, TYPED_STRING = 1, 2, 4, 7
TYPED_PARAM_STRING_OKAY = 1 << 2
DOMAIN_STATS_STATE = 1  # the only statistics group the test driver fills
STATS_ENFORCE = 0x80000000  # VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS
DISK_ERROR_UNSPEC = 1  # virDomainDiskErrorCode
# what the test driver says of every disk (virDomainGetBlockInfo)
BLOCK_CAPACITY = 1099506450432
BLOCK_ALLOCATION = 1099511627776

# virDomainMemoryStatTags, in the order the test driver reports them.
_MEMORY_STATS = (
    (6, None),  # actual balloon: the current memory
    (0, 0), (1, 0), (2, 0), (3, 0),  # swap in/out, major/minor faults
    (4, 1048576), (5, 2097152), (8, 1048576),  # unused, available, usable
    (9, GUEST_TIME_SECONDS), (10, 262144),  # last update, disk caches
    (11, 0), (12, 0), (7, 1048576),  # hugetlb alloc/fail, rss
)


_MEMORY_TUNABLES = ("hard_limit", "soft_limit", "swap_hard_limit")
_BLKIO_DEVICE_TUNABLES = ("weight", "read_iops_sec", "write_iops_sec", "read_bytes_sec",
                          "write_bytes_sec")
_BLOCK_IO_TUNABLES = tuple(
    [f"{scope}_{unit}_sec{suffix}" for suffix in ("", "_max")
     for unit in ("bytes", "iops") for scope in ("total", "read", "write")]
    + ["size_iops_sec", "group_name"]
    + [f"{scope}_{unit}_sec_max_length" for unit in ("bytes", "iops")
       for scope in ("total", "read", "write")])
# The test driver's CPU accounting: fixed totals; per guest CPU a base plus
# the CPU's number.
_GUEST_CPUS = 2
_CPU_TOTALS = (("cpu_time", 48772617035), ("user_time", 5540000000),
               ("system_time", 6460000000))
_CPU_PER_CPU = (("cpu_time", 24386308517), ("vcpu_time", 23151740627))


def one_definition_is_config(domain: Domain, flags: int) -> bool:
    """``virDomainObjGetOneDef``: whether ``flags`` pick the persistent
    config (True) or the live one (False) of ``domain``."""
    both = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG
    if flags & both == both:
        raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                    "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are "
                    "mutually exclusive")
    if flags & DOMAIN_AFFECT_LIVE and not domain.active:
        raise operation_invalid("domain is not running")
    if flags & DOMAIN_AFFECT_CONFIG and not domain.persistent:
        raise operation_invalid("transient domains do not have any persistent config")
    return bool(flags & DOMAIN_AFFECT_CONFIG) or not domain.active


def _cpumap(cpus: frozenset[int] | None, maplen: int, host_cpus: int = HOST_CPUS) -> bytes:
    """A CPU bitmap of ``maplen`` bytes (None: every one of ``host_cpus``)."""
    chosen = range(host_cpus) if cpus is None else cpus
    data = bytearray(maplen)
    for cpu in chosen:
        if cpu < maplen * 8:
            data[cpu // 8] |= 1 << (cpu % 8)
    return bytes(data)


def _host_cpu_count() -> int:
    """The CPUs of the machine the server runs on, as libvirt counts them
    (``/sys/devices/system/cpu/present``): what the test driver pins IOThreads
    to by default, unlike everything else, which follows its fake host."""
    try:
        present = Path("/sys/devices/system/cpu/present").read_text().strip()
        return max(int(part.split("-")[-1]) for part in present.split(",")) + 1
    except (OSError, ValueError):
        return os.cpu_count() or 1


def _cpus_of(cpumap: bytes) -> frozenset[int]:
    return frozenset(i for i in range(len(cpumap) * 8) if cpumap[i // 8] >> (i % 8) & 1)


def _param(name: str, kind: int, value: int | str) -> remote.RemoteTypedParam:
    return remote.RemoteTypedParam(field=name, value=remote.RemoteTypedParamValue(kind, value))


def _clock_counters() -> tuple[int, int]:
    """(microseconds, seconds) of the wall clock: the base of every counter."""
    now = time.time_ns()
    return now // 1000, now // 1_000_000_000


def _disk_targets(domain: Domain) -> list[str]:
    return [target.get("dev", "") for target in domain.definition.iterfind(
        "devices/disk/target")]


def _disk_names(domain: Domain) -> set[str]:
    """What names a disk: its target or its source file."""
    sources = {source.get("file", "") for source in domain.definition.iterfind(
        "devices/disk/source")}
    return set(_disk_targets(domain)) | sources


def _interface_names(domain: Domain) -> set[str]:
    """What names a NIC: its target device or its MAC address."""
    names = {element.get("dev", "") for element in domain.definition.iterfind(
        "devices/interface/target")}
    return names | {element.get("address", "") for element in domain.definition.iterfind(
        "devices/interface/mac")}


def _listed(domain: Domain, flags: int) -> bool:
    """Whether ``domain`` passes the ``VIR_CONNECT_GET_ALL_DOMAINS_STATS_*``
    filters: each group of flags given keeps the domains matching one of them."""
    groups = (
        (0x3, (domain.active, not domain.active)),
        (0xC, (domain.persistent, not domain.persistent)),
        (0xF0, (domain.state == DomainState.RUNNING, domain.state == DomainState.PAUSED,
                domain.state == DomainState.SHUTOFF,
                domain.state not in (DomainState.RUNNING, DomainState.PAUSED,
                                     DomainState.SHUTOFF))),
    )
    for mask, tests in groups:
        low = (mask & -mask).bit_length() - 1
        if flags & mask and not any(test for i, test in enumerate(tests)
                                    if flags & (1 << (low + i))):
            return False
    return True


def _running(domain: Domain) -> None:
    if not domain.active:
        raise operation_invalid("domain is not running")


class DomainStatsHandlers(DriverBase):
    """Domain statistics and tuning."""

    # -- vcpus --------------------------------------------------------------

    def _set_vcpus(self, domain: Domain, count: int, flags: int) -> None:
        check_flags(flags, 0x7, "testDomainSetVcpusFlags")
        if count > MAX_VCPUS:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: requested cpu amount exceeds maximum supported "
                        f"amount ({count} > {MAX_VCPUS})")
        live, config = domain.definitions_for(flags & (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG))
        if not domain.active:
            live = False  # a stopped domain's live config is its persistent one
        for changed, maximum in ((live, domain.vcpus), (config and not flags & VCPU_MAXIMUM,
                                                        domain.config_max_vcpus)):
            if changed and count > maximum:
                raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                            f"invalid argument: requested cpu amount exceeds maximum "
                            f"({count} > {maximum})")
        if live:
            domain.live_vcpus = count
        if config:
            if flags & VCPU_MAXIMUM:
                domain.config_max_vcpus = count
                domain.config_vcpus = min(domain.config_vcpus, count)
            else:
                domain.config_vcpus = count
            if not domain.active:
                domain.vcpus, domain.live_vcpus = domain.config_max_vcpus, domain.config_vcpus

    def domain_set_vcpus(self, ctx: CallContext, args: remote.RemoteDomainSetVcpusArgs) -> None:
        if args.nvcpus == 0:
            raise api_error("nvcpus in virDomainSetVcpus must not be zero")
        self._set_vcpus(self._domain(args.dom), args.nvcpus, DOMAIN_AFFECT_LIVE)

    def domain_set_vcpus_flags(
        self, ctx: CallContext, args: remote.RemoteDomainSetVcpusFlagsArgs
    ) -> None:
        if args.nvcpus == 0:
            raise api_error("nvcpus in virDomainSetVcpusFlags must not be zero")
        self._set_vcpus(self._domain(args.dom), args.nvcpus, args.flags)

    def domain_get_vcpus(
        self, ctx: CallContext, args: remote.RemoteDomainGetVcpusArgs
    ) -> remote.RemoteDomainGetVcpusRet:
        if args.maxinfo < 0 or args.maplen < 0:
            raise daemon_error("maxinfo must be non-negative")  # libvirtd's words for both
        if args.maxinfo > remote.REMOTE_VCPUINFO_MAX:
            raise daemon_error("maxinfo > REMOTE_VCPUINFO_MAX")
        if args.maxinfo * args.maplen > remote.REMOTE_CPUMAPS_MAX:
            raise daemon_error("maxinfo * maplen > REMOTE_CPUMAPS_MAX")
        if args.maxinfo == 0:
            raise api_error("info in virDomainGetVcpus must not be NULL")
        domain = self._domain(args.dom)
        if not domain.active:
            raise operation_invalid("cannot list vcpus for an inactive domain")
        micros, _ = _clock_counters()
        count = min(args.maxinfo, domain.live_vcpus)
        infos, maps = [], b""
        for vcpu in range(count):
            cpus = domain.vcpu_pins.get(vcpu)
            last_cpu = max(cpus) if cpus else HOST_CPUS - 1
            infos.append(remote.RemoteVcpuInfo(number=vcpu, state=VCPU_RUNNING,
                                               cpu_time=micros // 10, cpu=last_cpu))
            maps += _cpumap(cpus, args.maplen)
        return remote.RemoteDomainGetVcpusRet(info=infos, cpumaps=maps)

    def _pin_vcpu(self, domain: Domain, vcpu: int, cpumap: bytes) -> None:
        if not domain.active:
            raise operation_invalid("cannot pin vcpus on an inactive domain")
        if not 0 <= vcpu < domain.live_vcpus:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: requested vcpu '{vcpu}' is not present in the "
                        f"domain")
        domain.vcpu_pins[vcpu] = _cpus_of(cpumap)

    def domain_pin_vcpu(self, ctx: CallContext, args: remote.RemoteDomainPinVcpuArgs) -> None:
        if not args.cpumap:
            raise api_error("cpumap in virDomainPinVcpu must not be NULL")
        self._pin_vcpu(self._domain(args.dom), args.vcpu, bytes(args.cpumap))

    def domain_pin_vcpu_flags(
        self, ctx: CallContext, args: remote.RemoteDomainPinVcpuFlagsArgs
    ) -> None:
        if not args.cpumap:
            raise api_error("cpumap in virDomainPinVcpuFlags must not be NULL")
        check_flags(args.flags, 0, "testDomainPinVcpuFlags")
        self._pin_vcpu(self._domain(args.dom), args.vcpu, bytes(args.cpumap))

    def domain_get_vcpu_pin_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetVcpuPinInfoArgs
    ) -> remote.RemoteDomainGetVcpuPinInfoRet:
        if args.ncpumaps < 0:
            raise daemon_error("ncpumaps must be non-negative")
        if args.maplen < 0:
            raise daemon_error("maplen must be non-negative")
        if args.ncpumaps > remote.REMOTE_VCPUINFO_MAX:
            raise daemon_error("ncpumaps > REMOTE_VCPUINFO_MAX")
        if args.ncpumaps * args.maplen > remote.REMOTE_CPUMAPS_MAX:
            raise daemon_error("ncpumaps * maplen > REMOTE_CPUMAPS_MAX")
        if args.ncpumaps == 0 or args.maplen == 0:
            raise api_error("cpumaps in virDomainGetVcpuPinInfo must not be NULL")
        domain = self._domain(args.dom)
        config = one_definition_is_config(domain, args.flags)
        # every vcpu up to the maximum, offline ones too
        count = min(args.ncpumaps, domain.config_max_vcpus if config else domain.vcpus)
        pins = {} if config else domain.vcpu_pins
        maps = b"".join(_cpumap(pins.get(vcpu), args.maplen) for vcpu in range(count))
        return remote.RemoteDomainGetVcpuPinInfoRet(cpumaps=maps, num=count)

    def domain_get_emulator_pin_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetEmulatorPinInfoArgs
    ) -> remote.RemoteDomainGetEmulatorPinInfoRet:
        if args.maplen < 0:
            raise daemon_error("maplen must be non-negative")
        if args.maplen == 0:
            raise api_error("cpumap in virDomainGetEmulatorPinInfo must not be NULL")
        if args.maplen > remote.REMOTE_CPUMAPS_MAX:  # the reply would not fit
            raise RpcFault(ErrorCode.RPC, ErrorDomain.RPC, "Unable to encode message payload")
        check_flags(args.flags, 0x3, "testDomainGetEmulatorPinInfo")
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        return remote.RemoteDomainGetEmulatorPinInfoRet(
            cpumaps=_cpumap(domain.emulator_pin, args.maplen), ret=1)

    # -- tuning ---------------------------------------------------------------

    def domain_get_memory_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainGetMemoryParametersArgs
    ) -> remote.RemoteDomainGetMemoryParametersRet:
        check_nparams(args.nparams, "REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX")
        check_flags(args.flags, 0x3 | TYPED_PARAM_STRING_OKAY, "testDomainGetMemoryParameters")
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        names = _MEMORY_TUNABLES
        if args.nparams == 0:
            return remote.RemoteDomainGetMemoryParametersRet(params=[], nparams=len(names))
        params = [_param(name, TYPED_ULLONG, domain.tunables.get(name, MEMORY_UNLIMITED))
                  for name in names]
        return remote.RemoteDomainGetMemoryParametersRet(params=params[: args.nparams],
                                                         nparams=min(args.nparams, len(names)))

    def domain_get_blkio_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainGetBlkioParametersArgs
    ) -> remote.RemoteDomainGetBlkioParametersRet:
        check_nparams(args.nparams, "REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX")
        check_flags(args.flags, 0x3 | TYPED_PARAM_STRING_OKAY, "testDomainGetBlkioParameters")
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        params = [_param("weight", TYPED_UINT, domain.tunables.get("weight", 0))]
        if args.flags & TYPED_PARAM_STRING_OKAY:
            params += [_param(f"device_{name}", TYPED_STRING, "") for name in (
                "weight", "read_iops_sec", "write_iops_sec", "read_bytes_sec",
                "write_bytes_sec")]
        if args.nparams == 0:
            return remote.RemoteDomainGetBlkioParametersRet(params=[], nparams=len(params))
        return remote.RemoteDomainGetBlkioParametersRet(params=params[: args.nparams],
                                                        nparams=min(args.nparams, len(params)))

    def domain_set_memory_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainSetMemoryParametersArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainSetMemoryParameters")
        validate_typed_params(args.params, {name: TYPED_ULLONG for name in _MEMORY_TUNABLES})
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        values = {param.field: int(param.value.value) for param in args.params}
        hard = values.get("hard_limit", domain.tunables.get("hard_limit", MEMORY_UNLIMITED))
        swap = values.get("swap_hard_limit",
                          domain.tunables.get("swap_hard_limit", MEMORY_UNLIMITED))
        if hard > swap:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        "invalid argument: hard_limit cannot be bigger than swap_hard_limit")
        domain.tunables.update(values)

    def domain_set_blkio_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainSetBlkioParametersArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainSetBlkioParameters")
        validate_typed_params(args.params, {"weight": TYPED_UINT, **{
            f"device_{name}": TYPED_STRING for name in _BLKIO_DEVICE_TUNABLES}})
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        for param in args.params:
            if param.field == "weight":
                domain.tunables["weight"] = int(param.value.value)

    def domain_pin_emulator(
        self, ctx: CallContext, args: remote.RemoteDomainPinEmulatorArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainPinEmulator")
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        cpus = _cpus_of(bytes(args.cpumap))
        if not cpus:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        "invalid argument: Empty cpu list for pinning")
        domain.emulator_pin = cpus

    def domain_get_block_io_tune(
        self, ctx: CallContext, args: remote.RemoteDomainGetBlockIoTuneArgs
    ) -> remote.RemoteDomainGetBlockIoTuneRet:
        check_nparams(args.nparams, "REMOTE_DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX")
        check_flags(args.flags, 0x3 | TYPED_PARAM_STRING_OKAY, "testDomainGetBlockIoTune")
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        params = [_param(name, TYPED_STRING if name == "group_name" else TYPED_ULLONG,
                         "" if name == "group_name" else 0) for name in _BLOCK_IO_TUNABLES]
        if not args.flags & TYPED_PARAM_STRING_OKAY:
            params = [param for param in params if param.field != "group_name"]
        if args.nparams == 0:
            return remote.RemoteDomainGetBlockIoTuneRet(params=[], nparams=len(params))
        if args.disk is None or args.disk not in _disk_names(domain):
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: disk '{args.disk}' was not found in the domain "
                        f"config")
        return remote.RemoteDomainGetBlockIoTuneRet(params=params[: args.nparams],
                                                    nparams=min(args.nparams, len(params)))

    def domain_get_launch_security_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetLaunchSecurityInfoArgs
    ) -> remote.RemoteDomainGetLaunchSecurityInfoRet:
        # libvirt's public API always adds VIR_TYPED_PARAM_STRING_OKAY, which
        # the test driver does not accept: the call always fails (as there).
        check_flags(args.flags, 0, "testDomainGetLaunchSecurityInfo")
        self._domain(args.dom)
        return remote.RemoteDomainGetLaunchSecurityInfoRet(params=[])

    # -- statistics -----------------------------------------------------------

    def domain_get_cpu_stats(
        self, ctx: CallContext, args: remote.RemoteDomainGetCpuStatsArgs
    ) -> remote.RemoteDomainGetCpuStatsRet:
        if args.nparams > remote.REMOTE_NODE_CPU_STATS_MAX:
            raise daemon_error("nparams too large")
        if args.ncpus > remote.REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX:
            raise daemon_error("ncpus too large")
        if args.start_cpu == -1 and args.ncpus != 1:
            raise api_error("ncpus must be 1 when start_cpu is -1")
        if args.start_cpu < -1:
            raise api_error("start_cpu in virDomainGetCPUStats must be zero or greater")
        if args.ncpus == 0 and args.nparams:
            raise api_error("params in virDomainGetCPUStats must not be NULL")
        check_flags(args.flags, TYPED_PARAM_STRING_OKAY, "testDomainGetCPUStats")
        domain = self._domain(args.dom)
        _running(domain)
        rows: list[tuple[tuple[str, int], ...]]
        if args.start_cpu == -1:
            rows = [_CPU_TOTALS]
        else:
            if args.nparams == 0 and args.ncpus == 0:  # how many CPUs?
                return remote.RemoteDomainGetCpuStatsRet(params=[], nparams=_GUEST_CPUS)
            if args.start_cpu >= _GUEST_CPUS:
                raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                            f"invalid argument: start_cpu {args.start_cpu} larger than "
                            f"maximum of {_GUEST_CPUS - 1}")
            last = min(args.start_cpu + args.ncpus, _GUEST_CPUS)
            rows = [tuple((name, base + cpu) for name, base in _CPU_PER_CPU)
                    for cpu in range(args.start_cpu, last)]
        if args.nparams == 0:
            return remote.RemoteDomainGetCpuStatsRet(params=[], nparams=len(rows[0]))
        width = min(args.nparams, len(rows[0]))
        params = [_param(name, TYPED_ULLONG, value) for row in rows for name, value in row[:width]]
        return remote.RemoteDomainGetCpuStatsRet(params=params, nparams=width)

    def domain_block_stats(
        self, ctx: CallContext, args: remote.RemoteDomainBlockStatsArgs
    ) -> remote.RemoteDomainBlockStatsRet:
        domain = self._domain(args.dom)
        if args.path not in _disk_names(domain):
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: invalid path: {args.path}")
        _running(domain)
        micros, seconds = _clock_counters()
        return remote.RemoteDomainBlockStatsRet(rd_req=micros // 10, rd_bytes=micros // 20,
                                                wr_req=micros // 30, wr_bytes=micros // 40,
                                                errs=seconds // 2)

    def domain_interface_stats(
        self, ctx: CallContext, args: remote.RemoteDomainInterfaceStatsArgs
    ) -> remote.RemoteDomainInterfaceStatsRet:
        domain = self._domain(args.dom)
        if args.device not in _interface_names(domain):
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: '{args.device}' is not a known interface")
        _running(domain)
        micros, seconds = _clock_counters()
        return remote.RemoteDomainInterfaceStatsRet(
            rx_bytes=micros // 10, rx_packets=micros // 100, rx_errs=seconds // 1,
            rx_drop=seconds // 2, tx_bytes=micros // 20, tx_packets=micros // 110,
            tx_errs=seconds // 3, tx_drop=seconds // 4)

    def domain_memory_stats(
        self, ctx: CallContext, args: remote.RemoteDomainMemoryStatsArgs
    ) -> remote.RemoteDomainMemoryStatsRet:
        if args.maxStats > remote.REMOTE_DOMAIN_MEMORY_STATS_MAX:
            raise daemon_error("maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX")
        check_flags(args.flags, 0, "testDomainMemoryStats")
        domain = self._domain(args.dom)
        _running(domain)
        stats = [remote.RemoteDomainMemoryStat(tag=tag, val=domain.memory if value is None
                                               else value)
                 for tag, value in _MEMORY_STATS[: max(0, args.maxStats)]]
        return remote.RemoteDomainMemoryStatsRet(stats=stats)

    def domain_set_memory_stats_period(
        self, ctx: CallContext, args: remote.RemoteDomainSetMemoryStatsPeriodArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainSetMemoryStatsPeriod")
        self._domain(args.dom)

    def domain_get_block_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetBlockInfoArgs
    ) -> remote.RemoteDomainGetBlockInfoRet:
        check_flags(args.flags, 0, "testDomainGetBlockInfo")
        domain = self._domain(args.dom)
        if args.path not in _disk_names(domain):
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: invalid path {args.path} not assigned to domain")
        return remote.RemoteDomainGetBlockInfoRet(allocation=BLOCK_ALLOCATION,
                                                  capacity=BLOCK_CAPACITY,
                                                  physical=BLOCK_ALLOCATION)

    def domain_get_disk_errors(
        self, ctx: CallContext, args: remote.RemoteDomainGetDiskErrorsArgs
    ) -> remote.RemoteDomainGetDiskErrorsRet:
        if args.maxerrors > remote.REMOTE_DOMAIN_DISK_ERRORS_MAX:
            raise daemon_error("maxerrors too large")
        check_flags(args.flags, 0, "testDomainGetDiskErrors")
        domain = self._domain(args.dom)
        _running(domain)
        targets = _disk_targets(domain)
        if args.maxerrors <= 0:
            return remote.RemoteDomainGetDiskErrorsRet(errors=[], nerrors=len(targets))
        errors = [remote.RemoteDomainDiskError(disk=target, error=DISK_ERROR_UNSPEC)
                  for target in targets[: args.maxerrors]]
        return remote.RemoteDomainGetDiskErrorsRet(errors=errors, nerrors=len(errors))

    def domain_get_numa_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainGetNumaParametersArgs
    ) -> remote.RemoteDomainGetNumaParametersRet:
        check_nparams(args.nparams, "REMOTE_DOMAIN_NUMA_PARAMETERS_MAX")
        check_flags(args.flags, 0x3 | TYPED_PARAM_STRING_OKAY, "testDomainGetNumaParameters")
        one_definition_is_config(self._domain(args.dom), args.flags)
        params = [_param("numa_mode", TYPED_INT, 0)]  # strict
        if args.flags & TYPED_PARAM_STRING_OKAY:
            params.append(_param("numa_nodeset", TYPED_STRING, ""))
        if args.nparams == 0:
            return remote.RemoteDomainGetNumaParametersRet(params=[], nparams=len(params))
        return remote.RemoteDomainGetNumaParametersRet(params=params[: args.nparams],
                                                       nparams=min(args.nparams, len(params)))

    def domain_get_interface_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainGetInterfaceParametersArgs
    ) -> remote.RemoteDomainGetInterfaceParametersRet:
        check_nparams(args.nparams, "REMOTE_DOMAIN_INTERFACE_PARAMETERS_MAX")
        check_flags(args.flags, 0x3 | TYPED_PARAM_STRING_OKAY,
                    "testDomainGetInterfaceParameters")
        domain = self._domain(args.dom)
        one_definition_is_config(domain, args.flags)
        names = [f"{way}.{what}" for way, whats in (
            ("inbound", ("average", "peak", "burst", "floor")),
            ("outbound", ("average", "peak", "burst"))) for what in whats]
        if args.nparams == 0:  # the count comes before the device is looked at
            return remote.RemoteDomainGetInterfaceParametersRet(params=[], nparams=len(names))
        if args.device not in _interface_names(domain):
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: '{args.device}' is not a known interface")
        params = [_param(name, TYPED_UINT, 0) for name in names[: args.nparams]]
        return remote.RemoteDomainGetInterfaceParametersRet(params=params, nparams=len(params))

    def domain_get_iothread_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetIothreadInfoArgs
    ) -> remote.RemoteDomainGetIothreadInfoRet:
        check_flags(args.flags, 0x3, "testDomainGetIOThreadInfo")
        iothreads = self._iothreads(self._domain(args.dom), args.flags)
        maplen = (_host_cpu_count() + 7) // 8
        info = [remote.RemoteDomainIothreadInfo(iothread_id=iothread_id,
                                                cpumap=_cpumap(cpus, maplen, _host_cpu_count()))
                for iothread_id, cpus in iothreads.items()]
        return remote.RemoteDomainGetIothreadInfoRet(info=info, ret=len(info))

    @staticmethod
    def _iothreads(domain: Domain, flags: int) -> dict[int, frozenset[int] | None]:
        """The IOThreads of the one config ``flags`` select."""
        if one_definition_is_config(domain, flags):
            return domain.config_iothreads
        return domain.live_iothreads

    def domain_add_iothread(
        self, ctx: CallContext, args: remote.RemoteDomainAddIothreadArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainAddIOThread")
        if args.iothread_id <= 0:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: invalid value of {args.iothread_id} for iothread_id")
        iothreads = self._iothreads(self._domain(args.dom), args.flags)
        if args.iothread_id in iothreads:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: an IOThread is already using iothread_id "
                        f"'{args.iothread_id}'")
        iothreads[args.iothread_id] = None

    def domain_del_iothread(
        self, ctx: CallContext, args: remote.RemoteDomainDelIothreadArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainDelIOThread")
        iothreads = self._iothreads(self._domain(args.dom), args.flags)
        if args.iothread_id not in iothreads:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: cannot find IOThread '{args.iothread_id}' in "
                        f"iothreadids list")
        del iothreads[args.iothread_id]

    def domain_pin_iothread(
        self, ctx: CallContext, args: remote.RemoteDomainPinIothreadArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainPinIOThread")
        iothreads = self._iothreads(self._domain(args.dom), args.flags)
        if args.iothreads_id not in iothreads:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: iothreadid {args.iothreads_id} not found")
        iothreads[args.iothreads_id] = _cpus_of(bytes(args.cpumap))

    def domain_set_iothread_params(
        self, ctx: CallContext, args: remote.RemoteDomainSetIothreadParamsArgs
    ) -> None:
        check_flags(args.flags, 0x3, "testDomainSetIOThreadParams")
        iothreads = self._iothreads(self._domain(args.dom), args.flags)
        if args.iothread_id not in iothreads:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        f"invalid argument: cannot find IOThread '{args.iothread_id}' in "
                        f"iothreadids")

    def domain_get_perf_events(
        self, ctx: CallContext, args: remote.RemoteDomainGetPerfEventsArgs
    ) -> remote.RemoteDomainGetPerfEventsRet:
        check_flags(args.flags, 0x3, "testDomainGetPerfEvents")
        one_definition_is_config(self._domain(args.dom), args.flags)
        return remote.RemoteDomainGetPerfEventsRet(params=[])

    def domain_get_control_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetControlInfoArgs
    ) -> remote.RemoteDomainGetControlInfoRet:
        check_flags(args.flags, 0, "testDomainGetControlInfo")
        _running(self._domain(args.dom))
        return remote.RemoteDomainGetControlInfoRet(state=0, details=0, stateTime=0)

    def connect_get_all_domain_stats(
        self, ctx: CallContext, args: remote.RemoteConnectGetAllDomainStatsArgs
    ) -> remote.RemoteConnectGetAllDomainStatsRet:
        if args.flags & STATS_ENFORCE and args.stats & ~DOMAIN_STATS_STATE:
            raise fault(ErrorCode.ARGUMENT_UNSUPPORTED, ErrorDomain.TEST,
                        f"argument unsupported: Stats types bits "
                        f"{args.stats & ~DOMAIN_STATS_STATE:#x} are not supported by this daemon")
        if args.doms:
            domains = [self._domain(ref) for ref in args.doms]
        else:
            # running domains first (by id), then the others by name
            domains = sorted((d for d in self.hv.domains.values() if _listed(d, args.flags)),
                             key=lambda d: (not d.active, d.id if d.active else 0, d.name))
        records = []
        for domain in domains:
            params = []
            if not args.stats or args.stats & DOMAIN_STATS_STATE:
                params = [_param("state.state", TYPED_INT, int(domain.state)),
                          _param("state.reason", TYPED_INT, domain.reason)]
            records.append(remote.RemoteDomainStatsRecord(dom=self._dom(domain), params=params))
        return remote.RemoteConnectGetAllDomainStatsRet(retStats=records)

    # -- the guest --------------------------------------------------------------

    def domain_get_time(
        self, ctx: CallContext, args: remote.RemoteDomainGetTimeArgs
    ) -> remote.RemoteDomainGetTimeRet:
        check_flags(args.flags, 0, "testDomainGetTime")
        _running(self._domain(args.dom))
        return remote.RemoteDomainGetTimeRet(seconds=GUEST_TIME_SECONDS, nseconds=0)

    def domain_set_time(self, ctx: CallContext, args: remote.RemoteDomainSetTimeArgs) -> None:
        check_flags(args.flags, 1, "testDomainSetTime")  # VIR_DOMAIN_TIME_SYNC
        _running(self._domain(args.dom))

    def domain_get_hostname(
        self, ctx: CallContext, args: remote.RemoteDomainGetHostnameArgs
    ) -> remote.RemoteDomainGetHostnameRet:
        check_flags(args.flags, 0x3, "testDomainGetHostname")  # lease, agent
        _running(self._domain(args.dom))
        return remote.RemoteDomainGetHostnameRet(hostname="testhost")

    def domain_interface_addresses(
        self, ctx: CallContext, args: remote.RemoteDomainInterfaceAddressesArgs
    ) -> remote.RemoteDomainInterfaceAddressesRet:
        check_flags(args.flags, 0, "testDomainInterfaceAddresses")
        domain = self._domain(args.dom)
        _running(domain)
        ifaces = []
        for index, interface in enumerate(domain.definition.iterfind("devices/interface")):
            target, mac = interface.find("target"), interface.find("mac")
            address = remote.RemoteDomainIpAddr(type=0, addr=f"192.168.122.{3 + index}",
                                                prefix=24)  # IPv4
            ifaces.append(remote.RemoteDomainInterface(
                name=target.get("dev", "") if target is not None else "",
                hwaddr=mac.get("address") if mac is not None else None, addrs=[address]))
        return remote.RemoteDomainInterfaceAddressesRet(ifaces=ifaces)

    def domain_get_fsinfo(
        self, ctx: CallContext, args: remote.RemoteDomainGetFsinfoArgs
    ) -> remote.RemoteDomainGetFsinfoRet:
        check_flags(args.flags, 0, "testDomainGetFSInfo")
        domain = self._domain(args.dom)
        _running(domain)
        targets = _disk_targets(domain)
        info = []
        if targets:
            disk = targets[0]
            info = [remote.RemoteDomainFsinfo(mountpoint=mount, name=f"{disk}{part}",
                                              fstype="ext4", dev_aliases=[disk])
                    for mount, part in (("/", 1), ("/boot", 2))]
        return remote.RemoteDomainGetFsinfoRet(info=info, ret=len(info))

    def domain_inject_nmi(self, ctx: CallContext, args: remote.RemoteDomainInjectNmiArgs) -> None:
        check_flags(args.flags, 0, "testDomainInjectNMI")
        _running(self._domain(args.dom))

    def domain_send_key(self, ctx: CallContext, args: remote.RemoteDomainSendKeyArgs) -> None:
        if not args.keycodes:
            raise api_error("keycodes in virDomainSendKey must not be NULL")
        check_flags(args.flags, 0, "testDomainSendKey")
        _running(self._domain(args.dom))

