"""The test hypervisor's state against libvirtd's test driver: the default
domain's state reasons through its lifecycle, and the state rule (one state
shared by every connection, reset when the last one closes, with
``reset_when_unused``; virtrpc's default keeps it for the server's life).

Each workload runs through virtrpc's client against a private libvirtd 9.0
(``test:///default``) and against the in-process test server; the outcomes
must be equal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

import virtrpc
from tests.support.peers import PrivateLibvirtd, find_libvirtd, require_peer
from tests.support.served import ServedHypervisor, serve_test_hypervisor
from virtrpc.client.errors import LibvirtError

Workload = Callable[[str], Coroutine[Any, Any, list[Any]]]


async def state(client: Any) -> tuple[int, int]:
    dom = await client.domain_lookup_by_name(name="test")
    ret = await client.domain_get_state(dom=dom, flags=0)
    return (ret.state, ret.reason)


async def lifecycle(uri: str) -> list[Any]:
    """The default domain's (state, reason) after each step, on one connection."""
    seen: list[Any] = []
    async with virtrpc.connect(uri) as client:
        dom = await client.domain_lookup_by_name(name="test")
        seen.append(("start", await state(client)))
        for step in ("domain_suspend", "domain_resume", "domain_destroy", "domain_create",
                     "domain_suspend", "domain_resume", "domain_shutdown"):
            try:
                await getattr(client, step)(dom=dom)
                seen.append((step, await state(client)))
            except LibvirtError as error:
                seen.append((step, int(error.code), error.message))
    return seen


async def sharing(uri: str) -> list[Any]:
    """What a second connection sees of the first one's change, and what a
    connection opened after both closed sees."""
    seen: list[Any] = []
    first = await virtrpc.connect(uri)
    second = await virtrpc.connect(uri)
    try:
        await first.domain_suspend(dom=await first.domain_lookup_by_name(name="test"))
        seen.append(("second sees", await state(second)))
        await first.close()
        seen.append(("after the first closed", await state(second)))
    finally:
        await first.close()
        await second.close()
    async with virtrpc.connect(uri) as third:
        seen.append(("after both closed", await state(third)))
    return seen


def on_libvirtd(workload: Workload) -> list[Any]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        return asyncio.run(workload(daemon.uri))


def on_virtrpc(workload: Workload, path: Path, *, reset_when_unused: bool) -> list[Any]:
    async def main() -> list[Any]:
        async with serve_test_hypervisor(path.parent, reset_when_unused=reset_when_unused) as served:
            return await workload(served.uri)

    return asyncio.run(main())


def test_default_domain_state_reasons_match_libvirtd(tmp_path: Path) -> None:
    expected = on_libvirtd(lifecycle)
    # not vacuous: the reasons differ along the way (unknown, user, unpaused, ...)
    assert len({result[1] for result in expected}) >= 4
    assert on_virtrpc(lifecycle, tmp_path / "sock", reset_when_unused=False) == expected


def test_state_rule_with_reset_when_unused_matches_libvirtd(tmp_path: Path) -> None:
    expected = on_libvirtd(sharing)
    paused, running = expected[0][1], expected[2][1]
    assert expected[1][1] == paused != running  # shared while open, reset after
    assert on_virtrpc(sharing, tmp_path / "sock", reset_when_unused=True) == expected


def test_default_rule_keeps_the_state_for_the_servers_life(tmp_path: Path) -> None:
    seen = on_virtrpc(sharing, tmp_path / "sock", reset_when_unused=False)
    assert seen[0][1] == seen[1][1] == seen[2][1]  # still paused after everyone left


@pytest.mark.served(reset_when_unused=True)
async def test_reset_releases_the_fds_domains_held(served_hypervisor: ServedHypervisor) -> None:
    import os

    driver = served_hypervisor.driver
    read_end, write_end = os.pipe()
    try:
        async with virtrpc.connect(served_hypervisor.uri) as client:
            xml = ("<domain type='test'><name>held</name><memory>1024</memory>"
                   "<os><type>hvm</type></os></domain>")
            await client.domain_create_xml_with_files(xml_desc=xml, flags=0, fds=[write_end])
            assert "held" in driver.hv.domains
        os.close(write_end)
        write_end = -1
        # The domain's copy of the write end was closed by the reset: EOF.
        assert await asyncio.wait_for(asyncio.to_thread(os.read, read_end, 1), 5) == b""
        assert "held" not in driver.hv.domains and "test" in driver.hv.domains
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


@pytest.mark.parametrize("reset_when_unused", [False, True])
async def test_a_client_that_vanishes_counts_as_closed(tmp_path: Path,
                                                       reset_when_unused: bool) -> None:
    async with serve_test_hypervisor(tmp_path, reset_when_unused=reset_when_unused) as served:
        driver = served.driver
        client = await virtrpc.connect(served.uri)
        await client.domain_suspend(dom=await client.domain_lookup_by_name(name="test"))
        assert driver.connections
        await client.close()
        assert not driver.connections
        paused = driver.hv.domains["test"].state.name == "PAUSED"
        assert paused is not reset_when_unused
