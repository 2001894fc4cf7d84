"""libvirt's client credentials file, ``auth.conf`` (a GLib key file).

Format (libvirt docs, "Client authentication credentials")::

    [credentials-prod]
    authname=admin
    password=secret

    [auth-libvirt-host1.example.com]
    credentials=prod

    [auth-libvirt-default]
    credentials=prod

Lookup (``virAuthConfigLookup``): group ``auth-libvirt-<host>`` (host
``localhost`` when the URI has none), else ``auth-libvirt-default``; its
``credentials`` key names the group ``credentials-<name>`` that holds
``username``, ``authname``, ``password``, ``realm``.

File location (``virAuthGetConfigFilePathURI``): ``$LIBVIRT_AUTH_FILE``, else
the URI's ``authfile=`` parameter, else ``$XDG_CONFIG_HOME/libvirt/auth.conf``
(default ``~/.config/libvirt/auth.conf``) if readable, else
``/etc/libvirt/auth.conf`` if readable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from virtrpc.auth import AuthError

__all__ = ["AuthConfig", "find_auth_file"]

SYSTEM_AUTH_FILE = "/etc/libvirt/auth.conf"


def find_auth_file(
    uri_authfile: str | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """The auth.conf libvirt would read, or None (see the module docstring)."""
    environ = os.environ if env is None else env
    explicit = environ.get("LIBVIRT_AUTH_FILE")
    if explicit:
        return explicit
    if uri_authfile:
        return uri_authfile
    config_home = environ.get("XDG_CONFIG_HOME") or str(
        Path(environ.get("HOME") or os.path.expanduser("~")) / ".config"
    )
    for candidate in (str(Path(config_home) / "libvirt" / "auth.conf"), SYSTEM_AUTH_FILE):
        if os.access(candidate, os.R_OK):
            return candidate
    return None


def _unescape(value: str) -> str:
    # GLib key file escapes: \s \n \t \r \\ .
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt, "\\" + nxt))
    return "".join(out)


class AuthConfig:
    """A parsed auth.conf.  Raises :class:`AuthError` on syntax errors."""

    def __init__(self, text: str, path: str = "<string>") -> None:
        self.path = path
        self.groups: dict[str, dict[str, str]] = {}
        group: dict[str, str] | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                if not line.endswith("]") or len(line) < 3:
                    raise AuthError(f"{path}:{number}: malformed group header {line!r}")
                group = self.groups.setdefault(line[1:-1], {})
                continue
            key, sep, value = raw.partition("=")
            if not sep or group is None:
                raise AuthError(f"{path}:{number}: expected 'key=value' inside a group, got {line!r}")
            group[key.strip()] = _unescape(value.strip())

    @classmethod
    def load(cls, path: str) -> AuthConfig:
        """Read and parse ``path``."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthError(f"cannot read auth file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
        return cls(text, path)

    def lookup(self, hostname: str | None, credname: str, service: str = "libvirt") -> str | None:
        """The value of ``credname`` (``username``, ``authname``, ``password``,
        ``realm``) for ``hostname``, or None."""
        group_name = f"auth-{service}-{hostname or 'localhost'}"
        if group_name not in self.groups:
            group_name = f"auth-{service}-default"
        group = self.groups.get(group_name)
        if group is None:
            return None
        credentials = group.get("credentials")
        if credentials is None:
            raise AuthError(f"Missing item 'credentials' in group '{group_name}' in '{self.path}'")
        values = self.groups.get(f"credentials-{credentials}")
        if values is None:
            raise AuthError(
                f"Missing group 'credentials-{credentials}' referenced from group "
                f"'{group_name}' in '{self.path}'"
            )
        return values.get(credname)
