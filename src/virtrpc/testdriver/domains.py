"""Handlers of domains: listing and lookup, information, memory, the
scheduler, lifecycle, fd passing, and the screenshot and console streams."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext, Hole, close_fds
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import c_chars, fault, unsupported_flags
from virtrpc.testdriver.domain_stats import (
    VCPU_MAXIMUM,
    DomainStatsHandlers,
    one_definition_is_config,
)
from virtrpc.testdriver.model import Domain, DomainState, LifecycleEvent, ObjectEvent
from virtrpc.testdriver.png import screenshot
from virtrpc.testdriver.refusals import (
    check_flags,
    no_support,
    validate_typed_params,
)

# virTypedParameterType values and names (virtypedparam.c).
TYPED_PARAM_UINT = 2
TYPED_PARAM_STRING_OKAY = 1 << 2
TYPED_PARAM_FIELD_LENGTH = 80  # VIR_TYPED_PARAM_FIELD_LENGTH, including the NUL
DOMAIN_AFFECT_LIVE = 1
DOMAIN_AFFECT_CONFIG = 2
SCHEDULER_TYPE = "fair"
# name -> (virTypedParameterType, value), as testDomainGetSchedulerParametersFlags.
SCHEDULER_PARAMETERS: dict[str, tuple[int, int]] = {"weight": (TYPED_PARAM_UINT, 50)}
RFB_GREETING = b"RFB 003.008\n"


class _Stopped:
    """Marks the end of a console whose domain stopped."""


_STOPPED = _Stopped()


def _check_scheduler_nparams(nparams: int, api: str) -> None:
    """libvirtd's checks of a requested parameter count (remote dispatch, then
    the public API, which refuses a NULL array, i.e. nparams 0)."""
    if nparams < 0:
        raise fault(
            ErrorCode.INTERNAL_ERROR,
            ErrorDomain.RPC,
            "internal error: nparams must be non-negative",
        )
    if nparams > remote.REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX:
        raise fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, "internal error: nparams too large")
    if nparams == 0:
        raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN, f"params in {api} must not be NULL")


def _check_affect_flags(flags: int) -> None:
    both = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG
    if flags & both == both:
        raise fault(
            ErrorCode.INVALID_ARG,
            ErrorDomain.DOMAIN,
            "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
        )


class DomainHandlers(DomainStatsHandlers):
    """Domains (statistics and tuning in the base class)."""

    # -- domains: listing and lookup ------------------------------------------

    def _filtered_domains(self, flags: int) -> list[Domain]:
        def keep(domain: Domain) -> bool:
            groups = (
                (0x3, (domain.active, not domain.active)),
                (0xC, (domain.persistent, not domain.persistent)),
                (
                    0xF0,
                    (
                        domain.state == DomainState.RUNNING,
                        domain.state == DomainState.PAUSED,
                        domain.state == DomainState.SHUTOFF,
                        domain.state
                        not in (DomainState.RUNNING, DomainState.PAUSED, DomainState.SHUTOFF),
                    ),
                ),
                (0x300, (saved := self.has_managed_save(domain), not saved)),
                (0xC00, (domain.autostart, not domain.autostart)),
                (0x3000, (snapshots := self.has_snapshots(domain), not snapshots)),
                (0xC000, (checkpoints := self.has_checkpoints(domain), not checkpoints)),
            )
            # Each group filters when some of its flags are given: the domain
            # must pass one of the given flags' tests (the group's first flag
            # is its mask's lowest bit).
            for mask, tests in groups:
                if not flags & mask:
                    continue
                low = (mask & -mask).bit_length() - 1
                if not any(test for i, test in enumerate(tests) if flags & (1 << (low + i))):
                    return False
            return True

        return sorted(
            (d for d in self.hv.domains.values() if keep(d)),
            key=lambda d: (not d.active, d.id if d.active else 0, d.name),
        )

    def connect_list_all_domains(
        self, ctx: CallContext, args: remote.RemoteConnectListAllDomainsArgs
    ) -> remote.RemoteConnectListAllDomainsRet:
        domains = self._filtered_domains(args.flags)
        listed = [self._dom(d) for d in domains] if args.need_results else []
        return remote.RemoteConnectListAllDomainsRet(domains=listed, ret=len(domains))

    def connect_num_of_domains(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfDomainsRet:
        return remote.RemoteConnectNumOfDomainsRet(
            num=sum(d.active for d in self.hv.domains.values())
        )

    def connect_list_domains(
        self, ctx: CallContext, args: remote.RemoteConnectListDomainsArgs
    ) -> remote.RemoteConnectListDomainsRet:
        ids = sorted(d.id for d in self.hv.domains.values() if d.active)
        return remote.RemoteConnectListDomainsRet(ids=ids[: args.maxids])

    def connect_num_of_defined_domains(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfDefinedDomainsRet:
        return remote.RemoteConnectNumOfDefinedDomainsRet(
            num=sum(not d.active for d in self.hv.domains.values())
        )

    def connect_list_defined_domains(
        self, ctx: CallContext, args: remote.RemoteConnectListDefinedDomainsArgs
    ) -> remote.RemoteConnectListDefinedDomainsRet:
        names = sorted(d.name for d in self.hv.domains.values() if not d.active)
        return remote.RemoteConnectListDefinedDomainsRet(names=names[: args.maxnames])

    def domain_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteDomainLookupByNameArgs
    ) -> remote.RemoteDomainLookupByNameRet:
        return remote.RemoteDomainLookupByNameRet(
            dom=self._dom(self.hv.lookup_domain(name=args.name))
        )

    def domain_lookup_by_uuid(
        self, ctx: CallContext, args: remote.RemoteDomainLookupByUuidArgs
    ) -> remote.RemoteDomainLookupByUuidRet:
        return remote.RemoteDomainLookupByUuidRet(
            dom=self._dom(self.hv.lookup_domain(uuid=bytes(args.uuid)))
        )

    def domain_lookup_by_id(
        self, ctx: CallContext, args: remote.RemoteDomainLookupByIdArgs
    ) -> remote.RemoteDomainLookupByIdRet:
        return remote.RemoteDomainLookupByIdRet(dom=self._dom(self.hv.lookup_domain(id=args.id)))

    # -- domains: information ----------------------------------------------------

    def domain_get_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetInfoArgs
    ) -> remote.RemoteDomainGetInfoRet:
        domain = self._domain(args.dom)
        return remote.RemoteDomainGetInfoRet(
            state=int(domain.state),
            maxMem=domain.max_memory,
            memory=domain.memory,
            nrVirtCpu=domain.live_vcpus,
            cpuTime=domain.cpu_time_ns(),
        )

    def domain_get_state(
        self, ctx: CallContext, args: remote.RemoteDomainGetStateArgs
    ) -> remote.RemoteDomainGetStateRet:
        domain = self._domain(args.dom)
        return remote.RemoteDomainGetStateRet(state=int(domain.state), reason=domain.reason)

    def domain_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteDomainGetXmlDescArgs
    ) -> remote.RemoteDomainGetXmlDescRet:
        # VIR_DOMAIN_XML_COMMON_FLAGS: secure, inactive, migratable
        check_flags(args.flags, 0xB, "testDomainGetXMLDesc")
        domain = self._domain(args.dom)
        inactive = bool(args.flags & 2)  # VIR_DOMAIN_XML_INACTIVE
        return remote.RemoteDomainGetXmlDescRet(xml=domain.xml(inactive=inactive))

    def domain_get_os_type(
        self, ctx: CallContext, args: remote.RemoteDomainGetOsTypeArgs
    ) -> remote.RemoteDomainGetOsTypeRet:
        self._domain(args.dom)
        return remote.RemoteDomainGetOsTypeRet(type="linux")

    def domain_get_max_memory(
        self, ctx: CallContext, args: remote.RemoteDomainGetMaxMemoryArgs
    ) -> remote.RemoteDomainGetMaxMemoryRet:
        return remote.RemoteDomainGetMaxMemoryRet(memory=self._domain(args.dom).max_memory)

    def domain_get_max_vcpus(
        self, ctx: CallContext, args: remote.RemoteDomainGetMaxVcpusArgs
    ) -> remote.RemoteDomainGetMaxVcpusRet:
        return remote.RemoteDomainGetMaxVcpusRet(num=self._domain(args.dom).vcpus)

    def domain_get_vcpus_flags(
        self, ctx: CallContext, args: remote.RemoteDomainGetVcpusFlagsArgs
    ) -> remote.RemoteDomainGetVcpusFlagsRet:
        check_flags(args.flags, 0x7, "testDomainGetVcpusFlags")
        domain = self._domain(args.dom)
        config = one_definition_is_config(domain, args.flags)
        if args.flags & VCPU_MAXIMUM:
            return remote.RemoteDomainGetVcpusFlagsRet(
                num=domain.config_max_vcpus if config else domain.vcpus)
        return remote.RemoteDomainGetVcpusFlagsRet(
            num=domain.config_vcpus if config else domain.live_vcpus)

    def domain_is_active(
        self, ctx: CallContext, args: remote.RemoteDomainIsActiveArgs
    ) -> remote.RemoteDomainIsActiveRet:
        return remote.RemoteDomainIsActiveRet(active=int(self._domain(args.dom).active))

    def domain_is_persistent(
        self, ctx: CallContext, args: remote.RemoteDomainIsPersistentArgs
    ) -> remote.RemoteDomainIsPersistentRet:
        return remote.RemoteDomainIsPersistentRet(persistent=int(self._domain(args.dom).persistent))

    def domain_is_updated(
        self, ctx: CallContext, args: remote.RemoteDomainIsUpdatedArgs
    ) -> remote.RemoteDomainIsUpdatedRet:
        self._domain(args.dom)
        return remote.RemoteDomainIsUpdatedRet(updated=0)

    def domain_get_autostart(
        self, ctx: CallContext, args: remote.RemoteDomainGetAutostartArgs
    ) -> remote.RemoteDomainGetAutostartRet:
        return remote.RemoteDomainGetAutostartRet(autostart=int(self._domain(args.dom).autostart))

    def domain_set_autostart(
        self, ctx: CallContext, args: remote.RemoteDomainSetAutostartArgs
    ) -> None:
        domain = self._domain(args.dom)
        if not domain.persistent:
            raise fault(
                ErrorCode.OPERATION_INVALID,
                ErrorDomain.DOMAIN,
                "Requested operation is not valid: cannot set autostart for transient domain",
            )
        domain.autostart = bool(args.autostart)

    def domain_has_managed_save_image(
        self, ctx: CallContext, args: remote.RemoteDomainHasManagedSaveImageArgs
    ) -> remote.RemoteDomainHasManagedSaveImageRet:
        self._domain(args.dom)
        return remote.RemoteDomainHasManagedSaveImageRet(result=0)

    def domain_get_security_label(
        self, ctx: CallContext, args: remote.RemoteDomainGetSecurityLabelArgs
    ) -> remote.RemoteDomainGetSecurityLabelRet:
        return self._security_label(self._domain(args.dom))

    @staticmethod
    def _security_label(domain: Domain) -> remote.RemoteDomainGetSecurityLabelRet:
        """The test driver labels running domains only (an empty label otherwise)."""
        if not domain.active:
            return remote.RemoteDomainGetSecurityLabelRet(label=c_chars(""), enforcing=0)
        return remote.RemoteDomainGetSecurityLabelRet(label=c_chars("libvirt-test"), enforcing=1)

    def domain_get_security_label_list(
        self, ctx: CallContext, args: remote.RemoteDomainGetSecurityLabelListArgs
    ) -> remote.RemoteDomainGetSecurityLabelListRet:
        label = self._security_label(self._domain(args.dom))
        return remote.RemoteDomainGetSecurityLabelListRet(labels=[label], ret=1)

    def domain_get_metadata(
        self, ctx: CallContext, args: remote.RemoteDomainGetMetadataArgs
    ) -> remote.RemoteDomainGetMetadataRet:
        domain = self._domain(args.dom)
        return remote.RemoteDomainGetMetadataRet(
            metadata=self.hv.get_metadata(domain, args.type, args.uri, args.flags)
        )

    def domain_set_metadata(
        self, ctx: CallContext, args: remote.RemoteDomainSetMetadataArgs
    ) -> None:
        domain = self._domain(args.dom)
        self.hv.set_metadata(domain, args.type, args.metadata, args.key, args.uri, args.flags)

    def _set_memory(self, domain: Domain, memory: int, maximum: bool,
                    flags: int = DOMAIN_AFFECT_LIVE) -> None:
        if maximum:
            if domain.active:
                raise fault(
                    ErrorCode.OPERATION_INVALID,
                    ErrorDomain.DOMAIN,
                    "Requested operation is not valid: cannot resize the maximum "
                    "memory on an active domain",
                )
            domain.max_memory = memory
            domain.memory = min(domain.memory, memory)
            domain.config_memory = min(domain.config_memory, memory)
            return
        if memory > domain.max_memory:
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.DOMAIN,
                "invalid argument: cannot set memory higher than max memory",
            )
        live, config = domain.definitions_for(flags & (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG))
        if live:
            domain.memory = memory
        if config:
            domain.config_memory = memory
            if not domain.active:
                domain.memory = memory

    def domain_set_memory(self, ctx: CallContext, args: remote.RemoteDomainSetMemoryArgs) -> None:
        self._set_memory(self._domain(args.dom), args.memory, maximum=False)

    def domain_set_max_memory(
        self, ctx: CallContext, args: remote.RemoteDomainSetMaxMemoryArgs
    ) -> None:
        self._set_memory(self._domain(args.dom), args.memory, maximum=True)

    def domain_set_memory_flags(
        self, ctx: CallContext, args: remote.RemoteDomainSetMemoryFlagsArgs
    ) -> None:
        self._set_memory(self._domain(args.dom), args.memory, maximum=bool(args.flags & 4),
                         flags=args.flags)

    # -- domains: scheduler (as libvirt's test driver: one "weight" that stays 50) --

    def domain_get_scheduler_type(
        self, ctx: CallContext, args: remote.RemoteDomainGetSchedulerTypeArgs
    ) -> remote.RemoteDomainGetSchedulerTypeRet:
        # libvirt's test driver answers without looking the domain up.
        return remote.RemoteDomainGetSchedulerTypeRet(
            type=SCHEDULER_TYPE, nparams=len(SCHEDULER_PARAMETERS)
        )

    def _scheduler_parameters(
        self, args: remote.RemoteDomainGetSchedulerParametersArgs, api: str
    ) -> list[remote.RemoteTypedParam]:
        _check_scheduler_nparams(args.nparams, api)
        self._domain(args.dom)
        return [
            remote.RemoteTypedParam(
                field=name, value=remote.RemoteTypedParamValue(type=kind, value=value)
            )
            for name, (kind, value) in SCHEDULER_PARAMETERS.items()
        ]

    def domain_get_scheduler_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainGetSchedulerParametersArgs
    ) -> remote.RemoteDomainGetSchedulerParametersRet:
        params = self._scheduler_parameters(args, "virDomainGetSchedulerParameters")
        return remote.RemoteDomainGetSchedulerParametersRet(params=params)

    def domain_get_scheduler_parameters_flags(
        self, ctx: CallContext, args: remote.RemoteDomainGetSchedulerParametersFlagsArgs
    ) -> remote.RemoteDomainGetSchedulerParametersFlagsRet:
        _check_scheduler_nparams(args.nparams, "virDomainGetSchedulerParametersFlags")
        _check_affect_flags(args.flags)
        # libvirt's public API adds VIR_TYPED_PARAM_STRING_OKAY for drivers that
        # support string parameters (the test driver does), and the test
        # driver's function accepts no flags at all: through libvirtd this
        # call always fails, so it does here too.
        raise unsupported_flags(
            args.flags | TYPED_PARAM_STRING_OKAY, "testDomainGetSchedulerParametersFlags"
        )

    def _set_scheduler_parameters(
        self,
        args: remote.RemoteDomainSetSchedulerParametersArgs
        | remote.RemoteDomainSetSchedulerParametersFlagsArgs,
        flags: int,
        api: str,
        function: str,
    ) -> None:
        params = args.params
        for param in params:
            if len(param.field.encode()) >= TYPED_PARAM_FIELD_LENGTH:
                raise fault(
                    ErrorCode.INTERNAL_ERROR,
                    ErrorDomain.NONE,
                    f"internal error: parameter {param.field} too big for destination",
                )
        if not params:
            raise fault(
                ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN, f"params in {api} must not be NULL"
            )
        if flags:
            raise unsupported_flags(flags, function)
        validate_typed_params(
            params, {name: kind for name, (kind, _) in SCHEDULER_PARAMETERS.items()}
        )
        self._domain(args.dom)
        # libvirt's test driver validates the weight and then forgets it.

    def domain_set_scheduler_parameters(
        self, ctx: CallContext, args: remote.RemoteDomainSetSchedulerParametersArgs
    ) -> None:
        self._set_scheduler_parameters(
            args, 0, "virDomainSetSchedulerParameters", "testDomainSetSchedulerParametersFlags"
        )

    def domain_set_scheduler_parameters_flags(
        self, ctx: CallContext, args: remote.RemoteDomainSetSchedulerParametersFlagsArgs
    ) -> None:
        self._set_scheduler_parameters(
            args,
            args.flags,
            "virDomainSetSchedulerParametersFlags",
            "testDomainSetSchedulerParametersFlags",
        )

    def domain_get_job_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetJobInfoArgs
    ) -> remote.RemoteDomainGetJobInfoRet:
        if not self.extras:  # libvirtd's test driver has no job information
            raise no_support("domain_get_job_info")
        self._domain(args.dom)
        return remote.RemoteDomainGetJobInfoRet(
            type=0,
            timeElapsed=0,
            timeRemaining=0,
            dataTotal=0,
            dataProcessed=0,
            dataRemaining=0,
            memTotal=0,
            memProcessed=0,
            memRemaining=0,
            fileTotal=0,
            fileProcessed=0,
            fileRemaining=0,
        )

    # The test hypervisor has no snapshots: list them as empty rather than
    # unsupported, as virsh expects.
    def domain_snapshot_num(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotNumArgs
    ) -> remote.RemoteDomainSnapshotNumRet:
        self._domain(args.dom)
        return remote.RemoteDomainSnapshotNumRet(num=0)

    def domain_list_all_snapshots(
        self, ctx: CallContext, args: remote.RemoteDomainListAllSnapshotsArgs
    ) -> remote.RemoteDomainListAllSnapshotsRet:
        self._domain(args.dom)
        return remote.RemoteDomainListAllSnapshotsRet(snapshots=[], ret=0)

    # -- domains: lifecycle --------------------------------------------------------

    def domain_define_xml(
        self, ctx: CallContext, args: remote.RemoteDomainDefineXmlArgs
    ) -> remote.RemoteDomainDefineXmlRet:
        return remote.RemoteDomainDefineXmlRet(dom=self._dom(self.hv.define_domain(args.xml)))

    def domain_define_xml_flags(
        self, ctx: CallContext, args: remote.RemoteDomainDefineXmlFlagsArgs
    ) -> remote.RemoteDomainDefineXmlFlagsRet:
        return remote.RemoteDomainDefineXmlFlagsRet(dom=self._dom(self.hv.define_domain(args.xml)))

    def domain_create_xml(
        self, ctx: CallContext, args: remote.RemoteDomainCreateXmlArgs
    ) -> remote.RemoteDomainCreateXmlRet:
        return remote.RemoteDomainCreateXmlRet(dom=self._dom(self.hv.create_domain(args.xml_desc)))

    def domain_create_xml_with_files(
        self, ctx: CallContext, args: remote.RemoteDomainCreateXmlWithFilesArgs
    ) -> remote.RemoteDomainCreateXmlWithFilesRet:
        # The new domain keeps the fds (as a QEMU guest would): ownership moves
        # from the call to the domain, which closes them when it stops.
        fds = ctx.take_fds()
        return remote.RemoteDomainCreateXmlWithFilesRet(
            dom=self._dom(self.hv.create_domain(args.xml_desc, fds))
        )

    def domain_create(self, ctx: CallContext, args: remote.RemoteDomainCreateArgs) -> None:
        self.hv.start_domain(self._domain(args.dom))

    def domain_create_with_flags(
        self, ctx: CallContext, args: remote.RemoteDomainCreateWithFlagsArgs
    ) -> remote.RemoteDomainCreateWithFlagsRet:
        domain = self._domain(args.dom)
        self.hv.start_domain(domain)
        return remote.RemoteDomainCreateWithFlagsRet(dom=self._dom(domain))

    def domain_create_with_files(
        self, ctx: CallContext, args: remote.RemoteDomainCreateWithFilesArgs
    ) -> remote.RemoteDomainCreateWithFilesRet:
        domain = self._domain(args.dom)
        fds = ctx.take_fds()
        try:
            self.hv.start_domain(domain)
        except RpcFault:
            close_fds(fds)
            raise
        domain.kept_fds.extend(fds)
        return remote.RemoteDomainCreateWithFilesRet(dom=self._dom(domain))

    def domain_destroy(self, ctx: CallContext, args: remote.RemoteDomainDestroyArgs) -> None:
        self.hv.destroy_domain(self._domain(args.dom))

    def domain_destroy_flags(
        self, ctx: CallContext, args: remote.RemoteDomainDestroyFlagsArgs
    ) -> None:
        self.hv.destroy_domain(self._domain(args.dom))

    def domain_shutdown(self, ctx: CallContext, args: remote.RemoteDomainShutdownArgs) -> None:
        self.hv.shutdown_domain(self._domain(args.dom))

    def domain_shutdown_flags(
        self, ctx: CallContext, args: remote.RemoteDomainShutdownFlagsArgs
    ) -> None:
        self.hv.shutdown_domain(self._domain(args.dom))

    def domain_reboot(self, ctx: CallContext, args: remote.RemoteDomainRebootArgs) -> None:
        self.hv.reboot_domain(self._domain(args.dom))

    def domain_reset(self, ctx: CallContext, args: remote.RemoteDomainResetArgs) -> None:
        self.hv.reboot_domain(self._domain(args.dom))

    def domain_suspend(self, ctx: CallContext, args: remote.RemoteDomainSuspendArgs) -> None:
        self.hv.suspend_domain(self._domain(args.dom))

    def domain_resume(self, ctx: CallContext, args: remote.RemoteDomainResumeArgs) -> None:
        self.hv.resume_domain(self._domain(args.dom))

    def domain_rename(
        self, ctx: CallContext, args: remote.RemoteDomainRenameArgs
    ) -> remote.RemoteDomainRenameRet:
        check_flags(args.flags, 0, "testDomainRename")
        domain = self._domain(args.dom)
        if not args.new_name:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "new_name in virDomainRename must not be NULL")
        self.hv.rename_domain(domain, args.new_name)
        return remote.RemoteDomainRenameRet(retcode=0)

    def domain_undefine(self, ctx: CallContext, args: remote.RemoteDomainUndefineArgs) -> None:
        self.hv.undefine_domain(self._domain(args.dom))

    def domain_undefine_flags(
        self, ctx: CallContext, args: remote.RemoteDomainUndefineFlagsArgs
    ) -> None:
        self.hv.undefine_domain(self._domain(args.dom))

    # -- domains: fds ------------------------------------------------------------

    def domain_fd_associate(
        self, ctx: CallContext, args: remote.RemoteDomainFdAssociateArgs
    ) -> None:
        domain = self._domain(args.dom)
        fds = ctx.take_fds()
        if not fds:
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.DOMAIN,
                "invalid argument: no file descriptors passed",
            )
        self.hv.associate_fds(domain, args.name, fds)

    def domain_open_graphics(
        self, ctx: CallContext, args: remote.RemoteDomainOpenGraphicsArgs
    ) -> None:
        """Attach the client's socket to the (pretend) VNC server: it gets the
        RFB greeting and stays open while the domain runs."""
        domain = self._domain(args.dom)
        if not domain.active:
            raise fault(
                ErrorCode.OPERATION_INVALID,
                ErrorDomain.DOMAIN,
                "Requested operation is not valid: domain is not running",
            )
        fds = ctx.take_fds()
        if len(fds) != 1:
            close_fds(fds)
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.DOMAIN,
                "invalid argument: expected exactly one file descriptor",
            )
        with contextlib.suppress(OSError):
            os.write(fds[0], RFB_GREETING)
        domain.associated_fds.setdefault("graphics", []).extend(fds)

    def domain_open_graphics_fd(
        self, ctx: CallContext, args: remote.RemoteDomainOpenGraphicsFdArgs
    ) -> None:
        domain = self._domain(args.dom)
        if not domain.active:
            raise fault(
                ErrorCode.OPERATION_INVALID,
                ErrorDomain.DOMAIN,
                "Requested operation is not valid: domain is not running",
            )
        server_end, client_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        server_end.setblocking(False)
        with contextlib.suppress(OSError):
            server_end.send(RFB_GREETING)
        domain.associated_fds.setdefault("graphics", []).append(server_end.detach())
        ctx.reply_with_fds([client_end.detach()])

    # -- domains: streams -------------------------------------------------------

    def domain_screenshot(
        self, ctx: CallContext, args: remote.RemoteDomainScreenshotArgs
    ) -> remote.RemoteDomainScreenshotRet:
        domain = self._domain(args.dom)
        if not domain.active:
            raise fault(
                ErrorCode.OPERATION_INVALID,
                ErrorDomain.DOMAIN,
                "Requested operation is not valid: domain is not running",
            )
        image = screenshot(domain.name)
        stream = ctx.stream
        assert stream is not None

        async def transfer() -> None:
            await stream.send(image)
            await stream.finish()

        ctx.after_reply(transfer)
        return remote.RemoteDomainScreenshotRet(mime="image/png")

    def domain_open_console(
        self, ctx: CallContext, args: remote.RemoteDomainOpenConsoleArgs
    ) -> None:
        domain = self._domain(args.dom)
        if not domain.active:
            raise fault(
                ErrorCode.OPERATION_INVALID,
                ErrorDomain.DOMAIN,
                "Requested operation is not valid: domain is not running",
            )
        stream = ctx.stream
        assert stream is not None
        prompt = f"\r\n{domain.name} login: ".encode()

        # A guest's console ends when the guest stops: libvirt then sends the
        # end of the stream (its pty hung up) and the client finishes it.
        stopped = asyncio.Event()

        def watch(event: ObjectEvent) -> None:
            if (
                event.obj is domain
                and event.kind == "domain"
                and event.event == LifecycleEvent.STOPPED
            ):
                stopped.set()

        async def next_piece() -> bytes | Hole | _Stopped | None:
            if stopped.is_set():
                return _STOPPED
            receiving = asyncio.ensure_future(stream.receive())
            stopping = asyncio.ensure_future(stopped.wait())
            try:
                done, _ = await asyncio.wait(
                    (receiving, stopping), return_when=asyncio.FIRST_COMPLETED
                )
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
