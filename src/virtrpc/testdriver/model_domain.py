"""One guest of the model: its state, its live and persistent configs (texts,
vcpus, memory, IOThreads), the fds it holds, and its XML.  Split from
:mod:`virtrpc.testdriver.model`, which re-exports these names."""

from __future__ import annotations

import copy
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import IntEnum

# Re-exported: the model's fd owners close through the one fd-disposal helper.
from virtrpc.rpc.framing import close_fds as close_fds
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.xmlutil import to_xml

#: virDomainShutoffReason VIR_DOMAIN_SHUTOFF_UNKNOWN
REASON_SHUTOFF_UNKNOWN = 0


class DomainState(IntEnum):
    """``virDomainState``."""

    NOSTATE = 0
    RUNNING = 1
    BLOCKED = 2
    PAUSED = 3
    SHUTDOWN = 4
    SHUTOFF = 5
    CRASHED = 6
    PMSUSPENDED = 7


def operation_invalid(message: str, domain: int = ErrorDomain.DOMAIN) -> RpcFault:
    """``VIR_ERR_OPERATION_INVALID``."""
    return RpcFault(
        ErrorCode.OPERATION_INVALID, domain, f"Requested operation is not valid: {message}"
    )


@dataclass
class DomainTexts:
    """A domain's title, description and namespaced metadata elements (uri ->
    element text): the live config and the persistent one each have a copy."""

    description: str | None = None
    title: str | None = None
    elements: dict[str, str] = field(default_factory=dict)

    def copy(self) -> DomainTexts:
        return DomainTexts(self.description, self.title, dict(self.elements))


AFFECT_LIVE = 1
AFFECT_CONFIG = 2


@dataclass
class Domain:
    """One guest."""

    name: str
    uuid: bytes
    definition: ET.Element
    max_memory: int
    memory: int
    vcpus: int
    os_type: str
    id: int = -1
    state: DomainState = DomainState.SHUTOFF
    reason: int = REASON_SHUTOFF_UNKNOWN
    persistent: bool = True
    autostart: bool = False
    started_at: float = 0.0
    #: the persistent config's texts, and the running domain's
    config_texts: DomainTexts = field(default_factory=DomainTexts)
    live_texts: DomainTexts = field(default_factory=DomainTexts)
    #: vcpus online now and in the persistent config (``vcpus`` is the maximum)
    live_vcpus: int = 0
    config_vcpus: int = 0
    #: memory and block I/O tuning set by clients (hard_limit, weight...)
    tunables: dict[str, int] = field(default_factory=dict)
    #: host CPUs the emulator threads are pinned to (None: every host CPU)
    emulator_pin: frozenset[int] | None = None
    #: IOThread id -> the host CPUs it is pinned to (None: every one), in
    #: the persistent config and while running
    config_iothreads: dict[int, frozenset[int] | None] = field(default_factory=dict)
    live_iothreads: dict[int, frozenset[int] | None] = field(default_factory=dict)
    #: the persistent config's maximum vcpus and current memory (``vcpus``
    #: and ``memory`` are the live ones)
    config_max_vcpus: int = 0
    config_memory: int = 0
    #: vcpu -> host CPUs it is pinned to (absent: every host CPU)
    vcpu_pins: dict[int, frozenset[int]] = field(default_factory=dict)
    # fds the guest holds (create_xml_with_files, fd_associate): owned by the
    # domain, closed when it stops or is removed.
    kept_fds: list[int] = field(default_factory=list)
    associated_fds: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.live_vcpus = self.live_vcpus or self.vcpus
        self.config_vcpus = self.config_vcpus or self.vcpus
        self.config_max_vcpus = self.config_max_vcpus or self.vcpus
        self.config_memory = self.config_memory or self.memory

    @property
    def active(self) -> bool:
        return self.id >= 0

    def definitions_for(self, flags: int) -> tuple[bool, bool]:
        """(live, config): which configs ``VIR_DOMAIN_AFFECT_*`` flags select
        to change (``virDomainObjGetDefs``); a stopped domain's live config
        is its persistent one."""
        live = bool(flags & AFFECT_LIVE) or (not flags & AFFECT_CONFIG and self.active)
        config = bool(flags & AFFECT_CONFIG) or (not flags & AFFECT_LIVE and not self.active)
        if live and not self.active:
            raise operation_invalid("domain is not running")
        if config and not self.persistent:
            raise operation_invalid("transient domains do not have any persistent config")
        return live, config

    def texts_for(self, flags: int) -> list[DomainTexts]:
        """The copies of the texts ``flags`` select to change."""
        live, config = self.definitions_for(flags)
        return ([self.live_texts] if live else []) + ([self.config_texts] if config else [])

    def texts_to_read(self, flags: int) -> DomainTexts:
        """The one copy the flags select to read (``virDomainObjGetOneDef``)."""
        if flags & AFFECT_LIVE and flags & AFFECT_CONFIG:
            raise RpcFault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                           "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are "
                           "mutually exclusive")
        return self.texts_for(flags)[0]

    def cpu_time_ns(self) -> int:
        """CPU time as libvirt's test driver fakes it, running or not: the
        wall clock in nanoseconds."""
        return time.time_ns()

    def xml(self, *, inactive: bool = False) -> str:
        root = copy.deepcopy(self.definition)
        root.set("type", root.get("type", "test"))
        if self.active and not inactive:
            root.set("id", str(self.id))
        elif "id" in root.attrib:
            del root.attrib["id"]
        # a transient domain has no persistent config: its inactive XML is the live one
        use_config = not self.active or (inactive and self.persistent)
        texts = self.config_texts if use_config else self.live_texts
        for tag in ("title", "description", "metadata"):
            existing = root.find(tag)
            if existing is not None:
                root.remove(existing)
        # after <name> and <uuid>, in libvirt's order
        position = 2
        for tag, value in (("title", texts.title), ("description", texts.description)):
            if value is not None:
                element = ET.Element(tag)
                element.text = value
                root.insert(position, element)
                position += 1
        if texts.elements:
            meta = ET.Element("metadata")
            for text in texts.elements.values():
                meta.append(ET.fromstring(text))
            root.insert(position, meta)
        vcpu = root.find("vcpu")
        current = self.config_vcpus if use_config else self.live_vcpus
        maximum = self.config_max_vcpus if use_config else self.vcpus
        if vcpu is not None:
            vcpu.text = str(maximum)
            vcpu.attrib.pop("current", None)
            if current < maximum:
                vcpu.set("current", str(current))
        iothreads = self.config_iothreads if use_config else self.live_iothreads
        for tag in ("iothreads", "iothreadids"):
            for element in root.findall(tag):
                root.remove(element)
        if iothreads and vcpu is not None:
            position = list(root).index(vcpu) + 1
            count = ET.Element("iothreads")
            count.text = str(len(iothreads))
            ids = ET.Element("iothreadids")
            for iothread_id in iothreads:
                ET.SubElement(ids, "iothread", id=str(iothread_id))
            root.insert(position, count)
            root.insert(position + 1, ids)
        for tag, kib in (("memory", self.max_memory),
                         ("currentMemory", self.config_memory if use_config else self.memory)):
            size = root.find(tag)
            if size is not None:
                size.attrib.clear()
                size.set("unit", "KiB")
                size.text = str(kib)
        return to_xml(root)

    def release_fds(self) -> None:
        # Emptied as they are closed: a second release closes nothing twice.
        close_fds(self.kept_fds)
        self.kept_fds.clear()
        for fds in self.associated_fds.values():
            close_fds(fds)
        self.associated_fds.clear()
