"""The XDR runtime: primitive codecs and strict decoding, on hand-built
descriptors and on generated types (fast path and interpreting path must
raise the same typed error naming the field)."""

from __future__ import annotations

import enum
import math
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from virtrpc import xdr
from virtrpc.errors import VirtrpcError, XdrError
from virtrpc.protocols import remote, virnet


def words(*values: int) -> bytes:
    return struct.pack(f">{len(values)}I", *values)


class Color(enum.IntEnum):
    RED = 0
    GREEN = 1


class Point(xdr.XdrStruct):
    __slots__ = ("label", "x")
    __match_args__ = ("x", "label")

    def __init__(self, x: int, label: str | None) -> None:
        self.x = x
        self.label = label

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.label) == (other.x, other.label)


POINT: xdr.StructType[Point] = xdr.StructType("point", Point)
POINT.fields = (("x", xdr.INT), ("label", xdr.OptionalType(xdr.StringType(8))))


# -- primitives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("descriptor", "value", "encoded"),
    [
        (xdr.INT, -2, b"\xff\xff\xff\xfe"),
        (xdr.UINT, 2**32 - 1, b"\xff\xff\xff\xff"),
        (xdr.HYPER, -(2**63), b"\x80" + b"\0" * 7),
        (xdr.UHYPER, 2**64 - 1, b"\xff" * 8),
        (xdr.FLOAT, 1.5, struct.pack(">f", 1.5)),
        (xdr.DOUBLE, -0.25, struct.pack(">d", -0.25)),
        (xdr.BOOL, True, words(1)),
        (xdr.BOOL, False, words(0)),
        (xdr.VOID, None, b""),
        (xdr.FixedOpaque(3), b"abc", b"abc\0"),
        (xdr.VarOpaque(10), b"abcde", words(5) + b"abcde\0\0\0"),
        (xdr.StringType(), "h\u00e9", words(3) + "h\u00e9".encode() + b"\0"),
        (xdr.FixedArray(xdr.INT, 2), [1, 2], words(1, 2)),
        (xdr.VarArray(xdr.UINT, 5), [7], words(1, 7)),
        (xdr.OptionalType(xdr.INT), None, words(0)),
        (xdr.OptionalType(xdr.INT), 9, words(1, 9)),
        (xdr.EnumType("color", Color), Color.GREEN, words(1)),
    ],
)
def test_primitive_encodings(descriptor: xdr.BaseType[Any], value: Any, encoded: bytes) -> None:
    assert descriptor.pack(value) == encoded
    assert descriptor.unpack(encoded) == value


def test_enum_unknown_value_is_plain_int() -> None:
    color = xdr.EnumType("color", Color)
    assert color.unpack(words(1)) is Color.GREEN
    unknown = color.unpack(words(42))
    assert unknown == 42 and type(unknown) is int
    assert color.pack(42) == words(42)


@given(st.integers(-(2**31), 2**31 - 1), st.one_of(st.none(), st.text(max_size=2)))
def test_struct_round_trip(x: int, label: str | None) -> None:
    point = Point(x, label)
    assert POINT.unpack(POINT.pack(point)) == point


@given(st.floats(allow_nan=False))
def test_double_round_trip(value: float) -> None:
    assert xdr.DOUBLE.unpack(xdr.DOUBLE.pack(value)) == value


def test_nan_survives() -> None:
    assert math.isnan(xdr.DOUBLE.unpack(xdr.DOUBLE.pack(math.nan)))


# -- strict decoding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("descriptor", "data", "path", "reason"),
    [
        (xdr.BOOL, words(2), "bool", "bool must be 0 or 1"),
        (xdr.FixedOpaque(3), b"abc\1", "opaque[3]", "non-zero padding"),
        (xdr.VarOpaque(10), words(1) + b"a\0\1\0", "opaque<10>", "non-zero padding"),
        (xdr.StringType(4), words(5) + b"abcde\0\0\0", "string<4>", "exceeds maximum"),
        (xdr.StringType(), words(2) + b"\xff\xfe\0\0", "string<", "invalid UTF-8"),
        (xdr.StringType(), words(8) + b"ab", "string<", "truncated"),
        (xdr.VarArray(xdr.INT, 2), words(3, 1, 2, 3), "int<2>", "exceed maximum"),
        (xdr.VarArray(xdr.INT), words(2**30), "int<", "truncated"),
        (xdr.OptionalType(xdr.INT), words(2, 0), "int*", "flag must be 0 or 1"),
        (xdr.INT, b"\0\0\0", "int", "truncated"),
        (xdr.INT, words(1) + b"\0", "int", "trailing bytes"),
        (POINT, words(5, 1, 9) + b"too long\0", "point.label", "exceeds maximum"),
        (POINT, words(5, 3), "point.label", "flag must be 0 or 1"),
    ],
)
def test_strict_decoding_errors(
    descriptor: xdr.BaseType[Any], data: bytes, path: str, reason: str
) -> None:
    with pytest.raises(XdrError) as caught:
        descriptor.unpack(data)
    assert caught.value.path.startswith(path)
    assert reason in caught.value.reason
    assert isinstance(caught.value, VirtrpcError)


def test_huge_count_is_rejected_before_allocating() -> None:
    with pytest.raises(XdrError, match="exceed maximum"):
        remote.TYPES["remote_connect_list_all_domains_ret"].unpack(words(2**32 - 1))
    with pytest.raises(XdrError, match="truncated"):
        remote.TYPES["remote_connect_list_all_domains_ret"].unpack(words(16384))


