"""The committed generated modules: round trips of every type, golden bytes,
procedure tables and call mixins."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import struct
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtrpc import xdr
from virtrpc.protocols import admin, keepalive, lxc, qemu, remote, virnet

MODULES = ("virnet", "keepalive", "remote", "admin", "qemu", "lxc", "lock", "log", "lxc_monitor")
INT32 = st.integers(-(2**31), 2**31 - 1)


def strategy(descriptor: xdr.BaseType[Any]) -> st.SearchStrategy[Any]:
    """Values of an XDR type, derived from its descriptor tree (kept small)."""
    if isinstance(descriptor, xdr.ScalarType):
        if descriptor is xdr.FLOAT:
            return st.floats(width=32, allow_nan=False)
        if descriptor is xdr.DOUBLE:
            return st.floats(allow_nan=False)
        return st.integers(descriptor.minimum, descriptor.maximum)
    if isinstance(descriptor, xdr.BoolType):
        return st.booleans()
    if isinstance(descriptor, xdr.VoidType):
        return st.none()
    if isinstance(descriptor, xdr.EnumType):
        # unknown values are legal: newer daemons add enum members
        return st.sampled_from(list(descriptor.enum_class)) | INT32
    if isinstance(descriptor, xdr.FixedOpaque):
        return st.binary(min_size=descriptor.size, max_size=descriptor.size)
    if isinstance(descriptor, xdr.VarOpaque):
        return st.binary(max_size=min(descriptor.maximum, 9))
    if isinstance(descriptor, xdr.StringType):
        return st.text(max_size=min(descriptor.maximum // 4, 6))
    if isinstance(descriptor, xdr.FixedArray):
        return st.lists(
            strategy(descriptor.element), min_size=descriptor.size, max_size=descriptor.size
        )
    if isinstance(descriptor, xdr.VarArray):
        return st.lists(strategy(descriptor.element), max_size=min(descriptor.maximum, 2))
    if isinstance(descriptor, xdr.OptionalType):
        return st.none() | strategy(descriptor.element)
    if isinstance(descriptor, xdr.TypedefType):
        assert descriptor.target is not None
        return strategy(descriptor.target)
    if isinstance(descriptor, xdr.StructType):
        return st.builds(descriptor.cls, *(strategy(t) for _, t in descriptor.fields))
    if isinstance(descriptor, xdr.UnionType):
        arms = [
            st.builds(descriptor.cls, st.just(case), strategy(arm_type))
            for case, (_, arm_type) in descriptor.arms.items()
        ]
        if descriptor.default is not None:
            others = INT32.filter(lambda value: value not in descriptor.arms)
            arms.append(st.builds(descriptor.cls, others, strategy(descriptor.default[1])))
        return st.one_of(arms)
    raise AssertionError(f"no strategy for {descriptor!r}")


def all_types() -> list[tuple[str, str]]:
    return [
        (module, name)
        for module in MODULES
        for name in importlib.import_module(f"virtrpc.protocols.{module}").TYPES
    ]


@pytest.mark.parametrize(("module", "name"), all_types())
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_round_trip_every_type(module: str, name: str, data: st.DataObject) -> None:
    descriptor = importlib.import_module(f"virtrpc.protocols.{module}").TYPES[name]
    value = data.draw(strategy(descriptor))
    encoded = descriptor.pack(value)
    assert len(encoded) % 4 == 0
    decoded = descriptor.unpack(encoded)
    assert decoded == value
    assert descriptor.pack(decoded) == encoded
    # The generated fast functions and the interpreting codec agree.
    slow = bytearray()
    descriptor._pack(slow, value, name)
    assert bytes(slow) == encoded
    assert descriptor._unpack(encoded, 0, name) == (value, len(encoded))
    # unpack_from at an offset, from a memoryview
    framed = memoryview(b"\0" * 8 + encoded + b"tail")
    assert descriptor.unpack_from(framed, 8) == (value, 8 + len(encoded))
    # unpack (a small struct's whole-buffer decoder) refuses what the checking
    # wrapper refuses, with the same error
    assert descriptor.unpack(bytearray(encoded)) == value
    for bad in (encoded + b"\0\0\0\0", encoded[:-1]) if encoded else ():
        with pytest.raises(xdr.XdrError) as whole:
            descriptor.unpack(bad)
        with pytest.raises(xdr.XdrError) as checked:
            descriptor.checked_unpack(bad)
        assert str(whole.value) == str(checked.value)


# -- golden bytes -----------------------------------------------------------------


def words(*values: int) -> bytes:
    return struct.pack(f">{len(values)}I", *values)


@pytest.mark.parametrize(
    ("columns", "label"),
    [
        ((8, 1, 3, 0, 1, 0), "call"),
        ((8, 1, 3, 1, 1, 0), "reply"),
        ((8, 1, 3, 3, 1, 2), "stream data (continue)"),
        ((8, 1, 3, 3, 1, 0), "stream finish"),
    ],
)
def test_rpc_rst_wire_example_headers(columns: tuple[int, ...], label: str) -> None:
    """The header columns of rpc.rst's wire examples: prog, vers, proc, type, serial, status."""
    header = virnet.VirNetMessageHeader(*columns)
    encoded = virnet.TYPES["virNetMessageHeader"].pack(header)
    assert encoded == words(*columns)
    assert len(encoded) == virnet.VIR_NET_MESSAGE_HEADER_MAX
    decoded = virnet.TYPES["virNetMessageHeader"].unpack(encoded)
    assert decoded.type == columns[3] and isinstance(decoded.type, virnet.VirNetMessageType)


