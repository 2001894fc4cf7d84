"""The libvirt session on the RPC core: :class:`Client`, with the generated
methods of the remote, qemu and lxc programs, the handshake after
authentication (libvirt's ``doRemoteOpen``) and event subscriptions."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final

from virtrpc.auth.credentials import CredentialCallback
from virtrpc.auth.exchange import authenticate
from virtrpc.client.core import DEFAULT_KEEPALIVE, RpcClient
from virtrpc.client.errors import LibvirtError
from virtrpc.client.events import (
    FAMILIES,
    EventCallback,
    EventFamily,
    Subscription,
)
from virtrpc.client.stream import Stream
from virtrpc.errors import InvalidValue
from virtrpc.programs import program_by_name
from virtrpc.protocols import remote as remote_protocol
from virtrpc.protocols.lxc_calls import LxcAsyncCalls
from virtrpc.protocols.qemu_calls import QemuAsyncCalls
from virtrpc.protocols.remote_calls import RemoteAsyncCalls

if TYPE_CHECKING:
    from virtrpc.client.uri import LibvirtURI

__all__ = [
    "FEATURE_PROGRAM_KEEPALIVE",
    "FEATURE_REMOTE_CLOSE_CALLBACK",
    "FEATURE_REMOTE_EVENT_CALLBACK",
    "VIR_CONNECT_RO",
    "Client",
]


# virDrvFeature values (libvirt 9.0's src/libvirt_internal.h).
FEATURE_PROGRAM_KEEPALIVE: Final = 10
FEATURE_REMOTE_EVENT_CALLBACK: Final = 14
FEATURE_REMOTE_CLOSE_CALLBACK: Final = 15

VIR_CONNECT_RO: Final = 1


_REMOTE_CONNECT_CLOSE: Final = remote_protocol.PROGRAM.by_name["connect_close"]


class Client(RpcClient, RemoteAsyncCalls[Stream], QemuAsyncCalls, LxcAsyncCalls):
    """A connection to a libvirt daemon (remote, qemu and lxc programs).
    Create it with :func:`connect`."""

    def __init__(
        self,
        uri: LibvirtURI | None,
        socket_path: str,
        *,
        readonly: bool = False,
        keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
        credentials: CredentialCallback | None = None,
    ) -> None:
        super().__init__(uri, socket_path, readonly=readonly, keepalive=keepalive)
        self._credentials = credentials
        # For authentication: the host name auth.conf entries are looked up
        # by (libvirt's VIR_URI_SERVER) and whether the channel is already
        # confidential (unix, TLS, ssh), which decides the SASL mechanisms.
        self._auth_hostname = (uri.host if uri is not None else None) or "localhost"
        self._secure = True

    # ----------------------------------------------------------------- events
    async def migrate(
        self,
        domain: remote_protocol.RemoteNonnullDomain,
        destination: Client | None,
        flags: int = 0,
        params: Any = None,
        **options: Any,
    ) -> remote_protocol.RemoteNonnullDomain:
        """Migrate ``domain`` of this connection to ``destination`` (libvirt's v3
        sequence over both connections, or peer-to-peer): see
        :func:`virtrpc.client.migration.migrate` and docs/migration.md."""
        from virtrpc.client.migration import migrate

        return await migrate(self, domain, destination, flags, params, **options)

    async def subscribe(
        self,
        family: EventFamily | str,
        event: int | str = 0,
        *,
        target: Any = None,
        callback: EventCallback | None = None,
        qemu_event: str | None = None,
        qemu_flags: int = 0,
    ) -> Subscription:
        """Register for events of one family and kind.

        ``family``: ``domain``, ``network``, ``storage_pool``, ``node_device``,
        ``secret``, ``qemu_monitor`` or ``connection`` (close of this
        connection, by the daemon or detected locally).  ``event``: the event
        id or its name (``"lifecycle"``, ``"reboot"``...).  ``target``: the
        object to watch (a ``RemoteNonnull*`` struct) or None for all.  For
        ``qemu_monitor``, ``qemu_event`` filters by QMP event name.
        """
        family = EventFamily(family)
        if family is EventFamily.CONNECTION:
            return await self._subscribe_close(callback)
        rules = FAMILIES[family]
        if isinstance(event, str):
            try:
                event_id = rules.event_ids[event]
            except KeyError:
                raise InvalidValue(
                    f"unknown {family.value} event {event!r} (known: {', '.join(rules.event_ids)})"
                ) from None
        else:
            event_id = event
        program = program_by_name(rules.program)
        assert program is not None
        register = program.by_name[rules.register]
        assert register.args_class is not None
        if family is EventFamily.QEMU_MONITOR:
            args = register.args_class(dom=target, event=qemu_event, flags=qemu_flags)
        else:
            assert rules.target_field is not None
            args = register.args_class(eventID=event_id, **{rules.target_field: target})
        callback_id = await self._call_procedure(register, args)
        sub = Subscription(
            family, event_id, callback_id, callback=callback, deregister=self._deregister
        )
        self._subscriptions[(family, callback_id)] = sub
        return sub

    async def _deregister(self, sub: Subscription) -> None:
        if sub.family is EventFamily.CONNECTION:
            with contextlib.suppress(ValueError):
                self._close_subscriptions.remove(sub)
            if not self._close_subscriptions and self.is_open and self.server_close_callback:
                await self.connect_unregister_close_callback()
            return
        assert sub.callback_id is not None
        self._subscriptions.pop((sub.family, sub.callback_id), None)
        if not self.is_open:
            return
        rules = FAMILIES[sub.family]
        program = program_by_name(rules.program)
        assert program is not None
        deregister = program.by_name[rules.deregister]
        assert deregister.args_class is not None
        await self._call_procedure(deregister, deregister.args_class(callbackID=sub.callback_id))

    async def _subscribe_close(self, callback: EventCallback | None) -> Subscription:
        sub = Subscription(
            EventFamily.CONNECTION, 0, None, callback=callback, deregister=self._deregister
        )
        if not self._close_subscriptions and self.server_close_callback:
            await self.connect_register_close_callback()
        self._close_subscriptions.append(sub)
        return sub

    async def subscribe_all(
        self, callback: EventCallback | None = None, *, include_qemu: bool = False
    ) -> list[Subscription]:
        """Subscribe to every event of every family (what ``virtrpc events`` does).

        Event kinds the daemon rejects (older daemons) are skipped.
        """
        subs: list[Subscription] = []
        for family, rules in FAMILIES.items():
            if family is EventFamily.QEMU_MONITOR and not include_qemu:
                continue
            for event_id in rules.event_ids.values():
                try:
                    subs.append(await self.subscribe(family, event_id, callback=callback))
                except LibvirtError:
                    continue
        subs.append(await self.subscribe(EventFamily.CONNECTION, callback=callback))
        return subs

    # -------------------------------------------------------------- lifecycle
    async def _authenticate(self) -> None:
        """auth_list, then SASL or polkit when the daemon asks for them
        (:mod:`virtrpc.auth`, libvirt's ``remoteAuthenticate``)."""
        await authenticate(
            self,
            target=self.uri.raw if self.uri is not None else "(default)",
            hostname=self._auth_hostname,
            secure=self._secure,
            auth=self.uri.param("auth") if self.uri is not None else None,
            auth_file=self.uri.param("authfile") if self.uri is not None else None,
            credentials=self._credentials,
        )

    async def _handshake(self, remote_name: str) -> None:
        """Everything after authentication: keepalive, connect_open, features."""
        if self.keepalive is not None:
            # Asking is what makes libvirtd start its own keepalive for us.
            self.server_keepalive = await self._supports_feature(FEATURE_PROGRAM_KEEPALIVE)
        # libvirt sends the name even when empty ("" lets the daemon probe).
        await self.connect_open(name=remote_name, flags=VIR_CONNECT_RO if self.readonly else 0)
        if self.uri is None:
            #: The URI the daemon chose when none was given.
            self.probed_uri = await self.connect_get_uri()
        self.server_event_callbacks = await self._supports_feature(FEATURE_REMOTE_EVENT_CALLBACK)
        self.server_close_callback = await self._supports_feature(FEATURE_REMOTE_CLOSE_CALLBACK)
        self._start_keepalive()

    async def _open_session(self, remote_name: str) -> None:
        """Authenticate, then handshake: what :func:`connect` runs."""
        await self._authenticate()
        await self._handshake(remote_name)

    async def _supports_feature(self, feature: int) -> bool:
        # libvirt's client treats a failed feature query as "not supported".
        try:
            return bool(await self.connect_supports_feature(feature=feature))
        except LibvirtError:
            return False

    def _send_goodbye(self) -> Awaitable[Any]:
        return self._call_procedure(_REMOTE_CONNECT_CLOSE, None)

