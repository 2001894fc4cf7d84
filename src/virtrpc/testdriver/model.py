"""The in-memory hypervisor: domains, networks, a storage pool with volumes.

Pure state and rules, no RPC: :class:`Hypervisor` methods raise
:class:`~virtrpc.server.errors.RpcFault` worded as libvirt's test driver words
its errors, and report every state change to the registered listeners as an
:class:`ObjectEvent`.  The RPC glue lives in :mod:`virtrpc.testdriver.driver`.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar, cast

from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.domain_xml import fill_domain_defaults

# A domain's own state lives in model_domain; importable from here too.
from virtrpc.testdriver.model_domain import AFFECT_CONFIG as AFFECT_CONFIG
from virtrpc.testdriver.model_domain import AFFECT_LIVE as AFFECT_LIVE
from virtrpc.testdriver.model_domain import REASON_SHUTOFF_UNKNOWN as REASON_SHUTOFF_UNKNOWN
from virtrpc.testdriver.model_domain import Domain as Domain
from virtrpc.testdriver.model_domain import DomainState as DomainState
from virtrpc.testdriver.model_domain import DomainTexts as DomainTexts
from virtrpc.testdriver.model_domain import close_fds as close_fds
from virtrpc.testdriver.model_domain import operation_invalid as operation_invalid

# Networks, pools and volumes live in model_objects; importable from here too.
from virtrpc.testdriver.model_objects import (
    DEFAULT_POOL_BYTES,
    MAX_VOLUME_BYTES,
    network_defaults,
)
from virtrpc.testdriver.model_objects import STREAM_CHUNK as STREAM_CHUNK
from virtrpc.testdriver.model_objects import Network as Network
from virtrpc.testdriver.model_objects import StoragePool as StoragePool
from virtrpc.testdriver.model_objects import Volume as Volume
from virtrpc.testdriver.xmlutil import (
    parse_uuid,
    parse_xml,
    scaled_int,
    uuid_str,
    xml_invalid,
)


class LifecycleEvent(IntEnum):
    """``virDomainEventType`` (network and pool events reuse 0..3)."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    SUSPENDED = 3
    RESUMED = 4
    STOPPED = 5
    SHUTDOWN = 6


# Detail codes of the lifecycle events the model emits.
DETAIL_DEFINED_ADDED = 0
DETAIL_DEFINED_UPDATED = 1
DETAIL_DEFINED_RENAMED = 2
DETAIL_UNDEFINED_RENAMED = 1
DETAIL_STARTED_BOOTED = 0
DETAIL_SUSPENDED_PAUSED = 0
DETAIL_RESUMED_UNPAUSED = 0
DETAIL_STOPPED_SHUTDOWN = 0
DETAIL_STOPPED_DESTROYED = 1
DETAIL_SHUTDOWN_FINISHED = 0

# State reasons (virDomainRunningReason, virDomainPausedReason, ...).
REASON_RUNNING_UNKNOWN = 0
REASON_RUNNING_BOOTED = 1
REASON_RUNNING_UNPAUSED = 5
REASON_PAUSED_USER = 1  # VIR_DOMAIN_PAUSED_USER (2 is MIGRATION)
REASON_SHUTOFF_SHUTDOWN = 1
REASON_SHUTOFF_DESTROYED = 2

# virDomainMetadataType
METADATA_DESCRIPTION = 0
METADATA_TITLE = 1
METADATA_ELEMENT = 2

#: VIR_ERR_NO_NAME ("missing name information")
ERR_NO_NAME = 21

# virStoragePoolEventLifecycleType values the model emits.
POOL_EVENT_UNDEFINED = 1
POOL_EVENT_STARTED = 2
POOL_EVENT_STOPPED = 3



def _not_found(kind: str, code: int, detail: str | None) -> RpcFault:
    message = f"{kind} not found" + (f": {detail}" if detail else "")
    return RpcFault(code, ErrorDomain.TEST, message)


