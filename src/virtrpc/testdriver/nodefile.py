"""Custom node files: ``test:///path/to/node.xml`` as libvirtd's test driver
opens it.

A node file is a ``<node>`` document holding domains, networks, storage
pools (with volumes), host interfaces and node devices, each inline or in a
file named by a ``file`` attribute (relative to the node file's folder), the
host's ``<cpu>`` and ``<memory>``, and optionally an ``<auth>`` block.  Every
object starts active, domains in their ``test:runstate`` (running unless
it says otherwise).  A bad file is an error naming it (and the line, for
malformed XML), worded and coded as libvirtd's; the server goes on serving
other URIs.

An ``<auth>`` block makes libvirtd refuse every remote open of the file
(``Missing authentication credentials``): the daemon's test driver asks for
credentials through the opening process's auth callback, and a daemon has
none, so no remote client can ever satisfy it.  virtrpc refuses the same way.
"""

from __future__ import annotations

import os
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver import host
from virtrpc.testdriver.common import DEFAULT_NODE, DriverBase, c_chars, fault
from virtrpc.testdriver.interfaces import InterfaceTable, interface_from_element
from virtrpc.testdriver.model import (
    DomainState,
    Hypervisor,
    StoragePool,
    Volume,
)
from virtrpc.testdriver.nodedevices import NodeDevice, NodeDeviceTable
from virtrpc.testdriver.xmlutil import parse_uuid, parse_xml, scaled_int, xml_invalid

DOMAIN_XML = 5  # VIR_FROM_XML
DOMAIN_AUTH = 46  # VIR_FROM_AUTH
TEST_NAMESPACE = "http://libvirt.org/schemas/domain/test/1.0"
#: A bigger node file is refused unread (a node file is a few kilobytes).
MAX_NODE_FILE_BYTES = 16 * 1024 * 1024
POOL_CAPACITY = 100 * 1024**3
#: A volume's allocated bytes are kept in memory: a node file cannot ask for more.
MAX_VOLUME_ALLOCATION = 16 * 1024 * 1024


