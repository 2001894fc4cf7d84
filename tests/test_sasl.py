"""SASL mechanisms, auth.conf, the auth exchange, and libvirtd with auth_tls/auth_tcp=sasl."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import virtrpc.client.client  # noqa: F401  (imported up front: timing tests exclude import time)
from tests.support.tls_fixtures import (
    NetworkLibvirtd,
    PkiSet,
    make_sasl_db,
    make_test_pki,
    open_network_client,
)
from virtrpc.auth import AuthError
from virtrpc.auth.authconf import AuthConfig, find_auth_file
from virtrpc.auth.credentials import CredentialRequest, CredentialType
from virtrpc.auth.exchange import (
    AuthOutcome,
    authenticate,
    bytes_to_chars,
    chars_to_bytes,
)
from virtrpc.auth.sasl import PlainMechanism, ScramSha256Mechanism, saslprep
from virtrpc.errors import ConnectError, VirtrpcError
from virtrpc.protocols import remote

# ------------------------------------------------------------- mechanisms

# RFC 7677 section 3 test vector.
RFC_CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_sha256_matches_rfc7677() -> None:
    mech = ScramSha256Mechanism("user", "pencil", nonce=RFC_CLIENT_NONCE)
    assert mech.start() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert mech.step(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    assert not mech.complete
    assert mech.step(RFC_SERVER_FINAL) is None
    assert mech.complete and mech.ssf == 0


def test_scram_rejects_a_server_that_does_not_know_the_password() -> None:
    mech = ScramSha256Mechanism("user", "pencil", nonce=RFC_CLIENT_NONCE)
    mech.start()
    mech.step(RFC_SERVER_FIRST)
    forged = b"v=" + base64.b64encode(b"\0" * 32)
    with pytest.raises(AuthError, match="does not know the password"):
        mech.step(forged)
    assert not mech.complete


@pytest.mark.parametrize(
    ("server_first", "reason"),
    [
        (b"r=someoneelse,s=QUJD,i=4096", "does not extend ours"),
        (b"r=rOprNGfwEbeRWgbNEkqOx,s=QUJD,i=0", "iterations"),
        (b"r=rOprNGfwEbeRWgbNEkqOx,s=!!,i=4096", "malformed"),
        (b"r=rOprNGfwEbeRWgbNEkqOx,i=4096", "lacks"),
        (b"e=unknown-user", "refused"),
        (b"garbage", "malformed"),
    ],
)
def test_scram_rejects_bad_server_first(server_first: bytes, reason: str) -> None:
    mech = ScramSha256Mechanism("user", "pencil", nonce=RFC_CLIENT_NONCE)
    mech.start()
    with pytest.raises(AuthError, match=reason):
        mech.step(server_first)


@given(st.binary(max_size=200))
def test_scram_never_crashes_on_arbitrary_server_data(data: bytes) -> None:
    mech = ScramSha256Mechanism("user", "pencil", nonce=RFC_CLIENT_NONCE)
    mech.start()
    with contextlib.suppress(AuthError):
        mech.step(data)


def test_scram_escapes_user_names() -> None:
    mech = ScramSha256Mechanism("a=b,c", "x", nonce="N")
    assert mech.start() == b"n,,n=a=3Db=2Cc,r=N"


def test_plain_message() -> None:
    mech = PlainMechanism("fred", "s3cret")
    assert mech.start() == b"\0fred\0s3cret"
    assert mech.complete
    assert PlainMechanism("fred", "pw", "admin").start() == b"admin\0fred\0pw"


def test_saslprep() -> None:
    assert saslprep("I\u00adX") == "IX"  # soft hyphen maps to nothing
    assert saslprep("\u2168") == "IX"  # NFKC
    assert saslprep("a\u00a0b") == "a b"  # non-ASCII space
    with pytest.raises(AuthError, match="prohibits"):
        saslprep("a\u0007b")


@given(st.binary(max_size=300))
def test_sasl_data_round_trips_as_signed_chars(data: bytes) -> None:
    chars = bytes_to_chars(data)
    assert all(-128 <= c <= 127 for c in chars)
    assert chars_to_bytes(chars) == data
    # ... and the generated codec accepts them.
    packed = remote.TYPES["remote_auth_sasl_step_args"].pack(
        remote.RemoteAuthSaslStepArgs(nil=0, data=chars)
    )
    assert chars_to_bytes(remote.TYPES["remote_auth_sasl_step_args"].unpack(packed).data) == data


# ---------------------------------------------------------------- auth.conf

AUTH_CONF = """
# comment
[credentials-prod]
authname=admin
password=pa\\ss word

