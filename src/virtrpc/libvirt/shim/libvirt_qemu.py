"""``import libvirt_qemu`` resolves to ``virtrpc.libvirt.qemu`` (virtrpc's shim; see __init__.py)."""

import sys
from pathlib import Path

try:
    from virtrpc.libvirt.shim import install
except ImportError:  # virtrpc not installed for this interpreter: use the copy around us
    sys.path.append(str(Path(__file__).resolve().parents[3]))
    from virtrpc.libvirt.shim import install

install(__name__, "virtrpc.libvirt.qemu")
