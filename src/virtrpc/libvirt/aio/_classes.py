# GENERATED FILE - DO NOT EDIT.
# Source: libvirt-api.xml (sha256 86c06dfb68f15c2c84e562d3afc3b08f84a19a65accc2f57dc41d7b58b911521)
# Regenerate: python -m virtrpc.apigen

"""The asyncio twin of virtrpc.libvirt._classes: the same classes and methods,
as coroutines on virtrpc's asyncio client (generated from the same plan)."""

from __future__ import annotations

from typing import Any

from virtrpc.libvirt import _runtime as _rt
from virtrpc.libvirt.aio import _aruntime as _art
from virtrpc.libvirt.aio._objects import (
    virConnectBase,
    virDomainBase,
    virDomainCheckpointBase,
    virDomainSnapshotBase,
    virInterfaceBase,
    virNetworkBase,
    virNetworkPortBase,
    virNodeDeviceBase,
    virNWFilterBase,
    virNWFilterBindingBase,
    virSecretBase,
    virStoragePoolBase,
    virStorageVolBase,
    virStreamBase,
)

__all__ = [
    "virConnect",
    "virDomain",
    "virDomainCheckpoint",
    "virDomainSnapshot",
    "virInterface",
    "virNWFilter",
    "virNWFilterBinding",
    "virNetwork",
    "virNetworkPort",
    "virNodeDevice",
    "virSecret",
    "virStoragePool",
    "virStorageVol",
    "virStream",
]


