"""Helpers for the tests of virtrpc.libvirt (the libvirt-python compatible API).

Foreign inputs (libvirt's API XML, libvirt-python's sdist) come from
``tools/inputs.py`` (through tests/support/inputs.py).  The real libvirt-python is introspected in a
/usr/bin/python3 subprocess, never imported here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .inputs import require_input
from .inputs import tool as input_tool
from .peers import has_libvirt_python, require_peer

REPO = Path(__file__).resolve().parents[2]


def api_dir() -> Path:
    """The folder holding libvirt-api.xml and friends (libvirt 9.0.0)."""
    return require_input("libvirt-api-9.0.0")


def libvirt_python_sdist() -> Path:
    """libvirt-python 9.0.0's unpacked sdist (tests/, examples/)."""
    return require_input("libvirt-python-9.0.0")


#: libvirt-python's API coverage test at commit 2ef29704f3da (the copy that
#: passes against the real libvirt-python 9.0) ships unchanged in this sdist.
COVERAGE_TEST_INPUT = "libvirt-python-12.4.0"


def coverage_test_sdist() -> Path:
    if COVERAGE_TEST_INPUT not in input_tool.INPUTS:
        pytest.skip(f"{COVERAGE_TEST_INPUT} is not pinned in tools/inputs.py yet")
    return require_input(COVERAGE_TEST_INPUT)


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
