"""``+ssh``: run the OpenSSH client and tunnel RPC through its stdin/stdout.

The command line is the one libvirt 9.0 builds (``virNetSocketNewConnectSSH``
and ``virNetClientSSHHelperCommand``)::

    ssh [-p PORT] [-l USER] [-i KEYFILE] -T -e none [-o BatchMode=yes]
        [-o StrictHostKeyChecking=no] -- HOST "sh -c '...'"

where the remote command is, by ``proxy=`` mode:

* ``native``: ``virt-ssh-helper [-r] 'URI'`` (the helper finds the right
  daemon socket on the remote host);
* ``netcat``: ``nc [-q0] -U SOCKET`` (the ``netcat=`` binary, default ``nc``;
  ``-q0`` only if that nc understands it);
* ``auto`` (default): virt-ssh-helper if installed remotely, else netcat.

libvirt's defaults: ``socket=`` given -> ``netcat``; a session URI ->
``native``; otherwise ``auto``.  ``netcat=`` given with ``auto`` -> ``netcat``;
``netcat=`` with ``native`` is an error.  ``no_tty=1`` adds ``BatchMode=yes``
(never prompt), ``no_verify=1`` adds ``StrictHostKeyChecking=no``;
``command=`` replaces the ``ssh`` binary.  virtrpc additionally maps
``known_hosts=FILE`` (used by libvirt's libssh transports only) to
``-o UserKnownHostsFile=FILE``.  ``sshauth=`` is ignored (OpenSSH decides).

Entry point: :func:`open_ssh`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from virtrpc.errors import ConnectError
from virtrpc.transport.base import TransportReceiver
from virtrpc.transport.ext import ProcessTransport

__all__ = [
    "PROXY_MODES",
    "default_proxy",
    "open_ssh",
    "remote_command",
    "ssh_argv",
    "ssh_launch",
    "ssh_socket_path",
]

PROXY_MODES = ("auto", "netcat", "native")

# Characters after which virBufferEscapeShell quotes a string.
_SHELL_META = set("\r\t\n !\"#$&'()*;<>?[\\]^`{|}~")


def shell_escape(text: str) -> str:
    """libvirt's ``virBufferEscapeShell``: single-quote ``text`` if it has
    shell metacharacters (``'`` becomes ``'\\''``)."""
    if not text:
        return "''"
    if not any(ch in _SHELL_META for ch in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _double_escape(text: str) -> str:
    # virNetClientDoubleEscapeShell: the string passes through two shells
    # (the remote login shell, then "sh -c").
    return shell_escape(shell_escape(text))


def default_proxy(*, socket_given: bool, session: bool, configured: str | None = None) -> str:
    """The proxy mode libvirt uses when the URI has no ``proxy=``:
    ``remote_proxy`` from the client config, else ``netcat`` with an explicit
    socket, ``native`` for session URIs, else ``auto``."""
    if configured:
        return configured
    if socket_given:
        return "netcat"
    if session:
        return "native"
    return "auto"


def ssh_socket_path(*, readonly: bool, session: bool, runtime_dir: str | None = None) -> str:
    """The daemon socket libvirt names for ssh tunnels when ``socket=`` is
    absent: always the legacy ``libvirt-sock`` (the remote side is not probed),
    under ``/var/run/libvirt`` or, for session URIs, the *local* user runtime
    directory (as libvirt does)."""
    if session:
        if runtime_dir is None:
            raise ConnectError("a session ssh URI needs the user runtime directory")
        return f"{runtime_dir}/libvirt-sock"
    return f"/var/run/libvirt/libvirt-{'sock-ro' if readonly else 'sock'}"


def remote_command(
    proxy: str,
    *,
    netcat: str | None,
    socket_path: str,
    driver_uri: str,
    readonly: bool,
) -> str:
    """The command ssh runs remotely (``virNetClientSSHHelperCommand``)."""
    if proxy not in PROXY_MODES:
        raise ConnectError(f"Unknown proxy type '{proxy}' (expected auto, netcat or native)")
    if proxy == "auto" and netcat is not None:
        proxy = "netcat"
    netcat_safe = _double_escape(netcat or "nc")
    uri_safe = _double_escape(driver_uri)
    netcat_command = (
        f"if '{netcat_safe}' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then "
        "ARG=-q0;"
        "else "
        "ARG=;"
        "fi;"
        f"'{netcat_safe}' $ARG -U {socket_path}"
    )
    helper_command = f"virt-ssh-helper{' -r ' if readonly else ' '}'{uri_safe}'"
    if proxy == "auto":
        return (
            "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; "
            "if test $? = 0; then "
            f"    {helper_command}; "
            "else"
            f"    {netcat_command}; "
            "fi'"
        )
    if proxy == "netcat":
        return f"sh -c '{netcat_command}'"
    if netcat is not None:
        raise ConnectError("netcat path not valid with native proxy mode")
    return f"sh -c '{helper_command}'"


def ssh_argv(
    host: str,
    command: str,
    *,
    port: int | None = None,
    user: str | None = None,
    keyfile: str | None = None,
    no_tty: bool = False,
    no_verify: bool = False,
    known_hosts: str | None = None,
    binary: str | None = None,
    extra_options: Sequence[str] = (),
) -> list[str]:
    """The ssh command line of ``virNetSocketNewConnectSSH`` (see the module docstring)."""
    argv = [binary or "ssh"]
    if port is not None:
        argv += ["-p", str(port)]
    if user:
        argv += ["-l", user]
    if keyfile:
        argv += ["-i", keyfile]
    argv += ["-T", "-e", "none"]
    if no_tty:
        argv += ["-o", "BatchMode=yes"]
    if no_verify:
        argv += ["-o", "StrictHostKeyChecking=no"]
    if known_hosts:
        argv += ["-o", f"UserKnownHostsFile={known_hosts}"]
    argv += list(extra_options)
    argv += ["--", host, command]
    return argv


def ssh_launch(
    host: str,
    *,
    driver_uri: str,
    socket_path: str,
    readonly: bool = False,
    proxy: str = "auto",
    netcat: str | None = None,
    port: int | None = None,
    user: str | None = None,
    keyfile: str | None = None,
    no_tty: bool = False,
    no_verify: bool = False,
    known_hosts: str | None = None,
    binary: str | None = None,
    extra_options: Sequence[str] = (),
) -> tuple[list[str], str]:
    """``(argv, label)`` of the ``ssh`` command :func:`open_ssh` runs (also
    used by the blocking client, which runs it over a socketpair)."""
    command = remote_command(
        proxy, netcat=netcat, socket_path=socket_path, driver_uri=driver_uri, readonly=readonly
    )
    argv = ssh_argv(
        host,
        command,
        port=port,
        user=user,
        keyfile=keyfile,
        no_tty=no_tty,
        no_verify=no_verify,
        known_hosts=known_hosts,
        binary=binary,
        extra_options=extra_options,
    )
    where = f"{user}@{host}" if user else host
    return argv, f"ssh to {where}{f':{port}' if port is not None else ''}"


async def open_ssh(
    host: str,
    receiver: TransportReceiver,
    *,
    driver_uri: str,
    socket_path: str,
    readonly: bool = False,
    proxy: str = "auto",
    netcat: str | None = None,
    port: int | None = None,
    user: str | None = None,
    keyfile: str | None = None,
    no_tty: bool = False,
    no_verify: bool = False,
    known_hosts: str | None = None,
    binary: str | None = None,
    extra_options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    label: str | None = None,
    **transport_options: Any,
) -> ProcessTransport:
    """Start ``ssh`` to ``host`` running the remote proxy command and return
    the pipe transport.  ``driver_uri`` is the name sent to the daemon
    (``LibvirtURI.remote_name()``), ``socket_path`` the remote daemon socket
    (``socket=`` or :func:`ssh_socket_path`).  An ssh failure (refused port,
    rejected key, unknown host key with ``no_tty``) shows up as
    ``connection_lost(ConnectionLost("... ssh exited with status 255: <ssh's
    message>"))`` once ssh exits."""
    argv, default_label = ssh_launch(
        host,
        driver_uri=driver_uri,
        socket_path=socket_path,
        readonly=readonly,
        proxy=proxy,
        netcat=netcat,
        port=port,
        user=user,
        keyfile=keyfile,
        no_tty=no_tty,
        no_verify=no_verify,
        known_hosts=known_hosts,
        binary=binary,
        extra_options=extra_options,
    )
    transport = ProcessTransport(argv, receiver, label=label or default_label, **transport_options)
    await transport._start(env)
    return transport