@dataclass
class NodeFacts:
    """The host of one hypervisor: what ``virsh nodeinfo`` shows, the NUMA
    cells' memory, and the users of an ``<auth>`` block."""

    hv: Hypervisor
    model: str = host.NODE_MODEL
    memory_kib: int = host.NODE_MEMORY_KIB
    cpus: int = host.NODE_CPUS
    mhz: int = host.NODE_MHZ
    nodes: int = host.NODE_NUMA_CELLS
    sockets: int = host.NODE_SOCKETS
    cores: int = host.NODE_CORES
    threads: int = host.NODE_THREADS
    cells_kib: tuple[int, ...] = host.CELL_MEMORY_KIB
    free_memory: int = host.FREE_MEMORY_BYTES
    auth_users: list[tuple[str, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.hv.populated:
            # libvirt's test driver gives a node file's host no NUMA cells and
            # no free memory.
            self.cells_kib, self.free_memory = (), 0


def _load_error(message: str) -> RpcFault:
    return RpcFault(ErrorCode.XML_ERROR, ErrorDomain.TEST, f"XML error: {message}")


def read_document(path: str) -> ET.Element:
    """The root of the XML file at ``path``, or libvirt's error naming it."""
    try:
        if os.path.isdir(path):
            raise RpcFault(ErrorCode.XML_DETAIL, ErrorDomain.TEST, f"{path}:1: Document is empty")
        with open(path, "rb") as document:
            data = document.read(MAX_NODE_FILE_BYTES + 1)
    except OSError:
        raise _load_error(f"failed to parse xml document '{path}'") from None
    if len(data) > MAX_NODE_FILE_BYTES:
        raise _load_error(f"failed to parse xml document '{path}' (larger than "
                          f"{MAX_NODE_FILE_BYTES} bytes)")
    try:
        return parse_xml(data.decode("utf-8", "replace"), path, domain=ErrorDomain.TEST)
    except RpcFault as error:
        # parse_xml words it "(PATH):LINE: reason"; libvirt says "PATH:LINE: reason".
        prefix = f"({path}):"
        text = str(error)
        if text.startswith(prefix):
            text = f"{path}:{text[len(prefix):]}"
        raise RpcFault(error.code, error.domain, text) from None


def _resolve(element: ET.Element, folder: str) -> ET.Element:
    """The element itself, or the root of the file its ``file`` attribute names."""
    name = element.get("file")
    if name is None:
        return element
    return read_document(name if os.path.isabs(name) else os.path.join(folder, name))


def _int_text(element: ET.Element | None, default: int) -> int:
    if element is None or element.text is None:
        return default
    try:
        return int(element.text.strip())
    except ValueError:
        raise _load_error(f"invalid value '{element.text.strip()}' for <{element.tag}>") from None


def load_node_file(path: str) -> Hypervisor:
    """A fresh hypervisor holding what the node file at ``path`` describes."""
    root = read_document(path)
    if root.tag != "node":
        raise RpcFault(ErrorCode.XML_ERROR, DOMAIN_XML,
                       f"XML error: expecting root element of 'node', not '{root.tag}'")
    folder = os.path.dirname(path)
    hv = Hypervisor(populate=False)
    facts = hv.kind_state(NodeFacts)
    for child in root:
        if child.tag == "domain":
            _load_domain(hv, _resolve(child, folder))
        elif child.tag == "network":
            network = hv.define_network(ET.tostring(_resolve(child, folder), encoding="unicode"),
                                        emit=False)
            network.active = True
        elif child.tag == "pool":
            _load_pool(hv, _resolve(child, folder), folder)
        elif child.tag == "interface":
            interface = interface_from_element(_resolve(child, folder))
            interface.active = True
            hv.kind_state(InterfaceTable).define(interface)
        elif child.tag == "device":
            device = NodeDevice(_resolve(child, folder))
            if not device.name:
                raise _load_error("no device name")
            hv.kind_state(NodeDeviceTable).add(device)
        elif child.tag == "cpu":
            facts.mhz = _int_text(child.find("mhz"), facts.mhz)
            facts.model = (child.findtext("model") or facts.model).strip()
            facts.cpus = _int_text(child.find("active"), facts.cpus)
            facts.nodes = _int_text(child.find("nodes"), facts.nodes)
            facts.sockets = _int_text(child.find("sockets"), facts.sockets)
            facts.cores = _int_text(child.find("cores"), facts.cores)
            facts.threads = _int_text(child.find("threads"), facts.threads)
        elif child.tag == "memory":
            facts.memory_kib = _int_text(child, facts.memory_kib)
        elif child.tag == "auth":
            facts.auth_users = [((user.text or "").strip(), user.get("password"))
                                for user in child.findall("user")]
    return hv


def _load_domain(hv: Hypervisor, element: ET.Element) -> None:
    runstate_element = element.find(f"{{{TEST_NAMESPACE}}}runstate")
    runstate = DomainState.RUNNING
    if runstate_element is not None:
        element.remove(runstate_element)
        value = _int_text(runstate_element, DomainState.RUNNING)
        if value not in {state.value for state in DomainState}:
            raise _load_error(f"invalid runstate '{value}'")
        runstate = DomainState(value)
    domain = hv.define_domain(ET.tostring(element, encoding="unicode"), emit=False)
    if runstate in (DomainState.SHUTOFF, DomainState.NOSTATE):
        return
    hv._start(domain, emit=False)
    # libvirt's test driver gives the domains of a node file no reason.
    domain.state, domain.reason = runstate, 0


def _load_pool(hv: Hypervisor, element: ET.Element, folder: str) -> None:
    name = (element.findtext("name") or "").strip()
    if not name:
        raise xml_invalid("missing pool source name element", ErrorDomain.STORAGE)
    path = (element.findtext("target/path") or "").strip()
    if not path:
        raise xml_invalid("missing storage pool target path", ErrorDomain.STORAGE)
    if name in hv.pools:
        raise RpcFault(ErrorCode.OPERATION_FAILED, ErrorDomain.STORAGE,
                       f"operation failed: pool '{name}' already exists")
    # libvirt's test driver gives every pool 100 GiB, whatever the file says.
    pool = StoragePool(name=name, uuid=parse_uuid(element.findtext("uuid"), ErrorDomain.STORAGE),
                       path=path, capacity=POOL_CAPACITY)
    for volume_element in element.findall("volume"):
        volume_root = _resolve(volume_element, folder)
        volume_name = (volume_root.findtext("name") or "").strip()
        if not volume_name or "/" in volume_name:
            raise xml_invalid("missing or invalid volume name", ErrorDomain.STORAGE)
        capacity = scaled_int(volume_root.find("capacity"), "bytes") or 0
        allocation = min(scaled_int(volume_root.find("allocation"), "bytes") or 0, capacity,
                         MAX_VOLUME_ALLOCATION)
        volume = Volume(volume_name, name, f"{path}/{volume_name}", capacity)
        volume.extents = [(allocation, bytes(allocation))] if allocation else []
        if capacity > allocation:
            volume.extents.append((capacity - allocation, None))
        pool.volumes[volume_name] = volume
    hv.pools[name] = pool


def uri_node(name: str | None) -> str | None:
    """The node a ``connect_open`` name asks for: ``/default``, a node
    file's path, or None when it is no ``test`` URI."""
    if not name:
        return DEFAULT_NODE
    parts = urllib.parse.urlsplit(name)
    if not (parts.scheme == "test" or parts.scheme.startswith("test+")):
        return None
    path = urllib.parse.unquote(parts.path)
    return path if path not in ("", "/", DEFAULT_NODE) else DEFAULT_NODE


class NodeFileHandlers(DriverBase):
    """Opening a URI's state, and the host facts of a node file (before
    :class:`ConnectionHandlers` in the driver's bases)."""

    def _facts(self) -> NodeFacts:
        return self.hv.kind_state(NodeFacts)

    def connect_open(self, ctx: CallContext, args: remote.RemoteConnectOpenArgs) -> None:
        key = uri_node(args.name)
        if key is None:
            super().connect_open(ctx, args)  # refuses it as libvirtd does
            return
        state = self.open_state(ctx.client, key)
        if state.kind_state(NodeFacts).auth_users:
            self.file_states.pop(key, None)
            ctx.client.data.pop("state", None)
            ctx.client.data.pop("state_key", None)
            raise fault(ErrorCode.INVALID_ARG, DOMAIN_AUTH,
                        "invalid argument: Missing authentication credentials")
        super().connect_open(ctx, args)
        ctx.client.data["uri"] = f"test://{key}"

    def node_get_info(self, ctx: CallContext, args: None) -> remote.RemoteNodeGetInfoRet:
        facts = self._facts()
        return remote.RemoteNodeGetInfoRet(
            model=c_chars(facts.model, 32), memory=facts.memory_kib, cpus=facts.cpus,
            mhz=facts.mhz, nodes=facts.nodes, sockets=facts.sockets, cores=facts.cores,
            threads=facts.threads)

    def node_get_free_memory(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteNodeGetFreeMemoryRet:
        return remote.RemoteNodeGetFreeMemoryRet(freeMem=self._facts().free_memory)

    def node_get_cells_free_memory(
        self, ctx: CallContext, args: remote.RemoteNodeGetCellsFreeMemoryArgs
    ) -> remote.RemoteNodeGetCellsFreeMemoryRet:
        if self.hv.populated:
            ret = super().node_get_cells_free_memory(ctx, args)
            assert isinstance(ret, remote.RemoteNodeGetCellsFreeMemoryRet)  # synchronous
            return ret
        # libvirt's public API checks first, then the test driver's range check
        # (a node file's host has no cells).
        if args.maxcells <= 0:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "maxCells in virNodeGetCellsFreeMemory must be greater than zero")
        if args.startCell < 0:
            raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                        "startCell in virNodeGetCellsFreeMemory must be zero or greater")
        raise fault(ErrorCode.INVALID_ARG, ErrorDomain.TEST,
                    "invalid argument: Range exceeds available cells")
