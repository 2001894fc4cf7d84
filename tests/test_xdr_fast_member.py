"""The generated fast decoder is a public member of every named type
(``XdrType.fast_unpack``): what the client's reply plans use, with the
contract its docstring gives (bytes in, ``(value, end)`` out; bad input
raises or ends past the buffer; ``None`` for enums)."""

from __future__ import annotations

import pytest

from virtrpc import xdr
from virtrpc.protocols import admin, lock, log, lxc, qemu, remote, virnet


def test_every_named_type_has_its_generated_decoder() -> None:
    for module in (admin, lock, log, lxc, qemu, remote, virnet):
        for name, codec in module.TYPES.items():
            fast = codec.fast_unpack
            if isinstance(codec, xdr.EnumType):
                assert fast is None, name
            else:
                assert callable(fast), name
    assert xdr.BaseType.__slots__.count("fast_unpack") == 1


def test_the_fast_decoder_decodes_as_unpack_and_leaves_bounds_to_the_caller() -> None:
    codec = remote.TYPES["remote_domain_get_info_ret"]
    value = remote.RemoteDomainGetInfoRet(state=1, maxMem=2, memory=3, nrVirtCpu=4, cpuTime=5)
    data = codec.pack(value)
    fast = codec.fast_unpack
    assert fast is not None
    assert fast(b"xx" + data, 2) == (value, len(data) + 2)
    assert codec.unpack(data) == value
    with pytest.raises(Exception):  # noqa: B017 (any exception: the contract)
        fast(data[:-4], 0)
    text = remote.TYPES["remote_domain_get_xml_desc_ret"]
    encoded = text.pack(remote.RemoteDomainGetXmlDescRet("<domain>"))  # no padding
    assert text.fast_unpack is not None
    _cut, end = text.fast_unpack(encoded[:-4], 0)  # a string cut short: the end says so
    assert end > len(encoded) - 4
