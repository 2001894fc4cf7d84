"""Domain snapshots: create (with the defaults libvirt fills in), XML, the
current snapshot, revert, delete (with children), the snapshot tree and its
listings, answering as libvirtd 9.0's test driver does.

A snapshot keeps a copy of its domain's definition; reverting puts it back
and brings the domain to the snapshot's state (the ``*_FROM_SNAPSHOT``
reasons and events).  libvirtd lists snapshots in its hash table's order;
callers that compare listings sort them (virsh does, or asks for
``--topological``).
"""

from __future__ import annotations

import copy
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import DriverBase, check_flags, fault
from virtrpc.testdriver.model import (
    Domain,
    DomainState,
    LifecycleEvent,
    ObjectEvent,
    operation_invalid,
)
from virtrpc.testdriver.moments import (
    DELETE_CHILDREN,
    DELETE_CHILDREN_ONLY,
    MomentTable,
    MomentTree,
)
from virtrpc.testdriver.xmlutil import parse_xml, xml_invalid
from virtrpc.testdriver.xmlwrite import libvirt_xml

ERR_NO_DOMAIN_SNAPSHOT = 72  # VIR_ERR_NO_DOMAIN_SNAPSHOT
ERR_CONFIG_UNSUPPORTED = 67  # VIR_ERR_CONFIG_UNSUPPORTED
DOMAIN_SNAPSHOT = 35  # VIR_FROM_DOMAIN_SNAPSHOT
DOMAIN_XML = 5  # VIR_FROM_XML

# virDomainSnapshotCreateFlags
CREATE_REDEFINE = 1
CREATE_CURRENT = 2
CREATE_HALT = 8
CREATE_SUPPORTED = CREATE_REDEFINE | CREATE_CURRENT | CREATE_HALT | 64 | 128 | 256 | 512

# virDomainSnapshotListFlags (ROOTS / DESCENDANTS, LEAVES, NO_LEAVES: moments.py)
LIST_METADATA = 2
LIST_NO_METADATA = 16
LIST_INACTIVE = 32
LIST_ACTIVE = 64
LIST_DISK_ONLY = 128
LIST_INTERNAL = 256
LIST_EXTERNAL = 512
LIST_TOPOLOGICAL = 1024
LIST_SUPPORTED = 0x7FF

# virDomainSnapshotRevertFlags (the delete flags: moments.py)
REVERT_RUNNING = 1
REVERT_PAUSED = 2
REVERT_FORCE = 4

UNDEFINE_SNAPSHOTS_METADATA = 2  # VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA

# The reasons and event details of a state reached by reverting.
REASON_RUNNING_FROM_SNAPSHOT = 4
REASON_PAUSED_FROM_SNAPSHOT = 7
REASON_SHUTOFF_FROM_SNAPSHOT = 7
DETAIL_STARTED_FROM_SNAPSHOT = 3
DETAIL_SUSPENDED_FROM_SNAPSHOT = 5
DETAIL_STOPPED_FROM_SNAPSHOT = 6

STATE_NAMES = {
    DomainState.NOSTATE: "nostate", DomainState.RUNNING: "running",
    DomainState.BLOCKED: "blocked", DomainState.PAUSED: "paused",
    DomainState.SHUTDOWN: "shutdown", DomainState.SHUTOFF: "shutoff",
    DomainState.CRASHED: "crashed", DomainState.PMSUSPENDED: "pmsuspended",
}


@dataclass
class Snapshot:
    """One snapshot of a domain."""

    name: str
    state: str
    created: int
    memory: str
    disks: list[str]
    domain_xml: str
    description: str | None = None
    parent: str | None = None
    # The domain's model values at the time, restored by a revert.
    definition: ET.Element | None = None
    max_memory: int = 0
    memory_kib: int = 0
    vcpus: int = 1

    def xml(self) -> str:
        root = ET.Element("domainsnapshot")
        ET.SubElement(root, "name").text = self.name
        if self.description is not None:
            ET.SubElement(root, "description").text = self.description
        ET.SubElement(root, "state").text = self.state
        if self.parent is not None:
            ET.SubElement(ET.SubElement(root, "parent"), "name").text = self.parent
        ET.SubElement(root, "creationTime").text = str(self.created)
        ET.SubElement(root, "memory", snapshot=self.memory)
        if self.disks:
            disks = ET.SubElement(root, "disks")
            for disk in self.disks:
                ET.SubElement(disks, "disk", name=disk, snapshot="internal")
        root.append(ET.fromstring(self.domain_xml))
        return libvirt_xml(root)


