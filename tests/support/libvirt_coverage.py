"""The differential harness of virtrpc.libvirt against the real libvirt-python.

A worker script (:data:`WORKER`) runs a list of calls (Python expressions and
assignments, grouped by class) against a private libvirtd's test driver and
prints each result normalised to JSON: objects by class, name and UUID;
errors by code, domain and message; ``TypeError`` by type.  It runs twice on
Debian's /usr/bin/python3: with the real libvirt-python, then with ``libvirt``
resolving to virtrpc's (the shim directory on PYTHONPATH).  Each run opens its
own connections and closes them, so each starts from the test driver's
initial state (the state lives only while connections are open).

The worker also records which public methods of the 14 ``vir*`` classes the
cases call (a wrapper on every method, counting only the outermost call, so a
method calling another does not count it).  Every method is either called or
named in :data:`NOT_CALLED` with the reason; a test checks that accounting.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.libvirt_compat import shim_env
from tests.support.peers import PrivateLibvirtd

WORKER = r'''
import functools, inspect, json, sys, threading
import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)
uri, ro_uri, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
cases = json.load(sys.stdin)

# -- which methods the cases call --------------------------------------------
CLASSES = [name for name in dir(libvirt)
           if name.startswith("vir") and inspect.isclass(getattr(libvirt, name))]
called = set()
nesting = threading.local()

def traced(label, method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        depth = getattr(nesting, "depth", 0)
        if depth == 0:
            called.add(label)
        nesting.depth = depth + 1
        try:
            return method(*args, **kwargs)
        finally:
            nesting.depth = depth
    return wrapper

for class_name in CLASSES:
    cls = getattr(libvirt, class_name)
    for name in dir(cls):
        if name.startswith("_"):
            continue
        if isinstance(inspect.getattr_static(cls, name), (staticmethod, classmethod)):
            continue
        if inspect.isfunction(getattr(cls, name)):
            setattr(cls, name, traced(class_name + "." + name, getattr(cls, name)))

def norm(value):
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, (int, float, str)) or value is None:
        return value
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    if isinstance(value, tuple):
        return ["tuple", [norm(v) for v in value]]
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {str(k): norm(v) for k, v in sorted(value.items())}}
    cls = type(value).__name__
    ident = []
    nesting.depth = 1  # identifying the object is not a call of the cases
    try:
        for attr in ("name", "getName", "UUIDString", "key", "portDev", "usageID"):
            method = getattr(value, attr, None)
            if callable(method):
                try:
                    ident.append(method())
                except Exception:
                    pass
    finally:
        nesting.depth = 0
    return ["object", cls, ident]

def keep(*args):
    """A callback that records what it was given (by type: objects differ by identity)."""
    seen.append([type(a).__name__ for a in args])
    return 0

seen = []
scope = {"libvirt": libvirt, "conn": libvirt.open(uri), "ro": libvirt.openReadOnly(ro_uri),
         "uri": uri, "ro_uri": ro_uri, "scratch": scratch, "keep": keep, "seen": seen}
results = []
for case in cases:
    try:
        try:
            code = compile(case, "<case>", "eval")
        except SyntaxError:
            code = None  # a statement: an assignment, a loop
        if code is None:
            exec(case, scope)
            results.append(None)
        else:
            results.append(norm(eval(code, scope)))
    except libvirt.libvirtError as e:
        results.append(["libvirtError", e.get_error_code(), e.get_error_domain(), str(e)])
    except TypeError:
        results.append(["TypeError"])  # messages differ: C argument parsing vs XDR
    except Exception as e:
        results.append([type(e).__name__, str(e)])
for name in ("conn", "ro"):
    scope[name].close()
print(json.dumps({"results": results, "called": sorted(called)}))
'''


@dataclass
class Run:
    """One side's results, case by case, and the methods its cases called."""

    results: list[Any]
    called: set[str]


def run_worker(daemon: PrivateLibvirtd, cases: list[str], scratch: Path, *,
               virtrpc: bool) -> Run:
    """Run ``cases`` through one side, on a fresh, empty ``scratch`` folder."""
    scratch.mkdir(parents=True, exist_ok=True)
    for leftover in scratch.iterdir():
        leftover.unlink()
    env = shim_env() if virtrpc else None
    out = subprocess.run(
        ["/usr/bin/python3", "-c", WORKER, daemon.uri, daemon.readonly_uri, str(scratch)],
        input=json.dumps(cases), capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert len(report["results"]) == len(cases)
    return Run(report["results"], set(report["called"]))


def shape_of(value: Any) -> Any:
    if isinstance(value, list):
        return [shape_of(v) for v in value]
    return type(value).__name__


def differences(cases: list[str], volatile: set[str], real: list[Any], ours: list[Any], *,
                first: int = 0) -> dict[str, Any]:
    """The cases whose results differ (volatile ones: by shape only), keyed
    ``"index: case"`` (the index in the whole run, from ``first``)."""
    return {
        f"{i}: {case}": {"libvirt-python": theirs, "virtrpc": mine}
        for i, (case, theirs, mine) in enumerate(zip(cases, real, ours, strict=True), first)
        if (shape_of(theirs) != shape_of(mine) if case in volatile else theirs != mine)
    }


_NO_OBJECT = ("libvirtd's test driver has no {what} ({how} is VIR_ERR_NO_SUPPORT, a case), "
              "so there is no object to call it on")
_NO_PORT = _NO_OBJECT.format(what="network ports", how="virNetwork.portCreateXML")
_NO_SECRET = _NO_OBJECT.format(what="secrets", how="virConnect.secretDefineXML")
_NO_FILTER = _NO_OBJECT.format(what="network filters", how="virConnect.nwfilterDefineXML")
_NO_BINDING = _NO_OBJECT.format(what="network filter bindings",
                                how="virConnect.nwfilterBindingCreateXML")

#: The public methods the differential cannot call, each with the reason.
#: Everything else is called at least once (a test checks both ways).
NOT_CALLED: dict[str, str] = {
    **{f"virNetworkPort.{m}": _NO_PORT for m in (
        "UUID", "UUIDString", "XMLDesc", "c_pointer", "connect", "delete", "network",
        "parameters", "setParameters")},
    **{f"virSecret.{m}": _NO_SECRET for m in (
        "UUID", "UUIDString", "XMLDesc", "c_pointer", "connect", "setValue", "undefine",
        "usageID", "usageType", "value")},
    **{f"virNWFilter.{m}": _NO_FILTER for m in (
        "UUID", "UUIDString", "XMLDesc", "c_pointer", "connect", "name", "undefine")},
    **{f"virNWFilterBinding.{m}": _NO_BINDING for m in (
        "XMLDesc", "c_pointer", "connect", "delete", "filterName", "portDev")},
}

#: Mismatches the differential still shows, each with where its fix lies
#: (none today: the last five were fixed); a test fails once one of them is
#: fixed, so an entry leaves the table with its fix.
KNOWN_MISMATCHES: dict[str, str] = {}
