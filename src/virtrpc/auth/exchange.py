"""libvirt's authentication exchange, run over an open (not yet authenticated)
connection, as ``remoteAuthenticate`` / ``remoteAuthSASL`` /
``remoteAuthPolkit`` in libvirt 9.0's ``src/remote/remote_driver.c`` do it.

1. ``REMOTE_PROC_AUTH_LIST``: the daemon names the method it wants for this
   socket (``auth_tcp``, ``auth_tls``, ``auth_unix_rw``...).  The URI's
   ``auth=`` parameter (``sasl``, ``sasl.MECH``, ``polkit``) insists on one.
2. ``none``: nothing to do.  ``polkit``: one ``REMOTE_PROC_AUTH_POLKIT`` call
   (the daemon asks polkit about the peer's unix credentials).
3. ``sasl``: ``AUTH_SASL_INIT`` returns the daemon's mechanism list; the
   client picks one, ``AUTH_SASL_START`` carries the initial response and
   ``AUTH_SASL_STEP`` the following ones until both sides are complete.

Security layer rule: on a connection that is not already secure (plain TCP,
``+ext``), libvirt (both client and daemon) demands a SASL security layer of
at least 56 bits (libvirtd's ``tcp_min_ssf``: default 56, explicit values
below 112 are rejected, so it cannot be switched off).
SCRAM-SHA-256 and PLAIN have no security layer, so over plain TCP they are
refused with a clear :class:`AuthError`; over TLS, ssh and unix sockets they
work (libvirt passes TLS's key size to SASL as the external SSF).

Entry point: :func:`authenticate`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from virtrpc.auth import AuthError
from virtrpc.auth.authconf import AuthConfig, find_auth_file
from virtrpc.auth.credentials import (
    AUTH_CONF_KEYS,
    CredentialCallback,
    CredentialRequest,
    CredentialType,
    fill_credentials,
)
from virtrpc.auth.sasl import MECHANISMS, PlainMechanism, SaslMechanism, ScramSha256Mechanism
from virtrpc.errors import VirtrpcError

__all__ = [
    "MIN_TCP_SSF",
    "AuthOutcome",
    "AuthRpc",
    "authenticate",
    "bytes_to_chars",
    "chars_to_bytes",
]

REMOTE_AUTH_NONE = 0
REMOTE_AUTH_SASL = 1
REMOTE_AUTH_POLKIT = 2
_AUTH_NAMES = {REMOTE_AUTH_NONE: "none", REMOTE_AUTH_SASL: "sasl", REMOTE_AUTH_POLKIT: "polkit"}

#: libvirt's minimum SASL security layer on a connection that is not secure.
MIN_TCP_SSF = 56
#: libvirt's ``VIR_ERR_NO_SUPPORT``: the daemon predates ``auth_list``.
_VIR_ERR_NO_SUPPORT = 3
#: A real exchange takes 1 to 3 steps; a peer that keeps going is broken.
_MAX_STEPS = 16
#: ``REMOTE_AUTH_SASL_DATA_MAX``.
SASL_DATA_MAX = 65536


class AuthRpc(Protocol):
    """The calls the exchange makes: the generated ``RemoteAsyncCalls``
    methods of :class:`virtrpc.client.Client` have exactly these signatures."""

    async def auth_list(self) -> Sequence[int]: ...

    async def auth_sasl_init(self) -> str: ...

    async def auth_sasl_start(self, *, mech: str, nil: int, data: list[int]) -> Any: ...

    async def auth_sasl_step(self, *, nil: int, data: list[int]) -> Any: ...

    async def auth_polkit(self) -> int: ...


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """What :func:`authenticate` did: ``method`` is ``none``, ``sasl`` or
    ``polkit``; for SASL, ``mechanism`` and the ``identity`` used."""

    method: str
    mechanism: str | None = None
    identity: str | None = None


def bytes_to_chars(data: bytes) -> list[int]:
    """SASL data as the protocol's ``char data<>`` (signed chars)."""
    return [b - 256 if b > 127 else b for b in data]