SnapshotTree = MomentTree[Snapshot]


class SnapshotTable(MomentTable[Snapshot]):
    """Every domain's snapshot tree in one hypervisor, by domain UUID."""

    kind = "snapshot"
    not_found = ERR_NO_DOMAIN_SNAPSHOT


def _disk_names(definition: ET.Element) -> list[str]:
    return [target.get("dev", "") for target in definition.findall("devices/disk/target")]


def _kept(flags: int) -> Callable[[Snapshot], bool]:
    """libvirt's moment filters beyond the leaf ones (moments.py): the
    metadata, status and location groups filter only when some but not all
    of their flags are given."""
    def keep(snapshot: Snapshot) -> bool:
        if flags & (LIST_METADATA | LIST_NO_METADATA) == LIST_NO_METADATA:
            return False  # every snapshot here has metadata
        status = flags & (LIST_INACTIVE | LIST_ACTIVE | LIST_DISK_ONLY)
        if status:
            inactive = snapshot.state == "shutoff"
            disk_only = snapshot.state == "disk-snapshot"
            active = not inactive and not disk_only
            if not ((status & LIST_INACTIVE and inactive) or (status & LIST_ACTIVE and active)
                    or (status & LIST_DISK_ONLY and disk_only)):
                return False
        # every snapshot here is internal
        return flags & (LIST_INTERNAL | LIST_EXTERNAL) != LIST_EXTERNAL

    return keep


def _exclusive(first: str, second: str) -> RpcFault:
    return fault(ErrorCode.INVALID_ARG, DOMAIN_SNAPSHOT,
                 f"Flags '{first}' and '{second}' are mutually exclusive")


