"""The generated handler interfaces (``RemoteHandlers``...): one typed stub per
procedure, bound by ProgramService only where a subclass overrides it."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.served import serve_in_process, short_limits
from virtrpc.client import connect
from virtrpc.client.errors import LibvirtError
from virtrpc.protocols import admin, admin_calls, lxc, lxc_calls, qemu, qemu_calls, remote
from virtrpc.protocols.remote_calls import RemoteHandlers
from virtrpc.server import CallContext, ProgramService, Server
from virtrpc.xdr import Program


class LibVersionOnly(RemoteHandlers[CallContext]):
    """Implements three procedures, one of them async."""

    def connect_open(self, ctx: CallContext, args: remote.RemoteConnectOpenArgs) -> None:
        pass

    def connect_close(self, ctx: CallContext, args: None) -> None:
        pass

    async def connect_get_lib_version(
        self, ctx: CallContext, args: None
    ) -> remote.RemoteConnectGetLibVersionRet:
        return remote.RemoteConnectGetLibVersionRet(lib_ver=9_000_000)


@pytest.mark.parametrize(
    ("program", "interface"),
    [
        (remote.PROGRAM, RemoteHandlers),
        (qemu.PROGRAM, qemu_calls.QemuHandlers),
        (lxc.PROGRAM, lxc_calls.LxcHandlers),
        (admin.PROGRAM, admin_calls.AdminHandlers),
    ],
)
def test_one_stub_per_callable_procedure_with_its_types(program: Program, interface: type) -> None:
    callable_procedures = [p for p in program.procedures.values() if not p.is_event]
    for procedure in callable_procedures:
        stub = getattr(interface, procedure.name)
        annotations = inspect.get_annotations(stub)
        args_class = procedure.args_class.__name__ if procedure.args_class else None
        ret_class = procedure.ret_class.__name__ if procedure.ret_class else None
        if procedure.args is None:
            assert annotations["args"] == "None", procedure.name
        elif args_class is not None:
            assert annotations["args"].endswith("." + args_class), procedure.name
        assert annotations["ctx"] == "_CallContext"
        expected_ret = "None" if procedure.ret is None else ret_class
        assert annotations["return"].startswith("_Answer["), procedure.name
        assert annotations["return"].endswith(f"{expected_ret}]"), procedure.name
    events = [p.name for p in program.procedures.values() if p.is_event]
    assert not any(hasattr(interface, name) for name in events)
    # An interface that implements nothing binds nothing.
    assert ProgramService(program, interface()).implemented == frozenset()


def test_only_overridden_methods_are_bound() -> None:
    service = ProgramService(remote.PROGRAM, LibVersionOnly())
    assert service.implemented == {"connect_open", "connect_close", "connect_get_lib_version"}
    handlers = LibVersionOnly()
    handlers.connect_get_hostname = lambda ctx, args: None  # type: ignore[method-assign, assignment, return-value]
    assert "connect_get_hostname" in ProgramService(remote.PROGRAM, handlers).implemented


def test_stubs_are_not_handlers() -> None:
    with pytest.raises(NotImplementedError):
        RemoteHandlers().domain_get_info(None, None)  # type: ignore[arg-type]


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[str]:
    server = Server(short_limits())
    server.add_program(ProgramService(remote.PROGRAM, LibVersionOnly()))
    async with serve_in_process(server, tmp_path) as served:
        yield served.uri


async def test_served_interface_answers_and_refuses_the_rest(served: str) -> None:
    async with await connect(served, keepalive=None) as client:
        assert await client.connect_get_lib_version() == 9_000_000
        with pytest.raises(LibvirtError) as refused:
            await client.connect_get_hostname()
        assert refused.value.code_name == "VIR_ERR_NO_SUPPORT"
        assert "virConnectGetHostname" in str(refused.value)
