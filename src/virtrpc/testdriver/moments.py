"""What snapshots and checkpoints share (libvirt's virDomainMomentObjList):
each domain's moments form a tree by parent name, with a current one;
listings take the roots or everything for a domain, the children or all
descendants for a moment, filtered by leaf-ness; delete may take the
children along.  snapshots.py and checkpoints.py keep their own moment
classes, flags beyond these and the extra filters snapshots have."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Generic, Protocol, TypeVar

from virtrpc.server.errors import ErrorDomain, RpcFault
from virtrpc.testdriver.common import fault
from virtrpc.testdriver.model import Domain, Hypervisor

# The list and delete flags both kinds number alike (virDomainSnapshotListFlags,
# virDomainCheckpointListFlags; ROOTS for a domain is DESCENDANTS for a moment).
LIST_ROOTS = LIST_DESCENDANTS = 1
LIST_LEAVES = 4
LIST_NO_LEAVES = 8
DELETE_CHILDREN = 1
DELETE_CHILDREN_ONLY = 4


class Moment(Protocol):
    """A snapshot or a checkpoint, as the tree sees it."""

    name: str
    parent: str | None


M = TypeVar("M", bound=Moment)


@dataclass
class MomentTree(Generic[M]):
    """The moments of one domain and which one is current.  ``kind`` words
    the errors ("snapshot": ``Domain snapshot not found: ...``) and
    ``not_found`` is their code (VIR_ERR_NO_DOMAIN_SNAPSHOT...)."""

    kind: str
    not_found: int
    moments: dict[str, M] = field(default_factory=dict)
    current: str | None = None

    def _missing(self, detail: str) -> RpcFault:
        return fault(self.not_found, ErrorDomain.TEST,
                     f"Domain {self.kind} not found: {detail}")

    def lookup(self, name: str) -> M:
        moment = self.moments.get(name)
        if moment is None:
            raise self._missing(f"no domain {self.kind} with matching name '{name}'")
        return moment

    def parent_of(self, moment: M) -> M:
        if moment.parent is None:
            raise self._missing(f"{self.kind} '{moment.name}' does not have a parent")
        return self.lookup(moment.parent)

    def children(self, name: str | None) -> list[M]:
        return [m for m in self.moments.values() if m.parent == name]

    def descendants(self, name: str) -> list[M]:
        found: list[M] = []
        for child in self.children(name):
            found.append(child)
            found.extend(self.descendants(child.name))
        return found

    def listed(self, of: M | None, flags: int,
               keep: Callable[[M], bool] | None = None) -> list[M]:
        """A listing: of the domain (``of`` None: every moment, or the roots
        with LIST_ROOTS) or of a moment (its children, or every descendant
        with LIST_DESCENDANTS); LIST_LEAVES and LIST_NO_LEAVES each filter
        (both: nothing is left), then ``keep`` (the kind's own filters)."""
        if of is None:
            candidates = (self.children(None) if flags & LIST_ROOTS
                          else list(self.moments.values()))
        else:
            candidates = (self.descendants(of.name) if flags & LIST_DESCENDANTS
                          else self.children(of.name))
        kept = []
        for moment in candidates:
            leaf = not self.children(moment.name)
            if (flags & LIST_LEAVES and not leaf) or (flags & LIST_NO_LEAVES and leaf):
                continue
            if keep is None or keep(moment):
                kept.append(moment)
        return kept

    def delete(self, moment: M, flags: int) -> None:
        """Delete ``moment`` (its children move up to its parent), with all its
        descendants (DELETE_CHILDREN), or only those (DELETE_CHILDREN_ONLY).
        As libvirt: deleting the current moment makes its parent current."""
        doomed = []
        if flags & (DELETE_CHILDREN | DELETE_CHILDREN_ONLY):
            doomed = [m.name for m in self.descendants(moment.name)]
        if not flags & DELETE_CHILDREN_ONLY:
            doomed.append(moment.name)
            for child in self.children(moment.name):
                child.parent = moment.parent
        for name in doomed:
            del self.moments[name]
        if self.current in doomed:
            parent = moment.name if flags & DELETE_CHILDREN_ONLY else moment.parent
            self.current = parent if parent in self.moments else None


class MomentTable(Generic[M]):
    """Every domain's moment tree in one hypervisor, by domain UUID (a kind
    state: ``hv.kind_state(SnapshotTable)``); subclasses name the kind."""

    kind: ClassVar[str]
    not_found: ClassVar[int]

    def __init__(self, hv: Hypervisor) -> None:
        self.hv = hv
        self.trees: dict[bytes, MomentTree[M]] = {}

    def tree(self, domain: Domain) -> MomentTree[M]:
        tree = self.trees.get(domain.uuid)
        if tree is None:
            tree = self.trees[domain.uuid] = MomentTree(self.kind, self.not_found)
        return tree

    def forget_if_undefined(self, uuid: bytes) -> None:
        """Drop the tree of a domain that is gone (undefined, not running)."""
        if uuid not in {d.uuid for d in self.hv.domains.values()}:
            self.trees.pop(uuid, None)
