"""The shim directory (``virtrpc shim-path``): put it first on ``PYTHONPATH``
and ``import libvirt``, ``libvirt_qemu``, ``libvirt_lxc``, ``libvirtaio``
(and ``libvirtmod``) resolve to virtrpc's modules.  Each shim replaces itself
in ``sys.modules`` by the virtrpc module, so ``libvirt`` *is*
``virtrpc.libvirt`` (``mock.patch("libvirt.x")`` patches virtrpc's).  If the
interpreter does not have virtrpc installed, the shims find it next to
themselves.  Importing this package itself does nothing."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType


def install(alias: str, target: str) -> ModuleType:
    """Make ``sys.modules[alias]`` the module ``target``."""
    module = importlib.import_module(target)
    sys.modules[alias] = module
    return module


def directory() -> Path:
    return Path(__file__).resolve().parent
