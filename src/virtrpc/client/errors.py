"""libvirt errors as Python exceptions (compatibility module: the class is
:class:`virtrpc.errors.LibvirtError`).

A failed call comes back as a ``REPLY`` with status ``ERROR`` whose payload is
a ``virNetMessageError`` (virnetprotocol.x); so does an aborted stream.
:meth:`LibvirtError.from_wire` decodes it; :meth:`LibvirtError.to_wire`
encodes one (used by the server).  The struct is decoded here by hand so that
error handling does not depend on the generated protocol modules.
"""

from __future__ import annotations

# The one libvirt error type lives in virtrpc.errors (client and server use
# it); re-exported here for the code that imports it from this module.
from virtrpc.errors import LibvirtError

__all__ = ["LibvirtError"]
