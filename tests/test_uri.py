"""URI parsing and socket selection, checked against libvirt's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from virtrpc.client.uri import default_uri, parse_uri
from virtrpc.errors import ConnectError


@pytest.mark.parametrize(
    ("text", "driver", "transport", "user", "host", "port", "path"),
    [
        ("qemu:///system", "qemu", "unix", None, None, None, "/system"),
        ("qemu+unix:///session", "qemu", "unix", None, None, None, "/session"),
        ("qemu://host/system", "qemu", "tls", None, "host", None, "/system"),
        (
            "qemu+ssh://root@example.com:2222/system",
            "qemu",
            "ssh",
            "root",
            "example.com",
            2222,
            "/system",
        ),
        ("QEMU+TCP://h/system", "QEMU", "tcp", None, "h", None, "/system"),
        ("lxc+libssh2://u@[::1]:22/", "lxc", "libssh2", "u", "::1", 22, "/"),
        ("test:///default", "test", "unix", None, None, None, "/default"),
        ("remote+tls://h:16514/", "remote", "tls", None, "h", 16514, "/"),
    ],
)
def test_parse_shapes(
    text: str,
    driver: str,
    transport: str,
    user: str | None,
    host: str | None,
    port: int | None,
    path: str,
) -> None:
    uri = parse_uri(text)
    assert (uri.driver, uri.transport, uri.user, uri.host, uri.port, uri.path) == (
        driver,
        transport,
        user,
        host,
        port,
        path,
    )


def test_default_ports() -> None:
    assert parse_uri("qemu://h/system").effective_port == 16514
    assert parse_uri("qemu+tcp://h/system").effective_port == 16509
    assert parse_uri("qemu+ssh://h/system").effective_port is None


def test_query_parameters_and_remote_name() -> None:
    uri = parse_uri("test+unix:///default?socket=/tmp/x%20y/sock&mode=direct&foo=bar;Keyfile=k")
    assert uri.param("socket") == "/tmp/x y/sock"
    assert uri.param("MODE") == "direct"
    assert uri.param("keyfile") == "k"
    assert uri.passthrough_params == (("foo", "bar"),)
    # What libvirt 9.0's virsh sends for the same URI (checked with LIBVIRT_DEBUG):
    # transport, socket and other client parameters stripped, the rest kept.
    assert uri.remote_name() == "test:///default?foo=bar"


def test_remote_name_drops_user_host_and_port() -> None:
    assert parse_uri("qemu+ssh://root@h:22/system?no_tty=1").remote_name() == "qemu:///system"
    assert parse_uri("remote+unix:///").remote_name() == ""
    assert parse_uri("qemu:///system?name=xen:///").remote_name() == "xen:///"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-scheme",
        "qemu+carrier-pigeon:///system",
        "qemu+unix://host/system",
        "qemu://h:99999/",
        "qemu://[::1/",
    ],
)
def test_bad_uris_raise_connect_error(text: str) -> None:
    with pytest.raises(ConnectError):
        parse_uri(text)


def test_system_sockets_legacy_and_readonly(tmp_path: Path) -> None:
    uri = parse_uri("qemu:///system?mode=legacy")
    assert uri.unix_socket_path(euid=0, env={}) == "/var/run/libvirt/libvirt-sock"
    assert uri.unix_socket_path(readonly=True, euid=0, env={}) == "/var/run/libvirt/libvirt-sock-ro"


def test_direct_mode_uses_modular_daemon_socket() -> None:
    uri = parse_uri("qemu:///system?mode=direct")
    assert uri.unix_socket_path(euid=0, env={}) == "/var/run/libvirt/virtqemud-sock"
    assert (
        uri.unix_socket_path(readonly=True, euid=0, env={}) == "/var/run/libvirt/virtqemud-sock-ro"
    )
    # remote:// has no driver: the proxy daemon's socket is the generic one.
    assert parse_uri("remote:///?mode=direct").unix_socket_path(euid=0, env={}) == (
        "/var/run/libvirt/libvirt-sock"
    )


def test_session_socket_for_unprivileged_users() -> None:
    env = {"XDG_RUNTIME_DIR": "/run/user/1000"}
    uri = parse_uri("qemu:///session?mode=legacy")
    assert uri.unix_socket_path(euid=1000, env=env) == "/run/user/1000/libvirt/libvirt-sock"
    direct = parse_uri("qemu:///session?mode=direct")
    assert direct.unix_socket_path(euid=1000, env=env) == "/run/user/1000/libvirt/virtqemud-sock"
    # Without XDG_RUNTIME_DIR libvirt falls back to ~/.cache/libvirt.
    assert uri.unix_socket_path(euid=1000, env={"HOME": "/home/u"}) == (
        "/home/u/.cache/libvirt/libvirt-sock"
    )
    # root never uses the session daemon, even for /session.
    assert uri.unix_socket_path(euid=0, env=env) == "/var/run/libvirt/libvirt-sock"


def test_explicit_socket_wins_and_bad_mode_rejected() -> None:
    assert parse_uri("qemu:///system?socket=/x").unix_socket_path() == "/x"
    with pytest.raises(ConnectError, match="Unknown remote mode"):
        parse_uri("qemu:///system?mode=sideways").unix_socket_path(euid=0, env={})
    with pytest.raises(ConnectError, match="no unix socket"):
        parse_uri("qemu+tcp://h/system").unix_socket_path()


def test_default_uri_from_environment() -> None:
    assert default_uri({"LIBVIRT_DEFAULT_URI": "test:///default"}) == "test:///default"


_param_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
)


@given(st.lists(st.tuples(_param_text, _param_text), max_size=4))
def test_passthrough_parameters_round_trip(params: list[tuple[str, str]]) -> None:
    """Whatever parameters the user writes (URL-encoded), the name sent to the
    daemon carries exactly the non-client ones, decodable back to the same values."""
    from urllib.parse import quote

    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
    uri = parse_uri(f"test+unix:///default?{query}" if query else "test+unix:///default")
    sent = parse_uri(uri.remote_name())
    expected = tuple(
        (k, v)
        for k, v in params
        if k.lower()
        not in {
            "socket",
            "mode",
            "name",
            "auth",
            "command",
            "sshauth",
            "netcat",
            "keyfile",
            "pkipath",
            "known_hosts",
            "known_hosts_verify",
            "tls_priority",
            "proxy",
            "no_sanity",
            "no_verify",
            "no_tty",
            "authfile",
        }
    )
    if uri.param("name") is None:
        assert sent.params == expected
        assert sent.driver == "test"
        assert sent.path == "/default"