def test_golden_nonnull_domain() -> None:
    dom = remote.RemoteNonnullDomain(name="test", uuid=bytes(range(16)), id=-1)
    expected = words(4) + b"test" + bytes(range(16)) + b"\xff\xff\xff\xff"
    assert remote.TYPES["remote_nonnull_domain"].pack(dom) == expected
    padded = remote.RemoteNonnullDomain(name="guest", uuid=bytes(16), id=7)
    assert remote.TYPES["remote_nonnull_domain"].pack(padded) == (
        words(5) + b"guest\0\0\0" + bytes(16) + words(7)
    )


def test_golden_libvirt_dialect_char_array_and_small_ints() -> None:
    info = remote.RemoteNodeGetInfoRet(
        model=[ord(c) for c in "x86_64".ljust(32, "\0")], memory=2**33, cpus=4,
        mhz=2000, nodes=1, sockets=1, cores=2, threads=2,
    )  # fmt: skip
    encoded = remote.TYPES["remote_node_get_info_ret"].pack(info)
    # char model[32] is 32 four-byte ints
    assert encoded[:4] == words(ord("x")) and len(encoded) == 32 * 4 + 8 + 6 * 4
    assert encoded[128:136] == struct.pack(">Q", 2**33)
    # unsigned char / unsigned short are 4 bytes each
    get_info = remote.RemoteDomainGetInfoRet(state=1, maxMem=2, memory=3, nrVirtCpu=4, cpuTime=5)
    assert remote.TYPES["remote_domain_get_info_ret"].pack(get_info) == (
        words(1) + struct.pack(">QQ", 2, 3) + words(4) + struct.pack(">Q", 5)
    )


def test_golden_optional_and_union() -> None:
    string_type = remote.TYPES["remote_string"]
    assert string_type.pack(None) == words(0)
    assert string_type.pack("ab") == words(1, 2) + b"ab\0\0"
    value = remote.RemoteTypedParamValue(type=7, value="on")
    assert remote.TYPES["remote_typed_param_value"].pack(value) == words(7, 2) + b"on\0\0"
    double = remote.RemoteTypedParamValue(type=5, value=0.5)
    assert remote.TYPES["remote_typed_param_value"].pack(double) == words(5) + struct.pack(
        ">d", 0.5
    )


def test_unknown_enum_value_decodes_as_int() -> None:
    header = virnet.TYPES["virNetMessageHeader"].unpack(words(1, 1, 1, 99, 1, 0))
    assert header.type == 99 and type(header.type) is int
    assert header.status is virnet.VirNetMessageStatus.VIR_NET_OK


# -- classes ------------------------------------------------------------------------


