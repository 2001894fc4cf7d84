"""The shared test helpers themselves (tests/support/): the connection pair,
the in-process served test hypervisor and its marker options, temporary
generated packages.  A helper that silently did nothing would make the tests
built on it vacuous."""

from __future__ import annotations

import ast
import os
import socket
import sys
from pathlib import Path

import pytest

import virtrpc
from tests.support.connpair import ConnectionPair
from tests.support.fdcount import FdLeakCheck, fd_is_open
from tests.support.served import ServedHypervisor, serve_test_hypervisor, short_limits
from tests.support.tmppackage import temporary_package
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Role

REMOTE = 0x20008086
GET_LIB_VERSION = 157


# ----------------------------------------------------------- connection pair


def test_pair_unpacks_into_a_client_and_a_server() -> None:
    pair = ConnectionPair()
    client, server = pair
    assert (client.role, server.role) == (Role.CLIENT, Role.SERVER)
    assert pair.other(client) is server and pair.other(server) is client


def test_pair_call_and_reply_round_trip() -> None:
    pair = ConnectionPair()
    call = pair.call(REMOTE, 1, GET_LIB_VERSION, b"\0\0\0\7")
    assert call.header.proc == GET_LIB_VERSION and call.payload == b"\0\0\0\7"
    assert pair.client.pending_calls == 1
    reply = pair.reply(call, b"\0\0\0\1")
    assert reply.header.serial == call.header.serial and reply.payload == b"\0\0\0\1"
    assert pair.client.pending_calls == 0


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 28, 1000])
def test_pair_delivers_in_chunks_with_fds_on_the_last_byte(chunk_size: int) -> None:
    pair = ConnectionPair()
    read_end, write_end = os.pipe()
    _serial, packet = pair.client.send_call(REMOTE, 1, GET_LIB_VERSION, b"", [read_end])
    events = pair.to_server(packet, [read_end], chunk_size=chunk_size)
    try:
        assert len(events) == 1 and isinstance(events[0], ev.Call)
        assert events[0].fds == [read_end]  # handed over, the server's event owns it
    finally:
        for event in events:
            if isinstance(event, ev.MessageEvent):
                event.close_fds()
        os.close(write_end)
    assert not fd_is_open(read_end)


def test_pair_refuses_a_stranger_and_a_zero_chunk() -> None:
    pair, stranger = ConnectionPair(), ConnectionPair()
    with pytest.raises(ValueError):
        pair.other(stranger.client)
    with pytest.raises(ValueError):
        pair.to_server(b"\0" * 8, chunk_size=0)


# ----------------------------------------------------- served test hypervisor


async def test_served_hypervisor_answers_on_both_sockets(
    served_hypervisor: ServedHypervisor,
) -> None:
    assert served_hypervisor.socket.parent == served_hypervisor.folder
    async with virtrpc.connect(served_hypervisor.uri) as client:
        assert await client.connect_get_lib_version() > 0
        assert served_hypervisor.driver.connections
    async with virtrpc.connect(served_hypervisor.readonly_uri) as client:
        assert (await client.domain_lookup_by_name(name="test")).name == "test"


@pytest.mark.served(extras=True)
async def test_served_marker_options_reach_the_hypervisor(
    served_hypervisor: ServedHypervisor,
) -> None:
    # extras: virtrpc's sparse disk1.img exists only then
    assert "disk1.img" in served_hypervisor.driver.hv.pools["default-pool"].volumes


async def test_served_hypervisor_defaults_to_libvirtd_behaviour(
    served_hypervisor: ServedHypervisor,
) -> None:
    assert "disk1.img" not in served_hypervisor.driver.hv.pools["default-pool"].volumes
    assert served_hypervisor.server.limits.shutdown_timeout == short_limits().shutdown_timeout


async def test_serving_ends_with_the_block_and_leaks_no_fd(
    tmp_path: Path, fd_leak_check: FdLeakCheck
) -> None:
    with fd_leak_check("serve, connect, shut down"):
        async with serve_test_hypervisor(tmp_path, reset_when_unused=True) as served:
            async with virtrpc.connect(served.uri) as client:
                await client.domain_suspend(dom=await client.domain_lookup_by_name(name="test"))
            # reset_when_unused: the last close put the state back
            assert served.driver.hv.domains["test"].state.name == "RUNNING"
    with socket.socket(socket.AF_UNIX) as probe, pytest.raises(OSError):
        probe.connect(str(served.socket))


def test_short_limits_keep_other_overrides() -> None:
    limits = short_limits(keepalive_interval=0.2)
    assert limits.keepalive_interval == 0.2 and limits.shutdown_timeout == 2.0


# -------------------------------------------------------- temporary packages


def test_temporary_package_imports_from_its_folder_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "virtrpc_support_probe"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "one.py").write_text("from . import two\nVALUE = two.VALUE + 1\n")
    (folder / "two.py").write_text("VALUE = 41\n")
    path_before = list(sys.path)
    with temporary_package(folder) as name:
        import importlib

        assert importlib.import_module(f"{name}.one").VALUE == 42
        assert sys.path == path_before
    assert not [m for m in sys.modules if m.startswith("virtrpc_support_probe")]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("virtrpc_support_probe.one")


def test_temporary_package_refuses_to_shadow_an_imported_module(tmp_path: Path) -> None:
    folder = tmp_path / "os"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    with pytest.raises(ValueError), temporary_package(folder):
        pass
    assert sys.modules["os"] is os


# ------------------------------------------------------------- suite layout

TESTS = Path(__file__).resolve().parent


def _suite_modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


_LIST_EDITS = frozenset({"insert", "append", "extend", "remove", "pop", "clear"})


def _is_sys_path(expr: ast.expr) -> bool:
    return (isinstance(expr, ast.Attribute) and expr.attr == "path"
            and isinstance(expr.value, ast.Name) and expr.value.id == "sys")


def test_no_test_code_edits_sys_path() -> None:
    """Helpers are imported as ``tests.support.NAME`` (pyproject's pytest
    ``pythonpath``): a ``sys.path`` edit in the suite would make imports
    depend on which test ran first."""
    offenders = []
    for path in _suite_modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            # sys.path.insert(...), .append(...), ...; sys.path = ..., sys.path[:0] = ...
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                edited = [node.func.value] if node.func.attr in _LIST_EDITS else []
            elif isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                edited = [t.value if isinstance(t, ast.Subscript) else t for t in targets]
            else:
                continue
            if any(_is_sys_path(expr) for expr in edited):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert len(_suite_modules()) > 50 and not offenders, offenders


def test_test_modules_import_helpers_not_each_other() -> None:
    """Shared code lives in tests/support/; a test module importing another
    would run (and collect) more than it says."""
    offenders = []
    for path in _suite_modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name.startswith(("tests.test_", "test_")) for name in names):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not offenders, offenders