[credentials-dev]
authname=dev
password=devpw

[auth-libvirt-db1.example.com]
credentials=prod

[auth-libvirt-default]
credentials=dev
"""


def test_auth_conf_lookup_by_host_then_default() -> None:
    config = AuthConfig(AUTH_CONF)
    assert config.lookup("db1.example.com", "authname") == "admin"
    assert config.lookup("db1.example.com", "password") == "pa s word"  # GLib "\\s" escape
    assert config.lookup("other", "authname") == "dev"
    assert config.lookup(None, "password") == "devpw"
    assert config.lookup("other", "realm") is None
    assert AuthConfig("").lookup("x", "authname") is None


def test_auth_conf_errors_name_the_problem() -> None:
    with pytest.raises(AuthError, match="Missing group 'credentials-nope'"):
        AuthConfig("[auth-libvirt-default]\ncredentials=nope\n").lookup("h", "authname")
    with pytest.raises(AuthError, match="Missing item 'credentials'"):
        AuthConfig("[auth-libvirt-default]\nx=1\n").lookup("h", "authname")
    with pytest.raises(AuthError, match=r"<string>:1: expected"):
        AuthConfig("authname=x\n")


def test_auth_file_location(tmp_path: Path) -> None:
    user_file = tmp_path / "cfg" / "libvirt" / "auth.conf"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    assert find_auth_file(None, env) in (None, "/etc/libvirt/auth.conf")
    user_file.parent.mkdir(parents=True)
    user_file.write_text("")
    assert find_auth_file(None, env) == str(user_file)
    assert find_auth_file("/from/uri", env) == "/from/uri"
    assert find_auth_file("/from/uri", {**env, "LIBVIRT_AUTH_FILE": "/from/env"}) == "/from/env"


# ------------------------------------------------------- exchange (scripted)


class ScriptedRpc:
    """Stands in for the client: records calls, replays canned answers."""

    def __init__(self, types: Sequence[int], mechlist: str = "SCRAM-SHA-256 PLAIN") -> None:
        self.types = list(types)
        self.mechlist = mechlist
        self.calls: list[str] = []
        self.start_args: dict[str, Any] = {}

    async def auth_list(self) -> Sequence[int]:
        self.calls.append("list")
        return self.types

    async def auth_sasl_init(self) -> str:
        self.calls.append("init")
        return self.mechlist

    async def auth_sasl_start(self, *, mech: str, nil: int, data: list[int]) -> Any:
        self.calls.append("start")
        self.start_args = {"mech": mech, "nil": nil, "data": chars_to_bytes(data)}
        return remote.RemoteAuthSaslStartRet(complete=1, nil=1, data=[])

    async def auth_sasl_step(self, *, nil: int, data: list[int]) -> Any:
        self.calls.append("step")
        return remote.RemoteAuthSaslStepRet(complete=1, nil=1, data=[])

    async def auth_polkit(self) -> int:
        self.calls.append("polkit")
        return 0


def fixed_credentials(user: str, password: str) -> Any:
    def callback(requests: Sequence[CredentialRequest]) -> None:
        for request in requests:
            if request.type == CredentialType.AUTHNAME:
                request.result = user
            elif request.type == CredentialType.PASSPHRASE:
                request.result = password

    return callback


NO_AUTH_FILE: dict[str, str] = {"HOME": "/nonexistent", "XDG_CONFIG_HOME": "/nonexistent"}


async def test_exchange_none_and_polkit() -> None:
    rpc = ScriptedRpc([0])
    assert await authenticate(rpc, target="u", hostname=None, secure=True) == AuthOutcome("none")
    rpc = ScriptedRpc([2])
    assert await authenticate(rpc, target="u", hostname=None, secure=True) == AuthOutcome("polkit")
    assert rpc.calls == ["list", "polkit"]


async def test_exchange_requested_type_must_be_offered() -> None:
    with pytest.raises(AuthError, match="requested authentication type polkit rejected by u"):
        await authenticate(ScriptedRpc([1]), target="u", hostname=None, secure=True, auth="polkit")
    with pytest.raises(AuthError, match="unknown authentication type"):
        await authenticate(ScriptedRpc([1]), target="u", hostname=None, secure=True, auth="kerberos")


async def test_exchange_plain_over_secure_channel() -> None:
    rpc = ScriptedRpc([1], mechlist="PLAIN")
    outcome = await authenticate(
        rpc, target="u", hostname="h", secure=True,
        credentials=fixed_credentials("fred", "pw"), env=NO_AUTH_FILE,
    )
    assert outcome == AuthOutcome("sasl", "PLAIN", "fred")
    assert rpc.start_args == {"mech": "PLAIN", "nil": 0, "data": b"\0fred\0pw"}


async def test_exchange_refuses_sasl_without_security_layer_on_plain_tcp() -> None:
    rpc = ScriptedRpc([1])
    with pytest.raises(AuthError, match="security layer of at least 56 bits") as info:
        await authenticate(rpc, target="test+tcp://h/default", hostname="h", secure=False,
                           credentials=fixed_credentials("fred", "pw"), env=NO_AUTH_FILE)
    assert "test+tcp://h/default" in str(info.value)
    assert "start" not in rpc.calls  # no password was sent


async def test_exchange_without_credentials_says_what_is_missing() -> None:
    with pytest.raises(AuthError, match="missing authname and passphrase"):
        await authenticate(ScriptedRpc([1]), target="u", hostname="h", secure=True, env=NO_AUTH_FILE)


async def test_exchange_reads_auth_conf(tmp_path: Path) -> None:
    conf = tmp_path / "auth.conf"
    conf.write_text(AUTH_CONF)
    rpc = ScriptedRpc([1], mechlist="PLAIN")
    outcome = await authenticate(rpc, target="u", hostname="db1.example.com", secure=True,
                                 env={"LIBVIRT_AUTH_FILE": str(conf)})
    assert outcome.identity == "admin"
    assert rpc.start_args["data"] == b"\0admin\0pa s word"


async def test_exchange_async_callback_and_unknown_mechanisms() -> None:
    async def callback(requests: Sequence[CredentialRequest]) -> None:
        for request in requests:
            request.result = "x"

    with pytest.raises(AuthError, match="no common SASL mechanism"):
        await authenticate(ScriptedRpc([1], mechlist="GSSAPI DIGEST-MD5"), target="u",
                           hostname="h", secure=True, credentials=callback, env=NO_AUTH_FILE)
    with pytest.raises(AuthError, match="SASL mechanism GSSAPI not supported"):
        await authenticate(ScriptedRpc([1], mechlist="PLAIN"), target="u", hostname="h",
                           secure=True, credentials=callback, auth="sasl.gssapi", env=NO_AUTH_FILE)


# ------------------------------------------------------------ real libvirtd

PASSWORD = "corr3ct horse"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiSet:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def sasl_daemon(pki: PkiSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetworkLibvirtd]:
    sasl_dir = make_sasl_db(
        tmp_path_factory.mktemp("sasl"), {"fred": PASSWORD}, "scram-sha-256 plain"
    )
    with NetworkLibvirtd(
        tls_dir=pki.server_dir, auth_tcp="sasl", auth_tls="sasl", sasl_conf_dir=sasl_dir
    ) as daemon:
        yield daemon


def sasl_tls_uri(daemon: NetworkLibvirtd, pki: PkiSet, extra: str = "") -> str:
    return f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.client_dir}{extra}"


@pytest.mark.parametrize("mechanism", ["sasl", "sasl.plain", "sasl.scram-sha-256"])
async def test_sasl_over_tls_with_libvirtd(
    sasl_daemon: NetworkLibvirtd, pki: PkiSet, mechanism: str
) -> None:
    client: Any = await open_network_client(
        sasl_tls_uri(sasl_daemon, pki, f"&auth={mechanism}"),
        credentials=fixed_credentials("fred", PASSWORD), env=NO_AUTH_FILE,
    )
    try:
        assert [int(t) for t in await client.auth_list()] == [0]  # authenticated now
        domains = await client.connect_list_all_domains(need_results=1, flags=0)
        assert [d.name for d in domains.domains] == ["test"]
    finally:
        await client.close()


async def test_sasl_credentials_from_auth_conf(
    sasl_daemon: NetworkLibvirtd, pki: PkiSet, tmp_path: Path
) -> None:
    conf = tmp_path / "auth.conf"
    conf.write_text(
        f"[credentials-t]\nauthname=fred\npassword={PASSWORD}\n[auth-libvirt-localhost]\ncredentials=t\n"
    )
    client: Any = await open_network_client(
        sasl_tls_uri(sasl_daemon, pki), env={"LIBVIRT_AUTH_FILE": str(conf)}
    )
    await client.close()


async def test_wrong_password_is_a_clear_error(sasl_daemon: NetworkLibvirtd, pki: PkiSet) -> None:
    uri = sasl_tls_uri(sasl_daemon, pki)
    started = time.monotonic()
    with pytest.raises(AuthError) as info:
        await open_network_client(uri, credentials=fixed_credentials("fred", "wrong"), env=NO_AUTH_FILE)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert uri in message and "'fred'" in message and "authentication failed" in message
    assert "\n" not in message


async def test_sasl_over_plain_tcp_is_refused_clearly(sasl_daemon: NetworkLibvirtd) -> None:
    uri = f"test+tcp://127.0.0.1:{sasl_daemon.tcp_port}/default"
    with pytest.raises(AuthError) as info:
        await open_network_client(uri, credentials=fixed_credentials("fred", PASSWORD), env=NO_AUTH_FILE)
    message = str(info.value)
    assert uri in message
    assert "security layer of at least 56 bits" in message and "+tls" in message
    assert isinstance(info.value, ConnectError) and isinstance(info.value, VirtrpcError)
    assert "authentication failed" in sasl_daemon.log_text()  # the daemon refused too


async def test_scram_over_a_unix_socket(pki: PkiSet, tmp_path_factory: pytest.TempPathFactory) -> None:
    # auth_unix_rw = "sasl": a unix socket counts as secure, so SCRAM is fine there.
    from virtrpc.client.client import Client
    from virtrpc.client.uri import parse_uri
    from virtrpc.transport.unix import open_unix

    sasl_dir = make_sasl_db(tmp_path_factory.mktemp("sasl-unix"), {"fred": PASSWORD}, "scram-sha-256")
    with NetworkLibvirtd(sasl_conf_dir=sasl_dir, extra_config={"auth_unix_rw": "sasl"}) as daemon:
        uri = parse_uri(f"test+unix:///default?socket={daemon.socket_path}")
        client: Any = Client(uri, daemon.socket_path)
        await open_unix(daemon.socket_path, client)
        try:
            outcome = await authenticate(
                client, target=uri.raw, hostname=None, secure=True,
                credentials=fixed_credentials("fred", PASSWORD), env=NO_AUTH_FILE,
            )
            assert outcome == AuthOutcome("sasl", "SCRAM-SHA-256", "fred")
            await client._handshake(uri.remote_name())
            assert await client.connect_get_lib_version()
        finally:
            await client.close()