def internal_error(message: str) -> RpcFault:
    """``VIR_ERR_INTERNAL_ERROR`` from the test driver."""
    return RpcFault(ErrorCode.INTERNAL_ERROR, ErrorDomain.TEST, f"internal error: {message}")


@dataclass(frozen=True)
class ObjectEvent:
    """A state change: ``kind`` is "domain", "domain-reboot", "domain-metadata",
    "network" or "pool"; ``event``/``detail`` are libvirt's codes."""

    kind: str
    obj: Domain | Network | StoragePool
    event: int = 0
    detail: int = 0


EventListener = Callable[[ObjectEvent], None]

#: The state of an object kind modelled beside its handlers (interfaces, node devices...).
KindState = TypeVar("KindState")

DEFAULT_DOMAIN_XML = """<domain type='test'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <target dev='testnet0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>
"""

DEFAULT_NETWORK_XML = """<network>
  <name>default</name>
  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
"""


class Hypervisor:
    """All state of the test hypervisor, shared by every client of a server."""

    def __init__(self, *, populate: bool = True, sample_volume: bool = False) -> None:
        """The default node (``populate``: libvirt's test driver's, with an
        empty ``default-pool``); ``sample_volume`` adds virtrpc's sparse
        ``disk1.img`` to that pool, for trying streams."""
        self.domains: dict[str, Domain] = {}
        self.networks: dict[str, Network] = {}
        self.pools: dict[str, StoragePool] = {}
        self._next_id = 1
        self._listeners: list[EventListener] = []
        self._kinds: dict[object, object] = {}
        #: False for a node file's hypervisor: no default objects of any kind.
        self.populated = populate
        if populate:
            self._populate(sample_volume)

    def kind_state(self, kind: Callable[[Hypervisor], KindState]) -> KindState:
        """The state of one object kind modelled in its own module: one
        ``kind(hypervisor)`` per hypervisor, made on first use (so a reset,
        which makes a new hypervisor, resets every kind)."""
        state = self._kinds.get(kind)
        if state is None:
            state = self._kinds[kind] = kind(self)
        return cast(KindState, state)

    # -- events ---------------------------------------------------------

    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: ObjectEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _populate(self, sample_volume: bool) -> None:
        domain = self.define_domain(DEFAULT_DOMAIN_XML, emit=False)
        self._start(domain, emit=False)
        # libvirt's test driver loads the default node's running domain
        # without saying why it runs: `virsh domstate --reason` shows unknown.
        domain.reason = REASON_RUNNING_UNKNOWN
        network = self.define_network(DEFAULT_NETWORK_XML, emit=False)
        network.active = True
        pool = StoragePool(
            name="default-pool",
            uuid=parse_uuid("dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"),
            path="/default-pool",
            capacity=DEFAULT_POOL_BYTES,
        )
        self.pools[pool.name] = pool
        if not sample_volume:
            return
        disk = Volume("disk1.img", pool.name, "/default-pool/disk1.img", 4 * 1024 * 1024)
        # A sparse image: some data, a 2 MiB hole, some more data.
        head = bytes(range(256)) * 4096
        disk.extents = [(len(head), head), (2 * 1024 * 1024, None), (4096, b"\xab" * 4096)]
        disk.capacity = disk.size
        pool.volumes[disk.name] = disk

    # -- domains ----------------------------------------------------------

    def _parse_domain(self, xml_text: str) -> Domain:
        root = parse_xml(xml_text, "domain_definition")
        if root.tag != "domain":
            raise xml_invalid(f"unexpected root element <{root.tag}>, expecting <domain>")
        name = (root.findtext("name") or "").strip()
        if not name:
            raise RpcFault(ERR_NO_NAME, ErrorDomain.DOMAIN, "missing name information")
        os_type = (root.findtext("os/type") or "").strip()
        if not os_type:
            raise xml_invalid("an os <type> must be specified")
        max_memory = scaled_int(root.find("memory")) or 0
        memory = scaled_int(root.find("currentMemory")) or max_memory
        vcpu_text = (root.findtext("vcpu") or "1").strip()
        try:
            vcpus = int(vcpu_text)
        except ValueError:
            raise xml_invalid(f"maximum vcpus count must be an integer: '{vcpu_text}'") from None
        uuid_element = root.find("uuid")
        uuid = parse_uuid(uuid_element.text if uuid_element is not None else None)
        if uuid_element is None:
            uuid_element = ET.Element("uuid")
            root.insert(1, uuid_element)
        uuid_element.text = uuid_str(uuid)
        texts = DomainTexts()
        for tag in ("title", "description"):
            element = root.find(tag)
            setattr(texts, tag, element.text if element is not None else None)
        meta_element = root.find("metadata")
        if meta_element is not None:
            for child in meta_element:
                if child.tag.startswith("{"):
                    texts.elements[child.tag[1:].split("}", 1)[0]] = ET.tostring(
                        child, encoding="unicode")
        vcpu_element = root.find("vcpu")
        current_text = vcpu_element.get("current") if vcpu_element is not None else None
        try:
            current_vcpus = int(current_text) if current_text else vcpus
        except ValueError:
            raise xml_invalid(f"current vcpus count must be an integer: '{current_text}'") from None
        fill_domain_defaults(root)
        return Domain(
            name=name,
            uuid=uuid,
            definition=root,
            max_memory=max_memory,
            memory=min(memory, max_memory) if max_memory else memory,
            vcpus=vcpus,
            os_type=os_type,
            config_texts=texts,
            live_texts=texts.copy(),
            config_vcpus=min(current_vcpus, vcpus),
            live_vcpus=min(current_vcpus, vcpus),
        )

    def _check_unique(self, new: Domain, *, allow_same: bool) -> Domain | None:
        """Return the existing domain the definition updates, enforcing
        libvirt's name/uuid uniqueness rules."""
        by_name = self.domains.get(new.name)
        by_uuid = next((d for d in self.domains.values() if d.uuid == new.uuid), None)
        if by_name is not None and by_name.uuid != new.uuid:
            raise RpcFault(
                ErrorCode.OPERATION_FAILED,
                ErrorDomain.DOMAIN,
                f"operation failed: domain '{new.name}' already exists with uuid "
                f"{uuid_str(by_name.uuid)}",
            )
        if by_uuid is not None and by_uuid.name != new.name:
            raise RpcFault(
                ErrorCode.OPERATION_FAILED,
                ErrorDomain.DOMAIN,
                f"operation failed: domain '{by_uuid.name}' is already defined with uuid "
                f"{uuid_str(new.uuid)}",
            )
        if by_name is not None and not allow_same:
            raise RpcFault(
                ErrorCode.OPERATION_FAILED,
                ErrorDomain.DOMAIN,
                f"operation failed: domain '{new.name}' already exists with uuid "
                f"{uuid_str(by_name.uuid)}",
            )
        return by_name

    def define_domain(self, xml_text: str, *, emit: bool = True) -> Domain:
        """Define (or redefine) a persistent domain."""
        new = self._parse_domain(xml_text)
        existing = self._check_unique(new, allow_same=True)
        if existing is not None:
            existing.definition = new.definition
            existing.max_memory, existing.os_type = new.max_memory, new.os_type
            existing.config_vcpus, existing.config_texts = new.config_vcpus, new.config_texts
            existing.config_max_vcpus, existing.config_memory = new.vcpus, new.memory
            if not existing.active:
                existing.live_vcpus, existing.live_texts = new.live_vcpus, new.live_texts
                existing.vcpus, existing.memory = new.vcpus, new.memory
            existing.persistent = True
            if emit:
                self._emit(ObjectEvent("domain", existing, LifecycleEvent.DEFINED, DETAIL_DEFINED_UPDATED))
            return existing
        self.domains[new.name] = new
        if emit:
            self._emit(ObjectEvent("domain", new, LifecycleEvent.DEFINED, DETAIL_DEFINED_ADDED))
        return new

    def create_domain(self, xml_text: str, fds: list[int] | None = None) -> Domain:
        """Create and start a transient domain; it keeps ``fds`` (ownership moves)."""
        try:
            new = self._parse_domain(xml_text)
            self._check_unique(new, allow_same=False)
        except BaseException:
            if fds:
                close_fds(fds)
            raise
        new.persistent = False
        if fds:
            new.kept_fds.extend(fds)
            fds.clear()
        self.domains[new.name] = new
        self._start(new)
        return new

    def _start(self, domain: Domain, *, emit: bool = True) -> None:
        domain.id = self._next_id
        self._next_id += 1
        domain.state, domain.reason = DomainState.RUNNING, REASON_RUNNING_BOOTED
        domain.live_texts = domain.config_texts.copy()
        domain.live_iothreads = dict(domain.config_iothreads)
        domain.started_at = time.monotonic()
        if emit:
            self._emit(ObjectEvent("domain", domain, LifecycleEvent.STARTED, DETAIL_STARTED_BOOTED))

    def _stop(self, domain: Domain, reason: int, detail: int) -> None:
        domain.id = -1
        domain.state, domain.reason = DomainState.SHUTOFF, reason
        # the live config goes; the next start begins from the persistent one
        domain.live_vcpus, domain.vcpus = domain.config_vcpus, domain.config_max_vcpus
        domain.memory = domain.config_memory
        domain.vcpu_pins.clear()
        domain.live_iothreads.clear()
        domain.release_fds()
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.STOPPED, detail))
        if not domain.persistent:
            del self.domains[domain.name]

    def lookup_domain(self, *, name: str | None = None, uuid: bytes | None = None,
                      id: int | None = None) -> Domain:
        """Find a domain by name, uuid or id (``VIR_ERR_NO_DOMAIN`` if absent)."""
        for domain in self.domains.values():
            if (
                (name is not None and domain.name == name)
                or (uuid is not None and domain.uuid == bytes(uuid))
                or (id is not None and domain.active and domain.id == id)
            ):
                return domain
        if uuid is not None:
            raise _not_found(
                "Domain", ErrorCode.NO_DOMAIN, f"no domain with matching uuid '{uuid_str(uuid)}'"
            )
        raise _not_found("Domain", ErrorCode.NO_DOMAIN, None)

    def domain_by_ref(self, name: str, uuid: bytes) -> Domain:
        """Resolve a ``remote_nonnull_domain`` (uuid first, as libvirt does)."""
        return self.lookup_domain(uuid=uuid)

    def start_domain(self, domain: Domain) -> None:
        if domain.active:
            raise internal_error(f"Domain '{domain.name}' is already running")
        self._start(domain)

    def destroy_domain(self, domain: Domain) -> None:
        if not domain.active:
            raise operation_invalid("domain is not running")
        self._stop(domain, REASON_SHUTOFF_DESTROYED, DETAIL_STOPPED_DESTROYED)

    def shutdown_domain(self, domain: Domain) -> None:
        if domain.state != DomainState.RUNNING:
            raise internal_error(f"domain '{domain.name}' not running")
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.SHUTDOWN, DETAIL_SHUTDOWN_FINISHED))
        self._stop(domain, REASON_SHUTOFF_SHUTDOWN, DETAIL_STOPPED_SHUTDOWN)

    def reboot_domain(self, domain: Domain) -> None:
        if not domain.active:
            raise operation_invalid("domain is not running")
        self._emit(ObjectEvent("domain-reboot", domain))

    def suspend_domain(self, domain: Domain) -> None:
        if domain.state != DomainState.RUNNING:
            raise internal_error(f"domain '{domain.name}' not running")
        domain.state, domain.reason = DomainState.PAUSED, REASON_PAUSED_USER
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.SUSPENDED, DETAIL_SUSPENDED_PAUSED))

    def resume_domain(self, domain: Domain) -> None:
        if domain.state != DomainState.PAUSED:
            raise internal_error(f"domain '{domain.name}' not paused")
        domain.state, domain.reason = DomainState.RUNNING, REASON_RUNNING_UNPAUSED
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.RESUMED, DETAIL_RESUMED_UNPAUSED))

    def undefine_domain(self, domain: Domain) -> None:
        # libvirt's test driver undefines a transient domain too (a no-op
        # while it runs, as for any running domain)
        if domain.active:
            domain.persistent = False
        else:
            domain.release_fds()
            del self.domains[domain.name]
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.UNDEFINED, 0))

    def rename_domain(self, domain: Domain, new_name: str) -> None:
        """``virDomainRename``: a stopped persistent domain gets a new name."""
        if domain.active:
            raise operation_invalid("cannot rename active domain", ErrorDomain.TEST)
        if not domain.persistent:
            raise operation_invalid("cannot rename a transient domain", ErrorDomain.TEST)
        if "/" in new_name:
            raise RpcFault(ErrorCode.XML_ERROR, ErrorDomain.TEST,
                           f"XML error: name {new_name} cannot contain '/'")
        if new_name in self.domains:
            raise RpcFault(ErrorCode.OPERATION_INVALID, ErrorDomain.DOMAIN,
                           f"Requested operation is not valid: domain with name "
                           f"'{new_name}' already exists")
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.UNDEFINED, DETAIL_UNDEFINED_RENAMED))
        del self.domains[domain.name]
        domain.name = new_name
        name_element = domain.definition.find("name")
        if name_element is not None:
            name_element.text = new_name
        self.domains[new_name] = domain
        self._emit(ObjectEvent("domain", domain, LifecycleEvent.DEFINED, DETAIL_DEFINED_RENAMED))

    def set_metadata(self, domain: Domain, kind: int, text: str | None,
                     key: str | None, uri: str | None, flags: int = 0) -> None:
        """Change the description, title or an element in the copies
        ``flags`` (``VIR_DOMAIN_AFFECT_*``) select."""
        targets = domain.texts_for(flags)
        if kind == METADATA_DESCRIPTION:
            for texts in targets:
                texts.description = text or None
        elif kind == METADATA_TITLE:
            if text and "\n" in text:
                raise RpcFault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                               "invalid argument: title can't contain newlines")
            for texts in targets:
                texts.title = text or None
        elif kind == METADATA_ELEMENT:
            if not uri:
                raise RpcFault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                               "invalid argument: uri must not be NULL")
            if not text:
                for texts in targets:
                    texts.elements.pop(uri, None)
            else:
                element = parse_xml(text, "metadata_xml")
                element.tag = "{{{}}}{}".format(uri, element.tag.split("}")[-1])
                ET.register_namespace(key or "meta", uri)
                for texts in targets:
                    texts.elements[uri] = ET.tostring(element, encoding="unicode")
        else:
            raise RpcFault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                           f"invalid argument: unknown metadata type '{kind}'")
        self._emit(ObjectEvent("domain-metadata", domain, kind))

    def get_metadata(self, domain: Domain, kind: int, uri: str | None, flags: int = 0) -> str:
        texts = domain.texts_to_read(flags)
        value: str | None
        if kind == METADATA_DESCRIPTION:
            value = texts.description
        elif kind == METADATA_TITLE:
            value = texts.title
        else:
            stored = texts.elements.get(uri or "")
            value = None
            if stored is not None:
                element = ET.fromstring(stored)
                element.tag = element.tag.split("}")[-1]
                value = ET.tostring(element, encoding="unicode")
        if value is None:
            raise RpcFault(ErrorCode.NO_DOMAIN_METADATA, ErrorDomain.DOMAIN,
                           "metadata not found: Requested metadata element is not present")
        return value

    def associate_fds(self, domain: Domain, name: str, fds: list[int]) -> None:
        """Keep ``fds`` under ``name`` for the domain (ownership moves here)."""
        previous = domain.associated_fds.pop(name, [])
        close_fds(previous)
        domain.associated_fds[name] = list(fds)
        fds.clear()

    # -- networks ---------------------------------------------------------

    def define_network(self, xml_text: str, *, emit: bool = True) -> Network:
        root = parse_xml(xml_text, "network_definition", domain=ErrorDomain.NETWORK)
        if root.tag != "network":
            raise xml_invalid(f"unexpected root element <{root.tag}>, expecting <network>",
                              ErrorDomain.NETWORK)
        name = (root.findtext("name") or "").strip()
        if not name:
            raise RpcFault(ERR_NO_NAME, ErrorDomain.NETWORK, "missing name information")
        uuid_element = root.find("uuid")
        uuid = parse_uuid(uuid_element.text if uuid_element is not None else None,
                          ErrorDomain.NETWORK)
        if uuid_element is None:
            uuid_element = ET.Element("uuid")
            root.insert(1, uuid_element)
        uuid_element.text = uuid_str(uuid)
        bridge = network_defaults(root)
        existing = self.networks.get(name)
        if existing is not None:
            if existing.uuid != uuid:
                raise RpcFault(ErrorCode.OPERATION_FAILED, ErrorDomain.NETWORK,
                               f"operation failed: network '{name}' already exists with uuid "
                               f"{uuid_str(existing.uuid)}")
            existing.definition, existing.persistent = root, True
            existing.bridge = bridge
            network = existing
        else:
            network = Network(name, uuid, root, bridge)
            self.networks[name] = network
        if emit:
            self._emit(ObjectEvent("network", network, LifecycleEvent.DEFINED, 0))
        return network

    def lookup_network(self, *, name: str | None = None, uuid: bytes | None = None) -> Network:
        for network in self.networks.values():
            if (name is not None and network.name == name) or (
                uuid is not None and network.uuid == bytes(uuid)
            ):
                return network
        detail = (f"no network with matching name '{name}'" if name is not None
                  else f"no network with matching uuid '{uuid_str(uuid or bytes(16))}'")
        raise _not_found("Network", ErrorCode.NO_NETWORK, detail)

    def start_network(self, network: Network) -> None:
        if network.active:
            raise operation_invalid(f"Network '{network.name}' is already running",
                                    ErrorDomain.TEST)
        network.active = True
        self._emit(ObjectEvent("network", network, 2, 0))

    def destroy_network(self, network: Network) -> None:
        # libvirt's test driver stops a network whether it runs or not
        network.active = False
        self._emit(ObjectEvent("network", network, 3, 0))
        if not network.persistent:
            del self.networks[network.name]

    def undefine_network(self, network: Network) -> None:
        if network.active:
            raise operation_invalid(f"Network '{network.name}' is still running",
                                    ErrorDomain.TEST)
        del self.networks[network.name]
        self._emit(ObjectEvent("network", network, LifecycleEvent.UNDEFINED, 0))

    # -- storage ----------------------------------------------------------

    def lookup_pool(self, *, name: str | None = None, uuid: bytes | None = None) -> StoragePool:
        for pool in self.pools.values():
            if (name is not None and pool.name == name) or (
                uuid is not None and pool.uuid == bytes(uuid)
            ):
                return pool
        detail = (f"no storage pool with matching name '{name}'" if name is not None
                  else f"no storage pool with matching uuid '{uuid_str(uuid or bytes(16))}'")
        raise _not_found("Storage pool", ErrorCode.NO_STORAGE_POOL, detail)

    def active_pool(self, name: str) -> StoragePool:
        """The pool called ``name``, which must be running (as the test
        driver's ``testStoragePoolObjFindActiveByName``)."""
        pool = self.lookup_pool(name=name)
        if not pool.active:
            raise operation_invalid(f"storage pool '{name}' is not active", ErrorDomain.TEST)
        return pool

    def start_pool(self, pool: StoragePool) -> None:
        """``virStoragePoolCreate``: start an inactive pool."""
        if pool.active:
            raise operation_invalid(f"storage pool '{pool.name}' is active", ErrorDomain.TEST)
        pool.active = True
        self._emit(ObjectEvent("pool", pool, POOL_EVENT_STARTED, 0))

    def stop_pool(self, pool: StoragePool) -> None:
        """``virStoragePoolDestroy``: stop a running pool (a transient one goes away)."""
        if not pool.active:
            raise operation_invalid(f"storage pool '{pool.name}' is not active", ErrorDomain.TEST)
        pool.active = False
        self._emit(ObjectEvent("pool", pool, POOL_EVENT_STOPPED, 0))
        if not pool.persistent:
            del self.pools[pool.name]

    def lookup_volume(self, *, pool: str | None = None, name: str | None = None,
                      key: str | None = None, path: str | None = None) -> Volume:
        """A volume by pool and name, or by key or path (the same here) in any
        running pool; the pool named must be running."""
        if path is not None:
            try:
                return self.lookup_volume(key=path)
            except RpcFault:
                raise _not_found("Storage volume", ErrorCode.NO_STORAGE_VOL,
                                 f"no storage vol with matching path '{path}'") from None
        if pool is not None:
            self.active_pool(pool)
        for storage_pool in self.pools.values():
            if pool is not None and storage_pool.name != pool:
                continue
            if not storage_pool.active:
                continue
            for volume in storage_pool.volumes.values():
                if (name is not None and volume.name == name) or (
                    key is not None and volume.path == key
                ):
                    return volume
        what = name if name is not None else key
        kind = "name" if name is not None else "key"
        raise _not_found("Storage volume", ErrorCode.NO_STORAGE_VOL,
                         f"no storage vol with matching {kind} '{what}'")

    def create_volume(self, pool: StoragePool, xml_text: str,
                      source: Volume | None = None) -> Volume:
        """A new volume in ``pool`` from its definition (``source``: the
        volume it clones, ``virStorageVolCreateXMLFrom``)."""
        root = parse_xml(xml_text, "volume_definition", domain=ErrorDomain.STORAGE)
        if root.tag != "volume":
            raise xml_invalid(f"unexpected root element <{root.tag}>, expecting <volume>",
                              ErrorDomain.STORAGE)
        name = (root.findtext("name") or "").strip()
        if not name:
            raise xml_invalid("missing volume name element", ErrorDomain.STORAGE)
        if "/" in name:
            raise xml_invalid(f"volume name '{name}' cannot contain '/'", ErrorDomain.STORAGE)
        if name in pool.volumes:
            raise RpcFault(ErrorCode.OPERATION_FAILED, ErrorDomain.TEST,
                           "operation failed: storage vol already exists")
        capacity = scaled_int(root.find("capacity"), "bytes") or 0
        if capacity > MAX_VOLUME_BYTES:
            raise RpcFault(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE,
                           "invalid argument: volume too large for the test pool")
        allocation_element = root.find("allocation")
        allocation = (capacity if allocation_element is None
                      else scaled_int(allocation_element, "bytes") or 0)
        image_format = root.find("target/format")
        volume = Volume(name, pool.name, f"{pool.path}/{name}", capacity,
                        declared_allocation=min(allocation, capacity),
                        format=(image_format.get("type") if image_format is not None
                                else None) or "raw")
        volume.extents = [(capacity, None)] if capacity else []
        if source is not None:  # a clone starts as a copy of its source
            volume.extents = list(source.extents)
            volume.capacity = max(capacity, source.capacity)
            volume.declared_allocation = max(volume.declared_allocation,
                                             source.declared_allocation)
        pool.volumes[name] = volume
        return volume

    def delete_volume(self, volume: Volume) -> None:
        self.pools[volume.pool].volumes.pop(volume.name, None)
