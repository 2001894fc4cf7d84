"""Live migration between two test hypervisors: libvirt's v3 phases.

The source runs Begin3, Perform3 and Confirm3, the destination Prepare3 (or
PrepareTunnel3) and Finish3, each plain and ``_PARAMS``.  A client library
(libvirt's ``virDomainMigrate``, virtrpc's :mod:`virtrpc.client.migration`)
drives the phases over its two connections; with ``VIR_MIGRATE_PEER2PEER``
the client makes one Perform3 call and this server drives the others itself
over its own connection to the destination (see :mod:`.migration_p2p`).

Nothing is really copied: Perform3 simulates transferring the domain's
memory, at the migration bandwidth (``resource``, ``VIR_MIGRATE_PARAM_BANDWIDTH``
or ``migrate_set_max_speed``, MiB/s) or, with none, in
:attr:`MigrationHandlers.migration_seconds`; the job is observable
(``domain_get_job_info``/``_stats``) and abortable (``domain_abort_job``)
while it runs.  Cookies are our own opaque bytes naming the migration, so a
cookie of another migration is refused.  See docs/migration.md.
"""

from __future__ import annotations

import asyncio
import time
import uuid as uuid_module
import xml.etree.ElementTree as ET
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from virtrpc.protocols import remote
from virtrpc.server.client import ServerClient
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.server.program import Answer
from virtrpc.testdriver.common import DriverBase, fault, unsupported_flags
from virtrpc.testdriver.model import Domain, DomainState, Hypervisor, LifecycleEvent, ObjectEvent
from virtrpc.testdriver.refusals import no_support
from virtrpc.testdriver.xmlutil import to_xml

# virDomainMigrateFlags
MIGRATE_LIVE = 1 << 0
MIGRATE_PEER2PEER = 1 << 1
MIGRATE_TUNNELLED = 1 << 2
MIGRATE_PERSIST_DEST = 1 << 3
MIGRATE_UNDEFINE_SOURCE = 1 << 4
MIGRATE_PAUSED = 1 << 5
MIGRATE_CHANGE_PROTECTION = 1 << 8
MIGRATE_UNSAFE = 1 << 9
MIGRATE_OFFLINE = 1 << 10
MIGRATE_COMPRESSED = 1 << 11
MIGRATE_ABORT_ON_ERROR = 1 << 12
MIGRATE_AUTO_CONVERGE = 1 << 13
#: the flags the test hypervisor accepts (others: libvirt's virCheckFlags error)
SUPPORTED_MIGRATE_FLAGS = (
    MIGRATE_LIVE | MIGRATE_PEER2PEER | MIGRATE_TUNNELLED | MIGRATE_PERSIST_DEST
    | MIGRATE_UNDEFINE_SOURCE | MIGRATE_PAUSED | MIGRATE_CHANGE_PROTECTION | MIGRATE_UNSAFE
    | MIGRATE_OFFLINE | MIGRATE_COMPRESSED | MIGRATE_ABORT_ON_ERROR | MIGRATE_AUTO_CONVERGE
)

# VIR_MIGRATE_PARAM_* names the phases use.
PARAM_URI = "migrate_uri"
PARAM_DEST_NAME = "destination_name"
PARAM_DEST_XML = "destination_xml"
PARAM_BANDWIDTH = "bandwidth"

# virTypedParameterType
TYPED_PARAM_INT = 1
TYPED_PARAM_ULLONG = 4
TYPED_PARAM_STRING = 7

# Lifecycle event details of migration (virDomainEvent*DetailType).
STARTED_MIGRATED = 1
SUSPENDED_PAUSED = 0
SUSPENDED_MIGRATED = 1
RESUMED_MIGRATED = 1
STOPPED_MIGRATED = 3
STOPPED_FAILED = 5
DEFINED_ADDED = 0
DEFINED_UPDATED = 1
UNDEFINED_REMOVED = 0

# State reasons.
PAUSED_MIGRATION = 2
PAUSED_USER = 1
RUNNING_MIGRATED = 2
RUNNING_MIGRATION_CANCELED = 3
SHUTOFF_MIGRATED = 5
SHUTOFF_FAILED = 6

