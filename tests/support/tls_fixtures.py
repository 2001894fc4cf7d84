"""Test helpers for the network transports: x509 certificates made with the
``openssl`` CLI, a libvirtd listening on TCP/TLS, a SASL database, an sshd.

Everything lives in temporary directories and is removed again; nothing here
sleeps for a fixed time (daemons are polled with a deadline).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .peers import TemporaryDaemon, find_libvirtd, require_peer

START_TIMEOUT = 10.0

_CA_EXTENSIONS = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
_LEAF_EXTENSIONS = (
    "basicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage={purpose}\n"
)


def require_openssl() -> str:
    """Path of the openssl CLI (skip / fail under CI=true when missing)."""
    path = shutil.which("openssl")
    require_peer(path is not None, "the openssl CLI")
    assert path is not None
    return path


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"openssl {' '.join(args)} failed: {result.stderr.decode(errors='replace')}"
        )


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA made by :func:`make_ca`: ``cert`` (PEM path) and ``key``."""

    directory: Path
    name: str
    cert: Path
    key: Path

    def issue(
        self,
        stem: str,
        subject: str,
        *,
        server: bool,
        san: str | None = None,
        days: int = 2,
    ) -> tuple[Path, Path]:
        """Issue a leaf certificate; returns ``(cert, key)`` paths named
        ``<stem>cert.pem`` / ``<stem>key.pem`` in the CA's directory."""
        key = self.directory / f"{stem}key.pem"
        cert = self.directory / f"{stem}cert.pem"
        csr = self.directory / f"{stem}.csr"
        ext = self.directory / f"{stem}.ext"
        text = _LEAF_EXTENSIONS.format(purpose="serverAuth" if server else "clientAuth")
        if san:
            text += f"subjectAltName={san}\n"
        ext.write_text(text)
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(csr),
            "-subj",
            subject,
            cwd=self.directory,
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(self.cert),
            "-CAkey",
            str(self.key),
            "-CAcreateserial",
            "-out",
            str(cert),
            "-days",
            str(days),
            "-extfile",
            str(ext),
            cwd=self.directory,
        )
        return cert, key


def make_ca(directory: Path, name: str) -> CertificateAuthority:
    """A self-signed CA in ``directory`` (``<name>cert.pem`` / ``<name>key.pem``)."""
    directory.mkdir(parents=True, exist_ok=True)
    ext = directory / f"{name}.ext"
    ext.write_text(_CA_EXTENSIONS)
    cert = directory / f"{name}cert.pem"
    key = directory / f"{name}key.pem"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(cert),
        "-days",
        "2",
        "-subj",
        f"/C=GB/O=virtrpc tests/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    return CertificateAuthority(directory, name, cert, key)


@dataclass(frozen=True)
class PkiSet:
    """Certificates for the TLS tests.

    * ``server_dir``: libvirtd's ``cacert.pem``, ``servercert.pem``,
      ``serverkey.pem`` (server name ``localhost`` and ``127.0.0.1``).
    * ``client_dir``: a ``pkipath=`` directory with ``cacert.pem``,
      ``clientcert.pem``, ``clientkey.pem`` (DN ``C=GB,O=virtrpc tests,CN=client1``).
    * ``rogue_client_dir``: the right CA but a client certificate from another CA.
    * ``unknown_ca_dir``: a client certificate fine for the server but a CA
      that did not sign the server's certificate.
    * ``other_client_dir``: a valid client certificate (right CA) whose DN
      ``C=GB,O=virtrpc tests,CN=client2`` is not in the allowed DN lists.
    """

    root: Path
    server_dir: Path
    client_dir: Path
    rogue_client_dir: Path
    unknown_ca_dir: Path
    other_client_dir: Path

    CLIENT_DN = "C=GB,O=virtrpc tests,CN=client1"


def make_test_pki(root: Path) -> PkiSet:
    """Create every certificate of :class:`PkiSet` under ``root``."""
    require_openssl()
    ca = make_ca(root / "ca", "ca")
    rogue = make_ca(root / "rogue", "rogue")
    server_cert, server_key = ca.issue(
        "server",
        "/C=GB/O=virtrpc tests/CN=localhost",
        server=True,
        san="DNS:localhost,IP:127.0.0.1",
    )
    client_cert, client_key = ca.issue("client", "/C=GB/O=virtrpc tests/CN=client1", server=False)
    rogue_cert, rogue_key = rogue.issue("client", "/C=GB/O=virtrpc tests/CN=intruder", server=False)
    other_cert, other_key = ca.issue("other", "/C=GB/O=virtrpc tests/CN=client2", server=False)

    def populate(directory: Path, files: Mapping[str, Path]) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, source in files.items():
            shutil.copyfile(source, directory / name)
        return directory

    server_dir = populate(
        root / "server",
        {
            "cacert.pem": ca.cert,
            "servercert.pem": server_cert,
            "serverkey.pem": server_key,
        },
    )
    client_dir = populate(
        root / "client",
        {
            "cacert.pem": ca.cert,
            "clientcert.pem": client_cert,
            "clientkey.pem": client_key,
        },
    )
    rogue_dir = populate(
        root / "rogue-client",
        {
            "cacert.pem": ca.cert,
            "clientcert.pem": rogue_cert,
            "clientkey.pem": rogue_key,
        },
    )
    other_dir = populate(
        root / "other-client",
        {
            "cacert.pem": ca.cert,
            "clientcert.pem": other_cert,
            "clientkey.pem": other_key,
        },
    )
    unknown_dir = populate(
        root / "unknown-ca",
        {
            "cacert.pem": rogue.cert,
            "clientcert.pem": client_cert,
            "clientkey.pem": client_key,
        },
    )
    return PkiSet(root, server_dir, client_dir, rogue_dir, unknown_dir, other_dir)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, what: str) -> None:
    """Poll until something accepts on ``127.0.0.1:port`` (deadline START_TIMEOUT)."""
    deadline = time.monotonic() + START_TIMEOUT
    delay = 0.002
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not listen on port {port}")
        time.sleep(delay)  # polling with a deadline, not synchronisation
        delay = min(delay * 2, 0.05)