class SnapshotHandlers(DriverBase):
    """Domain snapshots (before :class:`DomainHandlers` in the driver's bases:
    it refines their undefine and snapshot listings)."""

    def has_snapshots(self, domain: Domain) -> bool:
        return bool(self.hv.kind_state(SnapshotTable).tree(domain).moments)

    def _snapshot_tree(self, ref: remote.RemoteNonnullDomain) -> tuple[Domain, SnapshotTree]:
        domain = self._domain(ref)
        return domain, self.hv.kind_state(SnapshotTable).tree(domain)

    def _snapshot(self, ref: remote.RemoteNonnullDomainSnapshot
                  ) -> tuple[Domain, SnapshotTree, Snapshot]:
        domain, tree = self._snapshot_tree(ref.dom)
        return domain, tree, tree.lookup(ref.name)

    def _snap_ref(self, domain: Domain, snapshot: Snapshot) -> remote.RemoteNonnullDomainSnapshot:
        return remote.RemoteNonnullDomainSnapshot(name=snapshot.name, dom=self._dom(domain))

    def _listed(self, tree: SnapshotTree, of: Snapshot | None, flags: int,
                function: str) -> list[Snapshot]:
        """The snapshots of the domain (``of`` None) or of a snapshot a listing shows."""
        check_flags(flags, LIST_SUPPORTED, function)
        return tree.listed(of, flags, _kept(flags))

    # -- create ------------------------------------------------------------------

    def domain_snapshot_create_xml(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotCreateXmlArgs
    ) -> remote.RemoteDomainSnapshotCreateXmlRet:
        check_flags(args.flags, CREATE_SUPPORTED, "testDomainSnapshotCreateXML")
        if args.flags & CREATE_CURRENT and not args.flags & CREATE_REDEFINE:
            raise fault(ErrorCode.INVALID_ARG, DOMAIN_SNAPSHOT,
                        "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' is required by flag "
                        "'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'")
        domain, tree = self._snapshot_tree(args.dom)
        if self.has_checkpoints(domain):  # as libvirt's test driver, before the XML
            raise fault(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.TEST,
                        "Operation not supported: cannot create snapshot while checkpoint exists")
        root = parse_xml(args.xml_desc, "domainsnapshot", domain=DOMAIN_SNAPSHOT)
        if root.tag != "domainsnapshot":
            raise xml_invalid(f"expecting root element of 'domainsnapshot', not '{root.tag}'",
                              DOMAIN_XML)
        now = int(time.time())
        created_text = (root.findtext("creationTime") or "").strip()
        if args.flags & CREATE_REDEFINE and not created_text:
            raise fault(ErrorCode.INTERNAL_ERROR, DOMAIN_SNAPSHOT,
                        "internal error: missing creationTime from existing snapshot")
        created = int(created_text) if created_text.isdigit() else now
        name = (root.findtext("name") or "").strip() or str(created)
        disks = _disk_names(domain.definition)
        memory_element = root.find("memory")
        memory = memory_element.get("snapshot", "") if memory_element is not None else ""
        if memory == "external":
            raise fault(ERR_CONFIG_UNSUPPORTED, DOMAIN_SNAPSHOT,
                        f"unsupported configuration: source for disk '{disks[0] if disks else ''}'"
                        " is not a regular file; refusing to generate external snapshot name")
        for disk in root.findall("disks/disk"):
            disk_name = disk.get("name", "")
            if disk_name not in disks:
                raise fault(ERR_CONFIG_UNSUPPORTED, DOMAIN_SNAPSHOT,
                            f"unsupported configuration: no disk named '{disk_name}'")
            if disk.get("snapshot", "internal") != "internal":
                raise fault(ERR_CONFIG_UNSUPPORTED, DOMAIN_SNAPSHOT,
                            f"unsupported configuration: disk '{disk_name}' must use "
                            "snapshot mode 'internal'")
        redefining = args.flags & CREATE_REDEFINE and name in tree.moments
        if name in tree.moments and not redefining:
            raise fault(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN,
                        f"operation failed: domain moment {name} already exists")
        if not memory:
            memory = "internal" if domain.active else "no"
        state = (root.findtext("state") or "").strip() if args.flags & CREATE_REDEFINE else ""
        snapshot = Snapshot(
            name=name,
            state=state or STATE_NAMES.get(domain.state, "nostate"),
            created=created,
            memory=memory,
            disks=disks,
            domain_xml=domain.xml(inactive=True),
            description=root.findtext("description"),
            parent=tree.current if not redefining else tree.moments[name].parent,
            definition=copy.deepcopy(domain.definition),
            max_memory=domain.max_memory,
            memory_kib=domain.memory,
            vcpus=domain.vcpus,
        )
        if args.flags & CREATE_REDEFINE:
            parent = (root.findtext("parent/name") or "").strip()
            snapshot.parent = parent or None
        tree.moments[name] = snapshot
        if not args.flags & CREATE_REDEFINE or args.flags & CREATE_CURRENT:
            tree.current = name
        if args.flags & CREATE_HALT and domain.active:
            self._snapshot_stop(domain)
        return remote.RemoteDomainSnapshotCreateXmlRet(snap=self._snap_ref(domain, snapshot))

    # -- queries -----------------------------------------------------------------

    def domain_snapshot_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotGetXmlDescArgs
    ) -> remote.RemoteDomainSnapshotGetXmlDescRet:
        check_flags(args.flags, 1, "testDomainSnapshotGetXMLDesc")
        return remote.RemoteDomainSnapshotGetXmlDescRet(xml=self._snapshot(args.snap)[2].xml())

    def domain_snapshot_num(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotNumArgs
    ) -> remote.RemoteDomainSnapshotNumRet:
        _domain, tree = self._snapshot_tree(args.dom)
        return remote.RemoteDomainSnapshotNumRet(
            num=len(self._listed(tree, None, args.flags, "testDomainSnapshotNum")))

    def domain_snapshot_list_names(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotListNamesArgs
    ) -> remote.RemoteDomainSnapshotListNamesRet:
        _domain, tree = self._snapshot_tree(args.dom)
        listed = self._listed(tree, None, args.flags, "testDomainSnapshotListNames")
        return remote.RemoteDomainSnapshotListNamesRet(
            names=[s.name for s in listed][: args.maxnames])

    def domain_list_all_snapshots(
        self, ctx: CallContext, args: remote.RemoteDomainListAllSnapshotsArgs
    ) -> remote.RemoteDomainListAllSnapshotsRet:
        domain, tree = self._snapshot_tree(args.dom)
        listed = self._listed(tree, None, args.flags, "testDomainListAllSnapshots")
        refs = [self._snap_ref(domain, s) for s in listed] if args.need_results else []
        return remote.RemoteDomainListAllSnapshotsRet(snapshots=refs, ret=len(listed))

    def domain_snapshot_num_children(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotNumChildrenArgs
    ) -> remote.RemoteDomainSnapshotNumChildrenRet:
        _domain, tree, snapshot = self._snapshot(args.snap)
        return remote.RemoteDomainSnapshotNumChildrenRet(num=len(self._listed(
            tree, snapshot, args.flags, "testDomainSnapshotNumChildren")))

    def domain_snapshot_list_children_names(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotListChildrenNamesArgs
    ) -> remote.RemoteDomainSnapshotListChildrenNamesRet:
        _domain, tree, snapshot = self._snapshot(args.snap)
        listed = self._listed(tree, snapshot, args.flags,
                                       "testDomainSnapshotListChildrenNames")
        return remote.RemoteDomainSnapshotListChildrenNamesRet(
            names=[s.name for s in listed][: args.maxnames])

    def domain_snapshot_list_all_children(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotListAllChildrenArgs
    ) -> remote.RemoteDomainSnapshotListAllChildrenRet:
        domain, tree, snapshot = self._snapshot(args.snapshot)
        listed = self._listed(tree, snapshot, args.flags,
                                       "testDomainSnapshotListAllChildren")
        refs = [self._snap_ref(domain, s) for s in listed] if args.need_results else []
        return remote.RemoteDomainSnapshotListAllChildrenRet(snapshots=refs, ret=len(listed))

    def domain_snapshot_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotLookupByNameArgs
    ) -> remote.RemoteDomainSnapshotLookupByNameRet:
        check_flags(args.flags, 0, "testDomainSnapshotLookupByName")
        domain, tree = self._snapshot_tree(args.dom)
        return remote.RemoteDomainSnapshotLookupByNameRet(
            snap=self._snap_ref(domain, tree.lookup(args.name)))

    def domain_has_current_snapshot(
        self, ctx: CallContext, args: remote.RemoteDomainHasCurrentSnapshotArgs
    ) -> remote.RemoteDomainHasCurrentSnapshotRet:
        check_flags(args.flags, 0, "testDomainHasCurrentSnapshot")
        _domain, tree = self._snapshot_tree(args.dom)
        return remote.RemoteDomainHasCurrentSnapshotRet(result=int(tree.current is not None))

    def domain_snapshot_current(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotCurrentArgs
    ) -> remote.RemoteDomainSnapshotCurrentRet:
        check_flags(args.flags, 0, "testDomainSnapshotCurrent")
        domain, tree = self._snapshot_tree(args.dom)
        if tree.current is None:
            raise fault(ERR_NO_DOMAIN_SNAPSHOT, ErrorDomain.TEST,
                        "Domain snapshot not found: the domain does not have a current snapshot")
        return remote.RemoteDomainSnapshotCurrentRet(
            snap=self._snap_ref(domain, tree.lookup(tree.current)))

    def domain_snapshot_get_parent(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotGetParentArgs
    ) -> remote.RemoteDomainSnapshotGetParentRet:
        check_flags(args.flags, 0, "testDomainSnapshotGetParent")
        domain, tree, snapshot = self._snapshot(args.snap)
        return remote.RemoteDomainSnapshotGetParentRet(
            snap=self._snap_ref(domain, tree.parent_of(snapshot)))

    def domain_snapshot_is_current(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotIsCurrentArgs
    ) -> remote.RemoteDomainSnapshotIsCurrentRet:
        check_flags(args.flags, 0, "testDomainSnapshotIsCurrent")
        _domain, tree, snapshot = self._snapshot(args.snap)
        return remote.RemoteDomainSnapshotIsCurrentRet(current=int(tree.current == snapshot.name))

    def domain_snapshot_has_metadata(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotHasMetadataArgs
    ) -> remote.RemoteDomainSnapshotHasMetadataRet:
        check_flags(args.flags, 0, "testDomainSnapshotHasMetadata")
        self._snapshot(args.snap)
        return remote.RemoteDomainSnapshotHasMetadataRet(metadata=1)

    # -- revert and delete -------------------------------------------------------

    def _snapshot_stop(self, domain: Domain) -> None:
        self.hv._stop(domain, REASON_SHUTOFF_FROM_SNAPSHOT, DETAIL_STOPPED_FROM_SNAPSHOT)

    def domain_revert_to_snapshot(
        self, ctx: CallContext, args: remote.RemoteDomainRevertToSnapshotArgs
    ) -> None:
        check_flags(args.flags, REVERT_RUNNING | REVERT_PAUSED | REVERT_FORCE, "testDomainRevertToSnapshot")
        if args.flags & REVERT_RUNNING and args.flags & REVERT_PAUSED:
            raise _exclusive("VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING",
                             "VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED")
        domain, tree, snapshot = self._snapshot(args.snap)
        if snapshot.definition is not None:
            domain.definition = copy.deepcopy(snapshot.definition)
            domain.max_memory, domain.memory = snapshot.max_memory, snapshot.memory_kib
            domain.vcpus = snapshot.vcpus
        tree.current = snapshot.name
        if snapshot.state in ("running", "paused", "blocked"):
            paused = bool(args.flags & REVERT_PAUSED) or (
                snapshot.state == "paused" and not args.flags & REVERT_RUNNING)
            if not domain.active:
                self.hv._start(domain, emit=False)
                self.hv._emit(ObjectEvent("domain", domain, LifecycleEvent.STARTED,
                                          DETAIL_STARTED_FROM_SNAPSHOT))
            domain.state, domain.reason = DomainState.RUNNING, REASON_RUNNING_FROM_SNAPSHOT
            if paused:
                domain.state, domain.reason = DomainState.PAUSED, REASON_PAUSED_FROM_SNAPSHOT
                self.hv._emit(ObjectEvent("domain", domain, LifecycleEvent.SUSPENDED,
                                          DETAIL_SUSPENDED_FROM_SNAPSHOT))
        elif domain.active:
            self._snapshot_stop(domain)
        else:
            domain.reason = REASON_SHUTOFF_FROM_SNAPSHOT

    def domain_snapshot_delete(
        self, ctx: CallContext, args: remote.RemoteDomainSnapshotDeleteArgs
    ) -> None:
        check_flags(args.flags, DELETE_CHILDREN | DELETE_CHILDREN_ONLY, "testDomainSnapshotDelete")
        if args.flags & DELETE_CHILDREN and args.flags & DELETE_CHILDREN_ONLY:
            raise _exclusive("VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN",
                             "VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY")
        _domain, tree, snapshot = self._snapshot(args.snap)
        tree.delete(snapshot, args.flags)

    # -- the domain calls snapshots refine ---------------------------------------

    def _check_undefine(self, ref: remote.RemoteNonnullDomain, flags: int) -> None:
        domain, tree = self._snapshot_tree(ref)
        if tree.moments and not domain.active and not flags & UNDEFINE_SNAPSHOTS_METADATA:
            raise operation_invalid(
                f"cannot delete inactive domain with {len(tree.moments)} snapshots",
                ErrorDomain.TEST)

    def _forget_snapshots(self, ref: remote.RemoteNonnullDomain) -> None:
        self.hv.kind_state(SnapshotTable).forget_if_undefined(bytes(ref.uuid))

    def domain_undefine(self, ctx: CallContext, args: remote.RemoteDomainUndefineArgs) -> None:
        self._check_undefine(args.dom, 0)
        super().domain_undefine(ctx, args)
        self._forget_snapshots(args.dom)

    def domain_undefine_flags(
        self, ctx: CallContext, args: remote.RemoteDomainUndefineFlagsArgs
    ) -> None:
        self._check_undefine(args.dom, args.flags)
        super().domain_undefine_flags(ctx, args)
        self._forget_snapshots(args.dom)