def chars_to_bytes(chars: Sequence[int]) -> bytes:
    """The protocol's ``char data<>`` back to bytes."""
    return bytes(c & 0xFF for c in chars)


def _error_text(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


async def authenticate(
    rpc: AuthRpc,
    *,
    target: str,
    hostname: str | None,
    secure: bool,
    auth: str | None = None,
    credentials: CredentialCallback | None = None,
    auth_file: str | None = None,
    env: Mapping[str, str] | None = None,
) -> AuthOutcome:
    """Authenticate a fresh connection the way libvirt's client does.

    ``target`` names the connection in error messages (the URI);
    ``hostname`` selects the auth.conf entry (None: ``localhost``);
    ``secure`` is True on TLS, ssh and unix connections (see the module
    docstring); ``auth`` is the URI's ``auth=`` parameter; ``auth_file`` its
    ``authfile=``.  Credentials come from auth.conf first, then from
    ``credentials``.  Raises :class:`AuthError` (a ``ConnectError``) naming
    ``target`` and the cause.
    """
    try:
        offered = [int(t) for t in await rpc.auth_list()]
    except VirtrpcError as exc:
        if getattr(exc, "code", None) == _VIR_ERR_NO_SUPPORT:
            return AuthOutcome("none")  # a daemon from before auth_list
        raise AuthError(f"cannot list authentication methods of {target}: {_error_text(exc)}") from exc
    if not offered:
        return AuthOutcome("none")
    wanted_mech: str | None = None
    if auth is not None:
        lowered = auth.lower()
        if lowered == "sasl" or lowered.startswith("sasl."):
            want = REMOTE_AUTH_SASL
            wanted_mech = auth[5:] or None if lowered.startswith("sasl.") else None
        elif lowered == "polkit":
            want = REMOTE_AUTH_POLKIT
        else:
            raise AuthError(f"unknown authentication type {auth!r} in {target}")
        if want not in offered:
            names = ", ".join(_AUTH_NAMES.get(t, str(t)) for t in offered)
            raise AuthError(
                f"requested authentication type {auth} rejected by {target} (it offers {names})"
            )
        method = want
    else:
        method = offered[0]
    if method == REMOTE_AUTH_NONE:
        return AuthOutcome("none")
    if method == REMOTE_AUTH_POLKIT:
        try:
            await rpc.auth_polkit()
        except VirtrpcError as exc:
            raise AuthError(f"polkit authentication to {target} failed: {_error_text(exc)}") from exc
        return AuthOutcome("polkit")
    if method == REMOTE_AUTH_SASL:
        return await _authenticate_sasl(
            rpc,
            target=target,
            hostname=hostname,
            secure=secure,
            wanted_mech=wanted_mech,
            credentials=credentials,
            auth_file=auth_file,
            env=env,
        )
    raise AuthError(f"{target} asks for unsupported authentication type {method}")


def _insecure_refusal(target: str, detail: str) -> str:
    return (
        f"SASL authentication to {target} refused: a connection that is not encrypted "
        f"needs a SASL security layer of at least {MIN_TCP_SSF} bits, and the mechanisms "
        f"virtrpc implements ({', '.join(MECHANISMS)}) have none ({detail}); "
        "connect with +tls, +ssh or +unix instead"
    )


def _choose_mechanism(
    server_mechs: Sequence[str], wanted: str | None, *, secure: bool, target: str
) -> str:
    offered_text = " ".join(server_mechs) or "none"
    if wanted is not None:
        wanted = wanted.upper()
        if wanted not in server_mechs:
            raise AuthError(f"SASL mechanism {wanted} not supported by {target} (it offers {offered_text})")
        candidates = [wanted]
    else:
        candidates = [m for m in MECHANISMS if m in server_mechs]
    if not secure:
        raise AuthError(_insecure_refusal(target, f"the daemon offers: {offered_text}"))
    usable = [m for m in candidates if m in MECHANISMS]
    if not usable:
        raise AuthError(
            f"no common SASL mechanism with {target}: it offers {offered_text}, "
            f"virtrpc implements {', '.join(MECHANISMS)}"
        )
    return usable[0]


async def _gather_credentials(
    *,
    target: str,
    hostname: str | None,
    callback: CredentialCallback | None,
    auth_file: str | None,
    env: Mapping[str, str] | None,
) -> tuple[str, str, str | None]:
    requests = [
        CredentialRequest(CredentialType.AUTHNAME, "Please enter your authentication name"),
        CredentialRequest(CredentialType.PASSPHRASE, "Please enter your password"),
    ]
    path = find_auth_file(auth_file, env)
    if path is not None:
        config = AuthConfig.load(path)
        for request in requests:
            request.result = config.lookup(hostname, AUTH_CONF_KEYS[request.type])
    try:
        await fill_credentials(requests, callback)
    except AuthError:
        raise
    except Exception as exc:
        raise AuthError(f"credential callback failed for {target}: {_error_text(exc)}") from exc
    authname, password = (request.result for request in requests)
    if authname is None or password is None:
        missing = [r.type.name.lower() for r in requests if r.result is None]
        source = f"auth file {path}" if path else "no auth file"
        raise AuthError(
            f"no credentials for SASL authentication to {target}: missing "
            f"{' and '.join(missing)} ({source}, {'a' if callback else 'no'} credential callback)"
        )
    authzid = None
    if path is not None:
        authzid = AuthConfig.load(path).lookup(hostname, AUTH_CONF_KEYS[CredentialType.USERNAME])
    return authname, password, authzid if authzid and authzid != authname else None


def _make_mechanism(name: str, authname: str, password: str, authzid: str | None) -> SaslMechanism:
    if name == ScramSha256Mechanism.name:
        return ScramSha256Mechanism(authname, password, authzid)
    return PlainMechanism(authname, password, authzid)


def _check_size(data: bytes | None, target: str) -> list[int]:
    if data is None:
        return []
    if len(data) > SASL_DATA_MAX:
        raise AuthError(f"SASL negotiation data for {target} too long: {len(data)} bytes")
    return bytes_to_chars(data)


async def _authenticate_sasl(
    rpc: AuthRpc,
    *,
    target: str,
    hostname: str | None,
    secure: bool,
    wanted_mech: str | None,
    credentials: CredentialCallback | None,
    auth_file: str | None,
    env: Mapping[str, str] | None,
) -> AuthOutcome:
    try:
        mechlist = await rpc.auth_sasl_init()
    except VirtrpcError as exc:
        if not secure:
            raise AuthError(_insecure_refusal(target, f"the daemon said: {_error_text(exc)}")) from exc
        raise AuthError(f"{target} refused to start SASL authentication: {_error_text(exc)}") from exc
    server_mechs = [m.upper() for m in re.split(r"[\s,]+", mechlist or "") if m]
    name = _choose_mechanism(server_mechs, wanted_mech, secure=secure, target=target)
    authname, password, authzid = await _gather_credentials(
        target=target, hostname=hostname, callback=credentials, auth_file=auth_file, env=env
    )
    mechanism = _make_mechanism(name, authname, password, authzid)
    failure = f"SASL {name} authentication as {authname!r} to {target} failed"
    try:
        initial = mechanism.start()
        reply = await rpc.auth_sasl_start(
            mech=name, nil=int(initial is None), data=_check_size(initial, target)
        )
        for _ in range(_MAX_STEPS):
            server_done = bool(reply.complete)
            server_data = None if reply.nil else chars_to_bytes(reply.data)
            if server_done and mechanism.complete and not server_data:
                return AuthOutcome("sasl", name, authname)
            response = mechanism.step(server_data)
            if server_done:
                if mechanism.complete:
                    return AuthOutcome("sasl", name, authname)
                raise AuthError("the server claimed success before the exchange completed")
            reply = await rpc.auth_sasl_step(
                nil=int(response is None), data=_check_size(response, target)
            )
    except AuthError as exc:
        raise AuthError(f"{failure}: {exc}") from exc
    except VirtrpcError as exc:
        raise AuthError(f"{failure}: {_error_text(exc)} (wrong user name or password?)") from exc
    raise AuthError(f"{failure}: the exchange did not finish after {_MAX_STEPS} steps")
