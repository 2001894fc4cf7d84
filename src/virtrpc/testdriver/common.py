"""What every object kind's handlers share: the base class with the
hypervisor, references to and lookups of its objects, and libvirt's errors.

Each object kind's handlers are a mixin class on :class:`DriverBase`, which
is the generated :class:`~virtrpc.protocols.remote_calls.RemoteHandlers`
interface: ``mypy`` checks every handler's args and reply types against the
protocol.  :class:`~virtrpc.testdriver.driver.TestDriver` combines them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from virtrpc.protocols import remote
from virtrpc.protocols.remote_calls import RemoteHandlers
from virtrpc.server.client import ServerClient
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.model import Domain, Hypervisor, Network, ObjectEvent, StoragePool, Volume
from virtrpc.testdriver.xmlutil import uuid_str


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


class DriverBase(RemoteHandlers):
    """The hypervisor, the event registrations, and the helpers handlers share."""

    def __init__(
        self,
        hypervisor: Hypervisor | None = None,
        *,
        reset_when_unused: bool = False,
        extras: bool = False,
    ) -> None:
        #: offer what libvirtd's test driver lacks (secrets, job info, a
        #: sample volume in the default pool)
        self.extras = extras
        self.hv = hypervisor if hypervisor is not None else Hypervisor(sample_volume=extras)
        self.hv.add_listener(self._on_event)
        #: libvirtd's state rule (see :meth:`client_closed`); off by default.
        self.reset_when_unused = reset_when_unused
        #: clients that have the hypervisor open (connect_open, no connect_close yet)
        self.connections: set[ServerClient] = set()
        self._callback_ids = itertools.count(1)
        self.registrations: list[Registration] = []
        self.events_sent = 0

    def _on_event(self, event: ObjectEvent) -> None:
        """A change of the model (the events mixin sends it to registered clients)."""

    def connection_opened(self, client: ServerClient) -> None:
        self.connections.add(client)

    def client_closed(self, client: ServerClient) -> None:
        """A client closed the hypervisor (``connect_close``) or went away.

        Its event registrations go.  With ``reset_when_unused``, the last
        connection closing resets the state to the default node, as libvirtd's
        test driver frees its ``test:///default`` state when its last
        connection closes; by default the state lives as long as the server.
        """
        self.registrations = [r for r in self.registrations if r.client is not client]
        if client not in self.connections:
            return
        self.connections.discard(client)
        if self.reset_when_unused and not self.connections:
            self.reset()

    def reset(self) -> None:
        """Forget every change: a fresh default node (fds the domains held are closed)."""
        self.close()
        self.hv.remove_listener(self._on_event)
        self.hv = Hypervisor(sample_volume=self.extras)
        self.hv.add_listener(self._on_event)

    def close(self) -> None:
        """Release every fd the hypervisor's domains hold (server shutdown)."""
        for domain in list(self.hv.domains.values()):
            domain.release_fds()

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
