"""The test hypervisor answers like libvirtd's test driver, call for call.

Every case makes one remote call through virtrpc's client, once against a
private libvirtd 9.0 (``test:///default``) and once against virtrpc's test
server, and compares the outcomes: the returned value, or the error's code,
domain and message.  The cases cover the argument checks libvirtd makes
before and inside the driver: the maxima of the legacy list calls (checked by
libvirt's generated dispatch code), the scheduler calls (hand-written
dispatch, the public API's argument checks, the test driver's flags and
typed-parameter validation), stopping and starting a storage pool, and the
NUMA cell query.  The cases run in order on one connection per server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import virtrpc
from tests.support.peers import PrivateLibvirtd, find_libvirtd, require_peer
from virtrpc.client.client import Client
from virtrpc.client.errors import LibvirtError
from virtrpc.errors import XdrError
from virtrpc.protocols import remote
from virtrpc.testdriver import build_test_server
from virtrpc.testdriver.driver import LIST_LIMITS

UINT, INT, BOOLEAN, STRING = 2, 1, 6, 7
NO_DOMAIN = remote.RemoteNonnullDomain(name="nope", uuid=bytes(16), id=-1)
NO_POOL = remote.RemoteNonnullStoragePool(name="nope", uuid=bytes(16))
# libvirtd's default pool is empty: refer to virtrpc's volume in both.
VOLUME = remote.RemoteNonnullStorageVol(pool="default-pool", name="disk1.img",
                                        key="/default-pool/disk1.img")


def param(field: str, kind: int, value: int | str) -> remote.RemoteTypedParam:
    return remote.RemoteTypedParam(field=field, value=remote.RemoteTypedParamValue(kind, value))


Call = Callable[[Client, Any], Awaitable[Any]]


def on_test_domain(method: str, **kwargs: Any) -> Call:
    async def call(client: Client, dom: Any) -> Any:
        return await getattr(client, method)(dom=dom, **kwargs)

    return call


def plain(method: str, **kwargs: Any) -> Call:
    async def call(client: Client, dom: Any) -> Any:
        return await getattr(client, method)(**kwargs)

    return call


def on_pool(method: str, **kwargs: Any) -> Call:
    async def call(client: Client, dom: Any) -> Any:
        pool = await client.storage_pool_lookup_by_name(name="default-pool")
        return await getattr(client, method)(pool=pool, **kwargs)

    return call


CASES: dict[str, Call] = {
    "sched-type": on_test_domain("domain_get_scheduler_type"),
    "sched-type-unknown-domain": plain("domain_get_scheduler_type", dom=NO_DOMAIN),
    **{f"sched-get-nparams={n}": on_test_domain("domain_get_scheduler_parameters", nparams=n)
       for n in (-1, 0, 1, 16, 17, 10**6)},
    "sched-get-unknown-domain": plain("domain_get_scheduler_parameters", dom=NO_DOMAIN,
                                      nparams=1),
    **{f"sched-get-flags={f}": on_test_domain("domain_get_scheduler_parameters_flags",
                                              nparams=1, flags=f) for f in (0, 1, 3, 8)},
    "sched-get-flags-nparams=0": on_test_domain("domain_get_scheduler_parameters_flags",
                                                nparams=0, flags=0),
    "sched-set-weight": on_test_domain("domain_set_scheduler_parameters",
                                       params=[param("weight", UINT, 10)]),
    "sched-set-empty": on_test_domain("domain_set_scheduler_parameters", params=[]),
    "sched-set-int-weight": on_test_domain("domain_set_scheduler_parameters",
                                           params=[param("weight", INT, 10)]),
    "sched-set-string-weight": on_test_domain("domain_set_scheduler_parameters",
                                              params=[param("weight", STRING, "x")]),
    "sched-set-unknown-before": on_test_domain(
        "domain_set_scheduler_parameters", params=[param("weight", UINT, 1), param("aaa", UINT, 2)]),
    "sched-set-unknown-after": on_test_domain(
        "domain_set_scheduler_parameters", params=[param("zzz", UINT, 1), param("weight", UINT, 2)]),
    "sched-set-twice": on_test_domain(
        "domain_set_scheduler_parameters", params=[param("weight", UINT, 1),
                                                   param("weight", UINT, 2)]),
    "sched-set-bad-type-and-twice": on_test_domain(
        "domain_set_scheduler_parameters", params=[param("weight", BOOLEAN, 1),
                                                   param("weight", UINT, 2)]),
    "sched-set-field-79": on_test_domain("domain_set_scheduler_parameters",
                                         params=[param("w" * 79, UINT, 1)]),
    "sched-set-field-80": on_test_domain("domain_set_scheduler_parameters",
                                         params=[param("w" * 80, UINT, 1)]),
    "sched-set-unknown-domain": plain("domain_set_scheduler_parameters", dom=NO_DOMAIN,
                                      params=[param("weight", UINT, 1)]),
    **{f"sched-set-flags={f}": on_test_domain("domain_set_scheduler_parameters_flags",
                                              params=[param("weight", UINT, 1)], flags=f)
       for f in (0, 1, 3)},
    "sched-set-flags-empty": on_test_domain("domain_set_scheduler_parameters_flags",
                                            params=[], flags=1),
    "list-domains-0": plain("connect_list_domains", maxids=0),
    "list-domains-negative": plain("connect_list_domains", maxids=-1),
    "list-domains-too-many": plain("connect_list_domains", maxids=16385),
    "list-defined-domains-negative": plain("connect_list_defined_domains", maxnames=-1),
    "list-networks-too-many": plain("connect_list_networks", maxnames=16385),
    "list-defined-networks-negative": plain("connect_list_defined_networks", maxnames=-7),
    "list-pools-negative": plain("connect_list_storage_pools", maxnames=-5),
    "list-defined-pools-too-many": plain("connect_list_defined_storage_pools", maxnames=10**6),
    "list-volumes-negative": on_pool("storage_pool_list_volumes", maxnames=-1),
    "list-volumes-too-many": on_pool("storage_pool_list_volumes", maxnames=10**6),
    # the pool's lifecycle; a stopped pool refuses everything about its volumes
    "pool-start-running": on_pool("storage_pool_create", flags=0),
    "pool-start-flags": on_pool("storage_pool_create", flags=1),
    "pool-stop": on_pool("storage_pool_destroy"),
    "pool-stop-stopped": on_pool("storage_pool_destroy"),
    "pool-is-active-stopped": on_pool("storage_pool_is_active"),
    "pool-refresh-stopped": on_pool("storage_pool_refresh", flags=0),
    "pool-num-volumes-stopped": on_pool("storage_pool_num_of_volumes"),
    "pool-list-volumes-stopped": on_pool("storage_pool_list_volumes", maxnames=10),
    "pool-list-all-volumes-stopped": on_pool("storage_pool_list_all_volumes", need_results=1,
                                             flags=0),
    "vol-by-name-stopped": on_pool("storage_vol_lookup_by_name", name="disk1.img"),
    "vol-by-key-stopped": plain("storage_vol_lookup_by_key", key=VOLUME.key),
    "vol-by-path-stopped": plain("storage_vol_lookup_by_path", path=VOLUME.key),
    "vol-info-stopped": plain("storage_vol_get_info", vol=VOLUME),
    "vol-xml-stopped": plain("storage_vol_get_xml_desc", vol=VOLUME, flags=0),
    "vol-path-stopped": plain("storage_vol_get_path", vol=VOLUME),
    "vol-delete-stopped": plain("storage_vol_delete", vol=VOLUME, flags=0),
    "vol-create-stopped": on_pool("storage_vol_create_xml", flags=0,
                                  xml="<volume><name>v</name><capacity>1</capacity></volume>"),
    "num-pools-stopped": plain("connect_num_of_storage_pools"),
    "num-defined-pools-stopped": plain("connect_num_of_defined_storage_pools"),
    "list-defined-pools-stopped": plain("connect_list_defined_storage_pools", maxnames=5),
    "pool-start-flags-stopped": on_pool("storage_pool_create", flags=1),
    "pool-start": on_pool("storage_pool_create", flags=0),
    "pool-is-active-started": on_pool("storage_pool_is_active"),
    "list-pools-started": plain("connect_list_storage_pools", maxnames=5),
    "pool-start-unknown": plain("storage_pool_create", pool=NO_POOL, flags=0),
    "pool-stop-unknown": plain("storage_pool_destroy", pool=NO_POOL),
    **{f"cells-start={start}-max={count}": plain("node_get_cells_free_memory",
                                                 startCell=start, maxcells=count)
       for start, count in ((0, -1), (0, 1025), (0, 0), (-1, 1), (5, 1), (0, 5), (1, 5))},
}


def outcome(value: Any) -> tuple[Any, ...]:
    return ("ok", repr(value))


async def run_cases(uri: str) -> dict[str, tuple[Any, ...]]:
    results: dict[str, tuple[Any, ...]] = {}
    async with virtrpc.connect(uri) as client:
        dom = await client.domain_lookup_by_name(name="test")
        for name, call in CASES.items():
            try:
                results[name] = outcome(await call(client, dom))
            except LibvirtError as error:
                results[name] = ("error", int(error.code), int(error.domain), error.message)
    return results


@pytest.fixture(scope="module")
def libvirtd_results() -> dict[str, tuple[Any, ...]]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        return asyncio.run(run_cases(daemon.uri))


@pytest.fixture(scope="module")
def virtrpc_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, ...]]:
    path = tmp_path_factory.mktemp("vs") / "sock"

    async def main() -> dict[str, tuple[Any, ...]]:
        server, _ = build_test_server()
        await server.listen_unix(str(path))
        try:
            return await run_cases(f"test+unix:///default?socket={path}")
        finally:
            await server.shutdown()

    return asyncio.run(main())


@pytest.mark.parametrize("name", list(CASES))
def test_same_answer_as_libvirtd(name: str, libvirtd_results: dict[str, tuple[Any, ...]],
                                 virtrpc_results: dict[str, tuple[Any, ...]]) -> None:
    assert virtrpc_results[name] == libvirtd_results[name]


def test_cases_cover_both_outcomes(virtrpc_results: dict[str, tuple[Any, ...]]) -> None:
    """The comparison is not vacuous: some calls succeed, most are refused."""
    kinds = [result[0] for result in virtrpc_results.values()]
    assert 5 <= kinds.count("ok") < kinds.count("error")
    assert virtrpc_results["sched-get-nparams=1"] == outcome([param("weight", UINT, 50)])


def test_list_limit_table_matches_the_protocol() -> None:
    """Each entry names a real args field and the bound of the ret's array."""
    for name, (field, bound_name) in LIST_LIMITS.items():
        procedure = remote.PROGRAM.by_name[name]
        assert procedure.args_class is not None and procedure.ret is not None
        assert field in [f.name for f in dataclasses.fields(procedure.args_class)], name
        bound = getattr(remote, bound_name)
        ret_field = field.removeprefix("max")
        ret_class = procedure.ret_class
        assert ret_class is not None, name
        assert [f.name for f in dataclasses.fields(ret_class)] == [ret_field], name
        # the ret array takes exactly `bound` items and refuses one more
        item = 0 if name in ("connect_list_domains", "node_get_cells_free_memory") else "x"
        assert procedure.ret.unpack(procedure.ret.pack(ret_class([item] * bound)))
        with pytest.raises(XdrError):
            procedure.ret.pack(ret_class([item] * (bound + 1)))

