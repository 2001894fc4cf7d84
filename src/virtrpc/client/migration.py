"""Live migration driven by the client over two connections (libvirt's v3 protocol).

:func:`migrate` is what ``virDomainMigrate`` (no typed parameters: the plain
phases) and ``virDomainMigrate3`` (typed parameters: the ``_PARAMS`` phases)
do in libvirt's C library, call for call:

* managed: Begin3 on the source (the domain's XML and a cookie), the domain's
  state (a paused domain migrates paused), Prepare3 on the destination (the
  incoming domain, a cookie and the transfer URI), Perform3 on the source,
  Finish3 on the destination (``cancelled=1`` if Perform3 failed, and then no
  Confirm3: the source ended the job itself) and Confirm3 on the source
  (``cancelled=1`` if there is no domain on the destination); a failed
  Prepare3 is followed by Confirm3 with ``cancelled=1``.  The first
  error is the one raised; the cleanup phases' own errors are dropped.
* peer-to-peer (``VIR_MIGRATE_PEER2PEER``): one Perform3 call on the source,
  with the destination's URI; the source daemon runs the phases itself.

The same sequence serves the asyncio :class:`~virtrpc.client.Client` and the
blocking :class:`~virtrpc.sync.SyncClient` (through :class:`_BlockingPeer`,
which uses only its generated methods).  See docs/migration.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from virtrpc.client.errors import LibvirtError
from virtrpc.errors import VirtrpcError
from virtrpc.protocols import remote

if TYPE_CHECKING:
    from virtrpc.client.client import Client
    from virtrpc.client.sync import SyncClient

# virDomainMigrateFlags the client itself looks at.
MIGRATE_PEER2PEER = 1 << 1
MIGRATE_TUNNELLED = 1 << 2
MIGRATE_PAUSED = 1 << 5
MIGRATE_CHANGE_PROTECTION = 1 << 8
MIGRATE_OFFLINE = 1 << 10

# virDrvFeature values probed with connect_supports_feature.
FEATURE_MIGRATION_P2P = 4
FEATURE_MIGRATION_DIRECT = 5
FEATURE_MIGRATION_V3 = 6
FEATURE_MIGRATE_CHANGE_PROTECTION = 7
FEATURE_MIGRATION_PARAMS = 13

PARAM_URI = "migrate_uri"
PARAM_DEST_NAME = "destination_name"
PARAM_DEST_XML = "destination_xml"
PARAM_BANDWIDTH = "bandwidth"

DOMAIN_PAUSED = 3
T = TypeVar("T")

# virErrorNumber / virErrorDomain of the client-side checks.
_ERR_INVALID_ARG = 8
_ERR_NO_SUPPORT = 3
_ERR_INVALID_CONN = 6
_ERR_ARGUMENT_UNSUPPORTED = 74
_ERR_OPERATION_INVALID = 55
_FROM_DOMAIN = 20

TYPED_PARAM_INT = 1
TYPED_PARAM_ULLONG = 4
TYPED_PARAM_STRING = 7
#: the type of each VIR_MIGRATE_PARAM_* (strings unless listed)
PARAM_TYPES: dict[str, int] = {
    "bandwidth": TYPED_PARAM_ULLONG,
    "bandwidth.postcopy": TYPED_PARAM_ULLONG,
    "compression.xbzrle.cache": TYPED_PARAM_ULLONG,
    "compression.mt.level": TYPED_PARAM_INT,
    "compression.mt.threads": TYPED_PARAM_INT,
    "compression.mt.dthreads": TYPED_PARAM_INT,
    "compression.zlib.level": TYPED_PARAM_INT,
    "compression.zstd.level": TYPED_PARAM_INT,
    "auto_converge.initial": TYPED_PARAM_INT,
    "auto_converge.increment": TYPED_PARAM_INT,
    "parallel.connections": TYPED_PARAM_INT,
    "disks_port": TYPED_PARAM_INT,
}

ParamValue = str | int
Params = (Mapping[str, ParamValue] | list[tuple[str, ParamValue]]
          | list[remote.RemoteTypedParam])


def typed_params(params: Params) -> list[remote.RemoteTypedParam]:
    """``VIR_MIGRATE_PARAM_*`` values as typed parameters (a list of pairs
    may repeat a name, as ``migrate_disks`` allows; typed ones pass as they are)."""
    pairs: list[Any] = list(params.items()) if isinstance(params, Mapping) else list(params)
    out: list[remote.RemoteTypedParam] = []
    for pair in pairs:
        if isinstance(pair, remote.RemoteTypedParam):  # typed already
            out.append(pair)
            continue
        name: str = pair[0]
        value: ParamValue = pair[1]
        kind = PARAM_TYPES.get(name, TYPED_PARAM_STRING)
        if (kind == TYPED_PARAM_STRING) != isinstance(value, str) or isinstance(value, bool):
            raise LibvirtError(
                f"invalid argument: parameter '{name}' has the wrong type",
                code=_ERR_INVALID_ARG, domain=_FROM_DOMAIN,
            )
        out.append(remote.RemoteTypedParam(
            field=name, value=remote.RemoteTypedParamValue(type=kind, value=value)))
    return out


class _Peer(Protocol):
    """One connection, as the sequence uses it: a generated method by name."""

    async def call(self, method: str, **kwargs: Any) -> Any: ...


class _AsyncPeer:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, method: str, **kwargs: Any) -> Any:
        return await getattr(self.client, method)(**kwargs)


class _BlockingPeer:
    """A blocking client's generated method, called directly: the sequence
    never suspends, so :func:`_drive` runs it without an event loop (and so
    from any thread, a running loop's included)."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    async def call(self, method: str, **kwargs: Any) -> Any:
        return getattr(self.client, method)(**kwargs)


def _drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (one over :class:`_BlockingPeer`)."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    coroutine.close()
    raise RuntimeError("a blocking migration step suspended")


@dataclass
class _Request:
    flags: int
    params: list[remote.RemoteTypedParam] | None  # None: the plain phases
    dname: str | None
    uri: str | None
    bandwidth: int
    xmlin: str | None = None
    api: str = "virDomainMigrate"


def _error(message: str, code: int) -> LibvirtError:
    return LibvirtError(message, code=code, domain=_FROM_DOMAIN)


async def _supports(peer: _Peer, feature: int) -> bool:
    ret = await peer.call("connect_supports_feature", feature=feature)
    return bool(ret)


async def migrate(
    source: Client,
    domain: remote.RemoteNonnullDomain,
    destination: Client | None,
    flags: int = 0,
    params: Params | None = None,
    *,
    dname: str | None = None,
    uri: str | None = None,
    bandwidth: int = 0,
    xmlin: str | None = None,
    dconnuri: str | None = None,
) -> remote.RemoteNonnullDomain:
    """Migrate ``domain`` of ``source`` to ``destination`` (see the module doc).

    ``params`` (``VIR_MIGRATE_PARAM_*``) selects the ``_PARAMS`` phases, as
    ``virDomainMigrate3``; without it, ``dname``/``uri``/``bandwidth``/``xmlin``
    go to the plain phases, as ``virDomainMigrate2``.  With
    ``VIR_MIGRATE_PEER2PEER``, ``dconnuri`` (default: the destination client's
    URI) is handed to the source.  Returns the domain on the destination.
    Raises :class:`LibvirtError`.
    """
    request = _request(flags, params, dname, uri, bandwidth, xmlin,
                       "virDomainMigrate3" if params is not None else "virDomainMigrate")
    return await _run(_AsyncPeer(source), domain,
                      _AsyncPeer(destination) if destination is not None else None,
                      request, dconnuri or _uri_of(destination))


async def migrate_to_uri(
    source: Client,
    domain: remote.RemoteNonnullDomain,
    dconnuri: str | None,
    flags: int = 0,
    params: Params | None = None,
    *,
    dname: str | None = None,
    uri: str | None = None,
    bandwidth: int = 0,
    xmlin: str | None = None,
) -> None:
    """``virDomainMigrateToURI*``: peer-to-peer to ``dconnuri`` (the source
    daemon connects to it); without ``VIR_MIGRATE_PEER2PEER`` this is libvirt's
    direct migration, which the daemon must support (the test hypervisor does not)."""
    request = _request(flags, params, dname, uri, bandwidth, xmlin,
                       "virDomainMigrateToURI3" if params is not None
                       else "virDomainMigrateToURI")
    await _to_uri(_AsyncPeer(source), domain, request, dconnuri)


def migrate_blocking(
    source: SyncClient,
    domain: remote.RemoteNonnullDomain,
    destination: SyncClient | None,
    flags: int = 0,
    params: Params | None = None,
    *,
    dname: str | None = None,
    uri: str | None = None,
    bandwidth: int = 0,
    xmlin: str | None = None,
    dconnuri: str | None = None,
) -> remote.RemoteNonnullDomain:
    """:func:`migrate` for blocking clients."""
    request = _request(flags, params, dname, uri, bandwidth, xmlin,
                       "virDomainMigrate3" if params is not None else "virDomainMigrate")
    return _drive(_run(_BlockingPeer(source), domain,
                       _BlockingPeer(destination) if destination is not None else None,
                       request, dconnuri or _uri_of(destination)))


def migrate_to_uri_blocking(
    source: SyncClient,
    domain: remote.RemoteNonnullDomain,
    dconnuri: str | None,
    flags: int = 0,
    params: Params | None = None,
    *,
    dname: str | None = None,
    uri: str | None = None,
    bandwidth: int = 0,
    xmlin: str | None = None,
) -> None:
    """:func:`migrate_to_uri` for blocking clients."""
    request = _request(flags, params, dname, uri, bandwidth, xmlin,
                       "virDomainMigrateToURI3" if params is not None
                       else "virDomainMigrateToURI")
    _drive(_to_uri(_BlockingPeer(source), domain, request, dconnuri))


def _request(flags: int, params: Params | None, dname: str | None, uri: str | None,
             bandwidth: int, xmlin: str | None, api: str) -> _Request:
    return _Request(flags, typed_params(params) if params is not None else None,
                    dname, uri, bandwidth, xmlin, api)


def _uri_of(client: Client | SyncClient | None) -> str | None:
    if client is None:
        return None
    parsed = client.uri
    return parsed.raw if parsed is not None else None


async def _run(source: _Peer, domain: remote.RemoteNonnullDomain, destination: _Peer | None,
               request: _Request, dconnuri: str | None) -> remote.RemoteNonnullDomain:
    flags = request.flags
    if destination is None:
        raise _error(f"invalid connection pointer in {request.api}", _ERR_INVALID_CONN)
    if flags & MIGRATE_PEER2PEER:
        if request.params is not None:
            raise _error("use virDomainMigrateToURI3 for peer-to-peer migration",
                         _ERR_INVALID_ARG)
        await _peer_to_peer(source, domain, request, dconnuri)
        found: remote.RemoteNonnullDomain = await destination.call(
            "domain_lookup_by_name", name=request.dname or domain.name)
        return found
    if flags & MIGRATE_TUNNELLED:
        raise _error("Requested operation is not valid: cannot perform tunnelled migration "
                     "without using peer2peer flag", _ERR_OPERATION_INVALID)
    feature = FEATURE_MIGRATION_V3 if request.params is None else FEATURE_MIGRATION_PARAMS
    if not (await _supports(source, feature) and await _supports(destination, feature)):
        raise _error(f"this function is not supported by the connection driver: {request.api}",
                     _ERR_NO_SUPPORT)
    request.flags &= ~MIGRATE_CHANGE_PROTECTION
    return await _managed(source, domain, destination, request)


async def _to_uri(source: _Peer, domain: remote.RemoteNonnullDomain, request: _Request,
                  dconnuri: str | None) -> None:
    if not request.flags & MIGRATE_PEER2PEER:
        if not await _supports(source, FEATURE_MIGRATION_DIRECT):
            raise _error("argument unsupported: direct migration is not supported by the "
                         "source host", _ERR_ARGUMENT_UNSUPPORTED)
        raise _error(f"this function is not supported by the connection driver: {request.api}",
                     _ERR_NO_SUPPORT)
    await _peer_to_peer(source, domain, request, dconnuri)


async def _peer_to_peer(source: _Peer, domain: remote.RemoteNonnullDomain,
                        request: _Request, dconnuri: str | None) -> None:
    if not await _supports(source, FEATURE_MIGRATION_P2P):
        raise _error("Requested operation is not valid: Source hypervisor does not support "
                     "peer-to-peer migration", _ERR_OPERATION_INVALID)
    if not dconnuri:
        raise _error(f"dconnuri in {request.api} must not be NULL", _ERR_INVALID_ARG)
    if await _supports(source, FEATURE_MIGRATION_PARAMS):
        params = list(request.params) if request.params is not None \
            else typed_params(_legacy_params(request))
        await source.call("domain_migrate_perform3_params", dom=domain, dconnuri=dconnuri,
                          params=params, cookie_in=b"", flags=request.flags)
    else:
        await source.call("domain_migrate_perform3", dom=domain, xmlin=request.xmlin,
                          cookie_in=b"", dconnuri=dconnuri, uri=request.uri,
                          flags=request.flags, dname=request.dname,
                          resource=request.bandwidth)


def _legacy_params(request: _Request) -> list[tuple[str, ParamValue]]:
    """virDomainMigrate's arguments as typed parameters (for the p2p _PARAMS call)."""
    pairs: list[tuple[str, ParamValue]] = []
    if request.xmlin:
        pairs.append((PARAM_DEST_XML, request.xmlin))
    if request.uri:
        pairs.append((PARAM_URI, request.uri))
    if request.dname:
        pairs.append((PARAM_DEST_NAME, request.dname))
    pairs.append((PARAM_BANDWIDTH, request.bandwidth))
    return pairs


async def _managed(source: _Peer, domain: remote.RemoteNonnullDomain, destination: _Peer,
                   request: _Request) -> remote.RemoteNonnullDomain:
    """Begin3, Prepare3, Perform3, Finish3, Confirm3 and their cleanup."""
    with_params = request.params is not None
    dest_flags = request.flags
    if await _supports(source, FEATURE_MIGRATE_CHANGE_PROTECTION):
        request.flags |= MIGRATE_CHANGE_PROTECTION
    src_flags = request.flags
    params = list(request.params or [])

    def with_param(name: str, value: str) -> None:
        params.append(remote.RemoteTypedParam(
            field=name, value=remote.RemoteTypedParamValue(type=TYPED_PARAM_STRING, value=value)))

    if with_params:
        begun = await source.call("domain_migrate_begin3_params", dom=domain,
                                  params=list(params), flags=src_flags)
    else:
        begun = await source.call("domain_migrate_begin3", dom=domain, xmlin=request.xmlin,
                                  flags=src_flags, dname=request.dname,
                                  resource=request.bandwidth)
    cookie, dom_xml = bytes(begun.cookie_out), begun.xml
    if not request.flags & MIGRATE_OFFLINE:
        if with_params:
            state = (await source.call("domain_get_state", dom=domain, flags=0)).state
        else:
            state = (await source.call("domain_get_info", dom=domain)).state
        if state == DOMAIN_PAUSED:
            dest_flags |= MIGRATE_PAUSED
            src_flags |= MIGRATE_PAUSED

    first_error: BaseException | None = None
    uri = request.uri
    try:
        if with_params:
            with_param(PARAM_DEST_XML, dom_xml)
            prepared = await destination.call("domain_migrate_prepare3_params",
                                              params=list(params), cookie_in=cookie,
                                              flags=dest_flags)
        else:
            prepared = await destination.call(
                "domain_migrate_prepare3", cookie_in=cookie, uri_in=uri, flags=dest_flags,
                dname=request.dname, resource=request.bandwidth, dom_xml=dom_xml)
        cookie = bytes(prepared.cookie_out)
        if prepared.uri_out:
            uri = prepared.uri_out
    except VirtrpcError as exc:
        # Nothing arrived: the source keeps its domain.
        await _quietly(_confirm(source, domain, with_params, params, b"", src_flags, True))
        raise exc from None
    try:
        if with_params:
            if uri and not request.uri:
                with_param(PARAM_URI, uri)
            performed = await source.call("domain_migrate_perform3_params", dom=domain,
                                          dconnuri=None, params=list(params),
                                          cookie_in=cookie, flags=src_flags)
        else:
            performed = await source.call(
                "domain_migrate_perform3", dom=domain, xmlin=None, cookie_in=cookie,
                dconnuri=None, uri=uri, flags=src_flags, dname=request.dname,
                resource=request.bandwidth)
        cookie = bytes(performed)
    except VirtrpcError as exc:
        first_error = exc
        cookie = b""  # no cookie out of a failed Perform3 (libvirt hands on none)
    perform_failed = first_error is not None
    name = request.dname or domain.name
    new_domain: remote.RemoteNonnullDomain | None = None
    try:
        if with_params:
            if not any(p.field == PARAM_DEST_NAME for p in params):
                with_param(PARAM_DEST_NAME, name)
            finished = await destination.call(
                "domain_migrate_finish3_params", params=list(params), cookie_in=cookie,
                flags=dest_flags, cancelled=int(perform_failed))
        else:
            finished = await destination.call(
                "domain_migrate_finish3", dname=name, cookie_in=cookie, dconnuri=None,
                uri=uri, flags=dest_flags, cancelled=int(perform_failed))
        new_domain, cookie = finished.dom, bytes(finished.cookie_out)
    except VirtrpcError as exc:
        if first_error is None:
            first_error = exc
        cookie = b""
    if not perform_failed:
        # After a failed Perform3 libvirt calls no Confirm3 (the source knows,
        # and ended the job itself).  A failed Confirm3 after a successful
        # Finish3 does not undo the migration: libvirt only warns.
        with contextlib.suppress(VirtrpcError):
            await _confirm(source, domain, with_params, params, cookie, src_flags,
                           new_domain is None)
    if first_error is not None:
        raise first_error
    assert new_domain is not None  # Finish3 answered (else its error was raised)
    return new_domain


async def _confirm(source: _Peer, domain: remote.RemoteNonnullDomain, with_params: bool,
                   params: list[remote.RemoteTypedParam], cookie: bytes, flags: int,
                   cancelled: bool) -> None:
    if with_params:
        await source.call("domain_migrate_confirm3_params", dom=domain, params=list(params),
                          cookie_in=cookie, flags=flags, cancelled=int(cancelled))
    else:
        await source.call("domain_migrate_confirm3", dom=domain, cookie_in=cookie,
                          flags=flags, cancelled=int(cancelled))


async def _quietly(call: Any) -> None:
    with contextlib.suppress(VirtrpcError):
        await call
