"""Domain checkpoints: create (a bitmap per disk by default), XML, parent,
children, listings and delete, answering as libvirtd 9.0's test driver does.

A checkpoint's parent is the checkpoint made before it (libvirt's current
checkpoint).  libvirtd lists checkpoints in its hash table's order; callers
that compare listings sort them.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain
from virtrpc.testdriver.common import DriverBase, check_flags, fault
from virtrpc.testdriver.model import Domain, Hypervisor
from virtrpc.testdriver.xmlutil import parse_xml, xml_invalid
from virtrpc.testdriver.xmlwrite import libvirt_xml

ERR_NO_DOMAIN_CHECKPOINT = 103  # VIR_ERR_NO_DOMAIN_CHECKPOINT
DOMAIN_CHECKPOINT = 69  # VIR_FROM_DOMAIN_CHECKPOINT
DOMAIN_XML = 5  # VIR_FROM_XML

CREATE_REDEFINE = 1
CREATE_QUIESCE = 2
CREATE_REDEFINE_VALIDATE = 4
LIST_ROOTS = LIST_DESCENDANTS = 1
LIST_TOPOLOGICAL = 2
LIST_LEAVES = 4
LIST_NO_LEAVES = 8
LIST_SUPPORTED = 0xF
XML_SECURE, XML_NO_DOMAIN, XML_SIZE = 1, 2, 4
DELETE_CHILDREN = 1
DELETE_METADATA_ONLY = 2
DELETE_CHILDREN_ONLY = 4


@dataclass
class Checkpoint:
    """One checkpoint of a domain."""

    name: str
    created: int
    disks: list[tuple[str, str]]  # (disk name, checkpoint mode: bitmap / no)
    domain_xml: str
    description: str | None = None
    parent: str | None = None

    def xml(self, flags: int = 0) -> str:
        root = ET.Element("domaincheckpoint")
        ET.SubElement(root, "name").text = self.name
        if self.description is not None:
            ET.SubElement(root, "description").text = self.description
        if self.parent is not None:
            ET.SubElement(ET.SubElement(root, "parent"), "name").text = self.parent
        ET.SubElement(root, "creationTime").text = str(self.created)
        if self.disks:
            disks = ET.SubElement(root, "disks")
            for disk, mode in self.disks:
                if mode == "bitmap":
                    ET.SubElement(disks, "disk", name=disk, checkpoint="bitmap", bitmap=self.name)
                else:
                    ET.SubElement(disks, "disk", name=disk, checkpoint=mode)
        if not flags & XML_NO_DOMAIN:
            root.append(ET.fromstring(self.domain_xml))
        return libvirt_xml(root)


@dataclass
class CheckpointTree:
    """The checkpoints of one domain and which one was made last."""

    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    current: str | None = None

    def lookup(self, name: str) -> Checkpoint:
        checkpoint = self.checkpoints.get(name)
        if checkpoint is None:
            raise fault(ERR_NO_DOMAIN_CHECKPOINT, ErrorDomain.TEST,
                        f"Domain checkpoint not found: no domain checkpoint with matching "
                        f"name '{name}'")
        return checkpoint

    def children(self, name: str | None) -> list[Checkpoint]:
        return [c for c in self.checkpoints.values() if c.parent == name]

    def descendants(self, name: str) -> list[Checkpoint]:
        found: list[Checkpoint] = []
        for child in self.children(name):
            found.append(child)
            found.extend(self.descendants(child.name))
        return found

    def filtered(self, candidates: list[Checkpoint], flags: int) -> list[Checkpoint]:
        kept = []
        for checkpoint in candidates:
            leaf = not self.children(checkpoint.name)
            if (flags & LIST_LEAVES and not leaf) or (flags & LIST_NO_LEAVES and leaf):
                continue
            kept.append(checkpoint)
        return kept


class CheckpointTable:
    """Every domain's checkpoint tree in one hypervisor, by domain UUID."""

    def __init__(self, hv: Hypervisor) -> None:
        self.trees: dict[bytes, CheckpointTree] = {}

    def tree(self, domain: Domain) -> CheckpointTree:
        return self.trees.setdefault(domain.uuid, CheckpointTree())