def test_struct_classes_behave_like_dataclasses() -> None:
    dom = remote.RemoteNonnullDomain(name="a", uuid=bytes(16), id=1)
    assert [f.name for f in dataclasses.fields(dom)] == ["name", "uuid", "id"]
    assert dataclasses.fields(remote.RemoteNonnullDomain)[0].type == "str"
    assert dataclasses.is_dataclass(dom)
    assert dataclasses.asdict(dom) == {"name": "a", "uuid": bytes(16), "id": 1}
    assert dataclasses.replace(dom, id=2).id == 2
    assert repr(dom) == f"RemoteNonnullDomain(name='a', uuid={bytes(16)!r}, id=1)"
    assert dom == remote.RemoteNonnullDomain("a", bytes(16), 1)
    assert dom != remote.RemoteNonnullDomain("b", bytes(16), 1)
    with pytest.raises(AttributeError):
        dom.nickname = "x"  # type: ignore[attr-defined]
    match dom:
        case remote.RemoteNonnullDomain(name, _, number):
            assert (name, number) == ("a", 1)
        case _:
            pytest.fail("no match")
    assert remote.RemoteDomainGetInfoRet.__doc__ == "``remote_domain_get_info_ret`` (struct)."


def test_dataclass_support_survives_probing_the_bases() -> None:
    assert dataclasses.fields(xdr.XdrStruct) == ()
    assert dataclasses.fields(xdr.XdrUnion) == ()
    value = remote.RemoteTypedParamValue(type=1, value=5)
    assert [f.name for f in dataclasses.fields(value)] == ["type", "value"]
    assert [f.name for f in dataclasses.fields(remote.RemoteNodeGetInfoRet)][:2] == [
        "model",
        "memory",
    ]


def test_keyword_field_names_get_an_underscore() -> None:
    descriptor = remote.TYPES["remote_domain_migrate_prepare_tunnel3_params_args"]
    assert isinstance(descriptor, xdr.StructType)
    names = [name for struct_type in remote.TYPES.values() if isinstance(struct_type, xdr.StructType)
             for name, _ in struct_type.fields]  # fmt: skip
    assert "from_" in names and "from" not in names


# -- procedure tables -------------------------------------------------------------------


def test_remote_program_table() -> None:
    program = remote.PROGRAM
    assert (program.name, program.number, program.version) == ("remote", 0x20008086, 1)
    assert len(program.procedures) == 453
    info = program.by_name["domain_get_info"]
    assert info.number == 16 and info.const_name == "REMOTE_PROC_DOMAIN_GET_INFO"
    assert info.args is remote.TYPES["remote_domain_get_info_args"]
    assert info.ret_class is remote.RemoteDomainGetInfoRet
    assert info.acl == ("domain:read",) and info.generate == "both"
    fd = program.procedures[443]
    assert (fd.name, fd.fds, fd.ret) == ("domain_fd_associate", "send", None)
    assert program.by_name["connect_open"].priority == "high"
    assert program.by_name["storage_vol_upload"].stream == "write"
    assert program.by_name["storage_vol_download"].stream == "read"
    assert (
        program.by_name["storage_vol_download"].sparseflag
        == "VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM"
    )
    assert program.by_name["connect_list_all_domains"].aclfilter == ("domain:getattr",)
    assert program.by_name["domain_get_xml_desc"].stream is None
    event = program.by_name["domain_event_lifecycle"]
    assert event.is_event and event.ret is None
    assert event.args is remote.TYPES["remote_domain_event_lifecycle_msg"]
    # void sides come only from the checked table
    assert program.by_name["connect_close"].args is None
    assert program.by_name["connect_get_version"].args is None
    # every non-void side is a struct of the conventional name
    for proc in program.procedures.values():
        if proc.args is not None:
            suffix = "_msg" if proc.is_event else "_args"
            assert proc.args.name == f"remote_{proc.name}{suffix}"
        if proc.ret is not None:
            assert proc.ret.name == f"remote_{proc.name}_ret"


def test_fd_passing_procedures() -> None:
    fds = {
        (remote, "domain_open_graphics"): "send",
        (remote, "domain_open_graphics_fd"): "recv",
        (remote, "domain_create_xml_with_files"): "send",
        (remote, "domain_create_with_files"): "send",
        (remote, "domain_fd_associate"): "send",
        (lxc, "domain_open_namespace"): "recv",
        (qemu, "domain_monitor_command_with_files"): "both",
    }
    for (module, name), direction in fds.items():
        assert module.PROGRAM.by_name[name].fds == direction
    marked = [p.name for p in remote.PROGRAM.procedures.values() if p.fds]
    assert len(marked) == 5


