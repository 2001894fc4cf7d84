"""What every object kind's handlers share: the base class with the
hypervisor, references to and lookups of its objects, and libvirt's errors.

Each object kind's handlers are a mixin class on :class:`DriverBase`, which
is the generated :class:`~virtrpc.protocols.remote_calls.RemoteHandlers`
interface: ``mypy`` checks every handler's args and reply types against the
protocol.  :class:`~virtrpc.testdriver.driver.TestDriver` combines them.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from virtrpc.protocols import remote
from virtrpc.protocols.remote_calls import RemoteHandlers
from virtrpc.server.client import ServerClient
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.model import Domain, Hypervisor, Network, ObjectEvent, StoragePool, Volume
from virtrpc.testdriver.xmlutil import uuid_str

_log = logging.getLogger(__name__)


def _release(state: Hypervisor) -> None:
    for domain in list(state.domains.values()):
        domain.release_fds()


def fault(code: int, domain: int, message: str) -> RpcFault:
    return RpcFault(code, domain, message)


def not_open() -> RpcFault:
    return fault(
        ErrorCode.INTERNAL_ERROR,
        ErrorDomain.REMOTE,
        "internal error: hypervisor connection not open",
    )


def unsupported_flags(flags: int, function: str) -> RpcFault:
    """The test driver's ``virCheckFlags`` failure."""
    return fault(
        ErrorCode.INVALID_ARG,
        ErrorDomain.TEST,
        f"unsupported flags ({flags:#x}) in function {function}",
    )


def check_flags(flags: int, allowed: int, function: str) -> None:
    """The test driver's ``virCheckFlags``: refuse the bits outside
    ``allowed``, naming only those (``unsupported flags (0x80000000) ...``)."""
    if flags & ~allowed:
        raise unsupported_flags(flags & ~allowed, function)


def c_chars(text: str, size: int | None = None) -> list[int]:
    """A C char array: NUL-terminated bytes (padded to ``size`` for fixed arrays)."""
    data = [*list(text.encode()), 0]
    if size is not None:
        data = (data + [0] * size)[:size]
    return data


@dataclass
class Registration:
    """One event callback registered by a client."""

    client: ServerClient
    callback_id: int
    kind: str  # "domain", "network", "pool", "domain-legacy"
    event_id: int
    uuid: bytes | None


#: The state (hypervisor) of the URI the client of the current call opened;
#: set around every call by the driver (None: the default node's).
CALL_STATE: ContextVar[Hypervisor | None] = ContextVar("virtrpc_testdriver_state", default=None)

DEFAULT_NODE = "/default"

#: Loads a node file (``test:///path/node.xml``) into a fresh hypervisor,
#: raising :class:`RpcFault` worded as libvirtd's test driver for a bad file.
NodeLoader = Callable[[str], Hypervisor]