def _conf_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_conf_value(v) for v in value) + "]"
    raise TypeError(value)


class NetworkLibvirtd(TemporaryDaemon):
    """A private libvirtd started with ``--listen`` on 127.0.0.1 high ports.

    ``tls_dir`` (a directory with cacert.pem, servercert.pem, serverkey.pem)
    enables the TLS listener; ``sasl_conf_dir`` is exported as
    ``SASL_CONF_PATH`` (Cyrus SASL reads ``libvirt.conf`` there).
    """

    def __init__(
        self,
        *,
        tls_dir: Path | None = None,
        auth_tcp: str = "none",
        auth_tls: str = "none",
        sasl_conf_dir: Path | None = None,
        extra_config: Mapping[str, object] | None = None,
    ) -> None:
        self.tls_dir = tls_dir
        self.auth_tcp = auth_tcp
        self.auth_tls = auth_tls
        self.sasl_conf_dir = sasl_conf_dir
        self.extra_config = dict(extra_config or {})
        self.tcp_port = free_port()
        self.tls_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.directory = Path()

    @property
    def socket_path(self) -> str:
        return str(self.directory / "libvirt-sock")

    def log_text(self) -> str:
        """The daemon's log (for failure messages)."""
        with contextlib.suppress(OSError):
            return (self.directory / "libvirtd.log").read_text(errors="replace")
        return ""

    def start(self) -> NetworkLibvirtd:
        libvirtd = find_libvirtd()
        require_peer(libvirtd is not None, "libvirtd")
        assert libvirtd is not None
        self._tmpdir = tempfile.TemporaryDirectory(prefix="vrpc-net-", dir="/tmp")
        self.directory = Path(self._tmpdir.name)
        (self.directory / "drivers").mkdir()
        config: dict[str, object] = {
            "unix_sock_dir": str(self.directory),
            "auth_unix_rw": "none",
            "auth_unix_ro": "none",
            "listen_addr": "127.0.0.1",
            "listen_tcp": 1,
            "tcp_port": str(self.tcp_port),
            "auth_tcp": self.auth_tcp,
            "listen_tls": 1 if self.tls_dir is not None else 0,
            "tls_port": str(self.tls_port),
            "auth_tls": self.auth_tls,
            "log_outputs": f"3:file:{self.directory / 'libvirtd.log'}",
        }
        if self.tls_dir is not None:
            config.update(
                {
                    "ca_file": str(self.tls_dir / "cacert.pem"),
                    "cert_file": str(self.tls_dir / "servercert.pem"),
                    "key_file": str(self.tls_dir / "serverkey.pem"),
                }
            )
        config.update(self.extra_config)
        conf = self.directory / "libvirtd.conf"
        conf.write_text("".join(f"{k} = {_conf_value(v)}\n" for k, v in config.items()))
        env = dict(os.environ)
        env["LIBVIRT_DRIVER_DIR"] = str(self.directory / "drivers")
        if self.sasl_conf_dir is not None:
            env["SASL_CONF_PATH"] = str(self.sasl_conf_dir)
        self.process = subprocess.Popen(
            [libvirtd, "--listen", "-p", str(self.directory / "pid"), "-f", str(conf)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "stderr.log", "wb"),  # noqa: SIM115 (owned by Popen)
        )
        try:
            wait_for_port(self.tcp_port, self.process, "libvirtd")
            if self.tls_dir is not None:
                wait_for_port(self.tls_port, self.process, "libvirtd")
        except BaseException as exc:
            stderr = (self.directory / "stderr.log").read_text(errors="replace")
            self.stop()
            raise RuntimeError(f"libvirtd did not start: {exc}: {stderr}") from exc
        return self


@contextlib.contextmanager
def network_libvirtd(**options: object) -> Iterator[NetworkLibvirtd]:
    """``with network_libvirtd(tls_dir=...) as daemon``; see :class:`NetworkLibvirtd`."""
    daemon = NetworkLibvirtd(**options)  # type: ignore[arg-type]
    with daemon:
        yield daemon