def test_other_programs() -> None:
    assert keepalive.PROGRAM.number == 0x6B656570
    ping = keepalive.PROGRAM.procedures[1]
    assert (ping.name, ping.args, ping.ret, ping.is_event) == ("ping", None, None, True)
    assert admin.PROGRAM.by_name["connect_open"].args_class is admin.AdminConnectOpenArgs
    assert qemu.PROGRAM.by_name["domain_monitor_event"].is_event
    assert lxc.PROGRAM.number == 0x00068000
    assert virnet.VIR_NET_MESSAGE_MAX == 33554432
    assert not hasattr(virnet, "PROGRAM")


# -- call mixins ---------------------------------------------------------------------------


class RecordingCalls:
    def __init__(self, result: Any) -> None:
        self.result = result
        self.calls: list[tuple[xdr.Procedure, Any, Sequence[int]]] = []

    def record(self, proc: xdr.Procedure, args: Any, fds: Sequence[int]) -> Any:
        self.calls.append((proc, args, fds))
        return self.result


def test_blocking_calls_build_args_and_delegate() -> None:
    from virtrpc.protocols.remote_calls import RemoteBlockingCalls

    class Client(RemoteBlockingCalls[Any]):
        def __init__(self) -> None:
            self.recorder = RecordingCalls("dom")

        def _call_procedure(self, proc: xdr.Procedure, args: Any, fds: Sequence[int] = ()) -> Any:
            return self.recorder.record(proc, args, fds)

    client = Client()
    assert client.domain_lookup_by_name(name="vm") == "dom"
    proc, args, fds = client.recorder.calls[-1]
    assert (
        proc.number == 23 and args == remote.RemoteDomainLookupByNameArgs(name="vm") and fds == ()
    )
    dom = remote.RemoteNonnullDomain("vm", bytes(16), 1)
    client.domain_fd_associate(dom=dom, name="x", fds=[5, 6])
    proc, args, fds = client.recorder.calls[-1]
    assert proc.fds == "send" and fds == [5, 6] and args.flags == 0
    client.connect_get_version()
    assert client.recorder.calls[-1][1] is None
    assert not hasattr(client, "domain_event_lifecycle")


async def test_async_calls_build_args_and_delegate() -> None:
    from virtrpc.protocols.qemu_calls import QemuAsyncCalls

    class Client(QemuAsyncCalls):
        def __init__(self) -> None:
            self.recorder = RecordingCalls(("out", [7]))

        async def _call_procedure(
            self, proc: xdr.Procedure, args: Any, fds: Sequence[int] = ()
        ) -> Any:
            await asyncio.sleep(0)
            return self.recorder.record(proc, args, fds)

    client = Client()
    dom = remote.RemoteNonnullDomain("vm", bytes(16), 1)
    result = await client.domain_monitor_command_with_files(dom=dom, cmd="{}", fds=[3])
    assert result == ("out", [7])
    proc, args, fds = client.recorder.calls[-1]
    assert proc.const_name == "QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES" and fds == [3]
    assert args == qemu.QemuDomainMonitorCommandWithFilesArgs(dom=dom, cmd="{}", flags=0)


def test_call_signatures_follow_the_return_rule() -> None:
    from virtrpc.protocols import remote_calls

    hints = inspect.get_annotations(remote_calls.RemoteAsyncCalls.domain_get_info)
    assert hints["return"] == "_remote.RemoteDomainGetInfoRet"
    assert (
        inspect.get_annotations(remote_calls.RemoteAsyncCalls.connect_get_hostname)["return"]
        == "str"
    )
    lookup = inspect.signature(remote_calls.RemoteBlockingCalls.domain_lookup_by_name)
    assert lookup.parameters["name"].kind is inspect.Parameter.KEYWORD_ONLY
    graphics = inspect.get_annotations(remote_calls.RemoteAsyncCalls.domain_open_graphics_fd)
    assert graphics["return"].startswith("tuple[") and graphics["return"].endswith("list[int]]")
    upload = inspect.get_annotations(remote_calls.RemoteAsyncCalls.storage_vol_upload)
    assert upload["return"] == "_Stream"
    count = sum(1 for p in remote.PROGRAM.procedures.values() if not p.is_event)
    methods = [m for m in vars(remote_calls.RemoteAsyncCalls) if not m.startswith("_")]
    assert len(methods) == count
    assert inspect.iscoroutinefunction(remote_calls.RemoteAsyncCalls.domain_get_info)
