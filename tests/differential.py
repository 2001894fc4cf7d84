"""Differential testing: the same workload against libvirtd's test driver and
against ``virtrpc serve``, results compared by the test.

Shared by every test module that compares virtrpc's test hypervisor with
libvirtd's (keep the API small)::

    from differential import python_workload, run_on_both

    workload = python_workload('''
        [i.name() for i in conn.listAllInterfaces(0)]
        conn.interfaceLookupByName('nope')
    ''')
    libvirtd_result, virtrpc_result = run_on_both(workload)
    assert virtrpc_result == libvirtd_result

* A **workload** is a function ``uri -> result``; it opens its own
  connections (libvirtd's test driver resets its state when the last one
  closes, and so does ``virtrpc serve`` by default).
* :func:`run_on_both` runs it against a fresh private libvirtd and a fresh
  ``virtrpc serve`` process (``reference=True``: a second libvirtd instead,
  which proves the comparison invents no differences).
* :func:`python_workload` makes a workload of libvirt-python lines run on
  ONE connection (``conn``), in order: each line is an expression whose
  ``repr`` (or error code, domain and message) is the result; a line starting
  with ``!`` is a statement.  XML strings in results are canonicalised
  (:func:`canonical_xml`), so attribute quoting and order do not count.
  If the connection cannot be opened, the result is that one error
  (``("<open>", "error", (code, domain, message))``).  ``sys.argv[1]`` is the
  URI, for lines that open more connections.
* :func:`virsh_session` runs virsh commands on one connection (a transcript).
* :func:`on_node` points a workload at a node file (``test:///PATH``).
* :func:`virsh_workload` runs virsh commands, each its own connection, and
  gives (exit status, stdout, stderr) per command, with a mask for volatile
  text.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from peers import (
    PrivateLibvirtd,
    find_libvirtd,
    find_virsh,
    has_libvirt_python,
    require_peer,
    run_virsh,
    serve_process,
)

T = TypeVar("T")
Workload = Callable[[str], T]


def run_on_both(workload: Workload[T], *, reference: bool = False,
                serve_args: Iterable[str] = ()) -> tuple[T, T]:
    """``(result on libvirtd, result on virtrpc serve)`` of ``workload``; with
    ``reference`` the second server is another libvirtd."""
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        first = workload(daemon.uri)
    if reference:
        with PrivateLibvirtd() as other:
            return first, workload(other.uri)
    with tempfile.TemporaryDirectory(prefix="vrpc-diff-") as directory, \
            serve_process(Path(directory), extra_args=list(serve_args)) as (uri, _process):
        return first, workload(uri)


def canonical_xml(text: str) -> str:
    """XML text in a form where quoting, attribute order and indentation do not count."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return text
    for element in root.iter():
        element.text = (element.text or "").strip() or None
        element.tail = None
    return ET.canonicalize(ET.tostring(root, encoding="unicode"))


_INNER = r'''
import json, sys, libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
results = []
try:
    conn = libvirt.open(sys.argv[1])
except libvirt.libvirtError as error:
    print(json.dumps([["<open>", "error", [error.get_error_code(), error.get_error_domain(),
                                           error.get_error_message()]]]))
    sys.exit(0)
for line in json.loads(sys.argv[2]):
    try:
        if line.startswith("!"):
            exec(line[1:])
            continue
        value = eval(line)
        results.append([line, "ok", value if isinstance(value, str) else repr(value)])
    except libvirt.libvirtError as error:
        results.append([line, "error", [error.get_error_code(), error.get_error_domain(),
                                        error.get_error_message()]])
conn.close()
print(json.dumps(results))
'''


def python_workload(
    lines: str, mask: Callable[[str], str] = lambda text: text
) -> Workload[list[tuple[str, str, object]]]:
    """A workload of libvirt-python lines on one connection (see the module doc);
    ``mask`` rewrites volatile text in every value and error message."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    program = [line for line in textwrap.dedent(lines).strip().splitlines() if line.strip()]

    def run(uri: str) -> list[tuple[str, str, object]]:
        completed = subprocess.run(["/usr/bin/python3", "-c", _INNER, uri, json.dumps(program)],
                                   capture_output=True, text=True, timeout=60, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"workload failed on {uri}: {completed.stderr}")
        results = []
        for line, outcome, value in json.loads(completed.stdout):
            if outcome == "ok" and isinstance(value, str):
                value = mask(value)
                if value.lstrip().startswith("<"):
                    value = canonical_xml(value)
            elif outcome == "error":
                value = (value[0], value[1], mask(value[2]))
            results.append((line, outcome, value))
        return results

    return run


_VOLATILE = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( [+-]\d{4})?\b")


def virsh_workload(commands: Iterable[str],
                   mask: Callable[[str], str] = lambda text: _VOLATILE.sub("TIME", text),
                   ) -> Workload[list[tuple[str, int, str, str]]]:
    """A workload of virsh commands, one connection each: per command
    ``(command, exit status, masked stdout, masked stderr)``."""
    require_peer(find_virsh() is not None, "virsh")
    listed = list(commands)

    def run(uri: str) -> list[tuple[str, int, str, str]]:
        outcomes = []
        for command in listed:
            done = run_virsh(uri, *command.split(), check=False)
            outcomes.append((command, done.returncode, mask(done.stdout), mask(done.stderr)))
        return outcomes

    return run


def virsh_session(script: str,
                  mask: Callable[[str], str] = lambda text: _VOLATILE.sub("TIME", text),
                  ) -> Workload[str]:
    """A workload of virsh commands on ONE connection (an interactive virsh
    reading ``script``, a command a line): the masked transcript."""
    require_peer(find_virsh() is not None, "virsh")
    virsh = find_virsh()
    assert virsh is not None
    commands = textwrap.dedent(script).strip() + "\n"

    def run(uri: str) -> str:
        done = subprocess.run([virsh, "-c", uri], input=commands, capture_output=True,
                              text=True, timeout=60, check=False)
        return mask(done.stdout + done.stderr)

    return run


def on_node(workload: Workload[T], path: str) -> Workload[T]:
    """``workload`` run on the node file ``path`` of the server it is given
    (``test+unix:///default?socket=S`` becomes ``test+unix://PATH?socket=S``)."""

    def run(uri: str) -> T:
        return workload(uri.replace("/default?", f"{path}?", 1))

    return run


def differences(first: list[T], second: list[T]) -> list[tuple[T, T]]:
    """The pairs of per-step results that differ (for readable assertion messages)."""
    pairs = list(zip(first, second, strict=True))
    return [(a, b) for a, b in pairs if a != b]
