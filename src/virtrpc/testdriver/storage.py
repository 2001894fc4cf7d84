"""Handlers of storage pools and their volumes, with the upload and
download streams."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext, Hole
from virtrpc.server.errors import ErrorCode, ErrorDomain
from virtrpc.testdriver.common import DriverBase, fault, unsupported_flags
from virtrpc.testdriver.model import StoragePool
from virtrpc.testdriver.refusals import check_flags
from virtrpc.testdriver.xmlutil import parse_xml, to_xml

UPLOAD_LIMIT = 256 * 1024 * 1024


# virConnectListAllStoragePools filters: (mask, what each bit of it keeps)
_POOL_FILTERS = (
    (0x3, lambda p: (not p.active, p.active)),
    (0xC, lambda p: (p.persistent, not p.persistent)),
    (0x30, lambda p: (p.autostart, not p.autostart)),
)
# VIR_CONNECT_LIST_STORAGE_POOLS_DIR and the other pool types, from bit 6 on
_POOL_TYPES = ("dir", "fs", "netfs", "logical", "disk", "iscsi", "scsi", "mpath", "rbd",
               "sheepdog", "gluster", "zfs", "vstorage", "iscsi-direct")


def _pool_listed(pool: StoragePool, flags: int) -> bool:
    for mask, tests in _POOL_FILTERS:
        low = (mask & -mask).bit_length() - 1
        if flags & mask and not any(kept for i, kept in enumerate(tests(pool))
                                    if flags & (1 << (low + i))):
            return False
    type_flags = flags >> 6
    if type_flags:
        return pool.kind in _POOL_TYPES and bool(type_flags >> _POOL_TYPES.index(pool.kind) & 1)
    return True


def pool_sources_xml(kind: str, spec: str | None) -> str:
    """``virConnectFindStoragePoolSources`` as libvirt's test driver answers:
    two volume groups for ``logical``, a share on the named host for
    ``netfs``; other types are unknown to it."""
    sources = ET.Element("sources")
    if kind == "logical":
        for device, name in (("/dev/sda20", "testvg1"), ("/dev/sda21", "testvg2")):
            source = ET.SubElement(sources, "source")
            ET.SubElement(source, "device", path=device)
            ET.SubElement(source, "name").text = name
            ET.SubElement(source, "format", type="lvm2")
        return to_xml(sources)
    if kind == "netfs":
        host = None
        if spec:
            host = parse_xml(spec, "source_spec", domain=ErrorDomain.STORAGE).find("host")
        if host is None or not host.get("name"):
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                        "invalid argument: hostname must be specified for netfs sources")
        source = ET.SubElement(sources, "source")
        ET.SubElement(source, "host", name=host.get("name", ""))
        ET.SubElement(source, "dir", path="/testshare")
        ET.SubElement(source, "format", type="nfs")
        return to_xml(sources)
    raise fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.TEST,
                f"internal error: unknown storage pool type {kind}")


class StorageHandlers(DriverBase):
    """Storage pools and volumes."""

    def connect_list_all_storage_pools(
        self, ctx: CallContext, args: remote.RemoteConnectListAllStoragePoolsArgs
    ) -> remote.RemoteConnectListAllStoragePoolsRet:
        pools = [p for p in sorted(self.hv.pools.values(), key=lambda p: p.name)
                 if _pool_listed(p, args.flags)]
        listed = [self._pool(p) for p in pools] if args.need_results else []
        return remote.RemoteConnectListAllStoragePoolsRet(pools=listed, ret=len(pools))

    def connect_num_of_storage_pools(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfStoragePoolsRet:
        return remote.RemoteConnectNumOfStoragePoolsRet(
            num=sum(p.active for p in self.hv.pools.values())
        )

    def connect_list_storage_pools(
        self, ctx: CallContext, args: remote.RemoteConnectListStoragePoolsArgs
    ) -> remote.RemoteConnectListStoragePoolsRet:
        names = sorted(p.name for p in self.hv.pools.values() if p.active)
        return remote.RemoteConnectListStoragePoolsRet(names=names[: args.maxnames])

    def connect_num_of_defined_storage_pools(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectNumOfDefinedStoragePoolsRet:
        return remote.RemoteConnectNumOfDefinedStoragePoolsRet(
            num=sum(not p.active for p in self.hv.pools.values())
        )

    def connect_list_defined_storage_pools(
        self, ctx: CallContext, args: remote.RemoteConnectListDefinedStoragePoolsArgs
    ) -> remote.RemoteConnectListDefinedStoragePoolsRet:
        names = sorted(p.name for p in self.hv.pools.values() if not p.active)
        return remote.RemoteConnectListDefinedStoragePoolsRet(names=names[: args.maxnames])

    def storage_pool_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteStoragePoolLookupByNameArgs
    ) -> remote.RemoteStoragePoolLookupByNameRet:
        return remote.RemoteStoragePoolLookupByNameRet(
            pool=self._pool(self.hv.lookup_pool(name=args.name))
        )

    def storage_pool_lookup_by_uuid(
        self, ctx: CallContext, args: remote.RemoteStoragePoolLookupByUuidArgs
    ) -> remote.RemoteStoragePoolLookupByUuidRet:
        return remote.RemoteStoragePoolLookupByUuidRet(
            pool=self._pool(self.hv.lookup_pool(uuid=bytes(args.uuid)))
        )

    def storage_pool_lookup_by_volume(
        self, ctx: CallContext, args: remote.RemoteStoragePoolLookupByVolumeArgs
    ) -> remote.RemoteStoragePoolLookupByVolumeRet:
        # As libvirt's test driver: the pool named in the reference, volume unchecked.
        return remote.RemoteStoragePoolLookupByVolumeRet(
            pool=self._pool(self.hv.lookup_pool(name=args.vol.pool))
        )

    def storage_pool_get_info(
        self, ctx: CallContext, args: remote.RemoteStoragePoolGetInfoArgs
    ) -> remote.RemoteStoragePoolGetInfoRet:
        pool = self._storage_pool(args.pool)
        return remote.RemoteStoragePoolGetInfoRet(
            state=2 if pool.active else 0,
            capacity=pool.capacity,
            allocation=pool.allocation,
            available=pool.capacity - pool.allocation,
        )

    def storage_pool_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteStoragePoolGetXmlDescArgs
    ) -> remote.RemoteStoragePoolGetXmlDescRet:
        check_flags(args.flags, 0, "testStoragePoolGetXMLDesc")
        return remote.RemoteStoragePoolGetXmlDescRet(xml=self._storage_pool(args.pool).xml())

    def storage_pool_get_autostart(
        self, ctx: CallContext, args: remote.RemoteStoragePoolGetAutostartArgs
    ) -> remote.RemoteStoragePoolGetAutostartRet:
        return remote.RemoteStoragePoolGetAutostartRet(
            autostart=int(self._storage_pool(args.pool).autostart)
        )

    def storage_pool_set_autostart(
        self, ctx: CallContext, args: remote.RemoteStoragePoolSetAutostartArgs
    ) -> None:
        self._storage_pool(args.pool).autostart = bool(args.autostart)

    def storage_pool_is_active(
        self, ctx: CallContext, args: remote.RemoteStoragePoolIsActiveArgs
    ) -> remote.RemoteStoragePoolIsActiveRet:
        return remote.RemoteStoragePoolIsActiveRet(active=int(self._storage_pool(args.pool).active))

    def storage_pool_is_persistent(
        self, ctx: CallContext, args: remote.RemoteStoragePoolIsPersistentArgs
    ) -> remote.RemoteStoragePoolIsPersistentRet:
        return remote.RemoteStoragePoolIsPersistentRet(
            persistent=int(self._storage_pool(args.pool).persistent)
        )

    def storage_pool_refresh(
        self, ctx: CallContext, args: remote.RemoteStoragePoolRefreshArgs
    ) -> None:
        self.hv.active_pool(args.pool.name)

    def storage_pool_create(
        self, ctx: CallContext, args: remote.RemoteStoragePoolCreateArgs
    ) -> None:
        if args.flags:
            raise unsupported_flags(args.flags, "testStoragePoolCreate")
        self.hv.start_pool(self._storage_pool(args.pool))

    def storage_pool_destroy(
        self, ctx: CallContext, args: remote.RemoteStoragePoolDestroyArgs
    ) -> None:
        self.hv.stop_pool(self._storage_pool(args.pool))

    def storage_pool_num_of_volumes(
        self, ctx: CallContext, args: remote.RemoteStoragePoolNumOfVolumesArgs
    ) -> remote.RemoteStoragePoolNumOfVolumesRet:
        return remote.RemoteStoragePoolNumOfVolumesRet(
            num=len(self.hv.active_pool(args.pool.name).volumes)
        )

    def storage_pool_list_volumes(
        self, ctx: CallContext, args: remote.RemoteStoragePoolListVolumesArgs
    ) -> remote.RemoteStoragePoolListVolumesRet:
        names = sorted(self.hv.active_pool(args.pool.name).volumes)
        return remote.RemoteStoragePoolListVolumesRet(names=names[: args.maxnames])

    def storage_pool_list_all_volumes(
        self, ctx: CallContext, args: remote.RemoteStoragePoolListAllVolumesArgs
    ) -> remote.RemoteStoragePoolListAllVolumesRet:
        pool = self._storage_pool(args.pool)
        if not pool.active:
            raise fault(
                ErrorCode.OPERATION_INVALID,
                ErrorDomain.TEST,
                "Requested operation is not valid: storage pool is not active",
            )
        volumes = [pool.volumes[name] for name in sorted(pool.volumes)]
        listed = [self._vol(v) for v in volumes] if args.need_results else []
        return remote.RemoteStoragePoolListAllVolumesRet(vols=listed, ret=len(volumes))

    def storage_vol_lookup_by_name(
        self, ctx: CallContext, args: remote.RemoteStorageVolLookupByNameArgs
    ) -> remote.RemoteStorageVolLookupByNameRet:
        volume = self.hv.lookup_volume(pool=args.pool.name, name=args.name)
        return remote.RemoteStorageVolLookupByNameRet(vol=self._vol(volume))

    def storage_vol_lookup_by_key(
        self, ctx: CallContext, args: remote.RemoteStorageVolLookupByKeyArgs
    ) -> remote.RemoteStorageVolLookupByKeyRet:
        return remote.RemoteStorageVolLookupByKeyRet(
            vol=self._vol(self.hv.lookup_volume(key=args.key))
        )

    def storage_vol_lookup_by_path(
        self, ctx: CallContext, args: remote.RemoteStorageVolLookupByPathArgs
    ) -> remote.RemoteStorageVolLookupByPathRet:
        return remote.RemoteStorageVolLookupByPathRet(
            vol=self._vol(self.hv.lookup_volume(path=args.path))
        )

    def storage_vol_get_info(
        self, ctx: CallContext, args: remote.RemoteStorageVolGetInfoArgs
    ) -> remote.RemoteStorageVolGetInfoRet:
        volume = self._volume(args.vol)
        return remote.RemoteStorageVolGetInfoRet(
            type=0, capacity=volume.capacity, allocation=volume.allocation
        )

    def storage_vol_get_info_flags(
        self, ctx: CallContext, args: remote.RemoteStorageVolGetInfoFlagsArgs
    ) -> remote.RemoteStorageVolGetInfoFlagsRet:
        volume = self._volume(args.vol)
        return remote.RemoteStorageVolGetInfoFlagsRet(
            type=0, capacity=volume.capacity, allocation=volume.allocation
        )

    def storage_vol_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteStorageVolGetXmlDescArgs
    ) -> remote.RemoteStorageVolGetXmlDescRet:
        check_flags(args.flags, 0, "testStorageVolGetXMLDesc")
        return remote.RemoteStorageVolGetXmlDescRet(xml=self._volume(args.vol).xml())

    def storage_vol_get_path(
        self, ctx: CallContext, args: remote.RemoteStorageVolGetPathArgs
    ) -> remote.RemoteStorageVolGetPathRet:
        return remote.RemoteStorageVolGetPathRet(name=self._volume(args.vol).path)

    def storage_vol_create_xml(
        self, ctx: CallContext, args: remote.RemoteStorageVolCreateXmlArgs
    ) -> remote.RemoteStorageVolCreateXmlRet:
        pool = self.hv.active_pool(args.pool.name)
        return remote.RemoteStorageVolCreateXmlRet(
            vol=self._vol(self.hv.create_volume(pool, args.xml))
        )

    def storage_vol_create_xml_from(
        self, ctx: CallContext, args: remote.RemoteStorageVolCreateXmlFromArgs
    ) -> remote.RemoteStorageVolCreateXmlFromRet:
        check_flags(args.flags, 0, "testStorageVolCreateXMLFrom")
        pool = self.hv.active_pool(args.pool.name)
        source = self._volume(args.clonevol)
        return remote.RemoteStorageVolCreateXmlFromRet(
            vol=self._vol(self.hv.create_volume(pool, args.xml, source=source)))

    def connect_find_storage_pool_sources(
        self, ctx: CallContext, args: remote.RemoteConnectFindStoragePoolSourcesArgs
    ) -> remote.RemoteConnectFindStoragePoolSourcesRet:
        check_flags(args.flags, 0, "testConnectFindStoragePoolSources")
        return remote.RemoteConnectFindStoragePoolSourcesRet(
            xml=pool_sources_xml(args.type, args.srcSpec))

    def storage_vol_delete(self, ctx: CallContext, args: remote.RemoteStorageVolDeleteArgs) -> None:
        self.hv.delete_volume(self._volume(args.vol))

    def storage_vol_download(
        self, ctx: CallContext, args: remote.RemoteStorageVolDownloadArgs
    ) -> None:
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

    def storage_vol_upload(self, ctx: CallContext, args: remote.RemoteStorageVolUploadArgs) -> None:
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
                    raise fault(
                        ErrorCode.INVALID_ARG,
                        ErrorDomain.STORAGE,
                        "invalid argument: more data than the requested length",
                    )
                if data_total > UPLOAD_LIMIT:
                    raise fault(
                        ErrorCode.INVALID_ARG,
                        ErrorDomain.STORAGE,
                        "invalid argument: upload too large for the test pool",
                    )
            volume.replace_from(offset, pieces)
            await stream.close()

        ctx.after_reply(transfer)