# virDomainJobType, virDomainJobOperation
JOB_NONE = 0
JOB_UNBOUNDED = 2
JOB_COMPLETED = 3
JOB_OPERATION_MIGRATION_IN = 4
JOB_OPERATION_MIGRATION_OUT = 5
JOB_STATS_COMPLETED = 1

COOKIE_MAGIC = b"virtrpc-migration-cookie/1\n"
_COOKIE_LENGTH = len(COOKIE_MAGIC) + 16
PROGRESS_STEP_SECONDS = 0.01


def make_cookie(migration_id: bytes) -> bytes:
    """The cookie every phase of one migration hands on: magic + the migration id."""
    return COOKIE_MAGIC + migration_id


def cookie_id(cookie: bytes | bytearray | list[int], *, required: bool = True) -> bytes | None:
    """The migration id a cookie carries; a foreign or damaged cookie is
    libvirt's internal error (as qemu's cookie parser reports it)."""
    data = bytes(cookie)
    if not data and not required:
        return None
    if len(data) != _COOKIE_LENGTH or not data.startswith(COOKIE_MAGIC):
        raise fault(
            ErrorCode.INTERNAL_ERROR,
            ErrorDomain.DOMAIN,
            "internal error: invalid migration cookie",
        )
    return data[len(COOKIE_MAGIC):]


def other_migration() -> RpcFault:
    return fault(
        ErrorCode.INTERNAL_ERROR,
        ErrorDomain.DOMAIN,
        "internal error: migration cookie belongs to another migration",
    )


def typed_params(params: list[remote.RemoteTypedParam]) -> dict[str, object]:
    return {p.field: p.value.value for p in params}


def string_param(name: str, value: str) -> remote.RemoteTypedParam:
    return remote.RemoteTypedParam(
        field=name, value=remote.RemoteTypedParamValue(type=TYPED_PARAM_STRING, value=value)
    )


def ullong_param(name: str, value: int) -> remote.RemoteTypedParam:
    return remote.RemoteTypedParam(
        field=name, value=remote.RemoteTypedParamValue(type=TYPED_PARAM_ULLONG, value=value)
    )


def int_param(name: str, value: int) -> remote.RemoteTypedParam:
    return remote.RemoteTypedParam(
        field=name, value=remote.RemoteTypedParamValue(type=TYPED_PARAM_INT, value=value)
    )


@dataclass
class JobProgress:
    """The observable state of a simulated memory transfer."""

    operation: int
    total: int
    processed: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def elapsed_ms(self) -> int:
        end = self.finished if self.finished is not None else time.monotonic()
        return int((end - self.started) * 1000)


@dataclass
class OutgoingMigration:
    """A migration of one of this hypervisor's domains, Begin3 to Confirm3."""

    migration_id: bytes
    domain: Domain
    flags: int
    bandwidth_mib: int
    progress: JobProgress | None = None
    aborted: asyncio.Event = field(default_factory=asyncio.Event)
    performed: bool = False
    owner: ServerClient | None = None  # the client running the phases, if not us


@dataclass
class IncomingMigration:
    """A domain arriving on this hypervisor, Prepare3 to Finish3."""

    migration_id: bytes
    domain: Domain
    flags: int
    existed: bool  # a persistent definition was here before
    previous_definition: ET.Element | None
    progress: JobProgress | None = None
    owner: ServerClient | None = None


