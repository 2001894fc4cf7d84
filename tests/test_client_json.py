"""JSON <-> XDR conversion used by ``virtrpc call``: every procedure's args and
ret types survive ``to_json`` -> JSON text -> ``from_json``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtrpc import xdr
from virtrpc.client.jsonvalues import from_json, to_json
from virtrpc.errors import XdrError
from virtrpc.protocols import admin, lxc, qemu, remote

INT32 = st.integers(-(2**31), 2**31 - 1)


def values(descriptor: xdr.BaseType[Any]) -> st.SearchStrategy[Any]:
    """Small values of an XDR type, from its descriptor tree."""
    if isinstance(descriptor, xdr.ScalarType):
        if descriptor.is_float:
            if descriptor is xdr.FLOAT:
                return st.floats(width=32, allow_nan=False, allow_infinity=False)
            return st.floats(allow_nan=False, allow_infinity=False)
        return st.integers(descriptor.minimum, descriptor.maximum)
    if isinstance(descriptor, xdr.BoolType):
        return st.booleans()
    if isinstance(descriptor, xdr.VoidType):
        return st.none()
    if isinstance(descriptor, xdr.EnumType):
        return st.sampled_from(list(descriptor.enum_class)) | INT32
    if isinstance(descriptor, xdr.FixedOpaque):
        return st.binary(min_size=descriptor.size, max_size=descriptor.size)
    if isinstance(descriptor, xdr.VarOpaque):
        return st.binary(max_size=min(descriptor.maximum, 8))
    if isinstance(descriptor, xdr.StringType):
        return st.text(max_size=min(descriptor.maximum, 6))
    if isinstance(descriptor, xdr.FixedArray):
        return st.lists(
            values(descriptor.element), min_size=descriptor.size, max_size=descriptor.size
        )
    if isinstance(descriptor, xdr.VarArray):
        return st.lists(values(descriptor.element), max_size=min(descriptor.maximum, 2))
    if isinstance(descriptor, xdr.OptionalType):
        return st.none() | values(descriptor.element)
    if isinstance(descriptor, xdr.TypedefType):
        assert descriptor.target is not None
        return values(descriptor.target)
    if isinstance(descriptor, xdr.StructType):
        return st.builds(descriptor.cls, *(values(t) for _, t in descriptor.fields))
    if isinstance(descriptor, xdr.UnionType):
        arms = [
            st.builds(descriptor.cls, st.just(case), values(arm_type))
            for case, (_, arm_type) in descriptor.arms.items()
        ]
        if descriptor.default is not None:
            others = INT32.filter(lambda value: value not in descriptor.arms)
            arms.append(st.builds(descriptor.cls, others, values(descriptor.default[1])))
        return st.one_of(arms)
    raise AssertionError(f"no strategy for {descriptor!r}")


def _types() -> list[tuple[str, xdr.BaseType[Any]]]:
    found: dict[str, xdr.BaseType[Any]] = {}
    for module in (remote, qemu, lxc, admin):
        for proc in module.PROGRAM.procedures.values():
            for descriptor in (proc.args, proc.ret):
                if descriptor is not None:
                    found[descriptor.name] = descriptor
    return sorted(found.items())


TYPES = _types()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), index=st.integers(0, len(TYPES) - 1))
def test_every_procedure_type_round_trips_through_json(data: st.DataObject, index: int) -> None:
    _, descriptor = TYPES[index]
    value = data.draw(values(descriptor))
    text = json.dumps(to_json(descriptor, value))
    back = from_json(descriptor, json.loads(text))
    assert back == value
    assert descriptor.pack(back) == descriptor.pack(value)


def test_shapes() -> None:
    dom = remote.RemoteNonnullDomain(name="vm", uuid=bytes(range(16)), id=-1)
    assert to_json(remote.TYPES["remote_nonnull_domain"], dom) == {
        "name": "vm",
        "uuid": "000102030405060708090a0b0c0d0e0f",
        "id": -1,
    }
    param = remote.TYPES["remote_typed_param_value"]
    assert to_json(param, remote.RemoteTypedParamValue(4, 7)) == {"type": 4, "value": 7}
    # UUIDs may be written with dashes; omitted flags default to 0.
    args = from_json(
        remote.TYPES["remote_domain_get_info_args"],
        {"dom": {"name": "vm", "uuid": "00010203-0405-0607-0809-0a0b0c0d0e0f", "id": 1}},
    )
    assert args.dom.uuid == bytes(range(16))


@pytest.mark.parametrize(
    ("type_name", "data", "message"),
    [
        ("remote_domain_lookup_by_name_args", {}, "missing required field"),
        ("remote_domain_lookup_by_name_args", {"name": 3}, "expected a string"),
        ("remote_domain_lookup_by_name_args", [], "expected an object"),
        ("remote_nonnull_domain", {"name": "x", "uuid": "xyz", "id": 1}, "hex"),
        ("remote_typed_param_value", {"value": 1}, "'type'"),
        ("remote_connect_open_args", {"name": None, "flags": True}, "expected an integer"),
    ],
)
def test_bad_json_names_the_field(type_name: str, data: Any, message: str) -> None:
    with pytest.raises(XdrError, match=message):
        from_json(remote.TYPES[type_name], data)