@pytest.mark.parametrize(
    ("type_name", "data", "path", "reason"),
    [
        (
            "remote_nonnull_domain",
            words(1) + b"a\0\0\1" + bytes(16) + words(1),
            "remote_nonnull_domain.name",
            "non-zero padding",
        ),
        (
            "remote_nonnull_domain",
            words(2) + b"\xc3\x28\0\0" + bytes(16) + words(1),
            "remote_nonnull_domain.name",
            "invalid UTF-8",
        ),
        (
            "remote_connect_list_all_domains_ret",
            words(2) + words(1) + b"a\0\0\0" + bytes(16) + words(1) + words(1) + b"b\0\0\0",
            "remote_connect_list_all_domains_ret.domains[1].uuid",
            "truncated",
        ),
        (
            "remote_typed_param",
            words(1) + b"f\0\0\0" + words(99),
            "remote_typed_param.value.type",
            "no arm for discriminant 99",
        ),
        (
            "remote_node_get_info_ret",
            bytes(32 * 4 + 8 + 6 * 4) + b"\0\0\0\0",
            "remote_node_get_info_ret",
            "trailing bytes",
        ),
    ],
)
def test_generated_decoding_errors_name_the_field(
    type_name: str, data: bytes, path: str, reason: str
) -> None:
    with pytest.raises(XdrError) as caught:
        remote.TYPES[type_name].unpack(data)
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_bool_union_arm_is_int_in_libvirt() -> None:
    # VIR_TYPED_PARAM_BOOLEAN carries an int, so 2 is accepted there
    value = remote.TYPES["remote_typed_param_value"].unpack(words(6, 2))
    assert value.value == 2


# -- strict encoding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "value", "path", "reason"),
    [
        (
            "remote_node_get_info_ret",
            remote.RemoteNodeGetInfoRet([0] * 3 + [2**31] + [0] * 28, 0, 0, 0, 0, 0, 0, 0),
            "remote_node_get_info_ret.model[3]",
            "out of range",
        ),
        (
            "remote_node_get_info_ret",
            remote.RemoteNodeGetInfoRet([0] * 31, 0, 0, 0, 0, 0, 0, 0),
            "remote_node_get_info_ret.model",
            "exactly 32 items",
        ),
        (
            "remote_nonnull_domain",
            remote.RemoteNonnullDomain("x", b"short", 1),
            "remote_nonnull_domain.uuid",
            "exactly 16 bytes",
        ),
        (
            "remote_nonnull_domain",
            remote.RemoteNonnullDomain("\ud800", bytes(16), 1),
            "remote_nonnull_domain.name",
            "UTF-8",
        ),
        (
            "remote_nonnull_domain",
            remote.RemoteNonnullDomain(b"x", bytes(16), 1),  # type: ignore[arg-type]
            "remote_nonnull_domain.name",
            "expected str",
        ),
        (
            "remote_domain_get_info_ret",
            remote.RemoteDomainGetInfoRet(-1, 0, 0, 0, 0),
            "remote_domain_get_info_ret.state",
            "out of range",
        ),
        (
            "remote_domain_get_info_ret",
            remote.RemoteDomainGetInfoRet(1.0, 0, 0, 0, 0),  # type: ignore[arg-type]
            "remote_domain_get_info_ret.state",
            "expected an int",
        ),
        (
            "remote_connect_list_all_domains_ret",
            remote.RemoteConnectListAllDomainsRet([None], 1),  # type: ignore[list-item]
            "remote_connect_list_all_domains_ret.domains[0]",
            "expected RemoteNonnullDomain",
        ),
        (
            "remote_typed_param_value",
            remote.RemoteTypedParamValue(8, 1),
            "remote_typed_param_value.type",
            "no arm",
        ),
        (
            "remote_typed_param_value",
            remote.RemoteTypedParamValue(7, 5),
            "remote_typed_param_value.value",
            "expected str",
        ),
    ],
)
def test_encoding_errors_name_the_field(type_name: str, value: Any, path: str, reason: str) -> None:
    descriptor = remote.TYPES[type_name]
    with pytest.raises(XdrError) as caught:
        descriptor.pack(value)
    assert caught.value.path == path
    assert reason in caught.value.reason
    out = bytearray(b"keep")
    with pytest.raises(XdrError):
        descriptor.pack_into(out, value)
    assert out == b"keep"


def test_string_length_is_checked_in_bytes() -> None:
    short = xdr.StringType(3)
    assert short.unpack(short.pack("\u00e9a")) == "\u00e9a"
    with pytest.raises(XdrError, match="exceeds maximum"):
        short.pack("\u00e9\u00e9")


def test_bool_encoding_is_strict() -> None:
    assert xdr.BOOL.pack(1) == words(1)  # type: ignore[arg-type]
    with pytest.raises(XdrError, match="expected a bool"):
        xdr.BOOL.pack(2)  # type: ignore[arg-type]


def test_input_buffers_of_every_kind() -> None:
    header = virnet.VirNetMessageHeader(1, 2, 3, virnet.VIR_NET_REPLY, 5, virnet.VIR_NET_OK)
    codec = virnet.TYPES["virNetMessageHeader"]
    encoded = codec.pack(header)
    for buffer in (encoded, bytearray(encoded), memoryview(encoded)):
        assert codec.unpack(buffer) == header
    assert codec.unpack_from(memoryview(b"\0" * 4 + encoded), 4) == (header, 28)


def test_descriptors_satisfy_the_protocol() -> None:
    codec: xdr.XdrType[Any] = remote.TYPES["remote_nonnull_domain"]
    assert codec.name == "remote_nonnull_domain"
    assert repr(codec) == "<StructType remote_nonnull_domain>"
