"""libvirt connection URIs: parsing and the remote driver's socket rules.

A libvirt URI has the shape::

    driver[+transport]://[user@][host][:port]/path[?param=value&...][#fragment]

for example ``qemu:///system``, ``qemu+ssh://root@host/system``,
``test+unix:///default?socket=/tmp/sock``.  :func:`parse_uri` parses every
form (all transports, for later use); :meth:`LibvirtURI.unix_socket_path`
chooses the socket the way libvirt's remote driver does
(``src/remote/remote_sockets.c`` and ``doRemoteOpen`` in
``src/remote/remote_driver.c``, libvirt 9.0), and
:meth:`LibvirtURI.remote_name` gives the name libvirt sends in
``REMOTE_PROC_CONNECT_OPEN`` (the URI without transport, server and the
parameters consumed by the client).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from virtrpc.errors import ConnectError

__all__ = [
    "CLIENT_PARAMS",
    "DEFAULT_TCP_PORT",
    "DEFAULT_TLS_PORT",
    "MODES",
    "TRANSPORTS",
    "LibvirtURI",
    "default_uri",
    "parse_uri",
]

#: Transports libvirt's remote driver knows (``remoteDriverTransport``).
TRANSPORTS = ("tls", "unix", "ssh", "libssh2", "ext", "tcp", "libssh")

#: Socket selection modes (``remoteDriverMode``).
MODES = ("auto", "legacy", "direct")

#: Query parameters consumed by the client's remote driver; every other
#: parameter is passed through to the daemon in the name sent at open time.
CLIENT_PARAMS = frozenset(
    {
        "name",
        "command",
        "socket",
        "auth",
        "sshauth",
        "netcat",
        "keyfile",
        "pkipath",
        "known_hosts",
        "known_hosts_verify",
        "tls_priority",
        "mode",
        "proxy",
        "no_sanity",
        "no_verify",
        "no_tty",
        "authfile",
    }
)

DEFAULT_TLS_PORT = 16514
DEFAULT_TCP_PORT = 16509

#: Socket mode used when ``mode=auto`` finds no socket at all.  libvirt takes
#: this from its build configuration; Debian 12 builds the monolithic daemon.
DEFAULT_MODE_WHEN_NOTHING_EXISTS = "legacy"

# libvirt's default system runtime directory is "$LOCALSTATEDIR/run/libvirt";
# it deliberately uses /var/run rather than /run (portable to remote hosts).
SYSTEM_RUNTIME_DIR = "/var/run/libvirt"

_URI_RE = re.compile(
    r"""
    ^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):
    (?://(?P<authority>[^/?#]*))?
    (?P<path>[^?#]*)
    (?:\?(?P<query>[^#]*))?
    (?:\#(?P<fragment>.*))?$
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class LibvirtURI:
    """A parsed libvirt URI.  Build one with :func:`parse_uri`."""

    raw: str
    #: Hypervisor driver: ``qemu``, ``test``, ``lxc``, ``remote``...
    #: Empty for the plain-path form ``///var/run/socket``.
    driver: str
    #: Transport written in the URI (lower case), or None when omitted.
    explicit_transport: str | None
    user: str | None
    host: str | None
    port: int | None
    path: str
    #: All query parameters, in order, URL-decoded.
    params: tuple[tuple[str, str], ...] = field(default=())
    fragment: str | None = None

    # -- derived values ----------------------------------------------------
    @property
    def transport(self) -> str:
        """Transport to use: the explicit one, else ``tls`` with a host and
        ``unix`` without one (``remoteSplitURIScheme``)."""
        if self.explicit_transport is not None:
            return self.explicit_transport
        return "tls" if self.host else "unix"

    def param(self, name: str) -> str | None:
        """Last value of query parameter ``name`` (case-insensitive, as libvirt
        compares them), or None."""
        wanted = name.lower()
        value = None
        for key, val in self.params:
            if key.lower() == wanted:
                value = val
        return value

    @property
    def effective_port(self) -> int | None:
        """The port to connect to for network transports."""
        if self.port is not None:
            return self.port
        if self.transport == "tls":
            return DEFAULT_TLS_PORT
        if self.transport == "tcp":
            return DEFAULT_TCP_PORT
        return None

    @property
    def passthrough_params(self) -> tuple[tuple[str, str], ...]:
        """Query parameters the daemon sees (those the client does not consume)."""
        return tuple((k, v) for k, v in self.params if k.lower() not in CLIENT_PARAMS)

    def remote_name(self) -> str:
        """The name libvirt's client sends in ``REMOTE_PROC_CONNECT_OPEN``.

        ``name=`` in the query wins; ``remote`` URIs send ``""`` so the daemon
        probes; otherwise it is ``driver://path?passthrough-params#fragment``
        without user, host, port and transport (``doRemoteOpen``), e.g.
        ``test+unix:///default?socket=/s&x=1`` -> ``test:///default?x=1``.
        """
        explicit = self.param("name")
        if explicit is not None:
            return explicit
        if not self.driver or self.driver == "remote":
            return ""
        name = f"{self.driver}://{_quote_path(self.path)}"
        passthrough = self.passthrough_params
        if passthrough:
            name += "?" + "&".join(f"{_quote_param(k)}={_quote_param(v)}" for k, v in passthrough)
        if self.fragment is not None:
            name += "#" + self.fragment
        return name

    def mode(self, env: Mapping[str, str] | None = None) -> str:
        """Socket selection mode: ``mode=`` parameter, else ``remote_mode`` from
        the client config file, else ``auto``."""
        value = self.param("mode")
        if value is None:
            value = _client_config_value("remote_mode", env)
        value = (value or "auto").lower()
        if value not in MODES:
            raise ConnectError(f"Unknown remote mode '{value}' in URI {self.raw!r}")
        return value

    def uses_session_daemon(self, euid: int | None = None) -> bool:
        """True if libvirt would use the per-user daemon's socket: a ``/session``
        path or a ``test+`` URI, when not running as root."""
        if euid is None:
            euid = os.geteuid()
        if euid == 0:
            return False
        return self.path == "/session" or (
            self.explicit_transport is not None and self.driver == "test"
        )

    def unix_socket_path(
        self,
        *,
        readonly: bool = False,
        env: Mapping[str, str] | None = None,
        euid: int | None = None,
    ) -> str:
        """The unix socket libvirt's remote driver would connect to.

        ``socket=`` wins; otherwise the rules of ``remoteGetUNIXSocket``: the
        system sockets ``/var/run/libvirt/<daemon>-sock`` (``-sock-ro`` when
        read-only), the session socket ``$XDG_RUNTIME_DIR/libvirt/<daemon>-sock``,
        ``<daemon>`` being ``libvirt`` (legacy mode: libvirtd or virtproxyd) or
        ``virt<driver>d`` (direct mode: modular daemons such as virtqemud);
        ``mode=auto`` picks direct if that socket exists, else legacy.
        """
        explicit = self.param("socket")
        if explicit is not None:
            return explicit
        if self.transport != "unix":
            raise ConnectError(
                f"URI {self.raw!r} uses transport {self.transport!r}, which has no unix socket"
            )
        environ = os.environ if env is None else env
        session = self.uses_session_daemon(euid)
        mode = self.mode(environ)
        driver = self.driver if self.driver and self.driver != "remote" else None

        def build(prefix: str) -> str:
            if session:
                return f"{_user_runtime_dir(environ)}/{prefix}-sock"
            suffix = "sock-ro" if readonly else "sock"
            return f"{SYSTEM_RUNTIME_DIR}/{prefix}-{suffix}"

        direct = build(f"virt{driver}d") if driver else build("libvirt")
        legacy = build("libvirt")
        if mode == "auto":
            if os.path.exists(direct):
                mode = "direct"
            elif os.path.exists(legacy):
                mode = "legacy"
            else:
                mode = DEFAULT_MODE_WHEN_NOTHING_EXISTS
        return direct if mode == "direct" else legacy

    def __str__(self) -> str:
        return self.raw


def parse_uri(uri: str) -> LibvirtURI:
    """Parse a libvirt URI; raise :class:`ConnectError` if it is malformed."""
    if uri.startswith("///") or uri.startswith("/"):
        # libvirt's plain-path form: a unix socket path with no scheme.
        path = uri[2:] if uri.startswith("///") else uri
        return LibvirtURI(
            raw=uri,
            driver="",
            explicit_transport="unix",
            user=None,
            host=None,
            port=None,
            path=path,
            params=(("socket", path),),
        )
    match = _URI_RE.match(uri)
    if match is None:
        raise ConnectError(f"cannot parse libvirt URI {uri!r}: expected driver[+transport]://...")
    scheme = match["scheme"]
    driver, plus, transport_text = scheme.partition("+")
    transport: str | None = None
    if plus:
        transport = transport_text.lower()
        if transport not in TRANSPORTS:
            raise ConnectError(
                f"transport in URI {uri!r} not recognised "
                "(should be tls|unix|ssh|ext|tcp|libssh2|libssh)"
            )
    user, host, port = _parse_authority(uri, match["authority"] or "")
    if transport == "unix" and host:
        raise ConnectError(f"using unix socket and remote server '{host}' is not supported ({uri})")
    return LibvirtURI(
        raw=uri,
        driver=driver,
        explicit_transport=transport,
        user=user,
        host=host,
        port=port,
        path=unquote(match["path"] or ""),
        params=_parse_query(match["query"]),
        fragment=match["fragment"],
    )


def _parse_authority(uri: str, authority: str) -> tuple[str | None, str | None, int | None]:
    user: str | None = None
    if "@" in authority:
        user_text, _, authority = authority.rpartition("@")
        user = unquote(user_text)
    port: int | None = None
    if authority.startswith("["):  # IPv6 literal
        end = authority.find("]")
        if end < 0:
            raise ConnectError(f"unterminated IPv6 address in URI {uri!r}")
        host_text = authority[1:end]
        rest = authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ConnectError(f"unexpected text after IPv6 address in URI {uri!r}")
        port_text = rest[1:] if rest else ""
    else:
        host_text, _, port_text = authority.partition(":")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConnectError(f"invalid port {port_text!r} in URI {uri!r}")
        port = int(port_text)
    return user, (unquote(host_text) or None), port


def _parse_query(query: str | None) -> tuple[tuple[str, str], ...]:
    if not query:
        return ()
    params: list[tuple[str, str]] = []
    # libvirt (virURIParseParams) accepts both '&' and ';' as separators.
    for item in re.split(r"[&;]", query):
        if not item:
            continue
        key, _, value = item.partition("=")
        params.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return tuple(params)


def _quote_param(text: str) -> str:
    return quote(text, safe="/:@!$'()*,-._~")


def _quote_path(text: str) -> str:
    return quote(text, safe="/:@!$&'()*+,;=-._~")


def _user_runtime_dir(env: Mapping[str, str]) -> str:
    """virGetUserRuntimeDirectory: ``$XDG_RUNTIME_DIR/libvirt``, falling back to
    ``~/.cache/libvirt``."""
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return f"{runtime}/libvirt"
    cache = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return f"{cache}/libvirt"


def _client_config_path(env: Mapping[str, str]) -> Path:
    if os.geteuid() == 0:
        return Path("/etc/libvirt/libvirt.conf")
    config_home = env.get("XDG_CONFIG_HOME") or str(
        Path(env.get("HOME") or Path.home()) / ".config"
    )
    return Path(config_home) / "libvirt" / "libvirt.conf"


def _client_config_value(key: str, env: Mapping[str, str] | None) -> str | None:
    """A string setting from the client's libvirt.conf (``key = "value"``)."""
    path = _client_config_path(os.environ if env is None else env)
    try:
        text = path.read_text()
    except OSError:
        return None
    pattern = re.compile(rf'^\s*{re.escape(key)}\s*=\s*"([^"]*)"', re.MULTILINE)
    found = pattern.search(text)
    return found.group(1) if found else None


def default_uri(env: Mapping[str, str] | None = None) -> str | None:
    """The URI libvirt uses when none is given: ``$LIBVIRT_DEFAULT_URI``, else
    ``uri_default`` in the client config, else None (the daemon then probes)."""
    environ = os.environ if env is None else env
    value = environ.get("LIBVIRT_DEFAULT_URI")
    if value:
        return value
    return _client_config_value("uri_default", environ)
