"""RPC handlers of the remote program backed by the in-memory hypervisor.

:class:`TestDriver` has one method per implemented remote procedure, named
after it (``domain_get_info``...), from one mixin per object kind
(connection and host, save/restore, snapshots, checkpoints, domains, networks, net-update, storage, pool definitions,
interfaces, node devices, events), each
implementing its part of the generated ``RemoteHandlers`` interface; the
procedures none of them implements answer ``VIR_ERR_NO_SUPPORT``.  State
lives in one :class:`~virtrpc.testdriver.model.Hypervisor` per URI
(``test:///default``, or a node file ``test:///path/node.xml``), shared by
the clients that opened it, for the whole life of the server (or, with
``reset_when_unused``, until its last connection closes); per-client state
(the open connection and its URI's state, event registrations) lives in
``client.data``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import RpcFault, rpc_error
from virtrpc.server.program import Handler, ProgramService, bound_handlers
from virtrpc.testdriver.checkpoints import CheckpointHandlers
from virtrpc.testdriver.common import CALL_STATE, not_open
from virtrpc.testdriver.connection import ConnectionHandlers
from virtrpc.testdriver.domains import DomainHandlers
from virtrpc.testdriver.events import EventHandlers
from virtrpc.testdriver.interfaces import InterfaceHandlers
from virtrpc.testdriver.migration import MigrationHandlers
from virtrpc.testdriver.model import Hypervisor
from virtrpc.testdriver.netupdate import NetworkUpdateHandlers
from virtrpc.testdriver.networks import NetworkHandlers
from virtrpc.testdriver.nodedevices import NodeDeviceHandlers
from virtrpc.testdriver.nodefile import NodeFileHandlers, load_node_file
from virtrpc.testdriver.pooldefs import PoolDefinitionHandlers
from virtrpc.testdriver.savestate import SaveHandlers
from virtrpc.testdriver.snapshots import SnapshotHandlers
from virtrpc.testdriver.storage import StorageHandlers

# Procedures a client may call before connect_open.
_BEFORE_OPEN = frozenset({"auth_list", "connect_open", "connect_supports_feature", "connect_close"})

# The legacy list procedures whose server side libvirt generates
# (gendispatch.pl): libvirtd checks the requested maximum against the bound of
# the returned array before the driver runs.  Procedure -> (args field, name of
# the bound in remote_protocol.x, which libvirtd's message quotes).
LIST_LIMITS: dict[str, tuple[str, str]] = {
    "connect_list_domains": ("maxids", "REMOTE_DOMAIN_LIST_MAX"),
    "connect_list_defined_domains": ("maxnames", "REMOTE_DOMAIN_LIST_MAX"),
    "connect_list_networks": ("maxnames", "REMOTE_NETWORK_LIST_MAX"),
    "connect_list_defined_networks": ("maxnames", "REMOTE_NETWORK_LIST_MAX"),
    "connect_list_storage_pools": ("maxnames", "REMOTE_STORAGE_POOL_LIST_MAX"),
    "connect_list_defined_storage_pools": ("maxnames", "REMOTE_STORAGE_POOL_LIST_MAX"),
    "storage_pool_list_volumes": ("maxnames", "REMOTE_STORAGE_VOL_LIST_MAX"),
    "node_get_cells_free_memory": ("maxcells", "REMOTE_NODE_MAX_CELLS"),
    "node_list_devices": ("maxnames", "REMOTE_NODE_DEVICE_LIST_MAX"),
    "node_device_list_caps": ("maxnames", "REMOTE_NODE_DEVICE_CAPS_LIST_MAX"),
    "connect_list_interfaces": ("maxnames", "REMOTE_INTERFACE_LIST_MAX"),
    "connect_list_defined_interfaces": ("maxnames", "REMOTE_INTERFACE_LIST_MAX"),
    "connect_list_secrets": ("maxuuids", "REMOTE_SECRET_LIST_MAX"),
    "connect_list_nwfilters": ("maxnames", "REMOTE_NWFILTER_LIST_MAX"),
    "domain_snapshot_list_names": ("maxnames", "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX"),
    "domain_snapshot_list_children_names": ("maxnames", "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX"),
}


class TestDriver(
    NodeFileHandlers,  # before ConnectionHandlers: it refines open and the host's facts
    ConnectionHandlers,
    SaveHandlers,  # before DomainHandlers: it refines start and undefine
    SnapshotHandlers,  # before DomainHandlers: it refines undefine
    CheckpointHandlers,  # before DomainHandlers: it refines undefine
    MigrationHandlers,
    DomainHandlers,
    NetworkHandlers,
    NetworkUpdateHandlers,
    StorageHandlers,
    PoolDefinitionHandlers,
    InterfaceHandlers,
    NodeDeviceHandlers,
    EventHandlers,
):
    """The remote program's handlers for the built-in test hypervisor."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        hypervisor: Hypervisor | None = None,
        *,
        reset_when_unused: bool = False,
        extras: bool = False,
        default_node: str | None = None,
    ) -> None:
        super().__init__(hypervisor, reset_when_unused=reset_when_unused, extras=extras,
                         node_loader=load_node_file, default_node=default_node)

    def service(self) -> ProgramService:
        """The remote program with these handlers, guarded by connect_open."""
        service = ProgramService(remote.PROGRAM)
        for name, method in bound_handlers(remote.PROGRAM, self).items():
            if name in LIST_LIMITS:
                method = _check_list_limit(method, *LIST_LIMITS[name])
            if name in _BEFORE_OPEN:
                service.add(name, method)
            else:
                service.add(name, _require_open(method))
        return service


