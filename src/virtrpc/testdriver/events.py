"""Event registrations and the event messages sent for the model's changes."""

from __future__ import annotations

from collections.abc import Iterable

from virtrpc.protocols import remote
from virtrpc.server.context import CallContext
from virtrpc.server.errors import ErrorCode, ErrorDomain
from virtrpc.testdriver.common import DriverBase, Registration, fault
from virtrpc.testdriver.model import Domain, Network, ObjectEvent, StoragePool
from virtrpc.xdr import XdrStruct

DOMAIN_EVENT_ID_LIFECYCLE = 0
DOMAIN_EVENT_ID_REBOOT = 1
DOMAIN_EVENT_ID_METADATA_CHANGE = 23
DOMAIN_EVENT_ID_MAX = 64
NETWORK_EVENT_ID_LIFECYCLE = 0
POOL_EVENT_ID_LIFECYCLE = 0


class EventHandlers(DriverBase):
    """Event callback registration, and delivery to the registered clients."""

    def _register(self, ctx: CallContext, kind: str, event_id: int, uuid: bytes | None) -> int:
        callback_id = next(self._callback_ids)
        self.registrations.append(Registration(ctx.client, callback_id, kind, event_id, uuid))
        return callback_id

    def _deregister(self, ctx: CallContext, callback_id: int, kinds: Iterable[str]) -> None:
        kinds = set(kinds)
        for registration in self.registrations:
            if (
                registration.client is ctx.client
                and registration.callback_id == callback_id
                and registration.kind in kinds
            ):
                self.registrations.remove(registration)
                return
        raise fault(
            ErrorCode.INVALID_ARG,
            ErrorDomain.NONE,
            f"invalid argument: callback {callback_id} not registered",
        )

    def connect_domain_event_callback_register_any(
        self, ctx: CallContext, args: remote.RemoteConnectDomainEventCallbackRegisterAnyArgs
    ) -> remote.RemoteConnectDomainEventCallbackRegisterAnyRet:
        if not 0 <= args.eventID < DOMAIN_EVENT_ID_MAX:
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.NONE,
                f"invalid argument: unsupported event ID {args.eventID}",
            )
        uuid = bytes(args.dom.uuid) if args.dom is not None else None
        return remote.RemoteConnectDomainEventCallbackRegisterAnyRet(
            callbackID=self._register(ctx, "domain", args.eventID, uuid)
        )

    def connect_domain_event_callback_deregister_any(
        self, ctx: CallContext, args: remote.RemoteConnectDomainEventCallbackDeregisterAnyArgs
    ) -> None:
        self._deregister(ctx, args.callbackID, ["domain"])

    def connect_domain_event_register(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectDomainEventRegisterRet:
        self._register(ctx, "domain-legacy", DOMAIN_EVENT_ID_LIFECYCLE, None)
        return remote.RemoteConnectDomainEventRegisterRet(cb_registered=1)

    def connect_domain_event_deregister(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectDomainEventDeregisterRet:
        self.registrations = [
            r
            for r in self.registrations
            if not (r.client is ctx.client and r.kind == "domain-legacy")
        ]
        return remote.RemoteConnectDomainEventDeregisterRet(cb_registered=0)

    def connect_network_event_register_any(
        self, ctx: CallContext, args: remote.RemoteConnectNetworkEventRegisterAnyArgs
    ) -> remote.RemoteConnectNetworkEventRegisterAnyRet:
        uuid = bytes(args.net.uuid) if args.net is not None else None
        return remote.RemoteConnectNetworkEventRegisterAnyRet(
            callbackID=self._register(ctx, "network", args.eventID, uuid)
        )

    def connect_network_event_deregister_any(
        self, ctx: CallContext, args: remote.RemoteConnectNetworkEventDeregisterAnyArgs
    ) -> None:
        self._deregister(ctx, args.callbackID, ["network"])

    def connect_storage_pool_event_register_any(
        self, ctx: CallContext, args: remote.RemoteConnectStoragePoolEventRegisterAnyArgs
    ) -> remote.RemoteConnectStoragePoolEventRegisterAnyRet:
        uuid = bytes(args.pool.uuid) if args.pool is not None else None
        return remote.RemoteConnectStoragePoolEventRegisterAnyRet(
            callbackID=self._register(ctx, "pool", args.eventID, uuid)
        )

    def connect_storage_pool_event_deregister_any(
        self, ctx: CallContext, args: remote.RemoteConnectStoragePoolEventDeregisterAnyArgs
    ) -> None:
        self._deregister(ctx, args.callbackID, ["pool"])

    def _on_event(self, event: ObjectEvent) -> None:
        """Turn a model state change into event messages for every client that
        registered for it."""
        by_name = remote.PROGRAM.by_name
        for registration in list(self.registrations):
            if registration.uuid is not None and registration.uuid != event.obj.uuid:
                continue
            if self.state_of(registration.client) is not self.hv:
                continue  # a client of another URI's state
            procedure = None
            message: XdrStruct | None = None
            obj = event.obj
            if registration.kind == "domain" and isinstance(obj, Domain):
                if event.kind == "domain" and registration.event_id == DOMAIN_EVENT_ID_LIFECYCLE:
                    procedure = by_name["domain_event_callback_lifecycle"]
                    message = remote.RemoteDomainEventCallbackLifecycleMsg(
                        callbackID=registration.callback_id,
                        msg=remote.RemoteDomainEventLifecycleMsg(
                            dom=self._dom(obj), event=event.event, detail=event.detail
                        ),
                    )
                elif (
                    event.kind == "domain-reboot"
                    and registration.event_id == DOMAIN_EVENT_ID_REBOOT
                ):
                    procedure = by_name["domain_event_callback_reboot"]
                    message = remote.RemoteDomainEventCallbackRebootMsg(
                        callbackID=registration.callback_id,
                        msg=remote.RemoteDomainEventRebootMsg(dom=self._dom(obj)),
                    )
                elif (
                    event.kind == "domain-metadata"
                    and registration.event_id == DOMAIN_EVENT_ID_METADATA_CHANGE
                ):
                    procedure = by_name["domain_event_callback_metadata_change"]
                    message = remote.RemoteDomainEventCallbackMetadataChangeMsg(
                        callbackID=registration.callback_id,
                        dom=self._dom(obj),
                        type=event.event,
                        nsuri=None,
                    )
            elif (
                registration.kind == "domain-legacy"
                and isinstance(obj, Domain)
                and event.kind == "domain"
            ):
                procedure = by_name["domain_event_lifecycle"]
                message = remote.RemoteDomainEventLifecycleMsg(
                    dom=self._dom(obj), event=event.event, detail=event.detail
                )
            elif (
                registration.kind == "network"
                and isinstance(obj, Network)
                and registration.event_id == NETWORK_EVENT_ID_LIFECYCLE
            ):
                procedure = by_name["network_event_lifecycle"]
                message = remote.RemoteNetworkEventLifecycleMsg(
                    callbackID=registration.callback_id,
                    net=self._net(obj),
                    event=event.event,
                    detail=event.detail,
                )
            elif (
                registration.kind == "pool"
                and isinstance(obj, StoragePool)
                and registration.event_id == POOL_EVENT_ID_LIFECYCLE
            ):
                procedure = by_name["storage_pool_event_lifecycle"]
                message = remote.RemoteStoragePoolEventLifecycleMsg(
                    callbackID=registration.callback_id,
                    pool=self._pool(obj),
                    event=event.event,
                    detail=event.detail,
                )
            if procedure is not None and registration.client.send_event(procedure, message):
                self.events_sent += 1
