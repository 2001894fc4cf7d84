"""SASL client mechanisms in pure Python: SCRAM-SHA-256 (RFC 5802 / RFC 7677)
and PLAIN (RFC 4616).

A mechanism object is a small state machine: :meth:`SaslMechanism.start`
gives the initial response, :meth:`SaslMechanism.step` answers each server
challenge, and ``complete`` says whether the client side is satisfied (for
SCRAM: the server proved it knows the password too).  Neither mechanism
negotiates a security layer: their ``ssf`` is 0, which is why libvirt only
accepts them on a connection that is already secure (TLS, unix socket, ssh).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import stringprep
import unicodedata
from typing import ClassVar, Protocol

from virtrpc.auth import AuthError

__all__ = [
    "MECHANISMS",
    "PlainMechanism",
    "SaslMechanism",
    "ScramSha256Mechanism",
    "saslprep",
]


class SaslMechanism(Protocol):
    """A client-side SASL mechanism."""

    #: Whether the client side of the exchange finished successfully.
    complete: bool

    @property
    def name(self) -> str:
        """IANA name as sent in ``auth_sasl_start`` (upper case)."""

    @property
    def ssf(self) -> int:
        """Security strength factor of the negotiated security layer (0: none)."""

    def start(self) -> bytes | None:
        """The initial response (None: the mechanism sends none)."""

    def step(self, challenge: bytes | None) -> bytes | None:
        """Answer a server challenge (None: the server sent no data).

        Raises :class:`AuthError` if the server's data is invalid or fails
        verification."""


def _in_table_c12(ch: str) -> bool:
    return stringprep.in_table_c12(ch)


def saslprep(text: str, *, name: str = "string") -> str:
    """RFC 4013 SASLprep of a user name or password (stored strings, so
    unassigned code points are refused).  Raises :class:`AuthError`."""
    mapped = []
    for ch in text:
        if stringprep.in_table_b1(ch):
            continue  # commonly mapped to nothing
        mapped.append(" " if _in_table_c12(ch) else ch)
    prepared = unicodedata.normalize("NFKC", "".join(mapped))
    for ch in prepared:
        if (
            stringprep.in_table_c12(ch)
            or stringprep.in_table_c21_c22(ch)
            or stringprep.in_table_c3(ch)
            or stringprep.in_table_c4(ch)
            or stringprep.in_table_c5(ch)
            or stringprep.in_table_c6(ch)
            or stringprep.in_table_c7(ch)
            or stringprep.in_table_c8(ch)
            or stringprep.in_table_c9(ch)
            or stringprep.in_table_a1(ch)
        ):
            raise AuthError(f"the {name} contains a character SASLprep prohibits: {ch!r}")
    if any(stringprep.in_table_d1(ch) for ch in prepared) and (
        any(stringprep.in_table_d2(ch) for ch in prepared)
        or not (stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1]))
    ):
        raise AuthError(f"the {name} mixes right-to-left and left-to-right text")
    return prepared


class PlainMechanism:
    """PLAIN: ``authzid NUL authcid NUL password`` in the initial response.

    Sends the password in the clear: use it only over TLS."""

    name: ClassVar[str] = "PLAIN"
    ssf: ClassVar[int] = 0

    def __init__(self, authname: str, password: str, authzid: str | None = None) -> None:
        self._authname = saslprep(authname, name="user name")
        self._password = saslprep(password, name="password")
        self._authzid = authzid or ""
        self.complete = False

    def start(self) -> bytes | None:
        """The whole exchange: one message."""
        self.complete = True
        return b"\0".join(
            part.encode() for part in (self._authzid, self._authname, self._password)
        )

    def step(self, challenge: bytes | None) -> bytes | None:
        """PLAIN expects no challenge; an empty one is tolerated."""
        if challenge:
            raise AuthError("the server sent an unexpected challenge for PLAIN")
        return None


def _escape_saslname(name: str) -> str:
    return name.replace("=", "=3D").replace(",", "=2C")


def _parse_attributes(message: bytes, what: str) -> dict[str, str]:
    try:
        text = message.decode()
    except UnicodeDecodeError:
        raise AuthError(f"the server's SCRAM {what} is not UTF-8") from None
    attributes: dict[str, str] = {}
    for item in text.split(","):
        if len(item) < 2 or item[1] != "=":
            raise AuthError(f"malformed SCRAM {what} from the server: {text!r}")
        attributes.setdefault(item[0], item[2:])
    return attributes


class ScramSha256Mechanism:
    """SCRAM-SHA-256 without channel binding (gs2 header ``n,,``).

    The server must prove knowledge of the password in its final message;
    until it did, ``complete`` stays False.
    """

    name: ClassVar[str] = "SCRAM-SHA-256"
    ssf: ClassVar[int] = 0
    #: Refuse absurd iteration counts a hostile server could use to burn CPU.
    MAX_ITERATIONS: ClassVar[int] = 10_000_000
    _hash: ClassVar[str] = "sha256"

    def __init__(
        self,
        authname: str,
        password: str,
        authzid: str | None = None,
        *,
        nonce: str | None = None,
    ) -> None:
        self._authname = saslprep(authname, name="user name")
        self._password = saslprep(password, name="password")
        self._gs2_header = "n," + (f"a={_escape_saslname(authzid)}" if authzid else "") + ","
        self._client_nonce = nonce or secrets.token_urlsafe(24)
        self._client_first_bare = ""
        self._server_signature: bytes | None = None
        self._state = "initial"
        self.complete = False

    def start(self) -> bytes | None:
        """client-first-message."""
        if self._state != "initial":
            raise AuthError("SCRAM exchange already started")
        self._client_first_bare = f"n={_escape_saslname(self._authname)},r={self._client_nonce}"
        self._state = "sent-first"
        return (self._gs2_header + self._client_first_bare).encode()

    def step(self, challenge: bytes | None) -> bytes | None:
        """server-first-message -> client-final-message; server-final-message -> None."""
        if challenge is None:
            raise AuthError("the server sent no SCRAM data")
        if self._state == "sent-first":
            return self._client_final(challenge)
        if self._state == "sent-final":
            self._verify_server_final(challenge)
            return None
        raise AuthError("unexpected SCRAM message after the exchange completed")

    def _client_final(self, server_first: bytes) -> bytes:
        attributes = _parse_attributes(server_first, "challenge")
        if "e" in attributes:
            raise AuthError(f"the server refused the SCRAM exchange: {attributes['e']}")
        nonce, salt_text, iterations_text = (attributes.get(k) for k in ("r", "s", "i"))
        if nonce is None or salt_text is None or iterations_text is None:
            raise AuthError("the server's SCRAM challenge lacks the nonce, salt or iteration count")
        if not nonce.startswith(self._client_nonce) or len(nonce) == len(self._client_nonce):
            raise AuthError("the server's SCRAM nonce does not extend ours")
        try:
            salt = base64.b64decode(salt_text, validate=True)
            iterations = int(iterations_text)
        except ValueError:
            raise AuthError("the server's SCRAM salt or iteration count is malformed") from None
        if not 1 <= iterations <= self.MAX_ITERATIONS:
            raise AuthError(f"the server asked for {iterations} SCRAM iterations")
        salted = hashlib.pbkdf2_hmac(self._hash, self._password.encode(), salt, iterations)
        client_key = hmac.digest(salted, b"Client Key", self._hash)
        stored_key = hashlib.new(self._hash, client_key).digest()
        channel = base64.b64encode(self._gs2_header.encode()).decode()
        final_without_proof = f"c={channel},r={nonce}"
        auth_message = ",".join(
            (self._client_first_bare, server_first.decode(), final_without_proof)
        ).encode()
        client_signature = hmac.digest(stored_key, auth_message, self._hash)
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature, strict=True))
        server_key = hmac.digest(salted, b"Server Key", self._hash)
        self._server_signature = hmac.digest(server_key, auth_message, self._hash)
        self._state = "sent-final"
        return f"{final_without_proof},p={base64.b64encode(proof).decode()}".encode()

    def _verify_server_final(self, server_final: bytes) -> None:
        attributes = _parse_attributes(server_final, "final message")
        if "e" in attributes:
            raise AuthError(f"the server rejected the credentials: {attributes['e']}")
        try:
            signature = base64.b64decode(attributes.get("v", ""), validate=True)
        except ValueError:
            raise AuthError("the server's SCRAM signature is malformed") from None
        assert self._server_signature is not None
        if not signature or not hmac.compare_digest(signature, self._server_signature):
            raise AuthError("the server's SCRAM signature is wrong: it does not know the password")
        self._state = "done"
        self.complete = True


#: Mechanisms virtrpc implements, best first.
MECHANISMS: tuple[str, ...] = (ScramSha256Mechanism.name, PlainMechanism.name)
