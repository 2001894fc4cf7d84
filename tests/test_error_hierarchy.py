"""One error hierarchy (virtrpc.errors): protocol errors split by fault as h11
does, usage errors that are also ValueError / TypeError, every class defined in
errors.py and re-exported where it used to live."""

from __future__ import annotations

import pytest

from virtrpc import auth, errors
from virtrpc.client.client import resolve_procedure
from virtrpc.rpc import events as ev
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.packet import PACKET_MAX, MessageType, Status, encode_packet
from virtrpc.transport import tls
from virtrpc.xdrgen import lexer


def test_sending_too_much_is_our_fault() -> None:
    client = Connection(Role.CLIENT)
    with pytest.raises(errors.LocalProtocolError):
        client.send_call(0x20008086, 1, 1, b"\0" * PACKET_MAX)
    with pytest.raises(errors.LocalProtocolError):
        encode_packet(1, 1, 1, MessageType.CALL, 1, Status.OK, nfds=1)
    assert not client.closed


@pytest.mark.parametrize(
    "data",
    [
        b"\0\0\0\1" + bytes(24),  # a length word below the minimum
        encode_packet(0x20008086, 1, 1, MessageType.REPLY, 99, Status.OK),  # nobody asked
        encode_packet(0x20008086, 1, 1, MessageType.CALL, 1, Status.OK),  # a call to a client
    ],
)
def test_what_the_peer_sent_is_its_fault(data: bytes) -> None:
    client = Connection(Role.CLIENT)
    (event,) = client.receive_data(data)
    assert isinstance(event, ev.ProtocolViolation)
    assert type(event.error) is errors.RemoteProtocolError
    assert client.error is event.error


def test_eof_inside_a_packet_is_the_peers_fault() -> None:
    server = Connection(Role.SERVER)
    assert server.receive_data(b"\0\0") == []
    (event,) = server.receive_eof()
    assert isinstance(event, ev.ProtocolViolation)
    assert isinstance(event.error, errors.RemoteProtocolError)


def test_usage_errors_are_value_or_type_errors_too() -> None:
    with pytest.raises(errors.InvalidValue) as info:
        resolve_procedure("no_such_program", 1, "x")
    assert isinstance(info.value, ValueError) and isinstance(info.value, errors.UsageError)
    assert issubclass(errors.InvalidArguments, TypeError)
    assert issubclass(errors.UsageError, errors.VirtrpcError)
    assert not issubclass(errors.UsageError, errors.ProtocolError)


def test_error_classes_live_in_errors_and_stay_importable_where_they_were() -> None:
    assert auth.AuthError is errors.AuthError
    assert tls.TlsError is errors.TlsError
    assert lexer.XdrCompileError is errors.XdrCompileError
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert cls.__module__ == "virtrpc.errors" and issubclass(cls, errors.VirtrpcError)


def test_server_faults_are_libvirt_errors_with_the_one_codec() -> None:
    from virtrpc.server.client import encode_error
    from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault

    fault = RpcFault(ErrorCode.NO_DOMAIN, ErrorDomain.DOMAIN, "Domain not found", str1="x", int1=3)
    assert isinstance(fault, errors.LibvirtError)
    assert str(fault) == "Domain not found"
    decoded = errors.LibvirtError.from_wire(encode_error(fault))
    assert (decoded.code, decoded.domain, decoded.message) == (42, 20, "Domain not found")
    assert (decoded.level, decoded.str1, decoded.int1) == (2, "x", 3)
    assert decoded.code_name == "VIR_ERR_NO_DOMAIN"
