"""Saving and restoring domains: ``save`` / ``restore`` to a file on the
server's host, the save image's XML, and managed save, with the states,
reasons and events libvirtd 9.0's test driver gives.

The save file has the layout libvirt's test driver writes (its magic, the
XML's length as a native ``int``, the domain's live XML), so an image saved
through libvirtd restores here and the other way round.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import DriverBase, check_flags, fault
from virtrpc.testdriver.model import (
    Domain,
    Hypervisor,
    LifecycleEvent,
    ObjectEvent,
    operation_invalid,
)

ERR_SYSTEM_ERROR = 38  # VIR_ERR_SYSTEM_ERROR
SAVE_MAGIC = b"TestGuestMagic\0"
_LENGTH = struct.Struct("=i")
MAX_SAVED_XML = 10 * 1024 * 1024  # a bigger header is no save image of ours

# virDomainSaveRestoreFlags the test driver's managed save accepts.
MANAGED_SAVE_FLAGS = 1 | 2 | 4  # BYPASS_CACHE, RUNNING, PAUSED
UNDEFINE_MANAGED_SAVE = 1  # VIR_DOMAIN_UNDEFINE_MANAGED_SAVE

REASON_RUNNING_RESTORED = 3
REASON_SHUTOFF_SAVED = 5
DETAIL_STARTED_RESTORED = 2
DETAIL_STOPPED_SAVED = 4


@dataclass
class ManagedSaves:
    """The domains (by UUID) with a managed save image."""

    hv: Hypervisor
    saved: set[bytes] = field(default_factory=set)


def _system_error(message: str) -> RpcFault:
    return fault(ERR_SYSTEM_ERROR, ErrorDomain.TEST, message)


def _xml_unsupported() -> RpcFault:
    return fault(ErrorCode.ARGUMENT_UNSUPPORTED, ErrorDomain.TEST,
                 "argument unsupported: xml modification unsupported")


def _absolute(path: str) -> str:
    """``path``, which must be absolute: libvirt's client library makes a save
    path absolute before sending it, so a relative one is no libvirt client's
    (and must not resolve against the server's working folder)."""
    if not os.path.isabs(path):
        raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                    f"invalid argument: save image path '{path}' is not absolute")
    return path


def read_save_image(path: str) -> str:
    """The domain XML in a save image, or libvirt's error for an unreadable one."""
    _absolute(path)
    try:
        with open(path, "rb") as image:
            header = image.read(len(SAVE_MAGIC) + _LENGTH.size)
            if len(header) < len(SAVE_MAGIC) + _LENGTH.size:
                raise _system_error(f"incomplete save header in '{path}': Success")
            if header[: len(SAVE_MAGIC)] != SAVE_MAGIC:
                raise fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.TEST,
                            "internal error: mismatched header magic")
            (length,) = _LENGTH.unpack(header[len(SAVE_MAGIC):])
            if not 0 < length <= MAX_SAVED_XML:
                raise fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.TEST,
                            "internal error: length of metadata out of range")
            data = image.read(length)
    except OSError as error:
        raise _system_error(f"cannot read domain image '{path}': {error.strerror}") from None
    if len(data) < length:
        raise _system_error(f"incomplete metadata in '{path}': Success")
    return data.decode("utf-8", "replace")


