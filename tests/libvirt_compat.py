"""Helpers for the tests of virtrpc.libvirt (the libvirt-python compatible API).

Foreign inputs (libvirt's API XML, libvirt-python's sdist) come from
``tools/inputs.py`` when the checkout has it; the API XML falls back to
Debian's libvirt-dev copy.  The real libvirt-python is introspected in a
/usr/bin/python3 subprocess, never imported here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from peers import has_libvirt_python, require_peer

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
DEBIAN_API_DIR = Path("/usr/share/libvirt/api")


def input_dir(name: str) -> Path | None:
    """The folder of foreign input ``name`` via tools/inputs.py, or None when
    the checkout does not have that tool yet."""
    tool = REPO / "tools" / "inputs.py"
    if not tool.exists():
        return None
    subprocess.run([sys.executable, str(tool), "fetch", name], check=True,
                   capture_output=True, timeout=600)
    out = subprocess.run([sys.executable, str(tool), "path", name], check=True,
                         capture_output=True, text=True, timeout=60)
    return Path(out.stdout.strip())


def api_dir() -> Path:
    """The folder holding libvirt-api.xml (libvirt 9.0.0)."""
    found = input_dir("libvirt-api-9.0.0")
    if found is not None:
        return found
    require_peer(DEBIAN_API_DIR.joinpath("libvirt-api.xml").exists(), "libvirt-dev's API XML")
    return DEBIAN_API_DIR


_INTROSPECT = r"""
import inspect, json, libvirt
out = {"constants": {}, "functions": {}, "classes": {}}
for name in dir(libvirt):
    if name.startswith("_"):
        continue
    value = getattr(libvirt, name)
    if name.startswith("VIR_"):
        out["constants"][name] = value
    elif inspect.isclass(value) and (name.startswith("vir") or name == "libvirtError"):
        methods = {}
        for m in dir(value):
            if not m.startswith("_") and callable(getattr(value, m)):
                try:
                    sig = inspect.signature(getattr(value, m))
                    methods[m] = [[p.name, None if p.default is p.empty else repr(p.default)]
                                  for p in sig.parameters.values()]
                except (TypeError, ValueError):
                    methods[m] = None
        out["classes"][name] = methods
    elif callable(value) and getattr(value, "__module__", "") == "libvirt":
        out["functions"][name] = True
print(json.dumps(out))
"""

_real_api: dict[str, object] | None = None


def real_libvirt_api() -> dict[str, object]:
    """Names, signatures and constants of the real libvirt-python module."""
    global _real_api
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    if _real_api is None:
        out = subprocess.run(["/usr/bin/python3", "-c", _INTROSPECT], check=True,
                             capture_output=True, text=True, timeout=60)
        _real_api = json.loads(out.stdout)
    return _real_api


def shim_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose Python finds virtrpc's ``libvirt`` first."""
    import os

    from virtrpc.libvirt.shim import directory

    env = dict(os.environ)
    env["PYTHONPATH"] = str(directory())
    env.update(extra or {})
    return env


def skip_without(path: Path | None, what: str) -> Path:
    if path is None:
        pytest.skip(f"{what}: tools/inputs.py not in this checkout yet")
    return path
