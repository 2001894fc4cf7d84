"""Peer-to-peer migration: the source server drives the phases itself.

With ``VIR_MIGRATE_PEER2PEER`` the client library makes a single Perform3
call on the source with the destination's URI; the source opens its own
virtrpc client connection to that URI and runs Begin3 (locally), Prepare3
(or, ``VIR_MIGRATE_TUNNELLED``, PrepareTunnel3Params with the memory sent over its
stream) on the destination, the transfer (locally), Finish3 on the
destination and Confirm3 (locally), with libvirt's cleanup when a phase
fails: Finish3 with ``cancelled=1`` after a failed transfer, Confirm3 with
``cancelled=1`` after a failed Finish3.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from virtrpc.errors import VirtrpcError
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.testdriver.common import fault
from virtrpc.testdriver.migration import (
    MIGRATE_TUNNELLED,
    PARAM_BANDWIDTH,
    PARAM_DEST_NAME,
    PARAM_DEST_XML,
    PARAM_URI,
    cookie_id,
    string_param,
    ullong_param,
)
from virtrpc.testdriver.model import Domain

if TYPE_CHECKING:
    from virtrpc.client.client import Client
    from virtrpc.testdriver.migration import MigrationHandlers

#: bytes of simulated memory per tunnelled stream message
TUNNEL_CHUNK = 64 * 1024
#: how much simulated memory a tunnelled migration really sends (the rest is counted)
TUNNEL_BYTES = 1024 * 1024


def _remote_fault(error: BaseException, what: str) -> RpcFault:
    """A failure of the destination as this server's error to its client."""
    code = getattr(error, "code", None)
    domain = getattr(error, "domain", None)
    message = getattr(error, "message", None) or str(error)
    if isinstance(code, int) and isinstance(domain, int):
        return fault(code, domain, message)
    return fault(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN,
                 f"operation failed: {what}: {message}")


def check_uri(dconnuri: str | None) -> None:
    """The destination URI of a peer-to-peer Perform3, checked before anything starts."""
    from virtrpc.client.uri import parse_uri

    if not dconnuri:
        raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                    "invalid argument: dconnuri in virDomainMigratePerform3 must not be NULL")
    try:
        parse_uri(dconnuri)
    except (VirtrpcError, ValueError) as exc:
        raise fault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN,
                    f"invalid argument: dconnuri {dconnuri!r}: {exc}") from None


async def peer_to_peer(driver: MigrationHandlers, domain: Domain, dconnuri: str, flags: int,
                       dname: str | None, bandwidth: int, uri: str | None,
                       begun: tuple[bytes, str]) -> bytes:
    """The phases after Begin3 (done by the caller), against ``dconnuri``."""
    from virtrpc.client.client import connect

    cookie, dom_xml = begun
    try:
        dconn = await connect(dconnuri, keepalive=None, timeout=10.0)
    except BaseException as exc:
        driver.confirm_migration(domain, cookie, flags, cancelled=True)
        if isinstance(exc, (VirtrpcError, OSError)):
            raise fault(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN,
                        f"operation failed: Failed to connect to remote libvirt URI "
                        f"{dconnuri}: {exc}") from None
        raise
    try:
        await _run_phases(driver, dconn, domain, flags, cookie, dom_xml, dname, bandwidth, uri)
    finally:
        with contextlib.suppress(Exception):
            await dconn.close()
    return b""


async def _run_phases(driver: MigrationHandlers, dconn: Client, domain: Domain, flags: int,
                      cookie: bytes, dom_xml: str, dname: str | None, bandwidth: int,
                      uri: str | None) -> None:
    migration = driver.outgoing[domain.uuid]
    name = dname or domain.name
    params = [string_param(PARAM_DEST_XML, dom_xml), string_param(PARAM_DEST_NAME, name)]
    if uri:
        params.append(string_param(PARAM_URI, uri))
    if bandwidth:
        params.append(ullong_param(PARAM_BANDWIDTH, bandwidth))
    stream = None
    try:
        if flags & MIGRATE_TUNNELLED:
            # As libvirt's p2p does when the destination has
            # VIR_DRV_FEATURE_MIGRATION_PARAMS (every daemon this talks to: the
            # finish below is the _params one too).
            stream = await dconn.domain_migrate_prepare_tunnel3_params(
                params=params, cookie_in=cookie, flags=flags)
            prepared = bytes(stream.reply)
        else:
            prepared = bytes((await dconn.domain_migrate_prepare3_params(
                params=params, cookie_in=cookie, flags=flags)).cookie_out)
    except BaseException as exc:
        driver.confirm_migration(domain, cookie, flags, cancelled=True)
        if isinstance(exc, VirtrpcError) and not isinstance(exc, RpcFault):
            raise _remote_fault(exc, "prepare on the destination") from None
        raise
    performed: BaseException | None = None
    try:
        if cookie_id(prepared) != migration.migration_id:
            raise fault(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN,
                        "internal error: destination answered for another migration")
        await driver.transfer(migration)
        if stream is not None:
            chunk = b"\0" * TUNNEL_CHUNK
            for _ in range(TUNNEL_BYTES // TUNNEL_CHUNK):
                await stream.send(chunk)
            await stream.finish()
    except BaseException as exc:
        performed = exc
        if stream is not None:
            with contextlib.suppress(Exception):
                await stream.abort()
    finished = False
    try:
        await dconn.domain_migrate_finish3_params(
            params=params, cookie_in=cookie, flags=flags, cancelled=int(performed is not None))
        finished = True
    except VirtrpcError as exc:
        if performed is None:
            performed = _remote_fault(exc, "finish on the destination")
    driver.confirm_migration(domain, cookie, flags, cancelled=not finished)
    if performed is not None:
        if isinstance(performed, VirtrpcError) and not isinstance(performed, RpcFault):
            raise _remote_fault(performed, "migration") from None
        raise performed