class CheckpointHandlers(DriverBase):
    """Domain checkpoints (before :class:`DomainHandlers` in the driver's
    bases: it refines undefine)."""

    def has_checkpoints(self, domain: Domain) -> bool:
        return bool(self.hv.kind_state(CheckpointTable).tree(domain).checkpoints)

    def _checkpoint_tree(self, ref: remote.RemoteNonnullDomain
                         ) -> tuple[Domain, CheckpointTree]:
        domain = self._domain(ref)
        return domain, self.hv.kind_state(CheckpointTable).tree(domain)

    def _checkpoint(self, ref: remote.RemoteNonnullDomainCheckpoint
                    ) -> tuple[Domain, CheckpointTree, Checkpoint]:
        domain, tree = self._checkpoint_tree(ref.dom)
        return domain, tree, tree.lookup(ref.name)

    def _chk_ref(self, domain: Domain, checkpoint: Checkpoint
                 ) -> remote.RemoteNonnullDomainCheckpoint:
        return remote.RemoteNonnullDomainCheckpoint(name=checkpoint.name, dom=self._dom(domain))

    def domain_checkpoint_create_xml(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointCreateXmlArgs
    ) -> remote.RemoteDomainCheckpointCreateXmlRet:
        flags = args.flags
        check_flags(flags, CREATE_REDEFINE | CREATE_QUIESCE | CREATE_REDEFINE_VALIDATE, "testDomainCheckpointCreateXML")
        if flags & CREATE_REDEFINE_VALIDATE and not flags & CREATE_REDEFINE:
            raise fault(ErrorCode.INVALID_ARG, DOMAIN_CHECKPOINT,
                        "Flag 'VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE' is required by flag "
                        "'VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE'")
        domain, tree = self._checkpoint_tree(args.dom)
        if self.has_snapshots(domain):  # as libvirt's test driver, before anything else
            raise fault(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.TEST,
                        "Operation not supported: cannot create checkpoint while snapshot exists")
        if not domain.active:
            raise fault(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.TEST,
                        "Operation not supported: cannot create checkpoint for inactive domain")
        root = parse_xml(args.xml_desc, "domaincheckpoint", domain=DOMAIN_CHECKPOINT)
        if root.tag != "domaincheckpoint":
            raise xml_invalid(
                f"expecting root element of 'domaincheckpoint', not '{root.tag}'", DOMAIN_XML)
        created_text = (root.findtext("creationTime") or "").strip()
        if flags & CREATE_REDEFINE and not created_text:
            raise fault(ErrorCode.INTERNAL_ERROR, DOMAIN_CHECKPOINT,
                        "internal error: missing creationTime from existing checkpoint")
        created = int(created_text) if created_text.isdigit() else int(time.time())
        name = (root.findtext("name") or "").strip() or str(created)
        if name in tree.checkpoints and not flags & CREATE_REDEFINE:
            raise fault(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN,
                        f"operation failed: domain moment {name} already exists")
        given = {disk.get("name", ""): disk.get("checkpoint", "bitmap")
                 for disk in root.findall("disks/disk")}
        disk_names = [t.get("dev", "") for t in domain.definition.findall("devices/disk/target")]
        for disk_name in given:
            if disk_name not in disk_names:
                raise fault(67, DOMAIN_CHECKPOINT,
                            f"unsupported configuration: no disk named '{disk_name}'")
        checkpoint = Checkpoint(
            name=name,
            created=created,
            disks=[(disk, given.get(disk, "bitmap")) for disk in disk_names],
            domain_xml=domain.xml(inactive=True),
            description=root.findtext("description"),
            parent=tree.current,
        )
        if flags & CREATE_REDEFINE:
            checkpoint.parent = (root.findtext("parent/name") or "").strip() or None
        tree.checkpoints[name] = checkpoint
        tree.current = name
        return remote.RemoteDomainCheckpointCreateXmlRet(
            checkpoint=self._chk_ref(domain, checkpoint))

    def domain_checkpoint_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointGetXmlDescArgs
    ) -> remote.RemoteDomainCheckpointGetXmlDescRet:
        check_flags(args.flags, XML_SECURE | XML_NO_DOMAIN | XML_SIZE, "testDomainCheckpointGetXMLDesc")
        _domain, _tree, checkpoint = self._checkpoint(args.checkpoint)
        return remote.RemoteDomainCheckpointGetXmlDescRet(xml=checkpoint.xml(args.flags))

    def domain_list_all_checkpoints(
        self, ctx: CallContext, args: remote.RemoteDomainListAllCheckpointsArgs
    ) -> remote.RemoteDomainListAllCheckpointsRet:
        check_flags(args.flags, LIST_SUPPORTED, "testDomainListAllCheckpoints")
        domain, tree = self._checkpoint_tree(args.dom)
        candidates = (tree.children(None) if args.flags & LIST_ROOTS
                      else list(tree.checkpoints.values()))
        listed = tree.filtered(candidates, args.flags)
        refs = [self._chk_ref(domain, c) for c in listed] if args.need_results else []
        return remote.RemoteDomainListAllCheckpointsRet(checkpoints=refs, ret=len(listed))

    def domain_checkpoint_list_all_children(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointListAllChildrenArgs
    ) -> remote.RemoteDomainCheckpointListAllChildrenRet:
        check_flags(args.flags, LIST_SUPPORTED, "testDomainCheckpointListAllChildren")
        domain, tree, checkpoint = self._checkpoint(args.checkpoint)
        candidates = (tree.descendants(checkpoint.name) if args.flags & LIST_DESCENDANTS
                      else tree.children(checkpoint.name))
        listed = tree.filtered(candidates, args.flags)
        refs = [self._chk_ref(domain, c) for c in listed] if args.need_results else []
        return remote.RemoteDomainCheckpointListAllChildrenRet(checkpoints=refs, ret=len(listed))

    def domain_checkpoint_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointLookupByNameArgs
    ) -> remote.RemoteDomainCheckpointLookupByNameRet:
        check_flags(args.flags, 0, "testDomainCheckpointLookupByName")
        domain, tree = self._checkpoint_tree(args.dom)
        return remote.RemoteDomainCheckpointLookupByNameRet(
            checkpoint=self._chk_ref(domain, tree.lookup(args.name)))

    def domain_checkpoint_get_parent(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointGetParentArgs
    ) -> remote.RemoteDomainCheckpointGetParentRet:
        check_flags(args.flags, 0, "testDomainCheckpointGetParent")
        domain, tree, checkpoint = self._checkpoint(args.checkpoint)
        if checkpoint.parent is None:
            raise fault(ERR_NO_DOMAIN_CHECKPOINT, ErrorDomain.TEST,
                        f"Domain checkpoint not found: checkpoint '{checkpoint.name}' does not "
                        "have a parent")
        return remote.RemoteDomainCheckpointGetParentRet(
            parent=self._chk_ref(domain, tree.lookup(checkpoint.parent)))

    def domain_checkpoint_delete(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointDeleteArgs
    ) -> None:
        check_flags(args.flags, DELETE_CHILDREN | DELETE_METADATA_ONLY | DELETE_CHILDREN_ONLY, "testDomainCheckpointDelete")
        if args.flags & DELETE_CHILDREN and args.flags & DELETE_CHILDREN_ONLY:
            raise fault(ErrorCode.INVALID_ARG, DOMAIN_CHECKPOINT,
                        "Flags 'VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN' and "
                        "'VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY' are mutually exclusive")
        _domain, tree, checkpoint = self._checkpoint(args.checkpoint)
        doomed = []
        if args.flags & (DELETE_CHILDREN | DELETE_CHILDREN_ONLY):
            doomed = [c.name for c in tree.descendants(checkpoint.name)]
        if not args.flags & DELETE_CHILDREN_ONLY:
            doomed.append(checkpoint.name)
            for child in tree.children(checkpoint.name):
                child.parent = checkpoint.parent
        for name in doomed:
            del tree.checkpoints[name]
        if tree.current in doomed:
            parent = checkpoint.name if args.flags & DELETE_CHILDREN_ONLY else checkpoint.parent
            tree.current = parent if parent in tree.checkpoints else None

    # -- the domain calls checkpoints refine -------------------------------------
    # libvirt's test driver undefines a domain whatever checkpoints it has
    # (unlike snapshots); they go with it.

    def domain_undefine(self, ctx: CallContext, args: remote.RemoteDomainUndefineArgs) -> None:
        super().domain_undefine(ctx, args)
        self._forget_checkpoints(args.dom)

    def domain_undefine_flags(
        self, ctx: CallContext, args: remote.RemoteDomainUndefineFlagsArgs
    ) -> None:
        super().domain_undefine_flags(ctx, args)
        self._forget_checkpoints(args.dom)

    def _forget_checkpoints(self, ref: remote.RemoteNonnullDomain) -> None:
        if bytes(ref.uuid) not in {d.uuid for d in self.hv.domains.values()}:
            self.hv.kind_state(CheckpointTable).trees.pop(bytes(ref.uuid), None)