def make_sasl_db(directory: Path, users: Mapping[str, str], mechanisms: str) -> Path:
    """A Cyrus SASL config dir for libvirtd: ``libvirt.conf`` (``mech_list``,
    ``sasldb_path``) and a sasldb with ``users`` (made with ``saslpasswd2``).
    Returns the directory (export it as ``SASL_CONF_PATH``)."""
    saslpasswd2 = shutil.which("saslpasswd2")
    require_peer(saslpasswd2 is not None, "saslpasswd2 (Debian package sasl2-bin)")
    assert saslpasswd2 is not None
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "passwd.db"
    for user, password in users.items():
        result = subprocess.run(
            [saslpasswd2, "-a", "libvirt", "-f", str(db), "-p", "-c", user],
            input=password.encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"saslpasswd2 failed: {result.stderr.decode(errors='replace')}")
    (directory / "libvirt.conf").write_text(f"mech_list: {mechanisms}\nsasldb_path: {db}\n")
    return directory


class PrivateSshd(TemporaryDaemon):
    """An OpenSSH server on 127.0.0.1 with its own host key, config and a
    client key allowed for the current user (``keyfile``, ``known_hosts``)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.directory = Path()

    @property
    def keyfile(self) -> str:
        return str(self.directory / "client_key")

    @property
    def known_hosts(self) -> str:
        return str(self.directory / "known_hosts")

    def start(self) -> PrivateSshd:
        sshd = shutil.which("sshd") or _first_executable("/usr/sbin/sshd")
        keygen = shutil.which("ssh-keygen")
        require_peer(
            sshd is not None and keygen is not None,
            "sshd and ssh-keygen (Debian package openssh-server)",
        )
        require_peer(shutil.which("ssh") is not None, "ssh (Debian package openssh-client)")
        assert sshd is not None and keygen is not None
        # sshd refuses to start without its privilege separation directory.
        if not os.path.isdir("/run/sshd"):
            require_peer(os.geteuid() == 0, "/run/sshd (create it or run as root)")
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self._tmpdir = tempfile.TemporaryDirectory(prefix="vrpc-ssh-", dir="/tmp")
        self.directory = Path(self._tmpdir.name)
        self.directory.chmod(0o755)
        for name in ("host_key", "client_key"):
            subprocess.run(
                [keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(self.directory / name)],
                check=True,
                capture_output=True,
                timeout=30,
            )
        (self.directory / "authorized_keys").write_text(
            (self.directory / "client_key.pub").read_text()
        )
        host_pub = (self.directory / "host_key.pub").read_text().split()
        Path(self.known_hosts).write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        config = self.directory / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.directory / 'host_key'}\n"
            f"AuthorizedKeysFile {self.directory / 'authorized_keys'}\n"
            f"PidFile {self.directory / 'sshd.pid'}\nStrictModes no\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\nLogLevel ERROR\n"
        )
        self.process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "sshd.log", "wb"),  # noqa: SIM115 (owned by Popen)
        )
        try:
            wait_for_port(self.port, self.process, "sshd")
        except BaseException as exc:
            log = (self.directory / "sshd.log").read_text(errors="replace")
            self.stop()
            raise RuntimeError(f"sshd did not start: {exc}: {log}") from exc
        return self


def _first_executable(path: str) -> str | None:
    return path if os.access(path, os.X_OK) else None


async def open_network_client(
    uri_text: str,
    *,
    credentials: object = None,
    readonly: bool = False,
    timeout: float = 15.0,
    env: Mapping[str, str] | None = None,
) -> object:
    """Connect a :class:`virtrpc.client.Client` over a tcp/tls/ssh/ext URI the
    way ``virtrpc.connect`` will once H6's transports are wired in: open the
    transport, run the auth exchange, then the client's handshake.  Errors are
    :class:`~virtrpc.errors.ConnectError` subclasses naming the URI."""
    import asyncio

    from virtrpc.auth.exchange import authenticate
    from virtrpc.client.client import Client
    from virtrpc.client.uri import parse_uri
    from virtrpc.errors import ConnectError, ConnectionLost
    from virtrpc.transport.network import open_uri_transport

    uri = parse_uri(uri_text)
    client = Client(uri, uri.host or "localhost", readonly=readonly)
    try:
        async with asyncio.timeout(timeout):
            opened = await open_uri_transport(uri, client, readonly=readonly, env=env)
            await authenticate(
                client,
                target=uri.raw,
                hostname=opened.hostname,
                secure=opened.secure,
                auth=uri.param("auth"),
                auth_file=uri.param("authfile"),
                credentials=credentials,  # type: ignore[arg-type]
                env=env,
            )
            await client._handshake(uri.remote_name())
    except TimeoutError:
        client.abort()
        raise ConnectError(f"timed out connecting to {uri.raw}") from None
    except ConnectionLost as exc:
        client.abort()
        raise ConnectError(f"cannot connect to {uri.raw}: {exc}") from exc
    except BaseException:
        client.abort()
        raise
    return client
