"""Credential requests, as libvirt's ``virConnectAuth`` callback sees them.

A :data:`CredentialCallback` receives the list of :class:`CredentialRequest`
still unanswered (after auth.conf was consulted) and fills in ``result`` for
those it can; it may be a plain function or a coroutine function.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

__all__ = ["CredentialCallback", "CredentialRequest", "CredentialType", "fill_credentials"]


class CredentialType(enum.IntEnum):
    """libvirt's ``virConnectCredentialType`` values."""

    USERNAME = 1  # authorization identity (SASL "user")
    AUTHNAME = 2  # authentication identity (SASL "authname")
    LANGUAGE = 3
    CNONCE = 4
    PASSPHRASE = 5
    ECHOPROMPT = 6
    NOECHOPROMPT = 7
    REALM = 8
    EXTERNAL = 9


#: auth.conf key for each credential type libvirt looks up there.
AUTH_CONF_KEYS = {
    CredentialType.USERNAME: "username",
    CredentialType.AUTHNAME: "authname",
    CredentialType.PASSPHRASE: "password",
    CredentialType.REALM: "realm",
}


@dataclass(slots=True)
class CredentialRequest:
    """One credential the authentication needs; set ``result`` to answer."""

    type: CredentialType
    prompt: str
    challenge: str | None = None
    default: str | None = None
    result: str | None = None


CredentialCallback = Callable[[Sequence[CredentialRequest]], Awaitable[None] | None]


async def fill_credentials(
    requests: Sequence[CredentialRequest], callback: CredentialCallback | None
) -> None:
    """Ask ``callback`` for the requests that have no result yet."""
    missing = [request for request in requests if request.result is None]
    if not missing or callback is None:
        return
    outcome = callback(missing)
    if inspect.isawaitable(outcome):
        await outcome