class virDomainCheckpoint(virDomainCheckpointBase):
    __slots__ = ()

    async def delete(self, flags: int = 0) -> int:
        """Removes a checkpoint from the domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_checkpoint_delete(checkpoint=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCheckpointDelete") from None
        _rt.thread_state.last = None
        return 0

    async def getName(self) -> str:
        """Get the public name for that checkpoint."""
        result: str = self._o.name
        return result

    async def getParent(self, flags: int = 0) -> virDomainCheckpoint:
        """Get the parent checkpoint for @checkpoint, if any."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_checkpoint_get_parent(checkpoint=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCheckpointGetParent") from None
        _rt.thread_state.last = None
        return virDomainCheckpoint(self._parent, r)

    async def getXMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the domain checkpoint."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_checkpoint_get_xml_desc(checkpoint=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCheckpointGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def listAllChildren(self, flags: int = 0) -> list[virDomainCheckpoint]:
        """Collect the list of domain checkpoints that are children of the given checkpoint,...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_checkpoint_list_all_children(checkpoint=self._o, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCheckpointListAllChildren") from None
        _rt.thread_state.last = None
        return virDomainCheckpoint._list(self._parent, r.checkpoints)


class virDomainSnapshot(virDomainSnapshotBase):
    __slots__ = ()

    async def delete(self, flags: int = 0) -> int:
        """Delete the snapshot."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_snapshot_delete(snap=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotDelete") from None
        _rt.thread_state.last = None
        return 0

    async def getName(self) -> str:
        """Get the public name for that snapshot."""
        result: str = self._o.name
        return result

    async def getParent(self, flags: int = 0) -> virDomainSnapshot:
        """Get the parent snapshot for @snapshot, if any."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_get_parent(snap=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotGetParent") from None
        _rt.thread_state.last = None
        return virDomainSnapshot(self._parent, r)

    async def getXMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the domain snapshot, with a top-level element of...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_get_xml_desc(snap=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def hasMetadata(self, flags: int = 0) -> int:
        """Determine if the given snapshot is associated with libvirt metadata that would...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_has_metadata(snap=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotHasMetadata") from None
        _rt.thread_state.last = None
        return r

    async def isCurrent(self, flags: int = 0) -> int:
        """Determine if the given snapshot is the domain's current snapshot."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_is_current(snap=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotIsCurrent") from None
        _rt.thread_state.last = None
        return r

    async def listAllChildren(self, flags: int = 0) -> list[virDomainSnapshot]:
        """Collect the list of domain snapshots that are children of the given snapshot, and...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_list_all_children(snapshot=self._o, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotListAllChildren") from None
        _rt.thread_state.last = None
        return virDomainSnapshot._list(self._parent, r.snapshots)

    async def listChildrenNames(self, flags: int = 0) -> list[str]:
        """Collect the list of domain snapshots that are children of the given snapshot, and...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_list_children_names(snap=self._o, maxnames=(await self._c.domain_snapshot_num_children(snap=self._o, flags=flags)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotListChildrenNames") from None
        _rt.thread_state.last = None
        return list(r)

    async def numChildren(self, flags: int = 0) -> int:
        """Provides the number of child snapshots for this domain snapshot."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_num_children(snap=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotNumChildren") from None
        _rt.thread_state.last = None
        return r


class virDomain(virDomainBase):
    __slots__ = ()

    async def FDAssociate(self, name: str, files: list[int], flags: int = 0) -> int:
        """Associate the FDs in @fd with @domain under @name."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_fd_associate(dom=self._o, name=name, flags=flags, fds=files))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainFDAssociate") from None
        _rt.thread_state.last = None
        return 0

    async def ID(self) -> int:
        """Get the hypervisor ID number for the domain."""
        result: int = self._o.id
        return result

    async def OSType(self) -> str:
        """Get the type of domain operation system."""
        try:
            r = (await self._c.domain_get_os_type(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetOSType") from None
        _rt.thread_state.last = None
        return r

    async def UUID(self) -> bytes:
        """Get the UUID for a domain."""
        result: bytes = self._o.uuid
        return result

    async def UUIDString(self) -> str:
        """Get the UUID for a domain as string."""
        result: str = _rt.uuid_str(self._o.uuid)
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_xml_desc(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def abortJob(self) -> int:
        """Requests that the current background job be aborted at the soonest opportunity."""
        try:
            (await self._c.domain_abort_job(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAbortJob") from None
        _rt.thread_state.last = None
        return 0

    async def abortJobFlags(self, flags: int = 0) -> int:
        """Requests that the current background job be aborted at the soonest opportunity."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_abort_job_flags(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAbortJobFlags") from None
        _rt.thread_state.last = None
        return 0

    async def addIOThread(self, iothread_id: int, flags: int = 0) -> int:
        """Dynamically add an IOThread to the domain."""
        iothread_id &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_add_iothread(dom=self._o, iothread_id=iothread_id, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAddIOThread") from None
        _rt.thread_state.last = None
        return 0

    async def agentSetResponseTimeout(self, timeout: int, flags: int = 0) -> int:
        """Set how long to wait for a response from guest agent commands."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_agent_set_response_timeout(dom=self._o, timeout=timeout, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAgentSetResponseTimeout") from None
        _rt.thread_state.last = None
        return r

    async def attachDevice(self, xml: str) -> int:
        """Create a virtual device attachment to backend."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainAttachDevice", 20)
        try:
            (await self._c.domain_attach_device(dom=self._o, xml=xml))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAttachDevice") from None
        _rt.thread_state.last = None
        return 0

    async def attachDeviceFlags(self, xml: str, flags: int = 0) -> int:
        """Attach a virtual device to a domain, using the flags parameter to control how the...."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainAttachDeviceFlags", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_attach_device_flags(dom=self._o, xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAttachDeviceFlags") from None
        _rt.thread_state.last = None
        return 0

    async def authorizedSSHKeysGet(self, user: str, flags: int = 0) -> list[str]:
        """For given @user in @domain fetch list of public SSH authorized keys and store them...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_authorized_ssh_keys_get(dom=self._o, user=user, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAuthorizedSSHKeysGet") from None
        _rt.thread_state.last = None
        return list(r)

    async def authorizedSSHKeysSet(self, user: str, keys: list[str] | None = None, flags: int = 0) -> int:
        """For given @user in @domain set @keys in authorized keys file."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_authorized_ssh_keys_set(dom=self._o, user=user, keys=list(keys or []), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainAuthorizedSSHKeysSet") from None
        _rt.thread_state.last = None
        return 0

    async def autostart(self) -> int:
        """Provides a boolean value indicating whether the domain configured to be...."""
        try:
            r = (await self._c.domain_get_autostart(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetAutostart") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def backupBegin(self, backupXML: str, checkpointXML: str | None, flags: int = 0) -> int:
        """Start a point-in-time backup job for the specified disks of a running domain."""
        if backupXML is None:
            raise _rt.null_arg("backupXML", "virDomainBackupBegin", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_backup_begin(dom=self._o, backup_xml=backupXML, checkpoint_xml=checkpointXML, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBackupBegin") from None
        _rt.thread_state.last = None
        return 0

    async def backupGetXMLDesc(self, flags: int = 0) -> str:
        """Queries the configuration of the active backup job."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_backup_get_xml_desc(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBackupGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def blkioParameters(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all blkio parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.domain_get_blkio_parameters(dom=self._o, flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.domain_get_blkio_parameters(dom=self._o, flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetBlkioParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def blockCommit(self, disk: str, base: str | None, top: str | None, bandwidth: int = 0, flags: int = 0) -> int:
        """Commit changes that were made to temporary top-level files within a disk image...."""
        if disk is None:
            raise _rt.null_arg("disk", "virDomainBlockCommit", 20)
        bandwidth &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_commit(dom=self._o, disk=disk, base=base, top=top, bandwidth=bandwidth, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockCommit") from None
        _rt.thread_state.last = None
        return 0

    async def blockCopy(self, disk: str, destxml: str, params: dict[str, _rt.TypedValue] | None = None, flags: int = 0) -> int:
        """Copy the guest-visible contents of a disk image to a new file described by @destxml."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_copy(dom=self._o, path=disk, destxml=destxml, params=_rt.hinted_params(params, "block_copy"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockCopy") from None
        _rt.thread_state.last = None
        return 0

    async def blockInfo(self, path: str, flags: int = 0) -> list[int]:
        """Extract information about a domain's block device."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_block_info(dom=self._o, path=_rt.non_null(path, "disk", "virDomainGetBlockInfo"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetBlockInfo") from None
        _rt.thread_state.last = None
        return [r.capacity, r.allocation, r.physical]

    async def blockIoTune(self, disk: str | None, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all block IO tunable parameters for a given device."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.domain_get_block_io_tune(dom=self._o, disk=disk, flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.domain_get_block_io_tune(dom=self._o, disk=disk, flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetBlockIoTune") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def blockJobAbort(self, disk: str, flags: int = 0) -> int:
        """Cancel the active block job on the given disk."""
        if disk is None:
            raise _rt.null_arg("disk", "virDomainBlockJobAbort", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_job_abort(dom=self._o, path=disk, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockJobAbort") from None
        _rt.thread_state.last = None
        return 0

    async def blockJobInfo(self, path: str, flags: int = 0) -> dict[str, int]:
        """Request block job information for the given disk."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_block_job_info(dom=self._o, path=path, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetBlockJobInfo") from None
        _rt.thread_state.last = None
        return {"type": r.type, "bandwidth": r.bandwidth, "cur": r.cur, "end": r.end} if r.found else {}

    async def blockJobSetSpeed(self, disk: str, bandwidth: int, flags: int = 0) -> int:
        """Set the maximum allowable bandwidth that a block job may consume."""
        if disk is None:
            raise _rt.null_arg("disk", "virDomainBlockJobSetSpeed", 20)
        bandwidth &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_job_set_speed(dom=self._o, path=disk, bandwidth=bandwidth, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockJobSetSpeed") from None
        _rt.thread_state.last = None
        return 0

    async def blockPeek(self, disk: str, offset: int, size: int, flags: int = 0) -> bytes:
        """This function allows you to read the contents of a domain's disk device."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_block_peek(dom=self._o, path=_rt.non_null(disk, "disk", "virDomainBlockPeek"), offset=offset, size=size, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockPeek") from None
        _rt.thread_state.last = None
        result: bytes = r
        return result

    async def blockPull(self, disk: str, bandwidth: int = 0, flags: int = 0) -> int:
        """Populate a disk image with data from its backing image."""
        if disk is None:
            raise _rt.null_arg("disk", "virDomainBlockPull", 20)
        bandwidth &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_pull(dom=self._o, path=disk, bandwidth=bandwidth, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockPull") from None
        _rt.thread_state.last = None
        return 0

    async def blockRebase(self, disk: str, base: str | None, bandwidth: int = 0, flags: int = 0) -> int:
        """Populate a disk image with data from its backing image chain, and setting the...."""
        if disk is None:
            raise _rt.null_arg("disk", "virDomainBlockRebase", 20)
        bandwidth &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_rebase(dom=self._o, path=disk, base=base, bandwidth=bandwidth, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockRebase") from None
        _rt.thread_state.last = None
        return 0

    async def blockResize(self, disk: str, size: int, flags: int = 0) -> int:
        """Resize a block device of domain while the domain is running."""
        if disk is None:
            raise _rt.null_arg("disk", "virDomainBlockResize", 20)
        size &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_block_resize(dom=self._o, disk=disk, size=size, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockResize") from None
        _rt.thread_state.last = None
        return 0

    async def blockStats(self, path: str) -> tuple[int, int, int, int, int]:
        """This function returns block device (disk) stats for block devices attached to the domain."""
        try:
            r = (await self._c.domain_block_stats(dom=self._o, path=_rt.non_null(path, "disk", "virDomainBlockStats")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockStats") from None
        _rt.thread_state.last = None
        return (r.rd_req, r.rd_bytes, r.wr_req, r.wr_bytes, r.errs)

    async def blockStatsFlags(self, path: str, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """This function is to get block stats parameters for block devices attached to the domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.domain_block_stats_flags(dom=self._o, path=path, flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.domain_block_stats_flags(dom=self._o, path=path, flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainBlockStatsFlags") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def checkpointCreateXML(self, xmlDesc: str, flags: int = 0) -> virDomainCheckpoint:
        """Create a new checkpoint using @xmlDesc, with a top-level <domaincheckpoint> element,...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virDomainCheckpointCreateXML", 69)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_checkpoint_create_xml(dom=self._o, xml_desc=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCheckpointCreateXML") from None
        _rt.thread_state.last = None
        return virDomainCheckpoint(self, r)

    async def checkpointLookupByName(self, name: str, flags: int = 0) -> virDomainCheckpoint:
        """Try to lookup a domain checkpoint based on its name."""
        if name is None:
            raise _rt.null_arg("name", "virDomainCheckpointLookupByName", 69)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_checkpoint_lookup_by_name(dom=self._o, name=name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCheckpointLookupByName") from None
        _rt.thread_state.last = None
        return virDomainCheckpoint(self, r)

    async def controlInfo(self, flags: int = 0) -> list[int]:
        """Extract details about current state of control interface to a domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_control_info(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetControlInfo") from None
        _rt.thread_state.last = None
        return [r.state, r.details, r.stateTime]

    async def coreDump(self, to: str, flags: int = 0) -> int:
        """This method will dump the core of a domain on a given file for analysis."""
        if to is None:
            raise _rt.null_arg("to", "virDomainCoreDump", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_core_dump(dom=self._o, to=to, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCoreDump") from None
        _rt.thread_state.last = None
        return 0

    async def coreDumpWithFormat(self, to: str, dumpformat: int, flags: int = 0) -> int:
        """This method will dump the core of a domain on a given file for analysis."""
        if to is None:
            raise _rt.null_arg("to", "virDomainCoreDumpWithFormat", 20)
        dumpformat &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_core_dump_with_format(dom=self._o, to=to, dumpformat=dumpformat, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCoreDumpWithFormat") from None
        _rt.thread_state.last = None
        return 0

    async def create(self) -> int:
        """Launch a defined domain."""
        try:
            (await self._c.domain_create(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCreate") from None
        _rt.thread_state.last = None
        return (await _art.refresh_id(self))

    async def createWithFiles(self, files: list[int], flags: int = 0) -> int:
        """Launch a defined domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_create_with_files(dom=self._o, flags=flags, fds=files))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCreateWithFiles") from None
        _rt.thread_state.last = None
        return _rt.refresh_domain(self, r)

    async def createWithFlags(self, flags: int = 0) -> int:
        """Launch a defined domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_create_with_flags(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCreateWithFlags") from None
        _rt.thread_state.last = None
        return _rt.refresh_domain(self, r)

    async def delIOThread(self, iothread_id: int, flags: int = 0) -> int:
        """Dynamically delete an IOThread from the domain."""
        iothread_id &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_del_iothread(dom=self._o, iothread_id=iothread_id, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDelIOThread") from None
        _rt.thread_state.last = None
        return 0

    async def destroy(self) -> int:
        """Destroy the domain object."""
        try:
            (await self._c.domain_destroy(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDestroy") from None
        _rt.thread_state.last = None
        return _rt.forget_id(self)

    async def destroyFlags(self, flags: int = 0) -> int:
        """Destroy the domain object."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_destroy_flags(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDestroyFlags") from None
        _rt.thread_state.last = None
        return _rt.forget_id(self)

    async def detachDevice(self, xml: str) -> int:
        """This is an equivalent of virDomainDetachDeviceFlags() when called with @flags...."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainDetachDevice", 20)
        try:
            (await self._c.domain_detach_device(dom=self._o, xml=xml))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDetachDevice") from None
        _rt.thread_state.last = None
        return 0

    async def detachDeviceAlias(self, alias: str, flags: int = 0) -> int:
        """Detach a virtual device from a domain, using the alias to specify the device."""
        if alias is None:
            raise _rt.null_arg("alias", "virDomainDetachDeviceAlias", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_detach_device_alias(dom=self._o, alias=alias, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDetachDeviceAlias") from None
        _rt.thread_state.last = None
        return 0

    async def detachDeviceFlags(self, xml: str, flags: int = 0) -> int:
        """Detach a virtual device from a domain, using the flags parameter to control how the...."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainDetachDeviceFlags", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_detach_device_flags(dom=self._o, xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDetachDeviceFlags") from None
        _rt.thread_state.last = None
        return 0

    async def diskErrors(self, flags: int = 0) -> dict[str, int]:
        """The function populates @errors array with all disks that encountered an I/O error."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_disk_errors(dom=self._o, maxerrors=(await self._c.domain_get_disk_errors(dom=self._o, maxerrors=0, flags=flags)).nerrors, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetDiskErrors") from None
        _rt.thread_state.last = None
        return {e.disk: e.error for e in r.errors}

    async def emulatorPinInfo(self, flags: int = 0) -> tuple[bool, ...] | None:
        """Query the CPU affinity setting of all emulator threads of domain, store it in cpumap."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_emulator_pin_info(dom=self._o, maplen=(await _art.cpumap_len(self._conn)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetEmulatorPinInfo") from None
        _rt.thread_state.last = None
        return (await _art.cpumaps(r.cpumaps, 1, self._conn))[0] if r.ret else None

    async def fSTrim(self, mountPoint: str | None, minimum: int, flags: int = 0) -> int:
        """Calls FITRIM within the guest (hence guest agent may be required depending on...."""
        minimum &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_fstrim(dom=self._o, mountPoint=mountPoint, minimum=minimum, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainFSTrim") from None
        _rt.thread_state.last = None
        return 0

    async def fsFreeze(self, mountpoints: list[str] | None = None, flags: int = 0) -> int:
        """Freeze specified filesystems within the guest (hence guest agent may be required...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_fsfreeze(dom=self._o, mountpoints=list(mountpoints or []), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainFSFreeze") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def fsInfo(self, flags: int = 0) -> list[tuple[str, str, str, list[str]]]:
        """Get a list of mapping information for each mounted file systems within the specified...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_fsinfo(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetFSInfo") from None
        _rt.thread_state.last = None
        return [(i.mountpoint, i.name, i.fstype, list(i.dev_aliases)) for i in r.info]

    async def fsThaw(self, mountpoints: list[str] | None = None, flags: int = 0) -> int:
        """Thaw specified filesystems within the guest."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_fsthaw(dom=self._o, mountpoints=list(mountpoints or []), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainFSThaw") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def getCPUStats(self, total: bool, flags: int = 0) -> list[dict[str, int]]:
        """Get statistics relating to CPU usage attributable to a single domain (in contrast to...."""
        result: list[dict[str, int]] = (await _art.domain_cpu_stats(self, total, flags))
        return result

    async def getTime(self, flags: int = 0) -> dict[str, int]:
        """Extract information about guest time and store it into @seconds and @nseconds."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_time(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetTime") from None
        _rt.thread_state.last = None
        return {"seconds": r.seconds, "nseconds": r.nseconds}

    async def guestInfo(self, types: int = 0, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Queries the guest agent for the various information about the guest system."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_guest_info(dom=self._o, types=types, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetGuestInfo") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r)

    async def guestVcpus(self, flags: int = 0) -> dict[str, _rt.TypedValue] | None:
        """Queries the guest agent for state and information regarding vCPUs from guest's...."""
        result: dict[str, _rt.TypedValue] | None = (await _art.guest_vcpus(self, flags))
        return result

    async def hasCurrentSnapshot(self, flags: int = 0) -> int:
        """Determine if the domain has a current snapshot."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_has_current_snapshot(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainHasCurrentSnapshot") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def hasManagedSaveImage(self, flags: int = 0) -> int:
        """Check if a domain has a managed save image as created by virDomainManagedSave()."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_has_managed_save_image(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainHasManagedSaveImage") from None
        _rt.thread_state.last = None
        return r

    async def hostname(self, flags: int = 0) -> str:
        """Get the hostname for that domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_hostname(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetHostname") from None
        _rt.thread_state.last = None
        return r

    async def info(self) -> list[int]:
        """Extract information about a domain."""
        try:
            r = (await self._c.domain_get_info(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetInfo") from None
        _rt.thread_state.last = None
        return [r.state, r.maxMem, r.memory, r.nrVirtCpu, r.cpuTime]

    async def injectNMI(self, flags: int = 0) -> int:
        """Send NMI to the guest."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_inject_nmi(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainInjectNMI") from None
        _rt.thread_state.last = None
        return 0

    async def interfaceAddresses(self, source: int, flags: int = 0) -> dict[str, dict[str, Any]]:
        """Return a pointer to the allocated array of pointers to interfaces present in given...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_interface_addresses(dom=self._o, source=source, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainInterfaceAddresses") from None
        _rt.thread_state.last = None
        return _rt.interface_addresses(r)

    async def interfaceParameters(self, device: str, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all interface parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.domain_get_interface_parameters(dom=self._o, device=device, flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.domain_get_interface_parameters(dom=self._o, device=device, flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetInterfaceParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def interfaceStats(self, path: str) -> tuple[int, int, int, int, int, int, int, int]:
        """This function returns network interface stats for interfaces attached to the domain."""
        try:
            r = (await self._c.domain_interface_stats(dom=self._o, device=_rt.non_null(path, "device", "virDomainInterfaceStats")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainInterfaceStats") from None
        _rt.thread_state.last = None
        return (r.rx_bytes, r.rx_packets, r.rx_errs, r.rx_drop, r.tx_bytes, r.tx_packets, r.tx_errs, r.tx_drop)

    async def ioThreadInfo(self, flags: int = 0) -> list[tuple[int, list[bool]]]:
        """Fetch IOThreads of an active domain including the cpumap information to determine on...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_iothread_info(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetIOThreadInfo") from None
        _rt.thread_state.last = None
        return [(t.iothread_id, list((await _art.cpumaps(t.cpumap, 1, self._conn))[0])) for t in r.info]

    async def isActive(self) -> int:
        """Determine if the domain is currently running."""
        try:
            r = (await self._c.domain_is_active(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainIsActive") from None
        _rt.thread_state.last = None
        return r

    async def isPersistent(self) -> int:
        """Determine if the domain has a persistent configuration which means it will still...."""
        try:
            r = (await self._c.domain_is_persistent(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainIsPersistent") from None
        _rt.thread_state.last = None
        return r

    async def isUpdated(self) -> int:
        """Determine if the domain has been updated."""
        try:
            r = (await self._c.domain_is_updated(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainIsUpdated") from None
        _rt.thread_state.last = None
        return r

    async def jobInfo(self) -> list[int]:
        """Extract information about progress of a background job on a domain."""
        try:
            r = (await self._c.domain_get_job_info(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetJobInfo") from None
        _rt.thread_state.last = None
        return [r.type, r.timeElapsed, r.timeRemaining, r.dataTotal, r.dataProcessed, r.dataRemaining, r.memTotal, r.memProcessed, r.memRemaining, r.fileTotal, r.fileProcessed, r.fileRemaining]

    async def jobStats(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Extract information about progress of a background job on a domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_job_stats(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetJobStats") from None
        _rt.thread_state.last = None
        return _rt.job_stats(r.type, r.params)

    async def launchSecurityInfo(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get the launch security info."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_launch_security_info(dom=self._o, flags=flags | _rt.STRING_OKAY))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetLaunchSecurityInfo") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r)

    async def listAllCheckpoints(self, flags: int = 0) -> list[virDomainCheckpoint]:
        """Collect the list of domain checkpoints for the given domain and allocate an array to...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_list_all_checkpoints(dom=self._o, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainListAllCheckpoints") from None
        _rt.thread_state.last = None
        return virDomainCheckpoint._list(self, r.checkpoints)

    async def listAllSnapshots(self, flags: int = 0) -> list[virDomainSnapshot]:
        """Collect the list of domain snapshots for the given domain and allocate an array to...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_list_all_snapshots(dom=self._o, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainListAllSnapshots") from None
        _rt.thread_state.last = None
        return virDomainSnapshot._list(self, r.snapshots)

    async def managedSave(self, flags: int = 0) -> int:
        """This method will suspend a domain and save its memory contents to a file on disk."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_managed_save(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainManagedSave") from None
        _rt.thread_state.last = None
        return 0

    async def managedSaveDefineXML(self, dxml: str | None, flags: int = 0) -> int:
        """This updates the definition of a domain stored in a saved state file."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_managed_save_define_xml(dom=self._o, dxml=dxml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainManagedSaveDefineXML") from None
        _rt.thread_state.last = None
        return 0

    async def managedSaveGetXMLDesc(self, flags: int = 0) -> str:
        """This method will extract the XML description of the managed save state file of a domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_managed_save_get_xml_desc(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainManagedSaveGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def managedSaveRemove(self, flags: int = 0) -> int:
        """Remove any managed save image for this domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_managed_save_remove(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainManagedSaveRemove") from None
        _rt.thread_state.last = None
        return 0

    async def maxMemory(self) -> int:
        """Retrieve the maximum amount of physical memory allocated to a domain."""
        try:
            r = (await self._c.domain_get_max_memory(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetMaxMemory") from None
        _rt.thread_state.last = None
        return r

    async def maxVcpus(self) -> int:
        """Provides the maximum number of virtual CPUs supported for the guest VM."""
        try:
            r = (await self._c.domain_get_max_vcpus(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetMaxVcpus") from None
        _rt.thread_state.last = None
        return r

    async def memoryParameters(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all memory parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.domain_get_memory_parameters(dom=self._o, flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.domain_get_memory_parameters(dom=self._o, flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetMemoryParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def memoryPeek(self, start: int, size: int, flags: int = 0) -> bytes:
        """This function allows you to read the contents of a domain's memory."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_memory_peek(dom=self._o, offset=start, size=size, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMemoryPeek") from None
        _rt.thread_state.last = None
        result: bytes = r
        return result

    async def memoryStats(self) -> dict[str, int]:
        """This function provides memory statistics for the domain."""
        try:
            r = (await self._c.domain_memory_stats(dom=self._o, maxStats=_rt.MEMORY_STAT_NR, flags=0))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMemoryStats") from None
        _rt.thread_state.last = None
        return _rt.memory_stats(r)

    async def messages(self, flags: int = 0) -> list[str]:
        """Fetch a list of all messages recorded against the VM and store them into @msgs array...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_messages(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetMessages") from None
        _rt.thread_state.last = None
        return list(r)

    async def metadata(self, type: int, uri: str | None, flags: int = 0) -> str:
        """Retrieves the appropriate domain element given by @type."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_metadata(dom=self._o, type=type, uri=uri, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetMetadata") from None
        _rt.thread_state.last = None
        return r

    async def migrate(self, dconn: virConnect, flags: int = 0, dname: str | None = None, uri: str | None = None, bandwidth: int = 0) -> virDomain:
        """Migrate the domain object from its current host to the destination host given by...."""
        result: virDomain = (await _art.domain_migrate(self, dconn, flags, None, dname, uri, bandwidth, None, "virDomainMigrate"))
        return result

    async def migrate2(self, dconn: virConnect, dxml: str | None = None, flags: int = 0, dname: str | None = None, uri: str | None = None, bandwidth: int = 0) -> virDomain:
        """Migrate the domain object from its current host to the destination host given by...."""
        result: virDomain = (await _art.domain_migrate(self, dconn, flags, None, dname, uri, bandwidth, dxml, "virDomainMigrate2"))
        return result

    async def migrate3(self, dconn: virConnect, params: dict[str, _rt.TypedValue], flags: int = 0) -> virDomain:
        """Migrate the domain object from its current host to the destination host given by...."""
        result: virDomain = (await _art.domain_migrate(self, dconn, flags, params, None, None, 0, None, "virDomainMigrate3"))
        return result

    async def migrateGetCompressionCache(self, flags: int = 0) -> int | None:
        """Gets current size of the cache (in bytes) used for compressing repeatedly...."""
        result: int | None = (await _art.none_on_failure(self, "domain_migrate_get_compression_cache", "virDomainMigrateGetCompressionCache", dom=self._o, flags=flags & 0xFFFFFFFF))
        return result

    async def migrateGetMaxDowntime(self, flags: int = 0) -> int | None:
        """Gets current maximum tolerable time for which the domain may be paused at the end of...."""
        result: int | None = (await _art.none_on_failure(self, "domain_migrate_get_max_downtime", "virDomainMigrateGetMaxDowntime", dom=self._o, flags=flags & 0xFFFFFFFF))
        return result

    async def migrateGetMaxSpeed(self, flags: int = 0) -> int:
        """Get the current maximum bandwidth (in MiB/s) that will be used if the domain is migrated."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_migrate_get_max_speed(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMigrateGetMaxSpeed") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def migrateSetCompressionCache(self, cacheSize: int, flags: int = 0) -> int:
        """Sets size of the cache (in bytes) used for compressing repeatedly transferred memory...."""
        cacheSize &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_migrate_set_compression_cache(dom=self._o, cacheSize=cacheSize, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMigrateSetCompressionCache") from None
        _rt.thread_state.last = None
        return 0

    async def migrateSetMaxDowntime(self, downtime: int, flags: int = 0) -> int:
        """Sets maximum tolerable time for which the domain is allowed to be paused at the end...."""
        downtime &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_migrate_set_max_downtime(dom=self._o, downtime=downtime, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMigrateSetMaxDowntime") from None
        _rt.thread_state.last = None
        return 0

    async def migrateSetMaxSpeed(self, bandwidth: int, flags: int = 0) -> int:
        """The maximum bandwidth (in MiB/s) that will be used to do migration can be specified...."""
        bandwidth &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_migrate_set_max_speed(dom=self._o, bandwidth=bandwidth, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMigrateSetMaxSpeed") from None
        _rt.thread_state.last = None
        return 0

    async def migrateStartPostCopy(self, flags: int = 0) -> int:
        """Starts post-copy migration."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_migrate_start_post_copy(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainMigrateStartPostCopy") from None
        _rt.thread_state.last = None
        return 0

    async def migrateToURI(self, duri: str, flags: int = 0, dname: str | None = None, bandwidth: int = 0) -> int:
        """Migrate the domain object from its current host to the destination host given by duri."""
        result: int = (await _art.domain_migrate_to_uri(self, duri, flags, None, dname, None, bandwidth, None, "virDomainMigrateToURI"))
        return result

    async def migrateToURI2(self, dconnuri: str | None = None, miguri: str | None = None, dxml: str | None = None, flags: int = 0, dname: str | None = None, bandwidth: int = 0) -> int:
        """Migrate the domain object from its current host to the destination host given by...."""
        result: int = (await _art.domain_migrate_to_uri(self, dconnuri, flags, None, dname, miguri, bandwidth, dxml, "virDomainMigrateToURI2"))
        return result

    async def migrateToURI3(self, dconnuri: str, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Migrate the domain object from its current host to the destination host given by URI."""
        result: int = (await _art.domain_migrate_to_uri(self, dconnuri, flags, params, None, None, 0, None, "virDomainMigrateToURI3"))
        return result

    async def name(self) -> str:
        """Get the public name for that domain."""
        result: str = self._o.name
        return result

    async def numaParameters(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all numa parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.domain_get_numa_parameters(dom=self._o, flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.domain_get_numa_parameters(dom=self._o, flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetNumaParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def openChannel(self, name: str | None, st: virStream, flags: int = 0) -> int:
        """This opens the host interface associated with a channel device on a guest, if the...."""
        _rt.given(st, "virStream", "virDomainOpenChannel")
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            s = (await self._c.domain_open_channel(dom=self._o, name=name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainOpenChannel") from None
        _rt.thread_state.last = None
        st._attach(s)
        return 0

    async def openConsole(self, dev_name: str | None, st: virStream, flags: int = 0) -> int:
        """This opens the backend associated with a console, serial or parallel port device on...."""
        _rt.given(st, "virStream", "virDomainOpenConsole")
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            s = (await self._c.domain_open_console(dom=self._o, dev_name=dev_name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainOpenConsole") from None
        _rt.thread_state.last = None
        st._attach(s)
        return 0

    async def openGraphics(self, idx: int, fd: int, flags: int = 0) -> int:
        """This will attempt to connect the file descriptor @fd, to the graphics backend of @dom."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_open_graphics(dom=self._o, idx=idx, flags=flags, fds=[_rt.socket_fd(fd, "virDomainOpenGraphics")]))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainOpenGraphics") from None
        _rt.thread_state.last = None
        return 0

    async def openGraphicsFD(self, idx: int, flags: int = 0) -> int:
        """This will create a socket pair connected to the graphics backend of @dom."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_open_graphics_fd(dom=self._o, idx=idx, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainOpenGraphicsFD") from None
        _rt.thread_state.last = None
        return _rt.single_fd(r[1])

    async def pMSuspendForDuration(self, target: int, duration: int, flags: int = 0) -> int:
        """Attempt to have the guest enter the given @target power management suspension level."""
        target &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        duration &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_pm_suspend_for_duration(dom=self._o, target=target, duration=duration, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainPMSuspendForDuration") from None
        _rt.thread_state.last = None
        return 0

    async def pMWakeup(self, flags: int = 0) -> int:
        """Inject a wakeup into the guest that previously used virDomainPMSuspendForDuration,...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_pm_wakeup(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainPMWakeup") from None
        _rt.thread_state.last = None
        return 0

    async def perfEvents(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all Linux perf events setting."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_perf_events(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetPerfEvents") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r)

    async def pinEmulator(self, cpumap: tuple[bool, ...], flags: int = 0) -> int:
        """Dynamically change the real CPUs which can be allocated to all emulator threads."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_pin_emulator(dom=self._o, cpumap=(await _art.cpumap_bytes(cpumap, self._conn)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainPinEmulator") from None
        _rt.thread_state.last = None
        return 0

    async def pinIOThread(self, iothread_val: int, cpumap: tuple[bool, ...], flags: int = 0) -> int:
        """Dynamically change the real CPUs which can be allocated to an IOThread."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_pin_iothread(dom=self._o, iothreads_id=iothread_val, cpumap=(await _art.cpumap_bytes(cpumap, self._conn)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainPinIOThread") from None
        _rt.thread_state.last = None
        return 0

    async def pinVcpu(self, vcpu: int, cpumap: tuple[bool, ...]) -> int:
        """Dynamically change the real CPUs which can be allocated to a virtual CPU."""
        try:
            (await self._c.domain_pin_vcpu(dom=self._o, vcpu=vcpu, cpumap=(await _art.cpumap_bytes(cpumap, self._conn))))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainPinVcpu") from None
        _rt.thread_state.last = None
        return 0

    async def pinVcpuFlags(self, vcpu: int, cpumap: tuple[bool, ...], flags: int = 0) -> int:
        """Dynamically change the real CPUs which can be allocated to a virtual CPU."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_pin_vcpu_flags(dom=self._o, vcpu=vcpu, cpumap=(await _art.cpumap_bytes(cpumap, self._conn)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainPinVcpuFlags") from None
        _rt.thread_state.last = None
        return 0

    async def reboot(self, flags: int = 0) -> int:
        """Reboot a domain, the domain object is still usable thereafter, but the domain OS is...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_reboot(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainReboot") from None
        _rt.thread_state.last = None
        return 0

    async def rename(self, new_name: str | None, flags: int = 0) -> int:
        """Rename a domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_rename(dom=self._o, new_name=new_name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainRename") from None
        _rt.thread_state.last = None
        return r

    async def reset(self, flags: int = 0) -> int:
        """Reset a domain immediately without any guest OS shutdown."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_reset(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainReset") from None
        _rt.thread_state.last = None
        return 0

    async def resume(self) -> int:
        """Resume a suspended domain, the process is restarted from the state where it was...."""
        try:
            (await self._c.domain_resume(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainResume") from None
        _rt.thread_state.last = None
        return 0

    async def revertToSnapshot(self, snap: virDomainSnapshot, flags: int = 0) -> int:
        """Revert the domain to a given snapshot."""
        _rt.given(snap, "virDomainSnapshot", "virDomainRevertToSnapshot")
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_revert_to_snapshot(snap=snap._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainRevertToSnapshot") from None
        _rt.thread_state.last = None
        return 0

    async def save(self, to: str) -> int:
        """This method will suspend a domain and save its memory contents to a file on disk."""
        if to is None:
            raise _rt.null_arg("to", "virDomainSave", 20)
        try:
            (await self._c.domain_save(dom=self._o, to=to))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSave") from None
        _rt.thread_state.last = None
        return 0

    async def saveFlags(self, to: str, dxml: str | None = None, flags: int = 0) -> int:
        """This method will suspend a domain and save its memory contents to a file on disk."""
        if to is None:
            raise _rt.null_arg("to", "virDomainSaveFlags", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_save_flags(dom=self._o, to=to, dxml=dxml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSaveFlags") from None
        _rt.thread_state.last = None
        return 0

    async def saveParams(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """This method extends virDomainSaveFlags by adding parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_save_params(dom=self._o, params=_rt.hinted_params(params, "save"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSaveParams") from None
        _rt.thread_state.last = None
        return 0

    async def schedulerParameters(self) -> dict[str, _rt.TypedValue]:
        """Get all scheduler parameters."""
        try:
            r = (await self._c.domain_get_scheduler_parameters(dom=self._o, nparams=(await self._c.domain_get_scheduler_type(dom=self._o)).nparams))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetSchedulerParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r)

    async def schedulerParametersFlags(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all scheduler parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_scheduler_parameters_flags(dom=self._o, nparams=(await self._c.domain_get_scheduler_type(dom=self._o)).nparams, flags=flags | _rt.STRING_OKAY))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetSchedulerParametersFlags") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r)

    async def schedulerType(self) -> tuple[str, int]:
        """Get the scheduler type and the number of scheduler parameters."""
        try:
            r = (await self._c.domain_get_scheduler_type(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetSchedulerType") from None
        _rt.thread_state.last = None
        return (r.type, r.nparams)

    async def screenshot(self, stream: virStream, screen: int, flags: int = 0) -> str | None:
        """Take a screenshot of current domain console as a stream."""
        _rt.given(stream, "virStream", "virDomainScreenshot")
        screen &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            s = (await self._c.domain_screenshot(dom=self._o, screen=screen, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainScreenshot") from None
        _rt.thread_state.last = None
        r: str | None = stream._attach(s)
        return r

    async def securityLabel(self) -> list[str | bool]:
        """Extract security label of an active domain."""
        try:
            r = (await self._c.domain_get_security_label(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetSecurityLabel") from None
        _rt.thread_state.last = None
        return [_rt.cstr(r.label), bool(r.enforcing)]

    async def securityLabelList(self) -> list[list[str | bool]]:
        """Extract the security labels of an active domain."""
        try:
            r = (await self._c.domain_get_security_label_list(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetSecurityLabelList") from None
        _rt.thread_state.last = None
        return _rt.security_labels(r.labels)

    async def sendKey(self, codeset: int, holdtime: int, keycodes: list[int], nkeycodes: int, flags: int = 0) -> int:
        """Send key(s) to the guest."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_send_key(dom=self._o, codeset=codeset, holdtime=holdtime, keycodes=_rt.keycodes(keycodes, nkeycodes), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSendKey") from None
        _rt.thread_state.last = None
        return 0

    async def sendProcessSignal(self, pid_value: int, signum: int, flags: int = 0) -> int:
        """Send a signal to the designated process in the guest The signal numbers must be...."""
        signum &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_send_process_signal(dom=self._o, pid_value=pid_value, signum=signum, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSendProcessSignal") from None
        _rt.thread_state.last = None
        return 0

    async def setAutostart(self, autostart: int) -> int:
        """Configure the domain to be automatically started when the host machine boots."""
        try:
            (await self._c.domain_set_autostart(dom=self._o, autostart=autostart))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetAutostart") from None
        _rt.thread_state.last = None
        return 0

    async def setBlkioParameters(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change all or a subset of the blkio tunables."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_blkio_parameters(dom=self._o, params=_rt.typed_params(params, (await _art.probe(self._c.domain_get_blkio_parameters, dom=self._o, flags=flags | _rt.STRING_OKAY)).params), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetBlkioParameters") from None
        _rt.thread_state.last = None
        return 0

    async def setBlockIoTune(self, disk: str, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change all or a subset of the per-device block IO tunables."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_block_io_tune(dom=self._o, disk=disk, params=_rt.typed_params(params, (await _art.probe(self._c.domain_get_block_io_tune, dom=self._o, disk=disk, flags=flags | _rt.STRING_OKAY)).params), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetBlockIoTune") from None
        _rt.thread_state.last = None
        return 0

    async def setBlockThreshold(self, dev: str, threshold: int, flags: int = 0) -> int:
        """Set the threshold level for delivering the VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD if...."""
        if dev is None:
            raise _rt.null_arg("dev", "virDomainSetBlockThreshold", 20)
        threshold &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_block_threshold(dom=self._o, dev=dev, threshold=threshold, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetBlockThreshold") from None
        _rt.thread_state.last = None
        return 0

    async def setGuestVcpus(self, cpumap: str, state: int, flags: int = 0) -> int:
        """Sets state of individual vcpus described by @cpumap via guest agent."""
        if cpumap is None:
            raise _rt.null_arg("cpumap", "virDomainSetGuestVcpus", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_guest_vcpus(dom=self._o, cpumap=cpumap, state=state, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetGuestVcpus") from None
        _rt.thread_state.last = None
        return 0

    async def setIOThreadParams(self, iothread_val: int, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Dynamically set IOThread parameters to the domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_iothread_params(dom=self._o, iothread_id=iothread_val, params=_rt.hinted_params(params, "iothread"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetIOThreadParams") from None
        _rt.thread_state.last = None
        return 0

    async def setInterfaceParameters(self, device: str, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change a subset or all parameters of interface; currently this includes bandwidth...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_interface_parameters(dom=self._o, device=device, params=_rt.typed_params(params, (await _art.probe(self._c.domain_get_interface_parameters, dom=self._o, device=device, flags=flags | _rt.STRING_OKAY)).params), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetInterfaceParameters") from None
        _rt.thread_state.last = None
        return 0

    async def setLaunchSecurityState(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Set a launch security secret in the guest's memory."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_launch_security_state(dom=self._o, params=_rt.hinted_params(params, "launch_security"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetLaunchSecurityState") from None
        _rt.thread_state.last = None
        return 0

    async def setLifecycleAction(self, type: int, action: int, flags: int = 0) -> int:
        """Changes the actions of lifecycle events for domain represented as...."""
        type &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        action &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_lifecycle_action(dom=self._o, type=type, action=action, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetLifecycleAction") from None
        _rt.thread_state.last = None
        return 0

    async def setMaxMemory(self, memory: int) -> int:
        """Dynamically change the maximum amount of physical memory allocated to a domain."""
        memory &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_max_memory(dom=self._o, memory=memory))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetMaxMemory") from None
        _rt.thread_state.last = None
        return 0

    async def setMemory(self, memory: int) -> int:
        """Dynamically change the target amount of physical memory allocated to a domain."""
        memory &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_memory(dom=self._o, memory=memory))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetMemory") from None
        _rt.thread_state.last = None
        return 0

    async def setMemoryFlags(self, memory: int, flags: int = 0) -> int:
        """Dynamically change the target amount of physical memory allocated to a domain."""
        memory &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_memory_flags(dom=self._o, memory=memory, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetMemoryFlags") from None
        _rt.thread_state.last = None
        return 0

    async def setMemoryParameters(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change all or a subset of the memory tunables."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_memory_parameters(dom=self._o, params=_rt.typed_params(params, (await _art.probe(self._c.domain_get_memory_parameters, dom=self._o, flags=flags | _rt.STRING_OKAY)).params), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetMemoryParameters") from None
        _rt.thread_state.last = None
        return 0

    async def setMemoryStatsPeriod(self, period: int, flags: int = 0) -> int:
        """Dynamically change the domain memory balloon driver statistics collection period."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_memory_stats_period(dom=self._o, period=period, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetMemoryStatsPeriod") from None
        _rt.thread_state.last = None
        return 0

    async def setMetadata(self, type: int, metadata: str | None, key: str | None, uri: str | None, flags: int = 0) -> int:
        """Sets the appropriate domain element given by @type to the value of @metadata."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_metadata(dom=self._o, type=type, metadata=metadata, key=key, uri=uri, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetMetadata") from None
        _rt.thread_state.last = None
        return 0

    async def setNumaParameters(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change all or a subset of the numa tunables."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_numa_parameters(dom=self._o, params=_rt.typed_params(params, (await _art.probe(self._c.domain_get_numa_parameters, dom=self._o, flags=flags | _rt.STRING_OKAY)).params), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetNumaParameters") from None
        _rt.thread_state.last = None
        return 0

    async def setPerfEvents(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Enable or disable the particular list of Linux perf events you care about."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_perf_events(dom=self._o, params=_rt.typed_params(params, (await self._c.domain_get_perf_events(dom=self._o, flags=flags))), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetPerfEvents") from None
        _rt.thread_state.last = None
        return 0

    async def setSchedulerParameters(self, params: dict[str, _rt.TypedValue]) -> int:
        """Change all or a subset or the scheduler parameters."""
        try:
            (await self._c.domain_set_scheduler_parameters(dom=self._o, params=_rt.typed_params(params, (await self._c.domain_get_scheduler_parameters(dom=self._o, nparams=(await self._c.domain_get_scheduler_type(dom=self._o)).nparams)))))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetSchedulerParameters") from None
        _rt.thread_state.last = None
        return 0

    async def setSchedulerParametersFlags(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change a subset or all scheduler parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_scheduler_parameters_flags(dom=self._o, params=_rt.typed_params(params, (await self._c.domain_get_scheduler_parameters_flags(dom=self._o, nparams=(await self._c.domain_get_scheduler_type(dom=self._o)).nparams, flags=flags))), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetSchedulerParametersFlags") from None
        _rt.thread_state.last = None
        return 0

    async def setTime(self, time: dict[str, int] | None = None, flags: int = 0) -> int:
        """When a domain is suspended or restored from a file the domain's OS has no idea that...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_time(dom=self._o, seconds=_rt.time_field(time, "seconds"), nseconds=_rt.time_field(time, "nseconds"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetTime") from None
        _rt.thread_state.last = None
        return 0

    async def setUserPassword(self, user: str | None, password: str | None, flags: int = 0) -> int:
        """Sets the @user password to the value specified by @password."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_user_password(dom=self._o, user=user, password=password, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetUserPassword") from None
        _rt.thread_state.last = None
        return 0

    async def setVcpu(self, vcpumap: str, state: int, flags: int = 0) -> int:
        """Enables/disables individual vcpus described by @vcpumap in the hypervisor."""
        if vcpumap is None:
            raise _rt.null_arg("vcpumap", "virDomainSetVcpu", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_vcpu(dom=self._o, cpumap=vcpumap, state=state, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetVcpu") from None
        _rt.thread_state.last = None
        return 0

    async def setVcpus(self, nvcpus: int) -> int:
        """Dynamically change the number of virtual CPUs used by the domain."""
        nvcpus &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_vcpus(dom=self._o, nvcpus=nvcpus))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetVcpus") from None
        _rt.thread_state.last = None
        return 0

    async def setVcpusFlags(self, nvcpus: int, flags: int = 0) -> int:
        """Dynamically change the number of virtual CPUs used by the domain."""
        nvcpus &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_set_vcpus_flags(dom=self._o, nvcpus=nvcpus, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSetVcpusFlags") from None
        _rt.thread_state.last = None
        return 0

    async def shutdown(self) -> int:
        """Shutdown a domain, the domain object is still usable thereafter, but the domain OS...."""
        try:
            (await self._c.domain_shutdown(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainShutdown") from None
        _rt.thread_state.last = None
        return 0

    async def shutdownFlags(self, flags: int = 0) -> int:
        """Shutdown a domain, the domain object is still usable thereafter but the domain OS is...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_shutdown_flags(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainShutdownFlags") from None
        _rt.thread_state.last = None
        return 0

    async def snapshotCreateXML(self, xmlDesc: str, flags: int = 0) -> virDomainSnapshot:
        """Creates a new snapshot of a domain based on the snapshot xml contained in xmlDesc,...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virDomainSnapshotCreateXML", 35)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_create_xml(dom=self._o, xml_desc=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotCreateXML") from None
        _rt.thread_state.last = None
        return virDomainSnapshot(self, r)

    async def snapshotCurrent(self, flags: int = 0) -> virDomainSnapshot:
        """Get the current snapshot for a domain, if any."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_current(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotCurrent") from None
        _rt.thread_state.last = None
        return virDomainSnapshot(self, r)

    async def snapshotListNames(self, flags: int = 0) -> list[str]:
        """Collect the list of domain snapshots for the given domain, and store their names in...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_list_names(dom=self._o, maxnames=(await self._c.domain_snapshot_num(dom=self._o, flags=flags)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotListNames") from None
        _rt.thread_state.last = None
        return list(r)

    async def snapshotLookupByName(self, name: str, flags: int = 0) -> virDomainSnapshot:
        """Try to lookup a domain snapshot based on its name."""
        if name is None:
            raise _rt.null_arg("name", "virDomainSnapshotLookupByName", 35)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_lookup_by_name(dom=self._o, name=name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotLookupByName") from None
        _rt.thread_state.last = None
        return virDomainSnapshot(self, r)

    async def snapshotNum(self, flags: int = 0) -> int:
        """Provides the number of domain snapshots for this domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_snapshot_num(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSnapshotNum") from None
        _rt.thread_state.last = None
        return r

    async def startDirtyRateCalc(self, seconds: int, flags: int = 0) -> int:
        """Calculate the current domain's memory dirty rate in next @seconds."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_start_dirty_rate_calc(dom=self._o, seconds=seconds, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainStartDirtyRateCalc") from None
        _rt.thread_state.last = None
        return 0

    async def state(self, flags: int = 0) -> list[int]:
        """Extract domain state."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_state(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetState") from None
        _rt.thread_state.last = None
        return [r.state, r.reason]

    async def suspend(self) -> int:
        """Suspends an active domain, the process is frozen without further access to CPU...."""
        try:
            (await self._c.domain_suspend(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSuspend") from None
        _rt.thread_state.last = None
        return 0

    async def undefine(self) -> int:
        """Undefine a domain."""
        try:
            (await self._c.domain_undefine(dom=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainUndefine") from None
        _rt.thread_state.last = None
        return 0

    async def undefineFlags(self, flags: int = 0) -> int:
        """Undefine a domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_undefine_flags(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainUndefineFlags") from None
        _rt.thread_state.last = None
        return 0

    async def updateDeviceFlags(self, xml: str, flags: int = 0) -> int:
        """Change a virtual device on a domain, using the flags parameter to control how the...."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainUpdateDeviceFlags", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_update_device_flags(dom=self._o, xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainUpdateDeviceFlags") from None
        _rt.thread_state.last = None
        return 0

    async def vcpuPinInfo(self, flags: int = 0) -> list[tuple[bool, ...]]:
        """Query the CPU affinity setting of all virtual CPUs of domain, store it in cpumaps."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_vcpu_pin_info(dom=self._o, ncpumaps=(await self.vcpusFlags(flags)), maplen=(await _art.cpumap_len(self._conn)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetVcpuPinInfo") from None
        _rt.thread_state.last = None
        return (await _art.cpumaps(r.cpumaps, r.num, self._conn))

    async def vcpus(self) -> tuple[list[tuple[int, int, int, int]], list[tuple[bool, ...]]]:
        """Extract information about virtual CPUs of domain, store it in info array and also in...."""
        try:
            r = (await self._c.domain_get_vcpus(dom=self._o, maxinfo=(await self.info())[3], maplen=(await _art.cpumap_len(self._conn))))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetVcpus") from None
        _rt.thread_state.last = None
        return (await _art.vcpus(r, self._conn))

    async def vcpusFlags(self, flags: int = 0) -> int:
        """Query the number of virtual CPUs used by the domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_get_vcpus_flags(dom=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainGetVcpusFlags") from None
        _rt.thread_state.last = None
        return r


class virNetworkPort(virNetworkPortBase):
    __slots__ = ()

    async def UUID(self) -> bytes:
        """Get the UUID for a network port."""
        result: bytes = self._o.uuid
        return result

    async def UUIDString(self) -> str:
        """Get the UUID for a network as string."""
        result: str = _rt.uuid_str(self._o.uuid)
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the network port."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_port_get_xml_desc(port=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def delete(self, flags: int = 0) -> int:
        """Delete the network port."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.network_port_delete(port=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortDelete") from None
        _rt.thread_state.last = None
        return 0

    async def parameters(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all interface parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.network_port_get_parameters(port=self._o, flags=flags, nparams=0)).nparams
            r = (await self._c.network_port_get_parameters(port=self._o, flags=flags, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortGetParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def setParameters(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change a subset or all parameters of the network port; currently this includes...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.network_port_set_parameters(port=self._o, params=_rt.hinted_params(params, "network_port"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortSetParameters") from None
        _rt.thread_state.last = None
        return 0


class virNetwork(virNetworkBase):
    __slots__ = ()

    async def DHCPLeases(self, mac: str | None = None, flags: int = 0) -> list[dict[str, Any]]:
        """For DHCPv4, the information returned: - Network Interface Name - Expiry Time - MAC...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_get_dhcp_leases(net=self._o, mac=mac, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkGetDHCPLeases") from None
        _rt.thread_state.last = None
        return _rt.dhcp_leases(r.leases)

    async def UUID(self) -> bytes:
        """Get the UUID for a network."""
        result: bytes = self._o.uuid
        return result

    async def UUIDString(self) -> str:
        """Get the UUID for a network as string."""
        result: str = _rt.uuid_str(self._o.uuid)
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the network."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_get_xml_desc(net=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def autostart(self) -> int:
        """Provides a boolean value indicating whether the network configured to be...."""
        try:
            r = (await self._c.network_get_autostart(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkGetAutostart") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def bridgeName(self) -> str:
        """Provides a bridge interface name to which a domain may connect a network interface...."""
        try:
            r = (await self._c.network_get_bridge_name(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkGetBridgeName") from None
        _rt.thread_state.last = None
        return r

    async def create(self) -> int:
        """Create and start a defined network."""
        try:
            (await self._c.network_create(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkCreate") from None
        _rt.thread_state.last = None
        return 0

    async def destroy(self) -> int:
        """Destroy the network object."""
        try:
            (await self._c.network_destroy(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkDestroy") from None
        _rt.thread_state.last = None
        return 0

    async def isActive(self) -> int:
        """Determine if the network is currently running."""
        try:
            r = (await self._c.network_is_active(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkIsActive") from None
        _rt.thread_state.last = None
        return r

    async def isPersistent(self) -> int:
        """Determine if the network has a persistent configuration which means it will still...."""
        try:
            r = (await self._c.network_is_persistent(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkIsPersistent") from None
        _rt.thread_state.last = None
        return r

    async def listAllPorts(self, flags: int = 0) -> list[virNetworkPort]:
        """Collect the list of network ports, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_list_all_ports(network=self._o, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkListAllPorts") from None
        _rt.thread_state.last = None
        return virNetworkPort._list(self, r.ports)

    async def name(self) -> str:
        """Get the public name for that network."""
        result: str = self._o.name
        return result

    async def portCreateXML(self, xmldesc: str, flags: int = 0) -> virNetworkPort:
        """Create a new network port, based on an XML description similar to the one returned...."""
        if xmldesc is None:
            raise _rt.null_arg("xmldesc", "virNetworkPortCreateXML", 19)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_port_create_xml(network=self._o, xml=xmldesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortCreateXML") from None
        _rt.thread_state.last = None
        return virNetworkPort(self, r)

    async def portLookupByUUID(self, uuid: bytes) -> virNetworkPort:
        """Try to lookup a port on the given network based on its UUID."""
        try:
            r = (await self._c.network_port_lookup_by_uuid(network=self._o, uuid=_rt.uuid_arg(uuid, "virNetworkPortLookupByUUID")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortLookupByUUID") from None
        _rt.thread_state.last = None
        return virNetworkPort(self, r)

    async def portLookupByUUIDString(self, uuidstr: str) -> virNetworkPort:
        """Try to lookup a port on the given network based on its UUID."""
        try:
            r = (await self._c.network_port_lookup_by_uuid(network=self._o, uuid=_rt.uuid_bytes(uuidstr, "virNetworkPortLookupByUUIDString")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkPortLookupByUUIDString") from None
        _rt.thread_state.last = None
        return virNetworkPort(self, r)

    async def setAutostart(self, autostart: int) -> int:
        """Configure the network to be automatically started when the host machine boots."""
        try:
            (await self._c.network_set_autostart(net=self._o, autostart=autostart))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkSetAutostart") from None
        _rt.thread_state.last = None
        return 0

    async def undefine(self) -> int:
        """Undefine a network but does not stop it if it is running."""
        try:
            (await self._c.network_undefine(net=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkUndefine") from None
        _rt.thread_state.last = None
        return 0

    async def update(self, command: int, section: int, parentIndex: int, xml: str, flags: int = 0) -> int:
        """Update the definition of an existing network, either its live running state, its...."""
        command &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        section &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        if xml is None:
            raise _rt.null_arg("xml", "virNetworkUpdate", 19)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.network_update(net=self._o, command=command, section=section, parentIndex=parentIndex, xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkUpdate") from None
        _rt.thread_state.last = None
        return 0


class virInterface(virInterfaceBase):
    __slots__ = ()

    async def MACString(self) -> str:
        """Get the MAC for an interface as string."""
        result: str = self._o.mac
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """VIR_INTERFACE_XML_INACTIVE - return the static configuration, suitable for use...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.interface_get_xml_desc(iface=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def create(self, flags: int = 0) -> int:
        """Activate an interface (i.e."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.interface_create(iface=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceCreate") from None
        _rt.thread_state.last = None
        return 0

    async def destroy(self, flags: int = 0) -> int:
        """deactivate an interface (ie call "ifdown") This does not remove the interface from...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.interface_destroy(iface=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceDestroy") from None
        _rt.thread_state.last = None
        return 0

    async def isActive(self) -> int:
        """Determine if the interface is currently running."""
        try:
            r = (await self._c.interface_is_active(iface=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceIsActive") from None
        _rt.thread_state.last = None
        return r

    async def name(self) -> str:
        """Get the public name for that interface."""
        result: str = self._o.name
        return result

    async def undefine(self) -> int:
        """Undefine an interface, ie remove it from the config."""
        try:
            (await self._c.interface_undefine(iface=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceUndefine") from None
        _rt.thread_state.last = None
        return 0


class virStoragePool(virStoragePoolBase):
    __slots__ = ()

    async def UUID(self) -> bytes:
        """Fetch the globally unique ID of the storage pool."""
        result: bytes = self._o.uuid
        return result

    async def UUIDString(self) -> str:
        """Fetch the globally unique ID of the storage pool as a string."""
        result: str = _rt.uuid_str(self._o.uuid)
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """Fetch an XML document describing all aspects of the storage pool."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_pool_get_xml_desc(pool=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def autostart(self) -> int:
        """Fetches the value of the autostart flag, which determines whether the pool is...."""
        try:
            r = (await self._c.storage_pool_get_autostart(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolGetAutostart") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def build(self, flags: int = 0) -> int:
        """Currently only filesystem pool accepts flags VIR_STORAGE_POOL_BUILD_OVERWRITE and...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_pool_build(pool=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolBuild") from None
        _rt.thread_state.last = None
        return 0

    async def create(self, flags: int = 0) -> int:
        """Starts an inactive storage pool."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_pool_create(pool=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolCreate") from None
        _rt.thread_state.last = None
        return 0

    async def createXML(self, xmlDesc: str, flags: int = 0) -> virStorageVol:
        """Create a storage volume within a pool based on an XML description."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virStorageVolCreateXML", 18)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_vol_create_xml(pool=self._o, xml=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolCreateXML") from None
        _rt.thread_state.last = None
        return virStorageVol(self._parent, r)

    async def createXMLFrom(self, xmlDesc: str, clonevol: virStorageVol, flags: int = 0) -> virStorageVol:
        """Create a storage volume in the parent pool, using the 'clonevol' volume as input."""
        _rt.given(clonevol, "virStorageVol", "virStorageVolCreateXMLFrom")
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virStorageVolCreateXMLFrom", 18)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_vol_create_xml_from(pool=self._o, xml=xmlDesc, clonevol=clonevol._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolCreateXMLFrom") from None
        _rt.thread_state.last = None
        return virStorageVol(self._parent, r)

    async def delete(self, flags: int = 0) -> int:
        """Delete the underlying pool resources."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_pool_delete(pool=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolDelete") from None
        _rt.thread_state.last = None
        return 0

    async def destroy(self) -> int:
        """Destroy an active storage pool."""
        try:
            (await self._c.storage_pool_destroy(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolDestroy") from None
        _rt.thread_state.last = None
        return 0

    async def info(self) -> list[int]:
        """Get volatile information about the storage pool such as free space / usage summary."""
        try:
            r = (await self._c.storage_pool_get_info(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolGetInfo") from None
        _rt.thread_state.last = None
        return [r.state, r.capacity, r.allocation, r.available]

    async def isActive(self) -> int:
        """Determine if the storage pool is currently running."""
        try:
            r = (await self._c.storage_pool_is_active(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolIsActive") from None
        _rt.thread_state.last = None
        return r

    async def isPersistent(self) -> int:
        """Determine if the storage pool has a persistent configuration which means it will...."""
        try:
            r = (await self._c.storage_pool_is_persistent(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolIsPersistent") from None
        _rt.thread_state.last = None
        return r

    async def listAllVolumes(self, flags: int = 0) -> list[virStorageVol]:
        """Collect the list of storage volumes, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_pool_list_all_volumes(pool=self._o, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolListAllVolumes") from None
        _rt.thread_state.last = None
        return virStorageVol._list(self._conn, r.vols)

    async def listVolumes(self) -> list[str]:
        """Fetch list of storage volume names, limiting to at most maxnames."""
        try:
            r = (await self._c.storage_pool_list_volumes(pool=self._o, maxnames=(await self._c.storage_pool_num_of_volumes(pool=self._o))))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolListVolumes") from None
        _rt.thread_state.last = None
        return list(r)

    async def name(self) -> str:
        """Fetch the locally unique name of the storage pool."""
        result: str = self._o.name
        return result

    async def numOfVolumes(self) -> int:
        """Fetch the number of storage volumes within a pool."""
        try:
            r = (await self._c.storage_pool_num_of_volumes(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolNumOfVolumes") from None
        _rt.thread_state.last = None
        return r

    async def refresh(self, flags: int = 0) -> int:
        """Request that the pool refresh its list of volumes."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_pool_refresh(pool=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolRefresh") from None
        _rt.thread_state.last = None
        return 0

    async def setAutostart(self, autostart: int) -> int:
        """Configure the storage pool to be automatically started when the host machine boots."""
        try:
            (await self._c.storage_pool_set_autostart(pool=self._o, autostart=autostart))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolSetAutostart") from None
        _rt.thread_state.last = None
        return 0

    async def storageVolLookupByName(self, name: str) -> virStorageVol:
        """Fetch a pointer to a storage volume based on its name within a pool...."""
        if name is None:
            raise _rt.null_arg("name", "virStorageVolLookupByName", 18)
        try:
            r = (await self._c.storage_vol_lookup_by_name(pool=self._o, name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolLookupByName") from None
        _rt.thread_state.last = None
        return virStorageVol(self._parent, r)

    async def undefine(self) -> int:
        """Undefine an inactive storage pool."""
        try:
            (await self._c.storage_pool_undefine(pool=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolUndefine") from None
        _rt.thread_state.last = None
        return 0


class virStorageVol(virStorageVolBase):
    __slots__ = ()

    async def XMLDesc(self, flags: int = 0) -> str:
        """Fetch an XML document describing all aspects of the storage volume."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_vol_get_xml_desc(vol=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def delete(self, flags: int = 0) -> int:
        """Delete the storage volume from the pool."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_vol_delete(vol=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolDelete") from None
        _rt.thread_state.last = None
        return 0

    async def download(self, stream: virStream, offset: int, length: int, flags: int = 0) -> int:
        """Download the content of the volume as a stream."""
        _rt.given(stream, "virStream", "virStorageVolDownload")
        offset &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        length &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            s = (await self._c.storage_vol_download(vol=self._o, offset=offset, length=length, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolDownload") from None
        _rt.thread_state.last = None
        stream._attach(s)
        return 0

    async def info(self) -> list[int]:
        """Fetches volatile information about the storage volume such as its current allocation."""
        try:
            r = (await self._c.storage_vol_get_info(vol=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolGetInfo") from None
        _rt.thread_state.last = None
        return [r.type, r.capacity, r.allocation]

    async def infoFlags(self, flags: int = 0) -> list[int]:
        """Fetches volatile information about the storage volume such as its current allocation."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_vol_get_info_flags(vol=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolGetInfoFlags") from None
        _rt.thread_state.last = None
        return [r.type, r.capacity, r.allocation]

    async def key(self) -> str:
        """Fetch the storage volume key."""
        result: str = self._o.key
        return result

    async def name(self) -> str:
        """Fetch the storage volume name."""
        result: str = self._o.name
        return result

    async def path(self) -> str:
        """Fetch the storage volume path."""
        try:
            r = (await self._c.storage_vol_get_path(vol=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolGetPath") from None
        _rt.thread_state.last = None
        return r

    async def resize(self, capacity: int, flags: int = 0) -> int:
        """Changes the capacity of the storage volume @vol to @capacity."""
        capacity &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_vol_resize(vol=self._o, capacity=capacity, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolResize") from None
        _rt.thread_state.last = None
        return 0

    async def storagePoolLookupByVolume(self) -> virStoragePool:
        """Fetch a storage pool which contains a particular volume virStoragePoolFree should be...."""
        try:
            r = (await self._c.storage_pool_lookup_by_volume(vol=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolLookupByVolume") from None
        _rt.thread_state.last = None
        return virStoragePool(self._parent, r)

    async def upload(self, stream: virStream, offset: int, length: int, flags: int = 0) -> int:
        """Upload new content to the volume from a stream."""
        _rt.given(stream, "virStream", "virStorageVolUpload")
        offset &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        length &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            s = (await self._c.storage_vol_upload(vol=self._o, offset=offset, length=length, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolUpload") from None
        _rt.thread_state.last = None
        stream._attach(s)
        return 0

    async def wipe(self, flags: int = 0) -> int:
        """Ensure data previously on a volume is not accessible to future reads."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_vol_wipe(vol=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolWipe") from None
        _rt.thread_state.last = None
        return 0

    async def wipePattern(self, algorithm: int, flags: int = 0) -> int:
        """Similar to virStorageVolWipe, but one can choose between different wiping algorithms."""
        algorithm &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.storage_vol_wipe_pattern(vol=self._o, algorithm=algorithm, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolWipePattern") from None
        _rt.thread_state.last = None
        return 0


class virNodeDevice(virNodeDeviceBase):
    __slots__ = ()

    async def XMLDesc(self, flags: int = 0) -> str:
        """Fetch an XML document describing all aspects of the device."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_device_get_xml_desc(name=self._o.name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def autostart(self) -> int:
        """Provides a boolean value indicating whether the node device is configured to be...."""
        try:
            r = (await self._c.node_device_get_autostart(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceGetAutostart") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def create(self, flags: int = 0) -> int:
        """Start a defined node device:."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.node_device_create(name=self._o.name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceCreate") from None
        _rt.thread_state.last = None
        return 0

    async def destroy(self) -> int:
        """Destroy the device object."""
        try:
            (await self._c.node_device_destroy(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceDestroy") from None
        _rt.thread_state.last = None
        return 0

    async def detachFlags(self, driverName: str | None, flags: int = 0) -> int:
        """Detach the node device from the node itself so that it may be assigned to a guest domain."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.node_device_detach_flags(name=self._o.name, driverName=driverName, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceDetachFlags") from None
        _rt.thread_state.last = None
        return 0

    async def dettach(self) -> int:
        """Detach the node device from the node itself so that it may be assigned to a guest domain."""
        try:
            (await self._c.node_device_dettach(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceDettach") from None
        _rt.thread_state.last = None
        return 0

    async def isActive(self) -> int:
        """Determine if the node device is currently active."""
        try:
            r = (await self._c.node_device_is_active(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceIsActive") from None
        _rt.thread_state.last = None
        return r

    async def isPersistent(self) -> int:
        """Determine if the node device has a persistent configuration which means it will...."""
        try:
            r = (await self._c.node_device_is_persistent(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceIsPersistent") from None
        _rt.thread_state.last = None
        return r

    async def listCaps(self) -> list[str]:
        """Lists the names of the capabilities supported by the device."""
        try:
            r = (await self._c.node_device_list_caps(name=self._o.name, maxnames=(await self._c.node_device_num_of_caps(name=self._o.name))))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceListCaps") from None
        _rt.thread_state.last = None
        return list(r)

    async def name(self) -> str:
        """Just return the device name."""
        result: str = self._o.name
        return result

    async def numOfCaps(self) -> int:
        """Accessor for the number of capabilities supported by the device."""
        try:
            r = (await self._c.node_device_num_of_caps(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceNumOfCaps") from None
        _rt.thread_state.last = None
        return r

    async def parent(self) -> str | None:
        """Accessor for the parent of the device."""
        try:
            r = (await self._c.node_device_get_parent(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceGetParent") from None
        _rt.thread_state.last = None
        return r

    async def reAttach(self) -> int:
        """Re-attach a previously detached node device to the node so that it may be used by...."""
        try:
            (await self._c.node_device_re_attach(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceReAttach") from None
        _rt.thread_state.last = None
        return 0

    async def reset(self) -> int:
        """Reset a previously detached node device to the node before or after assigning it to...."""
        try:
            (await self._c.node_device_reset(name=self._o.name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceReset") from None
        _rt.thread_state.last = None
        return 0

    async def setAutostart(self, autostart: int) -> int:
        """Configure the node device to be automatically started when the host machine boots or...."""
        try:
            (await self._c.node_device_set_autostart(name=self._o.name, autostart=autostart))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceSetAutostart") from None
        _rt.thread_state.last = None
        return 0

    async def undefine(self, flags: int = 0) -> int:
        """Undefine the device object."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.node_device_undefine(name=self._o.name, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceUndefine") from None
        _rt.thread_state.last = None
        return 0


class virSecret(virSecretBase):
    __slots__ = ()

    async def UUID(self) -> bytes:
        """Fetches the UUID of the secret."""
        result: bytes = self._o.uuid
        return result

    async def UUIDString(self) -> str:
        """Get the UUID for a secret as string."""
        result: str = _rt.uuid_str(self._o.uuid)
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """Fetches an XML document describing attributes of the secret."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.secret_get_xml_desc(secret=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def setValue(self, value: bytes | str, flags: int = 0) -> int:
        """Sets the value of a secret."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.secret_set_value(secret=self._o, value=_rt.as_bytes(value), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretSetValue") from None
        _rt.thread_state.last = None
        return 0

    async def undefine(self) -> int:
        """Deletes the specified secret."""
        try:
            (await self._c.secret_undefine(secret=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretUndefine") from None
        _rt.thread_state.last = None
        return 0

    async def usageID(self) -> str:
        """Get the unique identifier of the object with which this secret is to be used."""
        result: str = self._o.usageID
        return result

    async def usageType(self) -> int:
        """Get the type of object which uses this secret."""
        result: int = self._o.usageType
        return result

    async def value(self, flags: int = 0) -> bytes:
        """Fetches the value of a secret."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.secret_get_value(secret=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretGetValue") from None
        _rt.thread_state.last = None
        result: bytes = r
        return result


class virNWFilterBinding(virNWFilterBindingBase):
    __slots__ = ()

    async def XMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the network filter."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.nwfilter_binding_get_xml_desc(nwfilter=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterBindingGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def delete(self) -> int:
        """Delete the binding object."""
        try:
            (await self._c.nwfilter_binding_delete(nwfilter=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterBindingDelete") from None
        _rt.thread_state.last = None
        return 0

    async def filterName(self) -> str:
        """Get the filter name for the network filter binding."""
        result: str = self._o.filtername
        return result

    async def portDev(self) -> str:
        """Get the port dev name for the network filter binding."""
        result: str = self._o.portdev
        return result


class virNWFilter(virNWFilterBase):
    __slots__ = ()

    async def UUID(self) -> bytes:
        """Get the UUID for a network filter."""
        result: bytes = self._o.uuid
        return result

    async def UUIDString(self) -> str:
        """Get the UUID for a network filter as string."""
        result: str = _rt.uuid_str(self._o.uuid)
        return result

    async def XMLDesc(self, flags: int = 0) -> str:
        """Provide an XML description of the network filter."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.nwfilter_get_xml_desc(nwfilter=self._o, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def name(self) -> str:
        """Get the public name for the network filter."""
        result: str = self._o.name
        return result

    async def undefine(self) -> int:
        """Undefine the nwfilter object."""
        try:
            (await self._c.nwfilter_undefine(nwfilter=self._o))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterUndefine") from None
        _rt.thread_state.last = None
        return 0


class virStream(virStreamBase):
    __slots__ = ()


class virConnect(virConnectBase):
    __slots__ = ()

    async def allocPages(self, pages: dict[int, int], startCell: int = 0, cellCount: int = 0, flags: int = 0) -> int:
        """Sometimes, when trying to start a new domain, it may be necessary to reserve some...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_alloc_pages(pageSizes=list(pages), pageCounts=list(pages.values()), startCell=startCell, cellCount=cellCount, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeAllocPages") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def baselineCPU(self, xmlCPUs: list[str], flags: int = 0) -> str:
        """Computes the most feature-rich CPU which is compatible with all given host CPUs."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_baseline_cpu(xmlCPUs=list(xmlCPUs), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectBaselineCPU") from None
        _rt.thread_state.last = None
        result: str = r
        return result

    async def baselineHypervisorCPU(self, emulator: str | None, arch: str | None, machine: str | None, virttype: str | None, xmlCPUs: list[str], flags: int = 0) -> str:
        """Computes the most feature-rich CPU which is compatible with all given CPUs and can...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_baseline_hypervisor_cpu(emulator=emulator, arch=arch, machine=machine, virttype=virttype, xmlCPUs=list(xmlCPUs), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectBaselineHypervisorCPU") from None
        _rt.thread_state.last = None
        result: str = r
        return result

    async def changeBegin(self, flags: int = 0) -> int:
        """This function creates a restore point to which one can return later by calling...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.interface_change_begin(flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceChangeBegin") from None
        _rt.thread_state.last = None
        return 0

    async def changeCommit(self, flags: int = 0) -> int:
        """This commits the changes made to interfaces and frees the restore point created by...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.interface_change_commit(flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceChangeCommit") from None
        _rt.thread_state.last = None
        return 0

    async def changeRollback(self, flags: int = 0) -> int:
        """This cancels changes made to interfaces settings by restoring previous state created...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.interface_change_rollback(flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceChangeRollback") from None
        _rt.thread_state.last = None
        return 0

    async def compareCPU(self, xmlDesc: str, flags: int = 0) -> int:
        """Compares the given CPU description with the host CPU."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virConnectCompareCPU", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_compare_cpu(xml=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectCompareCPU") from None
        _rt.thread_state.last = None
        return r

    async def compareHypervisorCPU(self, emulator: str | None, arch: str | None, machine: str | None, virttype: str | None, xmlCPU: str, flags: int = 0) -> int:
        """Compares the given CPU description with the CPU the specified hypervisor is able to...."""
        if xmlCPU is None:
            raise _rt.null_arg("xmlCPU", "virConnectCompareHypervisorCPU", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_compare_hypervisor_cpu(emulator=emulator, arch=arch, machine=machine, virttype=virttype, xmlCPU=xmlCPU, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectCompareHypervisorCPU") from None
        _rt.thread_state.last = None
        return r

    async def createLinux(self, xmlDesc: str, flags: int = 0) -> virDomain:
        """Deprecated after 0.4.6."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_create_xml(xml_desc=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCreateLinux") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def createXML(self, xmlDesc: str, flags: int = 0) -> virDomain:
        """Launch a new guest domain, based on an XML description similar to the one returned...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virDomainCreateXML", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_create_xml(xml_desc=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCreateXML") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def createXMLWithFiles(self, xmlDesc: str, files: list[int], flags: int = 0) -> virDomain:
        """Launch a new guest domain, based on an XML description similar to the one returned...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_create_xml_with_files(xml_desc=xmlDesc, flags=flags, fds=files))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainCreateXMLWithFiles") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def defineXML(self, xml: str) -> virDomain:
        """Define a domain, but does not start it."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainDefineXML", 20)
        try:
            r = (await self._c.domain_define_xml(xml=xml))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDefineXML") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def defineXMLFlags(self, xml: str, flags: int = 0) -> virDomain:
        """Defines a domain, but does not start it."""
        if xml is None:
            raise _rt.null_arg("xml", "virDomainDefineXMLFlags", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_define_xml_flags(xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainDefineXMLFlags") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def domainListGetStats(self, doms: list[virDomain], stats: int = 0, flags: int = 0) -> list[tuple[virDomain, dict[str, _rt.TypedValue]]]:
        """Query statistics for domains provided by @doms."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_get_all_domain_stats(doms=_rt.stats_domains(doms), stats=stats, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainListGetStats") from None
        _rt.thread_state.last = None
        return [(virDomain(self, x.dom), _rt.params_dict(x.params)) for x in r]

    async def domainXMLFromNative(self, nativeFormat: str, nativeConfig: str, flags: int = 0) -> str:
        """Reads native configuration data describing a domain, and generates libvirt domain XML."""
        if nativeFormat is None:
            raise _rt.null_arg("nativeFormat", "virConnectDomainXMLFromNative", 20)
        if nativeConfig is None:
            raise _rt.null_arg("nativeConfig", "virConnectDomainXMLFromNative", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_domain_xml_from_native(nativeFormat=nativeFormat, nativeConfig=nativeConfig, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectDomainXMLFromNative") from None
        _rt.thread_state.last = None
        return r

    async def domainXMLToNative(self, nativeFormat: str, domainXml: str, flags: int = 0) -> str:
        """Reads a domain XML configuration document, and generates a native configuration file...."""
        if nativeFormat is None:
            raise _rt.null_arg("nativeFormat", "virConnectDomainXMLToNative", 20)
        if domainXml is None:
            raise _rt.null_arg("domainXml", "virConnectDomainXMLToNative", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_domain_xml_to_native(nativeFormat=nativeFormat, domainXml=domainXml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectDomainXMLToNative") from None
        _rt.thread_state.last = None
        return r

    async def findStoragePoolSources(self, type: str, srcSpec: str | None, flags: int = 0) -> str:
        """Talks to a storage backend and attempts to auto-discover the set of available...."""
        if type is None:
            raise _rt.null_arg("type", "virConnectFindStoragePoolSources", 18)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_find_storage_pool_sources(type=type, srcSpec=srcSpec, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectFindStoragePoolSources") from None
        _rt.thread_state.last = None
        return r

    async def getAllDomainStats(self, stats: int = 0, flags: int = 0) -> list[tuple[virDomain, dict[str, _rt.TypedValue]]]:
        """Query statistics for all domains on a given connection."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_get_all_domain_stats(doms=[], stats=stats, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetAllDomainStats") from None
        _rt.thread_state.last = None
        return [(virDomain(self, x.dom), _rt.params_dict(x.params)) for x in r]

    async def getCPUMap(self, flags: int = 0) -> tuple[int, list[bool], int]:
        """Get CPU map of host node CPUs."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_get_cpu_map(need_map=1, need_online=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetCPUMap") from None
        _rt.thread_state.last = None
        return _rt.node_cpu_map(r)

    async def getCPUModelNames(self, arch: str, flags: int = 0) -> list[str]:
        """Get the list of CPU models supported by libvirt for a specific architecture."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_get_cpu_model_names(arch=arch, need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetCPUModelNames") from None
        _rt.thread_state.last = None
        return list(r.models)

    async def getCPUStats(self, cpuNum: int, flags: int = 0) -> dict[str, int]:
        """This function provides individual cpu statistics of the node."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.node_get_cpu_stats(cpuNum=cpuNum, flags=flags, nparams=0)).nparams
            r = (await self._c.node_get_cpu_stats(cpuNum=cpuNum, flags=flags, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetCPUStats") from None
        _rt.thread_state.last = None
        return {p.field: p.value for p in r.params}

    async def getCapabilities(self) -> str:
        """Provides capabilities of the hypervisor / driver."""
        try:
            r = (await self._c.connect_get_capabilities())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetCapabilities") from None
        _rt.thread_state.last = None
        return r

    async def getCellsFreeMemory(self, startCell: int, maxCells: int) -> list[int]:
        """This call returns the amount of free memory in one or more NUMA cells."""
        try:
            r = (await self._c.node_get_cells_free_memory(startCell=startCell, maxcells=maxCells))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetCellsFreeMemory") from None
        _rt.thread_state.last = None
        return list(r)

    async def getDomainCapabilities(self, emulatorbin: str | None = None, arch: str | None = None, machine: str | None = None, virttype: str | None = None, flags: int = 0) -> str:
        """Prior creating a domain (for instance via virDomainCreateXML or virDomainDefineXML)...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_get_domain_capabilities(emulatorbin=emulatorbin, arch=arch, machine=machine, virttype=virttype, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetDomainCapabilities") from None
        _rt.thread_state.last = None
        return r

    async def getFreeMemory(self) -> int:
        """provides the free memory available on the Node Note: most libvirt APIs provide...."""
        try:
            r = (await self._c.node_get_free_memory())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetFreeMemory") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def getFreePages(self, pages: list[int], startCell: int, maxCells: int, flags: int = 0) -> dict[int, dict[int, int]]:
        """This calls queries the host system on free pages of specified size."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_get_free_pages(pages=list(pages), startCell=startCell, cellCount=maxCells, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetFreePages") from None
        _rt.thread_state.last = None
        return _rt.free_pages(r, pages, startCell)

    async def getHostname(self) -> str:
        """This returns a system hostname on which the hypervisor is running (based on the...."""
        try:
            r = (await self._c.connect_get_hostname())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetHostname") from None
        _rt.thread_state.last = None
        return r

    async def getInfo(self) -> list[str | int]:
        """Extract hardware information about the node."""
        try:
            r = (await self._c.node_get_info())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetInfo") from None
        _rt.thread_state.last = None
        return [_rt.cstr(r.model), r.memory >> 10, r.cpus, r.mhz, r.nodes, r.sockets, r.cores, r.threads]

    async def getLibVersion(self) -> int:
        """Provides @libVer, which is the version of libvirt used by the daemon running on the...."""
        try:
            r = (await self._c.connect_get_lib_version())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetLibVersion") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def getMaxVcpus(self, type: str | None) -> int:
        """Provides the maximum number of virtual CPUs supported for a guest VM of a specific type."""
        try:
            r = (await self._c.connect_get_max_vcpus(type=type))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetMaxVcpus") from None
        _rt.thread_state.last = None
        return r

    async def getMemoryParameters(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """Get all node memory parameters (parameters unsupported by OS will be omitted)."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.node_get_memory_parameters(flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.node_get_memory_parameters(flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetMemoryParameters") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def getMemoryStats(self, cellNum: int, flags: int = 0) -> dict[str, int]:
        """This function provides memory stats of the node."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.node_get_memory_stats(cellNum=cellNum, flags=flags, nparams=0)).nparams
            r = (await self._c.node_get_memory_stats(cellNum=cellNum, flags=flags, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetMemoryStats") from None
        _rt.thread_state.last = None
        return {p.field: p.value for p in r.params}

    async def getSEVInfo(self, flags: int = 0) -> dict[str, _rt.TypedValue]:
        """If hypervisor supports AMD's SEV feature, then @params will contain various platform...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            n = (await self._c.node_get_sev_info(flags=flags | _rt.STRING_OKAY, nparams=0)).nparams
            r = (await self._c.node_get_sev_info(flags=flags | _rt.STRING_OKAY, nparams=n))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetSEVInfo") from None
        _rt.thread_state.last = None
        return _rt.params_dict(r.params)

    async def getSecurityModel(self) -> list[str]:
        """Extract the security model of a hypervisor."""
        try:
            r = (await self._c.node_get_security_model())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeGetSecurityModel") from None
        _rt.thread_state.last = None
        return [_rt.cstr(r.model), _rt.cstr(r.doi)]

    async def getStoragePoolCapabilities(self, flags: int = 0) -> str:
        """Prior creating a storage pool (for instance via virStoragePoolCreateXML or...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_get_storage_pool_capabilities(flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetStoragePoolCapabilities") from None
        _rt.thread_state.last = None
        return r

    async def getSysinfo(self, flags: int = 0) -> str:
        """This returns the XML description of the sysinfo details for the host on which the...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_get_sysinfo(flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetSysinfo") from None
        _rt.thread_state.last = None
        return r

    async def getType(self) -> str:
        """Get the name of the Hypervisor driver used."""
        try:
            r = (await self._c.connect_get_type())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetType") from None
        _rt.thread_state.last = None
        return r

    async def getVersion(self) -> int:
        """Get the version level of the Hypervisor running."""
        try:
            r = (await self._c.connect_get_version())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectGetVersion") from None
        _rt.thread_state.last = None
        result: int = r
        return result

    async def interfaceDefineXML(self, xml: str, flags: int = 0) -> virInterface:
        """Define an inactive persistent physical host interface or modify an existing...."""
        if xml is None:
            raise _rt.null_arg("xml", "virInterfaceDefineXML", 26)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.interface_define_xml(xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceDefineXML") from None
        _rt.thread_state.last = None
        return virInterface(self, r)

    async def interfaceLookupByMACString(self, macstr: str) -> virInterface:
        """Try to lookup an interface on the given hypervisor based on its MAC."""
        if macstr is None:
            raise _rt.null_arg("macstr", "virInterfaceLookupByMACString", 26)
        try:
            r = (await self._c.interface_lookup_by_mac_string(mac=macstr))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceLookupByMACString") from None
        _rt.thread_state.last = None
        return virInterface(self, r)

    async def interfaceLookupByName(self, name: str) -> virInterface:
        """Try to lookup an interface on the given hypervisor based on its name."""
        if name is None:
            raise _rt.null_arg("name", "virInterfaceLookupByName", 26)
        try:
            r = (await self._c.interface_lookup_by_name(name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virInterfaceLookupByName") from None
        _rt.thread_state.last = None
        return virInterface(self, r)

    async def isSecure(self) -> int:
        """Determine if the connection to the hypervisor is secure A connection will be classed...."""
        try:
            r = (await self._c.connect_is_secure())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectIsSecure") from None
        _rt.thread_state.last = None
        return r

    async def listAllDevices(self, flags: int = 0) -> list[virNodeDevice]:
        """Collect the list of node devices, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_node_devices(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllNodeDevices") from None
        _rt.thread_state.last = None
        return virNodeDevice._list(self, r.devices)

    async def listAllDomains(self, flags: int = 0) -> list[virDomain]:
        """Collect a possibly-filtered list of all domains, and return an allocated array of...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_domains(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllDomains") from None
        _rt.thread_state.last = None
        return virDomain._list(self, r.domains)

    async def listAllInterfaces(self, flags: int = 0) -> list[virInterface]:
        """Collect the list of interfaces, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_interfaces(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllInterfaces") from None
        _rt.thread_state.last = None
        return virInterface._list(self, r.ifaces)

    async def listAllNWFilterBindings(self, flags: int = 0) -> list[virNWFilterBinding]:
        """Collect the list of network filters, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_nwfilter_bindings(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllNWFilterBindings") from None
        _rt.thread_state.last = None
        return virNWFilterBinding._list(self, r.bindings)

    async def listAllNWFilters(self, flags: int = 0) -> list[virNWFilter]:
        """Collect the list of network filters, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_nwfilters(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllNWFilters") from None
        _rt.thread_state.last = None
        return virNWFilter._list(self, r.filters)

    async def listAllNetworks(self, flags: int = 0) -> list[virNetwork]:
        """Collect the list of networks, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_networks(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllNetworks") from None
        _rt.thread_state.last = None
        return virNetwork._list(self, r.nets)

    async def listAllSecrets(self, flags: int = 0) -> list[virSecret]:
        """Collect the list of secrets, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_secrets(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllSecrets") from None
        _rt.thread_state.last = None
        return virSecret._list(self, r.secrets)

    async def listAllStoragePools(self, flags: int = 0) -> list[virStoragePool]:
        """Collect the list of storage pools, and allocate an array to store those objects."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.connect_list_all_storage_pools(need_results=1, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListAllStoragePools") from None
        _rt.thread_state.last = None
        return virStoragePool._list(self, r.pools)

    async def listDefinedDomains(self) -> list[str]:
        """list the defined but inactive domains, stores the pointers to the names in @names...."""
        try:
            r = (await self._c.connect_list_defined_domains(maxnames=(await self._c.connect_num_of_defined_domains())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListDefinedDomains") from None
        _rt.thread_state.last = None
        return list(r)

    async def listDefinedInterfaces(self) -> list[str]:
        """Collect the list of defined (inactive) physical host interfaces, and store their...."""
        try:
            r = (await self._c.connect_list_defined_interfaces(maxnames=(await self._c.connect_num_of_defined_interfaces())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListDefinedInterfaces") from None
        _rt.thread_state.last = None
        return list(r)

    async def listDefinedNetworks(self) -> list[str]:
        """list the inactive networks, stores the pointers to the names in @names The use of...."""
        try:
            r = (await self._c.connect_list_defined_networks(maxnames=(await self._c.connect_num_of_defined_networks())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListDefinedNetworks") from None
        _rt.thread_state.last = None
        return list(r)

    async def listDefinedStoragePools(self) -> list[str]:
        """Provides the list of names of inactive storage pools up to maxnames."""
        try:
            r = (await self._c.connect_list_defined_storage_pools(maxnames=(await self._c.connect_num_of_defined_storage_pools())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListDefinedStoragePools") from None
        _rt.thread_state.last = None
        return list(r)

    async def listDevices(self, cap: str | None, flags: int = 0) -> list[str]:
        """Collect the list of node devices, and store their names in @names The use of this...."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_list_devices(cap=cap, maxnames=(await self._c.node_num_of_devices(cap=cap, flags=flags)), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeListDevices") from None
        _rt.thread_state.last = None
        return list(r)

    async def listDomainsID(self) -> list[int]:
        """Collect the list of active domains, and store their IDs in array @ids The use of...."""
        try:
            r = (await self._c.connect_list_domains(maxids=(await self._c.connect_num_of_domains())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListDomains") from None
        _rt.thread_state.last = None
        return list(r)

    async def listInterfaces(self) -> list[str]:
        """Collect the list of active physical host interfaces, and store their names in @names...."""
        try:
            r = (await self._c.connect_list_interfaces(maxnames=(await self._c.connect_num_of_interfaces())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListInterfaces") from None
        _rt.thread_state.last = None
        return list(r)

    async def listNWFilters(self) -> list[str]:
        """Collect the list of network filters, and store their names in @names The use of this...."""
        try:
            r = (await self._c.connect_list_nwfilters(maxnames=(await self._c.connect_num_of_nwfilters())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListNWFilters") from None
        _rt.thread_state.last = None
        return list(r)

    async def listNetworks(self) -> list[str]:
        """Collect the list of active networks, and store their names in @names The use of this...."""
        try:
            r = (await self._c.connect_list_networks(maxnames=(await self._c.connect_num_of_networks())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListNetworks") from None
        _rt.thread_state.last = None
        return list(r)

    async def listSecrets(self) -> list[str]:
        """List UUIDs of defined secrets, store pointers to names in uuids."""
        try:
            r = (await self._c.connect_list_secrets(maxuuids=(await self._c.connect_num_of_secrets())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListSecrets") from None
        _rt.thread_state.last = None
        return list(r)

    async def listStoragePools(self) -> list[str]:
        """Provides the list of names of active storage pools up to maxnames."""
        try:
            r = (await self._c.connect_list_storage_pools(maxnames=(await self._c.connect_num_of_storage_pools())))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectListStoragePools") from None
        _rt.thread_state.last = None
        return list(r)

    async def lookupByID(self, id: int) -> virDomain:
        """Try to find a domain based on the hypervisor ID number Note that this won't work for...."""
        try:
            r = (await self._c.domain_lookup_by_id(id=id))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainLookupByID") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def lookupByName(self, name: str) -> virDomain:
        """Try to lookup a domain on the given hypervisor based on its name."""
        if name is None:
            raise _rt.null_arg("name", "virDomainLookupByName", 20)
        try:
            r = (await self._c.domain_lookup_by_name(name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainLookupByName") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def lookupByUUID(self, uuid: bytes) -> virDomain:
        """Try to lookup a domain on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.domain_lookup_by_uuid(uuid=_rt.uuid_arg(uuid, "virDomainLookupByUUID")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainLookupByUUID") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def lookupByUUIDString(self, uuidstr: str) -> virDomain:
        """Try to lookup a domain on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.domain_lookup_by_uuid(uuid=_rt.uuid_bytes(uuidstr, "virDomainLookupByUUIDString")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainLookupByUUIDString") from None
        _rt.thread_state.last = None
        return virDomain(self, r)

    async def networkCreateXML(self, xmlDesc: str) -> virNetwork:
        """Create and start a new virtual network, based on an XML description similar to the...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virNetworkCreateXML", 19)
        try:
            r = (await self._c.network_create_xml(xml=xmlDesc))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkCreateXML") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def networkCreateXMLFlags(self, xmlDesc: str, flags: int = 0) -> virNetwork:
        """Create and start a new virtual network, based on an XML description similar to the...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virNetworkCreateXMLFlags", 19)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_create_xml_flags(xml=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkCreateXMLFlags") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def networkDefineXML(self, xml: str) -> virNetwork:
        """Define an inactive persistent virtual network or modify an existing persistent one...."""
        if xml is None:
            raise _rt.null_arg("xml", "virNetworkDefineXML", 19)
        try:
            r = (await self._c.network_define_xml(xml=xml))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkDefineXML") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def networkDefineXMLFlags(self, xml: str, flags: int = 0) -> virNetwork:
        """Define an inactive persistent virtual network or modify an existing persistent one...."""
        if xml is None:
            raise _rt.null_arg("xml", "virNetworkDefineXMLFlags", 19)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.network_define_xml_flags(xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkDefineXMLFlags") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def networkLookupByName(self, name: str) -> virNetwork:
        """Try to lookup a network on the given hypervisor based on its name."""
        if name is None:
            raise _rt.null_arg("name", "virNetworkLookupByName", 19)
        try:
            r = (await self._c.network_lookup_by_name(name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkLookupByName") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def networkLookupByUUID(self, uuid: bytes) -> virNetwork:
        """Try to lookup a network on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.network_lookup_by_uuid(uuid=_rt.uuid_arg(uuid, "virNetworkLookupByUUID")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkLookupByUUID") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def networkLookupByUUIDString(self, uuidstr: str) -> virNetwork:
        """Try to lookup a network on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.network_lookup_by_uuid(uuid=_rt.uuid_bytes(uuidstr, "virNetworkLookupByUUIDString")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNetworkLookupByUUIDString") from None
        _rt.thread_state.last = None
        return virNetwork(self, r)

    async def nodeDeviceCreateXML(self, xmlDesc: str, flags: int = 0) -> virNodeDevice:
        """Create a new device on the VM host machine, for example, virtual HBAs created using...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virNodeDeviceCreateXML", 22)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_device_create_xml(xml_desc=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceCreateXML") from None
        _rt.thread_state.last = None
        return virNodeDevice(self, r)

    async def nodeDeviceDefineXML(self, xmlDesc: str, flags: int = 0) -> virNodeDevice:
        """Define a new device on the VM host machine, for example, a mediated device...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virNodeDeviceDefineXML", 22)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_device_define_xml(xml_desc=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceDefineXML") from None
        _rt.thread_state.last = None
        return virNodeDevice(self, r)

    async def nodeDeviceLookupByName(self, name: str) -> virNodeDevice:
        """Lookup a node device by its name."""
        if name is None:
            raise _rt.null_arg("name", "virNodeDeviceLookupByName", 22)
        try:
            r = (await self._c.node_device_lookup_by_name(name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceLookupByName") from None
        _rt.thread_state.last = None
        return virNodeDevice(self, r)

    async def nodeDeviceLookupSCSIHostByWWN(self, wwnn: str, wwpn: str, flags: int = 0) -> virNodeDevice:
        """Lookup SCSI Host which is capable with 'fc_host' by its WWNN and WWPN."""
        if wwnn is None:
            raise _rt.null_arg("wwnn", "virNodeDeviceLookupSCSIHostByWWN", 22)
        if wwpn is None:
            raise _rt.null_arg("wwpn", "virNodeDeviceLookupSCSIHostByWWN", 22)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_device_lookup_scsi_host_by_wwn(wwnn=wwnn, wwpn=wwpn, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeDeviceLookupSCSIHostByWWN") from None
        _rt.thread_state.last = None
        return virNodeDevice(self, r)

    async def numOfDefinedDomains(self) -> int:
        """Provides the number of defined but inactive domains."""
        try:
            r = (await self._c.connect_num_of_defined_domains())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfDefinedDomains") from None
        _rt.thread_state.last = None
        return r

    async def numOfDefinedInterfaces(self) -> int:
        """Provides the number of defined (inactive) interfaces on the physical host."""
        try:
            r = (await self._c.connect_num_of_defined_interfaces())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfDefinedInterfaces") from None
        _rt.thread_state.last = None
        return r

    async def numOfDefinedNetworks(self) -> int:
        """Provides the number of inactive networks."""
        try:
            r = (await self._c.connect_num_of_defined_networks())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfDefinedNetworks") from None
        _rt.thread_state.last = None
        return r

    async def numOfDefinedStoragePools(self) -> int:
        """Provides the number of inactive storage pools."""
        try:
            r = (await self._c.connect_num_of_defined_storage_pools())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfDefinedStoragePools") from None
        _rt.thread_state.last = None
        return r

    async def numOfDevices(self, cap: str | None, flags: int = 0) -> int:
        """Provides the number of node devices."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.node_num_of_devices(cap=cap, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeNumOfDevices") from None
        _rt.thread_state.last = None
        return r

    async def numOfDomains(self) -> int:
        """Provides the number of active domains."""
        try:
            r = (await self._c.connect_num_of_domains())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfDomains") from None
        _rt.thread_state.last = None
        return r

    async def numOfInterfaces(self) -> int:
        """Provides the number of active interfaces on the physical host."""
        try:
            r = (await self._c.connect_num_of_interfaces())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfInterfaces") from None
        _rt.thread_state.last = None
        return r

    async def numOfNWFilters(self) -> int:
        """Provides the number of nwfilters."""
        try:
            r = (await self._c.connect_num_of_nwfilters())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfNWFilters") from None
        _rt.thread_state.last = None
        return r

    async def numOfNetworks(self) -> int:
        """Provides the number of active networks."""
        try:
            r = (await self._c.connect_num_of_networks())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfNetworks") from None
        _rt.thread_state.last = None
        return r

    async def numOfSecrets(self) -> int:
        """Fetch number of currently defined secrets."""
        try:
            r = (await self._c.connect_num_of_secrets())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfSecrets") from None
        _rt.thread_state.last = None
        return r

    async def numOfStoragePools(self) -> int:
        """Provides the number of active storage pools."""
        try:
            r = (await self._c.connect_num_of_storage_pools())
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectNumOfStoragePools") from None
        _rt.thread_state.last = None
        return r

    async def nwfilterBindingCreateXML(self, xml: str, flags: int = 0) -> virNWFilterBinding:
        """Define a new network filter, based on an XML description similar to the one returned...."""
        if xml is None:
            raise _rt.null_arg("xml", "virNWFilterBindingCreateXML", 33)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.nwfilter_binding_create_xml(xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterBindingCreateXML") from None
        _rt.thread_state.last = None
        return virNWFilterBinding(self, r)

    async def nwfilterBindingLookupByPortDev(self, portdev: str) -> virNWFilterBinding:
        """Try to lookup a network filter binding on the given hypervisor based on network port...."""
        if portdev is None:
            raise _rt.null_arg("portdev", "virNWFilterBindingLookupByPortDev", 33)
        try:
            r = (await self._c.nwfilter_binding_lookup_by_port_dev(name=portdev))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterBindingLookupByPortDev") from None
        _rt.thread_state.last = None
        return virNWFilterBinding(self, r)

    async def nwfilterDefineXML(self, xmlDesc: str) -> virNWFilter:
        """Define a new network filter, based on an XML description similar to the one returned...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virNWFilterDefineXML", 33)
        try:
            r = (await self._c.nwfilter_define_xml(xml=xmlDesc))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterDefineXML") from None
        _rt.thread_state.last = None
        return virNWFilter(self, r)

    async def nwfilterDefineXMLFlags(self, xmlDesc: str, flags: int = 0) -> virNWFilter:
        """Define a new network filter, based on an XML description similar to the one returned...."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virNWFilterDefineXMLFlags", 33)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.nwfilter_define_xml_flags(xml=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterDefineXMLFlags") from None
        _rt.thread_state.last = None
        return virNWFilter(self, r)

    async def nwfilterLookupByName(self, name: str) -> virNWFilter:
        """Try to lookup a network filter on the given hypervisor based on its name."""
        if name is None:
            raise _rt.null_arg("name", "virNWFilterLookupByName", 33)
        try:
            r = (await self._c.nwfilter_lookup_by_name(name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterLookupByName") from None
        _rt.thread_state.last = None
        return virNWFilter(self, r)

    async def nwfilterLookupByUUID(self, uuid: bytes) -> virNWFilter:
        """Try to lookup a network filter on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.nwfilter_lookup_by_uuid(uuid=_rt.uuid_arg(uuid, "virNWFilterLookupByUUID")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterLookupByUUID") from None
        _rt.thread_state.last = None
        return virNWFilter(self, r)

    async def nwfilterLookupByUUIDString(self, uuidstr: str) -> virNWFilter:
        """Try to lookup an nwfilter on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.nwfilter_lookup_by_uuid(uuid=_rt.uuid_bytes(uuidstr, "virNWFilterLookupByUUIDString")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNWFilterLookupByUUIDString") from None
        _rt.thread_state.last = None
        return virNWFilter(self, r)

    async def restore(self, frm: str) -> int:
        """This method will restore a domain saved to disk by virDomainSave()."""
        if frm is None:
            raise _rt.null_arg("from", "virDomainRestore", 20)
        try:
            (await self._c.domain_restore(from_=frm))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainRestore") from None
        _rt.thread_state.last = None
        return 0

    async def restoreFlags(self, frm: str, dxml: str | None = None, flags: int = 0) -> int:
        """This method will restore a domain saved to disk by virDomainSave()."""
        if frm is None:
            raise _rt.null_arg("from", "virDomainRestoreFlags", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_restore_flags(from_=frm, dxml=dxml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainRestoreFlags") from None
        _rt.thread_state.last = None
        return 0

    async def restoreParams(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """This method extends virDomainRestoreFlags by adding parameters."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_restore_params(params=_rt.hinted_params(params, "save"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainRestoreParams") from None
        _rt.thread_state.last = None
        return 0

    async def saveImageDefineXML(self, file: str, dxml: str, flags: int = 0) -> int:
        """This updates the definition of a domain stored in a saved state file."""
        if file is None:
            raise _rt.null_arg("file", "virDomainSaveImageDefineXML", 20)
        if dxml is None:
            raise _rt.null_arg("dxml", "virDomainSaveImageDefineXML", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.domain_save_image_define_xml(file=file, dxml=dxml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSaveImageDefineXML") from None
        _rt.thread_state.last = None
        return 0

    async def saveImageGetXMLDesc(self, file: str, flags: int = 0) -> str:
        """This method will extract the XML describing the domain at the time a saved state...."""
        if file is None:
            raise _rt.null_arg("file", "virDomainSaveImageGetXMLDesc", 20)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.domain_save_image_get_xml_desc(file=file, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virDomainSaveImageGetXMLDesc") from None
        _rt.thread_state.last = None
        return r

    async def secretDefineXML(self, xml: str, flags: int = 0) -> virSecret:
        """If XML specifies a UUID, locates the specified secret and replaces all attributes of...."""
        if xml is None:
            raise _rt.null_arg("xml", "virSecretDefineXML", 30)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.secret_define_xml(xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretDefineXML") from None
        _rt.thread_state.last = None
        return virSecret(self, r)

    async def secretLookupByUUID(self, uuid: bytes) -> virSecret:
        """Try to lookup a secret on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.secret_lookup_by_uuid(uuid=_rt.uuid_arg(uuid, "virSecretLookupByUUID")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretLookupByUUID") from None
        _rt.thread_state.last = None
        return virSecret(self, r)

    async def secretLookupByUUIDString(self, uuidstr: str) -> virSecret:
        """Try to lookup a secret on the given hypervisor based on its UUID."""
        try:
            r = (await self._c.secret_lookup_by_uuid(uuid=_rt.uuid_bytes(uuidstr, "virSecretLookupByUUIDString")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretLookupByUUIDString") from None
        _rt.thread_state.last = None
        return virSecret(self, r)

    async def secretLookupByUsage(self, usageType: int, usageID: str) -> virSecret:
        """Try to lookup a secret on the given hypervisor based on its usage The usageID is...."""
        if usageID is None:
            raise _rt.null_arg("usageID", "virSecretLookupByUsage", 30)
        try:
            r = (await self._c.secret_lookup_by_usage(usageType=usageType, usageID=usageID))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virSecretLookupByUsage") from None
        _rt.thread_state.last = None
        return virSecret(self, r)

    async def setIdentity(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Override the default identity information associated with the connection."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.connect_set_identity(params=_rt.hinted_params(params, "identity"), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virConnectSetIdentity") from None
        _rt.thread_state.last = None
        return 0

    async def setMemoryParameters(self, params: dict[str, _rt.TypedValue], flags: int = 0) -> int:
        """Change all or a subset of the node memory tunables."""
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.node_set_memory_parameters(params=_rt.typed_params(params, (await _art.probe(self._c.node_get_memory_parameters, flags=flags | _rt.STRING_OKAY)).params), flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeSetMemoryParameters") from None
        _rt.thread_state.last = None
        return 0

    async def storagePoolCreateXML(self, xmlDesc: str, flags: int = 0) -> virStoragePool:
        """Create a new storage based on its XML description."""
        if xmlDesc is None:
            raise _rt.null_arg("xmlDesc", "virStoragePoolCreateXML", 18)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_pool_create_xml(xml=xmlDesc, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolCreateXML") from None
        _rt.thread_state.last = None
        return virStoragePool(self, r)

    async def storagePoolDefineXML(self, xml: str, flags: int = 0) -> virStoragePool:
        """Define an inactive persistent storage pool or modify an existing persistent one from...."""
        if xml is None:
            raise _rt.null_arg("xml", "virStoragePoolDefineXML", 18)
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            r = (await self._c.storage_pool_define_xml(xml=xml, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolDefineXML") from None
        _rt.thread_state.last = None
        return virStoragePool(self, r)

    async def storagePoolLookupByName(self, name: str) -> virStoragePool:
        """Fetch a storage pool based on its unique name virStoragePoolFree should be used to...."""
        if name is None:
            raise _rt.null_arg("name", "virStoragePoolLookupByName", 18)
        try:
            r = (await self._c.storage_pool_lookup_by_name(name=name))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolLookupByName") from None
        _rt.thread_state.last = None
        return virStoragePool(self, r)

    async def storagePoolLookupByTargetPath(self, path: str) -> virStoragePool:
        """Fetch a storage pool which maps to a particular target directory."""
        if path is None:
            raise _rt.null_arg("path", "virStoragePoolLookupByTargetPath", 18)
        try:
            r = (await self._c.storage_pool_lookup_by_target_path(path=path))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolLookupByTargetPath") from None
        _rt.thread_state.last = None
        return virStoragePool(self, r)

    async def storagePoolLookupByUUID(self, uuid: bytes) -> virStoragePool:
        """Fetch a storage pool based on its globally unique id virStoragePoolFree should be...."""
        try:
            r = (await self._c.storage_pool_lookup_by_uuid(uuid=_rt.uuid_arg(uuid, "virStoragePoolLookupByUUID")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolLookupByUUID") from None
        _rt.thread_state.last = None
        return virStoragePool(self, r)

    async def storagePoolLookupByUUIDString(self, uuidstr: str) -> virStoragePool:
        """Fetch a storage pool based on its globally unique id virStoragePoolFree should be...."""
        try:
            r = (await self._c.storage_pool_lookup_by_uuid(uuid=_rt.uuid_bytes(uuidstr, "virStoragePoolLookupByUUIDString")))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStoragePoolLookupByUUIDString") from None
        _rt.thread_state.last = None
        return virStoragePool(self, r)

    async def storageVolLookupByKey(self, key: str) -> virStorageVol:
        """Fetch a pointer to a storage volume based on its globally unique key...."""
        if key is None:
            raise _rt.null_arg("key", "virStorageVolLookupByKey", 18)
        try:
            r = (await self._c.storage_vol_lookup_by_key(key=key))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolLookupByKey") from None
        _rt.thread_state.last = None
        return virStorageVol(self, r)

    async def storageVolLookupByPath(self, path: str) -> virStorageVol:
        """Fetch a pointer to a storage volume based on its locally (host) unique path...."""
        if path is None:
            raise _rt.null_arg("path", "virStorageVolLookupByPath", 18)
        try:
            r = (await self._c.storage_vol_lookup_by_path(path=path))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virStorageVolLookupByPath") from None
        _rt.thread_state.last = None
        return virStorageVol(self, r)

    async def suspendForDuration(self, target: int, duration: int, flags: int = 0) -> int:
        """Attempt to suspend the node (host machine) for the given duration of time in the...."""
        target &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        duration &= 0xFFFFFFFFFFFFFFFF  # libvirt-python wraps unsigned arguments
        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments
        try:
            (await self._c.node_suspend_for_duration(target=target, duration=duration, flags=flags))
        except _rt.VirtrpcError as e:
            raise _rt.translate(e, "virNodeSuspendForDuration") from None
        _rt.thread_state.last = None
        return 0
