"""Where libvirt looks for x509 credentials (``virNetTLSContextLocateCredentials``).

Rules (libvirt 9.0, ``src/rpc/virnettlscontext.c``):

* ``pkipath=DIR`` (client URI parameter) or ``--pki DIR`` (server): every file
  is taken from ``DIR`` whether it exists or not: ``cacert.pem``,
  ``cacrl.pem``, ``clientcert.pem`` / ``clientkey.pem`` (client) or
  ``servercert.pem`` / ``serverkey.pem`` (server).
* Otherwise, for a non-root user, ``~/.pki/libvirt/`` is tried first: the CA
  and the CRL each come from there if they exist there; the certificate and
  the key come from there only if *both* exist there.
* Whatever is still missing comes from the system locations:
  ``/etc/pki/CA/cacert.pem``, ``/etc/pki/CA/cacrl.pem``,
  ``/etc/pki/libvirt/{client,server}cert.pem`` and
  ``/etc/pki/libvirt/private/{client,server}key.pem``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SYSTEM_PKI_DIR", "PkiPaths", "locate_credentials"]

#: ``$SYSCONFDIR/pki`` of a Debian build.
SYSTEM_PKI_DIR = "/etc/pki"


@dataclass(frozen=True, slots=True)
class PkiPaths:
    """The four files a TLS endpoint uses.  The CRL is optional (used only if
    the file exists); the others must exist when they are needed."""

    cacert: str
    cacrl: str
    cert: str
    key: str


def locate_credentials(
    pkipath: str | None,
    *,
    server: bool = False,
    try_user_dir: bool | None = None,
    home: str | None = None,
    system_dir: str = SYSTEM_PKI_DIR,
) -> PkiPaths:
    """The credential files libvirt would use (see the module docstring).

    ``try_user_dir`` defaults to "not root" (libvirt passes ``geteuid() != 0``);
    ``home`` defaults to ``$HOME`` / the password database.
    """
    role = "server" if server else "client"
    if pkipath:
        base = Path(pkipath)
        return PkiPaths(
            cacert=str(base / "cacert.pem"),
            cacrl=str(base / "cacrl.pem"),
            cert=str(base / f"{role}cert.pem"),
            key=str(base / f"{role}key.pem"),
        )
    if try_user_dir is None:
        try_user_dir = os.geteuid() != 0
    cacert = cacrl = cert = key = None
    if try_user_dir:
        user_dir = Path(home if home is not None else os.path.expanduser("~")) / ".pki" / "libvirt"
        if (user_dir / "cacert.pem").exists():
            cacert = str(user_dir / "cacert.pem")
        if (user_dir / "cacrl.pem").exists():
            cacrl = str(user_dir / "cacrl.pem")
        # The certificate and its key only make sense as a pair.
        if (user_dir / f"{role}cert.pem").exists() and (user_dir / f"{role}key.pem").exists():
            cert = str(user_dir / f"{role}cert.pem")
            key = str(user_dir / f"{role}key.pem")
    system = Path(system_dir)
    return PkiPaths(
        cacert=cacert or str(system / "CA" / "cacert.pem"),
        cacrl=cacrl or str(system / "CA" / "cacrl.pem"),
        cert=cert or str(system / "libvirt" / f"{role}cert.pem"),
        key=key or str(system / "libvirt" / "private" / f"{role}key.pem"),
    )