class SaveHandlers(DriverBase):
    """save / restore and managed save (before :class:`DomainHandlers` in the
    driver's bases: starting and undefining a domain consult managed save)."""

    def _managed(self) -> set[bytes]:
        return self.hv.kind_state(ManagedSaves).saved

    def has_managed_save(self, domain: Domain) -> bool:
        return domain.uuid in self._managed()

    def _save_stop(self, domain: Domain) -> None:
        self.hv._stop(domain, REASON_SHUTOFF_SAVED, DETAIL_STOPPED_SAVED)

    def domain_save(self, ctx: CallContext, args: remote.RemoteDomainSaveArgs) -> None:
        self._save(args.dom, args.to)

    def domain_save_flags(self, ctx: CallContext, args: remote.RemoteDomainSaveFlagsArgs) -> None:
        check_flags(args.flags, 0, "testDomainSaveFlags")
        if args.dxml is not None:
            raise _xml_unsupported()
        self._save(args.dom, args.to)

    def _save(self, ref: remote.RemoteNonnullDomain, path: str) -> None:
        domain = self._domain(ref)
        if not domain.active:
            raise operation_invalid("domain is not running")
        _absolute(path)
        data = domain.xml().encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as error:
            raise _system_error(f"saving domain '{domain.name}' to '{path}': open failed: "
                                f"{error.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as image:
                image.write(SAVE_MAGIC + _LENGTH.pack(len(data)) + data)
        except OSError as error:
            raise _system_error(f"saving domain '{domain.name}' to '{path}': write failed: "
                                f"{error.strerror}") from None
        self._save_stop(domain)

    def domain_restore(self, ctx: CallContext, args: remote.RemoteDomainRestoreArgs) -> None:
        self._restore(args.from_)

    def domain_restore_flags(
        self, ctx: CallContext, args: remote.RemoteDomainRestoreFlagsArgs
    ) -> None:
        check_flags(args.flags, 0, "testDomainRestoreFlags")
        if args.dxml is not None:
            raise _xml_unsupported()
        self._restore(args.from_)

    def _restore(self, path: str) -> None:
        new = self.hv._parse_domain(read_save_image(path))
        existing = self.hv._check_unique(new, allow_same=True)
        if existing is not None:
            if existing.active:
                raise operation_invalid(f"domain '{existing.name}' is already active")
            existing.definition = new.definition
            existing.max_memory, existing.memory = new.max_memory, new.memory
            existing.vcpus, existing.os_type = new.vcpus, new.os_type
            domain = existing
        else:
            new.persistent = False
            self.hv.domains[new.name] = domain = new
        self.hv._start(domain, emit=False)
        domain.reason = REASON_RUNNING_RESTORED
        self.hv._emit(ObjectEvent("domain", domain, LifecycleEvent.STARTED,
                                  DETAIL_STARTED_RESTORED))

    def domain_save_image_get_xml_desc(
        self, ctx: CallContext, args: remote.RemoteDomainSaveImageGetXmlDescArgs
    ) -> remote.RemoteDomainSaveImageGetXmlDescRet:
        check_flags(args.flags, 1, "testDomainSaveImageGetXMLDesc")
        domain = self.hv._parse_domain(read_save_image(args.file))
        return remote.RemoteDomainSaveImageGetXmlDescRet(xml=domain.xml(inactive=True))

    # -- managed save ------------------------------------------------------------

    def domain_managed_save(self, ctx: CallContext,
                            args: remote.RemoteDomainManagedSaveArgs) -> None:
        check_flags(args.flags, MANAGED_SAVE_FLAGS, "testDomainManagedSave")
        domain = self._domain(args.dom)
        if not domain.active:
            raise operation_invalid("domain is not running")
        if not domain.persistent:
            raise operation_invalid("cannot do managed save for transient domain")
        self._save_stop(domain)
        self._managed().add(domain.uuid)

    def domain_has_managed_save_image(
        self, ctx: CallContext, args: remote.RemoteDomainHasManagedSaveImageArgs
    ) -> remote.RemoteDomainHasManagedSaveImageRet:
        check_flags(args.flags, 0, "testDomainHasManagedSaveImage")
        domain = self._domain(args.dom)
        return remote.RemoteDomainHasManagedSaveImageRet(
            result=int(domain.uuid in self._managed()))

    def domain_managed_save_remove(
        self, ctx: CallContext, args: remote.RemoteDomainManagedSaveRemoveArgs
    ) -> None:
        check_flags(args.flags, 0, "testDomainManagedSaveRemove")
        self._managed().discard(self._domain(args.dom).uuid)

    # -- the domain calls managed save refines -------------------------------------

    def domain_create(self, ctx: CallContext, args: remote.RemoteDomainCreateArgs) -> None:
        super().domain_create(ctx, args)
        self._managed().discard(bytes(args.dom.uuid))

    def domain_create_with_flags(
        self, ctx: CallContext, args: remote.RemoteDomainCreateWithFlagsArgs
    ) -> remote.RemoteDomainCreateWithFlagsRet:
        ret = super().domain_create_with_flags(ctx, args)
        assert isinstance(ret, remote.RemoteDomainCreateWithFlagsRet)  # a synchronous handler
        self._managed().discard(bytes(args.dom.uuid))
        return ret

    def domain_create_with_files(
        self, ctx: CallContext, args: remote.RemoteDomainCreateWithFilesArgs
    ) -> remote.RemoteDomainCreateWithFilesRet:
        ret = super().domain_create_with_files(ctx, args)
        assert isinstance(ret, remote.RemoteDomainCreateWithFilesRet)  # a synchronous handler
        self._managed().discard(bytes(args.dom.uuid))
        return ret

    def _check_managed_undefine(self, ref: remote.RemoteNonnullDomain, flags: int) -> None:
        if self._domain(ref).uuid in self._managed() and not flags & UNDEFINE_MANAGED_SAVE:
            raise operation_invalid(
                "Refusing to undefine while domain managed save image exists", ErrorDomain.TEST)

    def domain_undefine(self, ctx: CallContext, args: remote.RemoteDomainUndefineArgs) -> None:
        self._check_managed_undefine(args.dom, 0)
        super().domain_undefine(ctx, args)
        self._managed().discard(bytes(args.dom.uuid))

    def domain_undefine_flags(
        self, ctx: CallContext, args: remote.RemoteDomainUndefineFlagsArgs
    ) -> None:
        self._check_managed_undefine(args.dom, args.flags)
        super().domain_undefine_flags(ctx, args)
        self._managed().discard(bytes(args.dom.uuid))