class MigrationHandlers(DriverBase):
    """The v3 migration phases, migration settings, and the migration job."""

    #: how long a transfer without a bandwidth limit takes (seconds)
    migration_seconds: float = 0.05

    def __init__(self, hypervisor: Hypervisor | None = None, **options: Any) -> None:
        # A mixin: DriverBase's options (state rule, node files) pass through.
        super().__init__(hypervisor, **options)
        self.outgoing: dict[bytes, OutgoingMigration] = {}  # by domain uuid
        self.incoming: dict[str, IncomingMigration] = {}  # by domain name
        self.max_speed: dict[bytes, int] = {}  # MiB/s by domain uuid
        self.max_downtime: dict[bytes, int] = {}  # ms by domain uuid
        self.completed_jobs: dict[bytes, JobProgress] = {}
        # Domains that have been the source of a migration: their job
        # information is ours to give (type "none" between jobs); any other
        # domain's is refused as libvirtd's test driver refuses it.
        self.migrated: set[bytes] = set()

    def client_closed(self, client: ServerClient) -> None:
        """A client gone in the middle of a migration: as libvirt's close
        callbacks, the destination kills the domain it was receiving, the
        source ends the job (resuming its domain, unless the memory went over
        already: then it stays paused, for whoever knows where it runs)."""
        for name, incoming in list(self.incoming.items()):
            if incoming.owner is client:
                del self.incoming[name]
                self._drop_incoming(incoming)
        for migration in list(self.outgoing.values()):
            running = migration.progress is not None and migration.progress.finished is None
            if migration.owner is client and not running:
                if migration.performed:
                    del self.outgoing[migration.domain.uuid]
                else:
                    self.confirm_migration(migration.domain, b"", migration.flags,
                                           cancelled=True)
        super().client_closed(client)

    def reset(self) -> None:
        self.outgoing.clear()
        self.incoming.clear()
        self.max_speed.clear()
        self.max_downtime.clear()
        self.completed_jobs.clear()
        super().reset()

    def _emit(self, domain: Domain, event: int, detail: int) -> None:
        self.hv._emit(ObjectEvent("domain", domain, event, detail))

    # -- Begin3: the source describes the domain ------------------------------

    def begin_migration(self, domain: Domain, flags: int, xmlin: str | None,
                        dname: str | None, bandwidth: int, function: str) -> tuple[bytes, str]:
        if flags & ~SUPPORTED_MIGRATE_FLAGS:
            raise unsupported_flags(flags, function)
        if not flags & MIGRATE_OFFLINE and not domain.active:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        "Requested operation is not valid: domain is not running")
        if flags & MIGRATE_OFFLINE and not domain.persistent:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        "Requested operation is not valid: cannot migrate a transient domain offline")
        if domain.uuid in self.outgoing:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        "Requested operation is not valid: domain has an active migration job")
        migration = OutgoingMigration(
            uuid_module.uuid4().bytes, domain, flags,
            bandwidth or self.max_speed.get(domain.uuid, 0),
        )
        self.outgoing[domain.uuid] = migration
        self.migrated.add(domain.uuid)
        xml_text = xmlin if xmlin else domain.xml(inactive=bool(flags & MIGRATE_OFFLINE))
        if dname:
            xml_text = _renamed(xml_text, dname)
        return make_cookie(migration.migration_id), xml_text

    def domain_migrate_begin3(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateBegin3Args
    ) -> remote.RemoteDomainMigrateBegin3Ret:
        domain = self._domain(args.dom)
        cookie, xml_text = self.begin_migration(
            domain, args.flags, args.xmlin, args.dname, args.resource, "testDomainMigrateBegin3")
        self.outgoing[domain.uuid].owner = ctx.client
        return remote.RemoteDomainMigrateBegin3Ret(cookie_out=cookie, xml=xml_text)

    def domain_migrate_begin3_params(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateBegin3ParamsArgs
    ) -> remote.RemoteDomainMigrateBegin3ParamsRet:
        params = typed_params(args.params)
        domain = self._domain(args.dom)
        cookie, xml_text = self.begin_migration(
            domain, args.flags, _str(params.get(PARAM_DEST_XML)),
            _str(params.get(PARAM_DEST_NAME)), _int(params.get(PARAM_BANDWIDTH)),
            "testDomainMigrateBegin3Params")
        self.outgoing[domain.uuid].owner = ctx.client
        return remote.RemoteDomainMigrateBegin3ParamsRet(cookie_out=cookie, xml=xml_text)

    # -- Prepare3: the destination creates the incoming domain ------------------

    def prepare_migration(self, cookie: bytes, flags: int, dname: str | None,
                          dom_xml: str, function: str) -> IncomingMigration:
        if flags & ~SUPPORTED_MIGRATE_FLAGS:
            raise unsupported_flags(flags, function)
        migration_id = cookie_id(cookie)
        assert migration_id is not None
        if dname:
            dom_xml = _renamed(dom_xml, dname)
        new = self.hv._parse_domain(dom_xml)
        if new.name in self.incoming:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        f"Requested operation is not valid: domain '{new.name}' is already "
                        "being migrated here")
        existing = self.hv._check_unique(new, allow_same=True)
        if existing is not None and existing.active:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        f"Requested operation is not valid: domain '{new.name}' is already active")
        previous = existing.definition if existing is not None else None
        if existing is not None:
            domain = existing
            domain.definition, domain.memory, domain.max_memory = (
                new.definition, new.memory, new.max_memory)
            domain.vcpus = new.vcpus
        else:
            domain = new
            domain.persistent = False
        incoming = IncomingMigration(migration_id, domain, flags, existing is not None, previous)
        if not flags & MIGRATE_OFFLINE:
            if existing is None:
                self.hv.domains[domain.name] = domain
            self.hv._start(domain, emit=False)
            domain.state, domain.reason = DomainState.PAUSED, PAUSED_MIGRATION
            incoming.progress = JobProgress(JOB_OPERATION_MIGRATION_IN, domain.memory * 1024)
            self._emit(domain, LifecycleEvent.STARTED, STARTED_MIGRATED)
        self.incoming[domain.name] = incoming
        return incoming

    def domain_migrate_prepare3(
        self, ctx: CallContext, args: remote.RemoteDomainMigratePrepare3Args
    ) -> remote.RemoteDomainMigratePrepare3Ret:
        incoming = self.prepare_migration(bytes(args.cookie_in), args.flags, args.dname,
                                          args.dom_xml, "testDomainMigratePrepare3")
        incoming.owner = ctx.client
        cookie = make_cookie(incoming.migration_id)
        uri_out = None if args.uri_in else _transfer_uri(cookie)
        return remote.RemoteDomainMigratePrepare3Ret(cookie_out=cookie, uri_out=uri_out)

    def domain_migrate_prepare3_params(
        self, ctx: CallContext, args: remote.RemoteDomainMigratePrepare3ParamsArgs
    ) -> remote.RemoteDomainMigratePrepare3ParamsRet:
        params = typed_params(args.params)
        dom_xml = _str(params.get(PARAM_DEST_XML))
        if dom_xml is None:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "invalid argument: no domain XML passed")
        incoming = self.prepare_migration(bytes(args.cookie_in), args.flags,
                                          _str(params.get(PARAM_DEST_NAME)), dom_xml,
                                          "testDomainMigratePrepare3Params")
        incoming.owner = ctx.client
        cookie = make_cookie(incoming.migration_id)
        uri_out = None if params.get(PARAM_URI) else _transfer_uri(cookie)
        return remote.RemoteDomainMigratePrepare3ParamsRet(cookie_out=cookie, uri_out=uri_out)

    def domain_migrate_prepare_tunnel3(
        self, ctx: CallContext, args: remote.RemoteDomainMigratePrepareTunnel3Args
    ) -> remote.RemoteDomainMigratePrepareTunnel3Ret:
        """Prepare3 whose memory arrives over the call's stream (tunnelled p2p)."""
        cookie = self._prepare_tunnel(ctx, bytes(args.cookie_in), args.flags, args.dname,
                                      args.dom_xml, "testDomainMigratePrepareTunnel3")
        return remote.RemoteDomainMigratePrepareTunnel3Ret(cookie_out=cookie)

    def domain_migrate_prepare_tunnel3_params(
        self, ctx: CallContext, args: remote.RemoteDomainMigratePrepareTunnel3ParamsArgs
    ) -> remote.RemoteDomainMigratePrepareTunnel3ParamsRet:
        """PrepareTunnel3 with typed parameters: what a source whose destination
        has VIR_DRV_FEATURE_MIGRATION_PARAMS sends (libvirt's p2p does)."""
        params = typed_params(args.params)
        dom_xml = _str(params.get(PARAM_DEST_XML))
        if dom_xml is None:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "invalid argument: no domain XML passed")
        cookie = self._prepare_tunnel(ctx, bytes(args.cookie_in), args.flags,
                                      _str(params.get(PARAM_DEST_NAME)), dom_xml,
                                      "testDomainMigratePrepareTunnel3Params")
        return remote.RemoteDomainMigratePrepareTunnel3ParamsRet(cookie_out=cookie)

    def _prepare_tunnel(self, ctx: CallContext, cookie_in: bytes, flags: int,
                        dname: str | None, dom_xml: str, function: str) -> bytes:
        stream = ctx.stream
        assert stream is not None
        incoming = self.prepare_migration(cookie_in, flags, dname, dom_xml, function)
        incoming.owner = ctx.client

        async def receive_memory() -> None:
            received = 0
            while (piece := await stream.receive()) is not None:
                if isinstance(piece, (bytes, bytearray, memoryview)):
                    received += len(piece)
                    if incoming.progress is not None:
                        incoming.progress.processed = min(received, incoming.progress.total)
            await stream.close()

        ctx.after_reply(receive_memory)
        return make_cookie(incoming.migration_id)

    # -- Perform3: the source transfers the memory ------------------------------

    def _outgoing_for(self, domain: Domain, cookie: bytes) -> OutgoingMigration:
        migration = self.outgoing.get(domain.uuid)
        if migration is None:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        f"Requested operation is not valid: domain '{domain.name}' is not "
                        "being migrated")
        if cookie_id(cookie) != migration.migration_id:
            raise other_migration()
        return migration

    async def transfer(self, migration: OutgoingMigration) -> None:
        """Simulate sending the domain's memory; raises if aborted."""
        domain = migration.domain
        total = 0 if migration.flags & MIGRATE_OFFLINE else domain.memory * 1024
        progress = JobProgress(JOB_OPERATION_MIGRATION_OUT, total)
        migration.progress = progress
        seconds = (total / (migration.bandwidth_mib * 1024 * 1024)
                   if migration.bandwidth_mib else self.migration_seconds)
        deadline = progress.started + seconds
        while True:
            now = time.monotonic()
            progress.processed = total if now >= deadline else int(
                total * (now - progress.started) / seconds)
            if progress.processed >= total:
                break
            try:
                await asyncio.wait_for(migration.aborted.wait(),
                                       min(PROGRESS_STEP_SECONDS, deadline - now))
            except TimeoutError:
                continue
            progress.finished = time.monotonic()
            raise fault(ErrorCode.OPERATION_ABORTED, ErrorDomain.DOMAIN,
                        "operation aborted: migration out: canceled by client")
        progress.finished = time.monotonic()
        if domain.active and domain.state != DomainState.PAUSED:
            domain.state, domain.reason = DomainState.PAUSED, PAUSED_MIGRATION
            self._emit(domain, LifecycleEvent.SUSPENDED, SUSPENDED_MIGRATED)
        migration.performed = True

    def perform_migration(self, ctx: CallContext, domain: Domain, cookie: bytes,
                          dconnuri: str | None, flags: int, xmlin: str | None,
                          dname: str | None, bandwidth: int, uri: str | None,
                          function: str) -> Coroutine[Any, Any, bytes]:
        """Check the call at once (its error answers in order, as a plain
        call's), then the transfer to await."""
        if flags & ~SUPPORTED_MIGRATE_FLAGS:
            raise unsupported_flags(flags, function)
        if flags & MIGRATE_PEER2PEER:
            from virtrpc.testdriver.migration_p2p import check_uri, peer_to_peer

            check_uri(dconnuri)
            assert dconnuri is not None
            begun = self.begin_migration(domain, flags, xmlin, dname, bandwidth, function)
            return peer_to_peer(self, domain, dconnuri, flags, dname, bandwidth, uri, begun)
        return self._perform(domain, self._outgoing_for(domain, cookie), flags)

    async def _perform(self, domain: Domain, migration: OutgoingMigration, flags: int) -> bytes:
        try:
            await self.transfer(migration)
        except BaseException:
            # libvirt's client calls no Confirm3 after a failed Perform3: the
            # source ends the job itself, its domain running on.
            self.confirm_migration(domain, b"", flags, cancelled=True)
            raise
        return make_cookie(migration.migration_id)

    def domain_migrate_perform3(
        self, ctx: CallContext, args: remote.RemoteDomainMigratePerform3Args
    ) -> Answer[remote.RemoteDomainMigratePerform3Ret]:
        work = self.perform_migration(
            ctx, self._domain(args.dom), bytes(args.cookie_in), args.dconnuri, args.flags,
            args.xmlin, args.dname, args.resource, args.uri, "testDomainMigratePerform3")

        async def answer() -> remote.RemoteDomainMigratePerform3Ret:
            return remote.RemoteDomainMigratePerform3Ret(cookie_out=await work)

        return answer()

    def domain_migrate_perform3_params(
        self, ctx: CallContext, args: remote.RemoteDomainMigratePerform3ParamsArgs
    ) -> Answer[remote.RemoteDomainMigratePerform3ParamsRet]:
        params = typed_params(args.params)
        work = self.perform_migration(
            ctx, self._domain(args.dom), bytes(args.cookie_in), args.dconnuri, args.flags,
            _str(params.get(PARAM_DEST_XML)), _str(params.get(PARAM_DEST_NAME)),
            _int(params.get(PARAM_BANDWIDTH)), _str(params.get(PARAM_URI)),
            "testDomainMigratePerform3Params")

        async def answer() -> remote.RemoteDomainMigratePerform3ParamsRet:
            return remote.RemoteDomainMigratePerform3ParamsRet(cookie_out=await work)

        return answer()

    # -- Finish3: the destination resumes or kills the incoming domain ----------

    def finish_migration(self, dname: str, cookie: bytes, flags: int, cancelled: bool) -> Domain:
        incoming = self.incoming.get(dname)
        if incoming is None:
            raise fault(ErrorCode.NO_DOMAIN, ErrorDomain.DOMAIN,
                        f"Domain not found: no domain with matching name '{dname}'")
        # (a failed Perform3 has no cookie to hand on: libvirt's client then
        # passes none, and the cancellation must still clean up)
        received = cookie_id(cookie, required=not cancelled)
        if received is not None and received != incoming.migration_id:
            raise other_migration()
        del self.incoming[dname]
        domain = incoming.domain
        if cancelled:
            self._drop_incoming(incoming)
            raise fault(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN,
                        f"operation failed: migration of domain '{dname}' was cancelled")
        if incoming.progress is not None:
            incoming.progress.processed = incoming.progress.total
            incoming.progress.finished = time.monotonic()
            self.completed_jobs[domain.uuid] = incoming.progress
        if flags & MIGRATE_PERSIST_DEST or flags & MIGRATE_OFFLINE:
            domain.persistent = True
            if flags & MIGRATE_OFFLINE and not incoming.existed:
                self.hv.domains[domain.name] = domain
            self._emit(domain, LifecycleEvent.DEFINED,
                       DEFINED_UPDATED if incoming.existed else DEFINED_ADDED)
        if domain.active:
            if flags & MIGRATE_PAUSED:
                domain.reason = PAUSED_USER
                self._emit(domain, LifecycleEvent.SUSPENDED, SUSPENDED_PAUSED)
            else:
                domain.state, domain.reason = DomainState.RUNNING, RUNNING_MIGRATED
                self._emit(domain, LifecycleEvent.RESUMED, RESUMED_MIGRATED)
        return domain

    def _drop_incoming(self, incoming: IncomingMigration) -> None:
        """Kill a domain whose migration failed; a definition that was here stays."""
        domain = incoming.domain
        if domain.active:
            domain.id = -1
            domain.state, domain.reason = DomainState.SHUTOFF, SHUTOFF_FAILED
            self._emit(domain, LifecycleEvent.STOPPED, STOPPED_FAILED)
        if incoming.existed:
            if incoming.previous_definition is not None:
                domain.definition = incoming.previous_definition
        else:
            self.hv.domains.pop(domain.name, None)

    def drop_all_incoming(self) -> None:
        for incoming in list(self.incoming.values()):
            self._drop_incoming(incoming)
        self.incoming.clear()

    def domain_migrate_finish3(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateFinish3Args
    ) -> remote.RemoteDomainMigrateFinish3Ret:
        cookie = bytes(args.cookie_in)
        domain = self.finish_migration(args.dname, cookie, args.flags, bool(args.cancelled))
        return remote.RemoteDomainMigrateFinish3Ret(dom=self._dom(domain), cookie_out=cookie)

    def domain_migrate_finish3_params(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateFinish3ParamsArgs
    ) -> remote.RemoteDomainMigrateFinish3ParamsRet:
        dname = _str(typed_params(args.params).get(PARAM_DEST_NAME))
        if dname is None:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "invalid argument: missing destination name")
        cookie = bytes(args.cookie_in)
        domain = self.finish_migration(dname, cookie, args.flags, bool(args.cancelled))
        return remote.RemoteDomainMigrateFinish3ParamsRet(dom=self._dom(domain), cookie_out=cookie)

    # -- Confirm3: the source stops (or keeps) its domain -------------------------

    def confirm_migration(self, domain: Domain, cookie: bytes, flags: int,
                          cancelled: bool) -> None:
        migration = self.outgoing.get(domain.uuid)
        if migration is None:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        f"Requested operation is not valid: domain '{domain.name}' is not "
                        "being migrated")
        if cookie and cookie_id(cookie) != migration.migration_id:
            raise other_migration()
        del self.outgoing[domain.uuid]
        if cancelled:
            if domain.active and domain.reason == PAUSED_MIGRATION:
                domain.state, domain.reason = DomainState.RUNNING, RUNNING_MIGRATION_CANCELED
                self._emit(domain, LifecycleEvent.RESUMED, RESUMED_MIGRATED)
            return
        if migration.progress is not None:
            self.completed_jobs[domain.uuid] = migration.progress
        if domain.active:
            domain.id = -1
            domain.state, domain.reason = DomainState.SHUTOFF, SHUTOFF_MIGRATED
            domain.release_fds()
            self._emit(domain, LifecycleEvent.STOPPED, STOPPED_MIGRATED)
        if not domain.persistent or flags & MIGRATE_UNDEFINE_SOURCE:
            if domain.persistent:
                self._emit(domain, LifecycleEvent.UNDEFINED, UNDEFINED_REMOVED)
            self.hv.domains.pop(domain.name, None)
            self.completed_jobs.pop(domain.uuid, None)

    def domain_migrate_confirm3(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateConfirm3Args
    ) -> None:
        self.confirm_migration(self._domain(args.dom), bytes(args.cookie_in), args.flags,
                               bool(args.cancelled))

    def domain_migrate_confirm3_params(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateConfirm3ParamsArgs
    ) -> None:
        self.confirm_migration(self._domain(args.dom), bytes(args.cookie_in), args.flags,
                               bool(args.cancelled))

    # -- settings --------------------------------------------------------------

    def domain_migrate_set_max_speed(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateSetMaxSpeedArgs
    ) -> None:
        if args.flags:
            raise unsupported_flags(args.flags, "testDomainMigrateSetMaxSpeed")
        self.max_speed[self._domain(args.dom).uuid] = args.bandwidth

    def domain_migrate_get_max_speed(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateGetMaxSpeedArgs
    ) -> remote.RemoteDomainMigrateGetMaxSpeedRet:
        if args.flags:
            raise unsupported_flags(args.flags, "testDomainMigrateGetMaxSpeed")
        return remote.RemoteDomainMigrateGetMaxSpeedRet(
            bandwidth=self.max_speed.get(self._domain(args.dom).uuid, 0))

    def domain_migrate_set_max_downtime(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateSetMaxDowntimeArgs
    ) -> None:
        if args.flags:
            raise unsupported_flags(args.flags, "testDomainMigrateSetMaxDowntime")
        if args.downtime == 0:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "invalid argument: downtime must be greater than zero")
        self.max_downtime[self._domain(args.dom).uuid] = args.downtime

    def domain_migrate_get_max_downtime(
        self, ctx: CallContext, args: remote.RemoteDomainMigrateGetMaxDowntimeArgs
    ) -> remote.RemoteDomainMigrateGetMaxDowntimeRet:
        if args.flags:
            raise unsupported_flags(args.flags, "testDomainMigrateGetMaxDowntime")
        return remote.RemoteDomainMigrateGetMaxDowntimeRet(
            downtime=self.max_downtime.get(self._domain(args.dom).uuid, 300))

    # -- the job -----------------------------------------------------------------

    def _running_job(self, domain: Domain) -> JobProgress | None:
        migration = self.outgoing.get(domain.uuid)
        if migration is not None and migration.progress is not None \
                and migration.progress.finished is None:
            return migration.progress
        incoming = self.incoming.get(domain.name)
        if incoming is not None and incoming.domain is domain:
            return incoming.progress
        return None

    def domain_get_job_info(
        self, ctx: CallContext, args: remote.RemoteDomainGetJobInfoArgs
    ) -> remote.RemoteDomainGetJobInfoRet:
        domain = self._domain(args.dom)
        job = self._running_job(domain)
        if job is None and domain.uuid not in self.migrated:
            # Never migrated: what the domain handlers answer (libvirtd's test
            # driver has no job information; ``extras`` reports "none").
            answer = super().domain_get_job_info(ctx, args)  # DomainHandlers' (driver.py order)
            assert isinstance(answer, remote.RemoteDomainGetJobInfoRet)
            return answer
        if job is None:  # between jobs
            return remote.RemoteDomainGetJobInfoRet(
                type=JOB_NONE, timeElapsed=0, timeRemaining=0, dataTotal=0, dataProcessed=0,
                dataRemaining=0, memTotal=0, memProcessed=0, memRemaining=0, fileTotal=0,
                fileProcessed=0, fileRemaining=0)
        remaining = job.total - job.processed
        return remote.RemoteDomainGetJobInfoRet(
            type=JOB_UNBOUNDED, timeElapsed=job.elapsed_ms(), timeRemaining=0,
            dataTotal=job.total, dataProcessed=job.processed, dataRemaining=remaining,
            memTotal=job.total, memProcessed=job.processed, memRemaining=remaining,
            fileTotal=0, fileProcessed=0, fileRemaining=0)

    def domain_get_job_stats(
        self, ctx: CallContext, args: remote.RemoteDomainGetJobStatsArgs
    ) -> remote.RemoteDomainGetJobStatsRet:
        if args.flags & ~JOB_STATS_COMPLETED:
            raise unsupported_flags(args.flags, "testDomainGetJobStats")
        domain = self._domain(args.dom)
        if args.flags & JOB_STATS_COMPLETED:
            job, kind = self.completed_jobs.get(domain.uuid), JOB_COMPLETED
        else:
            job, kind = self._running_job(domain), JOB_UNBOUNDED
        if job is None:
            if not self.extras and domain.uuid not in self.migrated:
                # never migrated, and libvirtd's test driver has no jobs
                raise no_support("domain_get_job_stats")
            return remote.RemoteDomainGetJobStatsRet(type=JOB_NONE, params=[])
        remaining = job.total - job.processed
        params = [
            int_param("operation", job.operation),
            ullong_param("time_elapsed", job.elapsed_ms()),
            ullong_param("data_total", job.total),
            ullong_param("data_processed", job.processed),
            ullong_param("data_remaining", remaining),
            ullong_param("memory_total", job.total),
            ullong_param("memory_processed", job.processed),
            ullong_param("memory_remaining", remaining),
        ]
        return remote.RemoteDomainGetJobStatsRet(type=kind, params=params)

    def domain_abort_job(self, ctx: CallContext, args: remote.RemoteDomainAbortJobArgs) -> None:
        domain = self._domain(args.dom)
        if domain.uuid not in self.migrated:  # libvirtd's test driver has no jobs
            raise no_support("domain_abort_job")
        migration = self.outgoing.get(domain.uuid)
        if migration is None or migration.progress is None \
                or migration.progress.finished is not None:
            raise fault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                        "Requested operation is not valid: no job is active on the domain")
        migration.aborted.set()


def _renamed(xml_text: str, name: str) -> str:
    root = ET.fromstring(xml_text)
    element = root.find("name")
    if element is None:
        element = ET.SubElement(root, "name")
    element.text = name
    return to_xml(root)


def _transfer_uri(cookie: bytes) -> str:
    """Where the (simulated) memory goes: names the migration, like qemu's tcp:host:port."""
    return f"virtrpc-migration:{cookie[len(COOKIE_MAGIC):].hex()}"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
