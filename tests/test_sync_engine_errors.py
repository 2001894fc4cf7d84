"""The flat decoder of error replies (``virtrpc.errors._fast_error_fields``,
which every failed call of the blocking engine goes through) against the
strict reader it stands in for: the same error for every payload, the same
refusal for every malformed one."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from virtrpc.errors import LibvirtError, XdrError, _fast_error_fields

_text = st.text(max_size=40)
_optional_text = st.none() | _text
_int32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)


def _strict(payload: bytes) -> str:
    """What the strict reader makes of ``payload`` (a bytearray skips the flat path)."""
    try:
        return repr(LibvirtError.from_wire(bytearray(payload)))
    except XdrError as exc:
        return f"XdrError({exc})"


def _either(payload: bytes) -> str:
    try:
        return repr(LibvirtError.from_wire(payload))
    except XdrError as exc:
        return f"XdrError({exc})"


def _xdr_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value + b"\0" * (-len(value) % 4)


@given(
    message=_optional_text,
    code=_int32,
    domain=_int32,
    level=_int32,
    strings=st.tuples(_optional_text, _optional_text, _optional_text),
    ints=st.tuples(_int32, _int32),
)
def test_every_well_formed_error_decodes_flat_as_strictly(
    message: str | None,
    code: int,
    domain: int,
    level: int,
    strings: tuple[str | None, str | None, str | None],
    ints: tuple[int, int],
) -> None:
    payload = LibvirtError(
        message,
        code=code,
        domain=domain,
        level=level,
        str1=strings[0],
        str2=strings[1],
        str3=strings[2],
        int1=ints[0],
        int2=ints[1],
    ).to_wire()
    assert _fast_error_fields(payload) is not None
    assert _either(payload) == _strict(payload)


@given(
    dom=st.booleans(),
    net=st.booleans(),
    raw=st.binary(max_size=12),
    cut=st.integers(min_value=0, max_value=200),
    extra=st.binary(max_size=6),
)
def test_unusual_and_malformed_payloads_fall_back_to_the_strict_reader(
    dom: bool, net: bool, raw: bytes, cut: int, extra: bytes
) -> None:
    """dom and net present, bytes that are not UTF-8, truncation, trailing
    bytes: the flat decoder either agrees or steps aside."""
    flag = struct.Struct(">I").pack
    payload = (
        struct.pack(">ii", 1, 10)
        + flag(1)
        + _xdr_string(raw)
        + struct.pack(">i", 2)
        + (flag(1) + _xdr_string(b"dom") + b"u" * 16 + struct.pack(">i", 3) if dom else flag(0))
        + flag(0)
        + flag(1)
        + _xdr_string(b"two")
        + flag(0)
        + struct.pack(">ii", 4, 5)
        + (flag(1) + _xdr_string(b"net") + b"n" * 16 if net else flag(0))
    )
    for candidate in (payload, payload[:cut], payload + extra):
        assert _either(candidate) == _strict(candidate)


def test_random_bytes_decode_flat_as_strictly() -> None:
    @given(st.binary(max_size=120))
    def check(payload: bytes) -> None:
        assert _either(payload) == _strict(payload)

    check()