def hypervisor_services() -> list[ProgramService]:
    """The qemu and lxc programs as libvirtd serves them over its test driver:
    present (no "Cannot find program"), every call refused as the driver
    lacks it, naming the public function (``virDomainQemuMonitorCommand``,
    ``virConnectDomainQemuMonitorEventRegister``, ``virDomainLxcOpenNamespace``)
    with no error domain, as libvirt-qemu.c and libvirt-lxc.c report it."""
    from virtrpc.protocols import lxc, qemu
    from virtrpc.server.errors import ErrorCode, ErrorDomain
    from virtrpc.server.program import api_name

    services = []
    for program, word in ((qemu.PROGRAM, "Qemu"), (lxc.PROGRAM, "Lxc")):
        service = ProgramService(program)
        for procedure in program.procedures.values():
            if procedure.is_event:
                continue
            name = api_name(procedure.name)
            for kind in ("virConnectDomain", "virDomain"):
                if name.startswith(kind):
                    name = kind + word + name[len(kind):]
                    break

            def refuse(ctx: CallContext, args: Any, name: str = name) -> Any:
                raise RpcFault(ErrorCode.NO_SUPPORT, ErrorDomain.NONE,
                               "this function is not supported by the connection driver: "
                               + name)

            service.add(procedure.name, _require_open(refuse))
        services.append(service)
    return services


def _require_open(method: Handler) -> Handler:
    """Refuse a procedure until the client called connect_open (as libvirtd),
    and run it on the state of the URI the client opened (``CALL_STATE``)."""

    def guarded(ctx: CallContext, args: Any) -> Any:
        if not ctx.client.data.get("open"):
            raise not_open()
        state = ctx.client.data.get("state")
        token = CALL_STATE.set(state)
        try:
            result = method(ctx, args)
        finally:
            CALL_STATE.reset(token)
        if inspect.isawaitable(result):
            return _in_state(state, result)
        return result

    guarded.__name__ = getattr(method, "__name__", "guarded")
    guarded.__doc__ = getattr(method, "__doc__", None)
    return guarded


async def _in_state(state: Any, awaitable: Awaitable[Any]) -> Any:
    """Await an async handler's work on its client's state."""
    token = CALL_STATE.set(state)
    try:
        return await awaitable
    finally:
        CALL_STATE.reset(token)


def list_limit_fault(requested: int, field: str, bound_name: str) -> RpcFault | None:
    """libvirtd's error for a list call asking for a negative or too large
    maximum (``maxids must be non-negative``, ``maxids > REMOTE_DOMAIN_LIST_MAX``),
    or None when ``requested`` is acceptable."""
    if requested < 0:
        return rpc_error(f"{field} must be non-negative")
    if requested > getattr(remote, bound_name):
        return rpc_error(f"{field} > {bound_name}")
    return None


def _check_list_limit(method: Handler, field: str, bound_name: str) -> Handler:
    """Wrap a legacy list handler with libvirtd's check of its maximum."""

    def checked(ctx: CallContext, args: Any) -> Any:
        fault = list_limit_fault(getattr(args, field), field, bound_name)
        if fault is not None:
            raise fault
        return method(ctx, args)

    checked.__name__ = getattr(method, "__name__", "checked")
    checked.__doc__ = getattr(method, "__doc__", None)
    return checked
