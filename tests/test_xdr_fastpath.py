"""The generated fast codecs and their fallback to the interpreting codec.

The fast functions check as little as they can afford: padding is tested
with a mask on the word the next fixed-size read fetches anyway, bounds are
left to the next read (or to the final end-offset check of the descriptor),
encoding formats come from per-length caches.  Every malformed input must
still end in an ``XdrError`` that names the field, and every value the fast
encoder does not take must still encode through the interpreter.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from virtrpc import xdr
from virtrpc.errors import XdrError
from virtrpc.protocols import remote

UUID = bytes(range(16))


def words(*values: int) -> bytes:
    return struct.pack(f">{len(values)}I", *values)


def padded(text: bytes, padding: bytes | None = None) -> bytes:
    """An XDR string: length, data, padding (zeros unless given)."""
    pad = -len(text) & 3
    return words(len(text)) + text + (bytes(pad) if padding is None else padding)


def domain(name: bytes, padding: bytes | None = None, ident: int = 1) -> bytes:
    return padded(name, padding) + UUID + words(ident)


def typed_param(field: bytes, kind: int, arm: bytes, padding: bytes | None = None) -> bytes:
    return padded(field, padding) + words(kind) + arm


def params_reply(*params: bytes) -> bytes:
    return words(len(params)) + b"".join(params)


@pytest.mark.parametrize(
    ("type_name", "data", "path", "reason"),
    [
        # padding tested through the mask on the word before the next read
        (
            "remote_nonnull_domain",
            domain(b"vm", b"\0\1"),
            "remote_nonnull_domain.name",
            "non-zero padding",
        ),
        (
            "remote_connect_list_all_domains_ret",
            words(2) + domain(b"a") + domain(b"abc", b"\7") + words(2),
            "remote_connect_list_all_domains_ret.domains[1].name",
            "non-zero padding",
        ),
        (
            "remote_domain_get_scheduler_parameters_ret",
            params_reply(typed_param(b"cpu", 1, words(5), b"\1")),
            "remote_domain_get_scheduler_parameters_ret.params[0].field",
            "non-zero padding",
        ),
        # padding of a string arm of the inlined union (sliced out)
        (
            "remote_domain_get_scheduler_parameters_ret",
            params_reply(
                typed_param(b"a", 1, words(5)), typed_param(b"b", 7, padded(b"xy", b"\0\1"))
            ),
            "remote_domain_get_scheduler_parameters_ret.params[1].value.value",
            "non-zero padding",
        ),
        # discriminant of the inlined union, inside an array
        (
            "remote_domain_get_scheduler_parameters_ret",
            params_reply(typed_param(b"a", 1, words(5)), typed_param(b"b", 9, words(5))),
            "remote_domain_get_scheduler_parameters_ret.params[1].value.type",
            "no arm for discriminant 9",
        ),
        # a length above the maximum, with the data really there
        (
            "remote_domain_iothread_info",
            words(1) + padded(bytes(2049)),
            "remote_domain_iothread_info.cpumap",
            "exceeds maximum",
        ),
        # a string that runs past the end, with no later read to notice
        (
            "remote_domain_get_xml_desc_ret",
            words(100) + b"<dom",
            "remote_domain_get_xml_desc_ret.xml",
            "truncated",
        ),
        (
            "remote_domain_get_scheduler_parameters_ret",
            params_reply(typed_param(b"a", 7, words(9) + b"abcd")),
            "remote_domain_get_scheduler_parameters_ret.params[0].value.value",
            "truncated",
        ),
        (
            "remote_nonnull_domain",
            words(2) + b"\xc3\x28\0\0" + UUID + words(1),
            "remote_nonnull_domain.name",
            "invalid UTF-8",
        ),
    ],
)
def test_fast_path_failures_name_the_field(
    type_name: str, data: bytes, path: str, reason: str
) -> None:
    descriptor = remote.TYPES[type_name]
    assert isinstance(descriptor, xdr.BaseType)
    assert descriptor.fast_unpack is not None
    for decode in (descriptor.unpack, lambda buffer: descriptor.unpack_from(buffer, 0)):
        with pytest.raises(XdrError) as caught:
            decode(data)
        assert caught.value.path == path
        assert reason in caught.value.reason


def test_unpack_from_never_returns_an_end_past_the_buffer() -> None:
    codec = remote.TYPES["remote_domain_get_xml_desc_ret"]
    encoded = codec.pack(remote.RemoteDomainGetXmlDescRet("<domain/>"))
    assert codec.unpack_from(b"\0" * 4 + encoded, 4)[1] == 4 + len(encoded)
    with pytest.raises(XdrError, match="truncated"):
        codec.unpack_from(encoded[:-4])
    with pytest.raises(XdrError, match="truncated"):
        codec.unpack_from(encoded, -4)


@settings(max_examples=60, deadline=None, database=None)
@given(
    names=st.lists(st.text(max_size=7), min_size=1, max_size=4),
    strings=st.lists(st.text(max_size=6), min_size=1, max_size=3),
    data=st.data(),
)
def test_every_truncation_and_padding_corruption_is_an_error(
    names: list[str], strings: list[str], data: st.DataObject
) -> None:
    cases: list[tuple[str, Any]] = [
        (
            "remote_connect_list_all_domains_ret",
            remote.RemoteConnectListAllDomainsRet(
                [remote.RemoteNonnullDomain(name, UUID, index) for index, name in enumerate(names)],
                len(names),
            ),
        ),
        (
            "remote_domain_get_scheduler_parameters_ret",
            remote.RemoteDomainGetSchedulerParametersRet(
                [
                    remote.RemoteTypedParam(text, remote.RemoteTypedParamValue(7, text * 2))
                    for text in strings
                ]
                + [remote.RemoteTypedParam("n", remote.RemoteTypedParamValue(4, 2**40))]
            ),
        ),
    ]
    for type_name, value in cases:
        codec = remote.TYPES[type_name]
        encoded = codec.pack(value)
        assert codec.unpack(encoded) == value
        cut = data.draw(st.integers(0, len(encoded) - 1), label="cut")
        with pytest.raises(XdrError) as caught:
            codec.unpack(encoded[:cut])
        assert caught.value.path.startswith(type_name)
        with pytest.raises(XdrError):
            codec.unpack_from(encoded[:cut])
        # Setting any padding byte must be refused (padding follows the
        # data of each string: find the bytes the interpreter calls padding).
        for position in range(len(encoded)):
            corrupted = bytearray(encoded)
            corrupted[position] ^= 0x80
            try:
                expected: Any = codec._unpack(bytes(corrupted), 0, type_name)[0]  # type: ignore[attr-defined]
            except XdrError as exc:
                with pytest.raises(XdrError) as caught:
                    codec.unpack(bytes(corrupted))
                assert caught.value.path == exc.path
            else:
                assert codec.unpack(bytes(corrupted)) == expected


def test_values_the_fast_encoder_refuses_go_through_the_interpreter() -> None:
    codec = remote.TYPES["remote_domain_iothread_info"]
    expected = codec.pack(remote.RemoteDomainIothreadInfo(3, b"\1\2\3"))
    for cpumap in (bytearray(b"\1\2\3"), memoryview(b"\1\2\3")):
        assert codec.pack(remote.RemoteDomainIothreadInfo(3, cpumap)) == expected  # type: ignore[arg-type]
    reply = remote.RemoteConnectListAllDomainsRet([remote.RemoteNonnullDomain("a", UUID, 1)], 1)
    as_tuple = remote.RemoteConnectListAllDomainsRet(tuple(reply.domains), 1)  # type: ignore[arg-type]
    list_codec = remote.TYPES["remote_connect_list_all_domains_ret"]
    assert list_codec.pack(as_tuple) == list_codec.pack(reply)
    out = bytearray(b"head")
    list_codec.pack_into(out, reply)
    assert out == b"head" + list_codec.pack(reply)


def test_too_long_values_are_refused_by_the_length_cache() -> None:
    codec = remote.TYPES["remote_domain_iothread_info"]
    with pytest.raises(XdrError) as caught:
        codec.pack(remote.RemoteDomainIothreadInfo(1, bytes(2049)))
    assert caught.value.path == "remote_domain_iothread_info.cpumap"
    assert "exceeds maximum" in caught.value.reason
    # the refused length is not cached, a good one is
    assert 2049 not in remote._V_Iv
    codec.pack(remote.RemoteDomainIothreadInfo(1, bytes(2048)))
    assert 2048 in remote._V_Iv


def test_var_structs_cache_is_bounded_and_exact() -> None:
    cache = xdr.VarStructs(">i{}{}", (10, 20))
    assert cache[3, 4].pack(7, 3, b"abc", 4, b"wxyz") == words(7, 3) + b"abc\0" + words(4) + b"wxyz"
    with pytest.raises(XdrError, match="exceeds maximum 20"):
        cache[1, 21]
    small = xdr.VarStructs(">{}", (xdr.UNBOUNDED,))
    for size in range(xdr.VarStructs.LIMIT + 10):
        assert small[size].size == 4 + size + (-size & 3)
    assert len(small) == xdr.VarStructs.LIMIT


TYPED_PARAM_ARMS: list[tuple[int, int | float | str]] = [
    (1, -5), (2, 7), (3, -(2**40)), (4, 2**60), (5, 0.5), (6, 1), (7, "text é"),
]  # fmt: skip


def test_pack_is_the_generated_encoder_without_a_wrapper() -> None:
    codec = remote.TYPES["remote_nonnull_domain"]
    assert codec.pack is remote._p_remote_nonnull_domain
    dom = remote.RemoteNonnullDomain("vm", UUID, 7)
    assert codec.pack(dom) == codec.slow_pack(dom) == domain(b"vm", ident=7)  # type: ignore[attr-defined]
    # descriptors without generated code encode with the interpreter
    assert xdr.INT.pack(-2) == struct.pack(">i", -2)
    assert xdr.VarArray(xdr.UINT, 4).pack([1, 2]) == words(2, 1, 2)


@pytest.mark.parametrize(("kind", "value"), TYPED_PARAM_ARMS)
def test_typed_param_one_call_encoding_matches_the_interpreter(
    kind: int, value: int | float | str
) -> None:
    # numeric arms encode name, type and value with one struct call (a
    # per-type table), the string arm concatenates: both equal the interpreter
    param = remote.RemoteTypedParam("name.x", remote.RemoteTypedParamValue(kind, value))
    reply = remote.RemoteDomainGetSchedulerParametersRet([param, param])
    for type_name, item in (
        ("remote_typed_param", param),
        ("remote_domain_get_scheduler_parameters_ret", reply),
    ):
        codec = remote.TYPES[type_name]
        assert isinstance(codec, xdr.BaseType)
        encoded = codec.pack(item)
        assert encoded == codec.slow_pack(item)
        assert codec.unpack(encoded) == item


@pytest.mark.parametrize(
    ("kind", "value", "field", "reason"),
    [
        (1, 2**31, "value.value", "out of range"),
        (4, -1, "value.value", "out of range"),
        (5, "0.5", "value.value", "float"),
        (7, 5, "value.value", "str"),
        (9, 1, "value.type", "no arm for discriminant 9"),
    ],
)
def test_typed_param_encoding_failures_name_the_field(
    kind: int, value: object, field: str, reason: str
) -> None:
    good = remote.RemoteTypedParam("ok", remote.RemoteTypedParamValue(1, 1))
    bad = remote.RemoteTypedParam("bad", remote.RemoteTypedParamValue(kind, value))  # type: ignore[arg-type]
    codec = remote.TYPES["remote_domain_get_scheduler_parameters_ret"]
    with pytest.raises(XdrError) as caught:
        codec.pack(remote.RemoteDomainGetSchedulerParametersRet([good, bad]))
    assert caught.value.path == f"remote_domain_get_scheduler_parameters_ret.params[1].{field}"
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    "data",
    [
        domain("é-vm".encode()),
        domain(b"vm\xff"),  # invalid UTF-8 in an otherwise ASCII buffer
        domain(b"vm", b"\0\0\1"),
        domain(b"vm") + b"\0",
        domain(b"vm")[:-1],
        words(4194305) + b"x" * 8,  # longer than remote_string's maximum
    ],
)
def test_whole_buffer_decoder_agrees_with_the_checking_path(data: bytes) -> None:
    codec = remote.TYPES["remote_nonnull_domain"]
    assert isinstance(codec, xdr.BaseType)
    assert codec.unpack is remote._U_remote_nonnull_domain
    try:
        expected: Any = codec.checked_unpack(data)
    except XdrError as exc:
        with pytest.raises(XdrError) as caught:
            codec.unpack(data)
        assert str(caught.value) == str(exc)
        assert caught.value.path.startswith("remote_nonnull_domain")
    else:
        assert codec.unpack(data) == expected == codec._unpack(data, 0, codec.name)[0]


@pytest.mark.parametrize("kind", [0x101, 0x104, -255, 0x7FFFFF05, 8, 0])
@pytest.mark.parametrize("position", [0, 1])
def test_typed_param_discriminant_peek_checks_the_whole_word(kind: int, position: int) -> None:
    # numeric arms are selected by the discriminant's low byte (one read for
    # padding, type, value and the next length); a type whose low byte names
    # an arm but whose other bytes do not must still be refused, in the
    # array loop (position 0) and in the last element (position 1)
    good = typed_param(b"ab", 4, struct.pack(">Q", 2**40))
    bad = typed_param(b"ab", 0, struct.pack(">Q", 2**40))
    bad = bad[:8] + struct.pack(">i", kind) + bad[12:]
    params = [good, good]
    params[position] = bad
    for type_name, data, path in (
        ("remote_domain_get_scheduler_parameters_ret", params_reply(*params),
         f"remote_domain_get_scheduler_parameters_ret.params[{position}].value.type"),
        ("remote_typed_param", bad, "remote_typed_param.value.type"),
    ):  # fmt: skip
        with pytest.raises(XdrError) as caught:
            remote.TYPES[type_name].unpack(data)
        assert caught.value.path == path
        assert f"no arm for discriminant {kind}" in caught.value.reason
