"""Domain checkpoints: create (a bitmap per disk by default), XML, parent,
children, listings and delete, answering as libvirtd 9.0's test driver does.

A checkpoint's parent is the checkpoint made before it (libvirt's current
checkpoint).  libvirtd lists checkpoints in its hash table's order; callers
that compare listings sort them.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain
from virtrpc.testdriver.common import DriverBase, check_flags, fault
from virtrpc.testdriver.model import Domain
from virtrpc.testdriver.moments import (
    DELETE_CHILDREN,
    DELETE_CHILDREN_ONLY,
    MomentTable,
    MomentTree,
)
from virtrpc.testdriver.xmlutil import parse_xml, xml_invalid
from virtrpc.testdriver.xmlwrite import libvirt_xml

ERR_NO_DOMAIN_CHECKPOINT = 103  # VIR_ERR_NO_DOMAIN_CHECKPOINT
DOMAIN_CHECKPOINT = 69  # VIR_FROM_DOMAIN_CHECKPOINT
DOMAIN_XML = 5  # VIR_FROM_XML

CREATE_REDEFINE = 1
CREATE_QUIESCE = 2
CREATE_REDEFINE_VALIDATE = 4
LIST_TOPOLOGICAL = 2  # ROOTS / DESCENDANTS, LEAVES, NO_LEAVES: moments.py
LIST_SUPPORTED = 0xF
XML_SECURE, XML_NO_DOMAIN, XML_SIZE = 1, 2, 4
DELETE_METADATA_ONLY = 2  # CHILDREN, CHILDREN_ONLY: moments.py


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


CheckpointTree = MomentTree[Checkpoint]


class CheckpointTable(MomentTable[Checkpoint]):
    """Every domain's checkpoint tree in one hypervisor, by domain UUID."""

    kind = "checkpoint"
    not_found = ERR_NO_DOMAIN_CHECKPOINT


class CheckpointHandlers(DriverBase):
    """Domain checkpoints (before :class:`DomainHandlers` in the driver's
    bases: it refines undefine)."""

    def has_checkpoints(self, domain: Domain) -> bool:
        return bool(self.hv.kind_state(CheckpointTable).tree(domain).moments)

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
        if name in tree.moments and not flags & CREATE_REDEFINE:
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
        tree.moments[name] = checkpoint
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
        listed = tree.listed(None, args.flags)
        refs = [self._chk_ref(domain, c) for c in listed] if args.need_results else []
        return remote.RemoteDomainListAllCheckpointsRet(checkpoints=refs, ret=len(listed))

    def domain_checkpoint_list_all_children(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointListAllChildrenArgs
    ) -> remote.RemoteDomainCheckpointListAllChildrenRet:
        check_flags(args.flags, LIST_SUPPORTED, "testDomainCheckpointListAllChildren")
        domain, tree, checkpoint = self._checkpoint(args.checkpoint)
        listed = tree.listed(checkpoint, args.flags)
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
        return remote.RemoteDomainCheckpointGetParentRet(
            parent=self._chk_ref(domain, tree.parent_of(checkpoint)))

    def domain_checkpoint_delete(
        self, ctx: CallContext, args: remote.RemoteDomainCheckpointDeleteArgs
    ) -> None:
        check_flags(args.flags, DELETE_CHILDREN | DELETE_METADATA_ONLY | DELETE_CHILDREN_ONLY, "testDomainCheckpointDelete")
        if args.flags & DELETE_CHILDREN and args.flags & DELETE_CHILDREN_ONLY:
            raise fault(ErrorCode.INVALID_ARG, DOMAIN_CHECKPOINT,
                        "Flags 'VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN' and "
                        "'VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY' are mutually exclusive")
        _domain, tree, checkpoint = self._checkpoint(args.checkpoint)
        tree.delete(checkpoint, args.flags)

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
        self.hv.kind_state(CheckpointTable).forget_if_undefined(bytes(ref.uuid))