class DriverBase(RemoteHandlers[CallContext]):
    """The hypervisors (one per URI opened), the event registrations, and the
    helpers handlers share.

    ``self.hv`` is the hypervisor of the URI the current call's client opened
    (``test:///default``, or a node file's); outside calls, the default one.
    """

    def __init__(
        self,
        hypervisor: Hypervisor | None = None,
        *,
        reset_when_unused: bool = False,
        extras: bool = False,
        node_loader: NodeLoader | None = None,
        default_node: str | None = None,
    ) -> None:
        #: offer what libvirtd's test driver lacks (secrets, job info, a
        #: sample volume in the default pool)
        self.extras = extras
        #: loads ``test:///path`` node files (None: only test:///default is served)
        self.node_loader = node_loader
        #: a node file that takes the place of the built-in default node (``--node``)
        self.default_node = default_node
        self._default_hv = hypervisor if hypervisor is not None else self._fresh_default()
        self._default_hv.add_listener(self._on_event)
        #: the node files' hypervisors by path, when states are kept (without
        #: ``reset_when_unused``); else each connection reads its own
        self.file_states: dict[str, Hypervisor] = {}
        #: libvirtd's state rule (see :meth:`client_closed`); off by default.
        self.reset_when_unused = reset_when_unused
        #: clients that have the hypervisor open (connect_open, no connect_close yet)
        self.connections: set[ServerClient] = set()
        self._callback_ids = itertools.count(1)
        self.registrations: list[Registration] = []
        self.events_sent = 0

    @property
    def hv(self) -> Hypervisor:
        state = CALL_STATE.get()
        return state if state is not None else self._default_hv

    @hv.setter
    def hv(self, value: Hypervisor) -> None:
        self._default_hv = value

    def _fresh_default(self) -> Hypervisor:
        if self.default_node is not None and self.node_loader is not None:
            return self.node_loader(self.default_node)
        return Hypervisor(sample_volume=self.extras)

    def state_of(self, client: ServerClient) -> Hypervisor:
        """The hypervisor of the URI ``client`` opened."""
        state = client.data.get("state")
        return state if isinstance(state, Hypervisor) else self._default_hv

    def open_state(self, client: ServerClient, key: str) -> Hypervisor:
        """Give ``client`` the state of URI path ``key``: the default node's,
        or a node file's, read for this connection alone (libvirtd's rule) or,
        when states are kept, read once and shared by every connection to it.
        A bad file raises and changes nothing."""
        if key == DEFAULT_NODE:
            state = self._default_hv
        elif key in self.file_states:
            state = self.file_states[key]
        else:
            if self.node_loader is None:
                raise fault(ErrorCode.NO_CONNECT, ErrorDomain.NONE,
                            f"no connection driver available for test://{key}")
            state = self.node_loader(key)
            state.add_listener(self._on_event)
            if not self.reset_when_unused:
                self.file_states[key] = state
        client.data["state"] = state
        client.data["state_key"] = key
        return state

    def _on_event(self, event: ObjectEvent) -> None:
        """A change of the model (the events mixin sends it to registered clients)."""

    def connection_opened(self, client: ServerClient) -> None:
        self.connections.add(client)

    def client_closed(self, client: ServerClient) -> None:
        """A client closed the hypervisor (``connect_close``) or went away.

        Its event registrations go.  With ``reset_when_unused`` (libvirtd's
        rule), the last connection to ``test:///default`` closing resets the
        default node, and a connection's own node file state goes with it;
        otherwise the states live as long as the server.
        """
        self.registrations = [r for r in self.registrations if r.client is not client]
        if client not in self.connections:
            return
        self.connections.discard(client)
        if not self.reset_when_unused:
            return
        if client.data.get("state_key", DEFAULT_NODE) != DEFAULT_NODE:
            state = self.state_of(client)
            _release(state)
            state.remove_listener(self._on_event)
        elif not any(c.data.get("state_key", DEFAULT_NODE) == DEFAULT_NODE
                     for c in self.connections):
            self.reset()

    def reset(self) -> None:
        """Forget every change: a fresh default node (fds the domains held are
        closed).  A ``default_node`` file that can no longer be read leaves
        the state as it is (logged): the server goes on."""
        try:
            fresh = self._fresh_default()
        except RpcFault as error:
            _log.warning("cannot reset to node file %s: %s", self.default_node, error)
            return
        _release(self._default_hv)
        self._default_hv.remove_listener(self._on_event)
        self._default_hv = fresh
        self._default_hv.add_listener(self._on_event)

    def close(self) -> None:
        """Release every fd the hypervisors' domains hold (server shutdown)."""
        for state in (self._default_hv, *self.file_states.values()):
            _release(state)

    # -- what the kinds modelled in their own modules tell the domain listings ----
    # (overridden by the save/restore, snapshot and checkpoint handlers)

    def has_managed_save(self, domain: Domain) -> bool:
        return False

    def has_snapshots(self, domain: Domain) -> bool:
        return False

    def has_checkpoints(self, domain: Domain) -> bool:
        return False

    # -- references to the hypervisor's objects, and lookups by reference --------

    @staticmethod
    def _dom(domain: Domain) -> remote.RemoteNonnullDomain:
        return remote.RemoteNonnullDomain(name=domain.name, uuid=domain.uuid, id=domain.id)

    @staticmethod
    def _net(network: Network) -> remote.RemoteNonnullNetwork:
        return remote.RemoteNonnullNetwork(name=network.name, uuid=network.uuid)

    @staticmethod
    def _pool(pool: StoragePool) -> remote.RemoteNonnullStoragePool:
        return remote.RemoteNonnullStoragePool(name=pool.name, uuid=pool.uuid)

    @staticmethod
    def _vol(volume: Volume) -> remote.RemoteNonnullStorageVol:
        return remote.RemoteNonnullStorageVol(pool=volume.pool, name=volume.name, key=volume.path)

    def _domain(self, ref: remote.RemoteNonnullDomain) -> Domain:
        try:
            return self.hv.lookup_domain(uuid=bytes(ref.uuid))
        except RpcFault:
            raise fault(
                ErrorCode.NO_DOMAIN,
                ErrorDomain.TEST,
                f"Domain not found: no domain with matching uuid "
                f"'{uuid_str(bytes(ref.uuid))}' ({ref.name})",
            ) from None

    def _network(self, ref: remote.RemoteNonnullNetwork) -> Network:
        return self.hv.lookup_network(name=ref.name)

    def _storage_pool(self, ref: remote.RemoteNonnullStoragePool) -> StoragePool:
        return self.hv.lookup_pool(name=ref.name)

    def _volume(self, ref: remote.RemoteNonnullStorageVol) -> Volume:
        return self.hv.lookup_volume(pool=ref.pool, name=ref.name)
