"""Defining storage pools: ``pool-define``, ``pool-create`` (a transient
pool from XML), ``pool-undefine``, ``pool-build`` and ``pool-delete``,
checked and refused as libvirtd 9.0's test driver does.

A defined pool keeps its type and ``<source>``; like every pool of libvirt's
test driver it holds 100 GiB and starts empty.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import DriverBase, check_flags
from virtrpc.testdriver.model import ObjectEvent, StoragePool, operation_invalid
from virtrpc.testdriver.xmlutil import parse_uuid, parse_xml, to_xml, uuid_str, xml_invalid

DOMAIN_XML = 5  # VIR_FROM_XML
DEFINE_VALIDATE = 1  # VIR_STORAGE_POOL_DEFINE_VALIDATE (no schema here: accepted)
POOL_CAPACITY = 100 * 1024**3
POOL_EVENT_DEFINED = 0
POOL_EVENT_UNDEFINED = 1
POOL_EVENT_STARTED = 2

POOL_TYPES = ("dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi",
              "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage")
# The pool types whose source is a name rather than a path (no target needed).
_NAMED_SOURCE = ("rbd", "sheepdog", "gluster", "iscsi-direct")
# The <format> libvirt adds to a source of these types when none is given.
_DEFAULT_FORMAT = {"logical": "lvm2", "fs": "auto", "netfs": "auto", "disk": "unknown"}


@dataclass
class DefinedPool(StoragePool):
    """A pool defined from XML: its type and source are kept for its XML."""

    kind: str = "dir"
    source: ET.Element = field(default_factory=lambda: ET.Element("source"))

    def xml(self) -> str:
        root = ET.fromstring(super().xml())
        root.set("type", self.kind)
        old = root.find("source")
        index = list(root).index(old) if old is not None else len(root)
        if old is not None:
            root.remove(old)
        root.insert(index, copy.deepcopy(self.source))
        return to_xml(root)


def _pool_error(code: int, message: str) -> RpcFault:
    return RpcFault(code, ErrorDomain.STORAGE, message)


def parse_pool(xml_text: str) -> DefinedPool:
    root = parse_xml(xml_text, "pool_definition", domain=ErrorDomain.STORAGE)
    if root.tag != "pool":
        raise xml_invalid(f"expecting root element of 'pool', not '{root.tag}'", DOMAIN_XML)
    kind = root.get("type")
    if kind is None:
        raise xml_invalid("Missing required attribute 'type' in element 'pool'", DOMAIN_XML)
    if kind not in POOL_TYPES:
        raise xml_invalid(f"Invalid value for attribute 'type' in element 'pool': '{kind}'.",
                          DOMAIN_XML)
    name = (root.findtext("name") or "").strip()
    if not name:
        raise xml_invalid("missing pool source name element", ErrorDomain.STORAGE)
    path = (root.findtext("target/path") or "").strip()
    if not path and kind not in _NAMED_SOURCE:
        raise xml_invalid("missing storage pool target path", ErrorDomain.STORAGE)
    source = copy.deepcopy(root.find("source")) if root.find("source") is not None else None
    if source is None:
        source = ET.Element("source")
    if kind in _DEFAULT_FORMAT and source.find("format") is None:
        ET.SubElement(source, "format", type=_DEFAULT_FORMAT[kind])
    return DefinedPool(name=name, uuid=parse_uuid(root.findtext("uuid"), ErrorDomain.STORAGE),
                       path=path, capacity=POOL_CAPACITY, active=False, kind=kind, source=source)


class PoolDefinitionHandlers(DriverBase):
    """Defining, creating and undefining storage pools."""

    def _add_pool(self, new: DefinedPool, *, allow_same: bool) -> DefinedPool | StoragePool:
        """Add ``new`` or update the pool it redefines, with libvirt's checks
        (a pool using the same target first, then name and uuid)."""
        for pool in self.hv.pools.values():
            if pool.name != new.name and new.path and pool.path == new.path:
                raise _pool_error(ErrorCode.OPERATION_FAILED,
                                  f"operation failed: Storage source conflict with pool: "
                                  f"'{pool.name}'")
        existing = self.hv.pools.get(new.name)
        if existing is not None and (existing.uuid != new.uuid or not allow_same):
            raise _pool_error(ErrorCode.OPERATION_FAILED,
                              f"operation failed: pool '{new.name}' already exists with uuid "
                              f"{uuid_str(existing.uuid)}")
        by_uuid = next((p for p in self.hv.pools.values() if p.uuid == new.uuid), None)
        if by_uuid is not None and by_uuid.name != new.name:
            raise _pool_error(ErrorCode.OPERATION_FAILED,
                              f"operation failed: pool '{by_uuid.name}' is already defined with "
                              f"uuid {uuid_str(new.uuid)}")
        if existing is not None:
            existing.path, existing.persistent = new.path, True
            if isinstance(existing, DefinedPool):
                existing.kind, existing.source = new.kind, new.source
            return existing
        self.hv.pools[new.name] = new
        return new

    def storage_pool_define_xml(
        self, ctx: CallContext, args: remote.RemoteStoragePoolDefineXmlArgs
    ) -> remote.RemoteStoragePoolDefineXmlRet:
        check_flags(args.flags, DEFINE_VALIDATE, "testStoragePoolDefineXML")
        pool = self._add_pool(parse_pool(args.xml), allow_same=True)
        self.hv._emit(ObjectEvent("pool", pool, POOL_EVENT_DEFINED, 0))
        return remote.RemoteStoragePoolDefineXmlRet(pool=self._pool(pool))

    def storage_pool_create_xml(
        self, ctx: CallContext, args: remote.RemoteStoragePoolCreateXmlArgs
    ) -> remote.RemoteStoragePoolCreateXmlRet:
        check_flags(args.flags, 0, "testStoragePoolCreateXML")
        new = parse_pool(args.xml)
        new.persistent, new.active = False, True
        pool = self._add_pool(new, allow_same=False)
        self.hv._emit(ObjectEvent("pool", pool, POOL_EVENT_STARTED, 0))
        return remote.RemoteStoragePoolCreateXmlRet(pool=self._pool(pool))

    def storage_pool_undefine(
        self, ctx: CallContext, args: remote.RemoteStoragePoolUndefineArgs
    ) -> None:
        pool = self._storage_pool(args.pool)
        if pool.active:
            raise operation_invalid(f"storage pool '{pool.name}' is active", ErrorDomain.TEST)
        del self.hv.pools[pool.name]
        self.hv._emit(ObjectEvent("pool", pool, POOL_EVENT_UNDEFINED, 0))

    def storage_pool_build(self, ctx: CallContext,
                           args: remote.RemoteStoragePoolBuildArgs) -> None:
        check_flags(args.flags, 0, "testStoragePoolBuild")
        pool = self._storage_pool(args.pool)
        if pool.active:
            raise operation_invalid(f"storage pool '{pool.name}' is active", ErrorDomain.TEST)

    def storage_pool_delete(self, ctx: CallContext,
                            args: remote.RemoteStoragePoolDeleteArgs) -> None:
        check_flags(args.flags, 0, "testStoragePoolDelete")
        pool = self._storage_pool(args.pool)
        if pool.active:
            raise operation_invalid(f"storage pool '{pool.name}' is active", ErrorDomain.TEST)
