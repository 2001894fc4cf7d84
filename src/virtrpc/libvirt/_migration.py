"""``virDomain.migrate*`` of the compatible API, over :mod:`virtrpc.client.migration`.

The generated methods (shapes in :mod:`virtrpc.apigen.shapes`) call
:func:`domain_migrate` / :func:`domain_migrate_to_uri` (blocking classes) or
their ``*_async`` twins (the asyncio classes, through ``_aruntime``), with
libvirt-python's arguments: ``params`` is libvirt-python's dict of
``VIR_MIGRATE_PARAM_*`` (None for the methods without typed parameters).
"""

from __future__ import annotations

from typing import Any

from virtrpc.client import migration
from virtrpc.errors import LibvirtError, VirtrpcError
from virtrpc.libvirt import _runtime as _rt


def _named(error: VirtrpcError, cname: str) -> VirtrpcError:
    """``error`` naming ``cname``: the migration module names virDomainMigrate
    (or Migrate3, ToURI, ToURI3) in a refusal it words itself; libvirt names
    the function called (Migrate2, ToURI2)."""
    if isinstance(error, LibvirtError) and error.message and not error.message.endswith(cname):
        prefix, sep, api = error.message.rpartition(": ")
        if sep and api.startswith("virDomainMigrate") and " " not in api:
            error.message = f"{prefix}: {cname}"
            if error.str2 == api:  # the formatted detail, when kept apart
                error.str2 = cname
    return error


def _typed(params: dict[str, Any] | None) -> Any:
    return None if params is None else _rt.hinted_params(params, "migrate")


def _dconnuri(dconn: Any) -> str | None:
    """What virConnectGetURI answers for ``dconn`` (locally, in both class sets)."""
    if dconn is None:
        return None
    uri: str | None = dconn._uri if dconn._uri is not None else str(dconn._c.uri)
    return uri


def domain_migrate(dom: Any, dconn: Any, flags: int, params: dict[str, Any] | None,
                   dname: str | None, uri: str | None, bandwidth: int, dxml: str | None,
                   cname: str) -> Any:
    """virDomainMigrate, Migrate2, Migrate3: the new domain on ``dconn``."""
    from virtrpc.libvirt._classes import virDomain

    typed = _typed(params)
    try:
        new = migration.migrate_blocking(
            dom._c, dom._o, dconn._c if dconn is not None else None, flags & 0xFFFFFFFF,
            typed, dname=dname, uri=uri, bandwidth=bandwidth, xmlin=dxml,
            dconnuri=_dconnuri(dconn))
    except VirtrpcError as e:
        raise _rt.translate(_named(e, cname), cname) from None
    return virDomain(dconn, new)


def domain_migrate_to_uri(dom: Any, dconnuri: str | None, flags: int,
                          params: dict[str, Any] | None, dname: str | None,
                          miguri: str | None, bandwidth: int, dxml: str | None,
                          cname: str) -> int:
    """virDomainMigrateToURI, ToURI2, ToURI3: 0 on success."""
    typed = _typed(params)
    try:
        migration.migrate_to_uri_blocking(
            dom._c, dom._o, dconnuri, flags & 0xFFFFFFFF, typed, dname=dname, uri=miguri,
            bandwidth=bandwidth, xmlin=dxml)
    except VirtrpcError as e:
        raise _rt.translate(_named(e, cname), cname) from None
    return 0


async def domain_migrate_async(dom: Any, dconn: Any, flags: int,
                               params: dict[str, Any] | None, dname: str | None,
                               uri: str | None, bandwidth: int, dxml: str | None,
                               cname: str) -> Any:
    """:func:`domain_migrate` for the asyncio classes."""
    from virtrpc.libvirt.aio._classes import virDomain

    typed = _typed(params)
    try:
        new = await migration.migrate(
            dom._c, dom._o, dconn._c if dconn is not None else None, flags & 0xFFFFFFFF,
            typed, dname=dname, uri=uri, bandwidth=bandwidth, xmlin=dxml,
            dconnuri=_dconnuri(dconn))
    except VirtrpcError as e:
        raise _rt.translate(_named(e, cname), cname) from None
    return virDomain(dconn, new)


async def domain_migrate_to_uri_async(dom: Any, dconnuri: str | None, flags: int,
                                      params: dict[str, Any] | None, dname: str | None,
                                      miguri: str | None, bandwidth: int, dxml: str | None,
                                      cname: str) -> int:
    """:func:`domain_migrate_to_uri` for the asyncio classes."""
    typed = _typed(params)
    try:
        await migration.migrate_to_uri(
            dom._c, dom._o, dconnuri, flags & 0xFFFFFFFF, typed, dname=dname, uri=miguri,
            bandwidth=bandwidth, xmlin=dxml)
    except VirtrpcError as e:
        raise _rt.translate(_named(e, cname), cname) from None
    return 0
