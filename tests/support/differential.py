"""Differential testing: the same workload against a fresh libvirtd (its test
driver) and a fresh ``virtrpc serve``, results compared by the test.

Shared by every test module that compares virtrpc's test hypervisor with
libvirtd's (keep the API small)::

    from tests.support.differential import python_workload, run_on_both, virsh_outcome

    workload = python_workload('''
        [i.name() for i in conn.listAllInterfaces(0)]
        conn.interfaceLookupByName('nope')
    ''')
    libvirtd_result, virtrpc_result = run_on_both(workload)
    assert virtrpc_result == libvirtd_result

    def sweep(uri: str) -> list[VirshOutcome]:
        return [virsh_outcome(uri, "setvcpus", "test", "1"), virsh_outcome(uri, "dominfo", "test")]

    libvirtd_result, virtrpc_result = run_on_both(sweep, hold_open=True)

* A **workload** is a function ``uri -> result``; it opens its own
  connections.
* :func:`run_on_both` runs it once against a fresh private libvirtd and once
  against a fresh candidate server, and returns ``(result on libvirtd, result
  on the candidate)``.  The candidate is ``virtrpc serve`` in its own process
  (:func:`fresh_virtrpc`, with ``serve_args``), or any factory passed as
  ``candidate``; ``reference=True`` (short for ``candidate=fresh_libvirtd``)
  makes it a second libvirtd: the control run, which proves the comparison
  invents no differences.
* State between a workload's connections: libvirtd's test driver resets
  ``test:///default`` when its last connection closes, and so does
  ``virtrpc serve`` by default, so a workload whose every step is its own
  connection starts each step from the default node.  With ``hold_open=True``
  the harness holds one connection to the server open while the workload
  runs, so the steps' changes carry from one to the next (on both servers).
* :func:`python_workload` makes a workload of libvirt-python lines run on ONE
  connection (``conn``), in order: each line is an expression whose ``repr``
  (or error code, domain and message) is the result; a line starting with
  ``!`` is a statement.  XML strings in results are canonicalised.  If the
  connection cannot be opened, the result is that one error (``("<open>",
  "error", (code, domain, message))``).  ``sys.argv[1]`` is the URI, for
  lines that open more connections.
* :func:`python_calls` evaluates named libvirt-python expressions on one
  connection: each value's ``repr``, error (code, domain, message) or the
  binding's own exception.
* :func:`virsh_outcome` runs one virsh command and keeps what is compared:
  the exit status, the output with times, counters and random identifiers
  masked (:func:`mask`), XML canonicalised, and the error text.
* :func:`virsh_workload` runs virsh commands, each its own connection:
  (command, exit status, stdout, stderr) per command, with a mask for
  volatile text; :func:`virsh_session` runs them on one connection (a
  transcript).
* :func:`on_node` points a workload at a node file (``test:///PATH``).
* :func:`canonical_xml` writes an XML document in a form where equal
  documents are equal strings (C14N 2.0: attributes sorted, whitespace
  around text dropped).
* :func:`unittest_outcomes` runs a unittest suite (libvirt-python's own
  tests) with ``test:///default`` pointed at a server; it returns each test's
  outcome (``ok``, ``FAIL``, ``ERROR``, ``skipped``).
* :func:`differences` lists the per-step results that differ (readable
  assertion messages).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .peers import (
    SYSTEM_PYTHON,
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
#: Makes a fresh server for one run: a context manager yielding its URI.
ServerFactory = Callable[[], AbstractContextManager[str]]


@contextlib.contextmanager
def fresh_libvirtd() -> Iterator[str]:
    """A private libvirtd of its own; yields its ``test+unix`` URI."""
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        yield daemon.uri


@contextlib.contextmanager
def fresh_virtrpc(serve_args: Iterable[str] = ()) -> Iterator[str]:
    """``virtrpc serve`` (with ``serve_args``) in a process of its own; yields its URI."""
    with (
        tempfile.TemporaryDirectory(prefix="vrpc-d-", dir="/tmp") as directory,
        serve_process(Path(directory), extra_args=list(serve_args)) as (uri, _process),
    ):
        yield uri


@contextlib.contextmanager
def _held_open(uri: str, hold: bool) -> Iterator[None]:
    """One connection open for the duration, if ``hold`` (see the module docstring)."""
    if not hold:
        yield
        return
    from virtrpc.client.sync import connect

    client = connect(uri)
    try:
        yield
    finally:
        client.close()


def run_on_both(
    workload: Workload[T], *, candidate: ServerFactory | None = None,
    reference: bool = False, serve_args: Iterable[str] = (), hold_open: bool = False,
) -> tuple[T, T]:
    """``(workload on a fresh libvirtd, workload on a fresh candidate)``.

    The candidate is ``virtrpc serve serve_args...`` unless ``candidate``
    names another factory; ``reference=True`` is short for
    ``candidate=fresh_libvirtd``.  ``hold_open`` keeps one connection to each
    server open while the workload runs (state carries between its
    connections)."""
    if reference:
        candidate = fresh_libvirtd
    if candidate is None:
        args = list(serve_args)

        def candidate() -> AbstractContextManager[str]:
            return fresh_virtrpc(args)

    results: list[T] = []
    for factory in (fresh_libvirtd, candidate):
        with factory() as uri, _held_open(uri, hold_open):
            results.append(workload(uri))
    return results[0], results[1]


def differences(first: list[T], second: list[T]) -> list[tuple[T, T]]:
    """The pairs of per-step results that differ (for readable assertion messages)."""
    pairs = list(zip(first, second, strict=True))
    return [(a, b) for a, b in pairs if a != b]


def on_node(workload: Workload[T], path: str) -> Workload[T]:
    """``workload`` run on the node file ``path`` of the server it is given
    (``test+unix:///default?socket=S`` becomes ``test+unix://PATH?socket=S``)."""

    def run(uri: str) -> T:
        return workload(uri.replace("/default?", f"{path}?", 1))

    return run


# -- XML ----------------------------------------------------------------------


def canonical_xml(text: str) -> str:
    """``text`` as canonical XML (C14N 2.0: sorted attributes, whitespace
    around text and between elements dropped), or ``text`` itself when it
    does not parse."""
    try:
        return ET.canonicalize(text, strip_text=True)
    except ET.ParseError:
        return text


# -- libvirt-python --------------------------------------------------------------

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
        completed = subprocess.run([SYSTEM_PYTHON, "-c", _INNER, uri, json.dumps(program)],
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


_CALLS_SCRIPT = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *args: None, None)
conn = libvirt.open(sys.argv[1])
results = {}
for name, expression in json.loads(sys.stdin.read()):
    try:
        results[name] = ["ok", repr(eval(expression))]
    except libvirt.libvirtError as error:
        results[name] = ["error", error.get_error_code(), error.get_error_domain(),
                         error.get_error_message()]
    except Exception as error:  # the binding's own checks (a TypeError...)
        results[name] = ["exception", type(error).__name__, str(error)]
print(json.dumps(results))
"""


def python_calls(uri: str, calls: list[tuple[str, str]]) -> dict[str, list[object]]:
    """Evaluate each ``(name, expression)`` in order with libvirt-python on one
    connection (``conn``) to ``uri``: ``["ok", repr(value)]`` or ``["error",
    code, domain, message]`` per name (XML in a repr is not canonicalised:
    compare XML through :func:`virsh_outcome` instead)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", _CALLS_SCRIPT, uri], input=json.dumps(calls),
        capture_output=True, text=True, timeout=60, check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"the calls did not run:\n{result.stderr}")
    outcomes: dict[str, list[object]] = json.loads(result.stdout)
    return outcomes


# -- virsh --------------------------------------------------------------------


@dataclass(frozen=True)
class VirshOutcome:
    """What a virsh command did, in comparable form."""

    command: tuple[str, ...]
    status: int
    output: str
    error: str


# Times and counters that differ from run to run (and between servers for no
# reason a client could rely on): CPU time, the guest's clock, statistics.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(CPU time:\s+)\S+"), r"\1<time>"),
    (re.compile(r"(cpu\.time=|cpu\.user=|cpu\.system=|vcpu\.\d+\.time=)\d+"), r"\1<n>"),
    (re.compile(r"(Time:\s+)\d+"), r"\1<time>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\b"), "<date>"),
    (re.compile(r"(<creationTime>)\d+"), r"\1<time>"),
    # block and interface counters grow with the time the domain has run
    (re.compile(r"^(\S+ (?:rd|wr|rx|tx|flush)_\w+|\S+ errs) \d+$", re.M), r"\1 <n>"),
    (re.compile(r"((?:block|net)\.\d+\.(?:rd|wr|rx|tx|fl)\.\w+=)\d+"), r"\1<n>"),
)


# The default node's objects have fixed UUIDs; an object defined without one
# gets a random UUID (and a NIC without a MAC a random 52:54:00 address).
DEFAULT_NODE_UUIDS = frozenset({
    "6695eb01-f6a4-8304-79aa-97f2502e193f",  # domain test
    "dd8fe884-6c02-601e-7551-cca97df1c5df",  # network default
    "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566",  # pool default-pool
})
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_RANDOM_MAC = re.compile(r"\b52:54:00(:[0-9a-f]{2}){3}\b")


#: virsh commands that print one block per object in an order libvirtd does
#: not define (its hash tables'): the blocks are compared as a set.
_UNORDERED = frozenset({"domstats"})


def mask(text: str) -> str:
    """``text`` with times, counters and random identifiers replaced by
    placeholders."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    text = _UUID.sub(lambda m: m[0] if m[0] in DEFAULT_NODE_UUIDS else "<uuid>", text)
    return _RANDOM_MAC.sub("52:54:00:<mac>", text)


def virsh_outcome(uri: str, *command: str, stdin: str | None = None) -> VirshOutcome:
    """Run ``virsh -q -c URI COMMAND...``; XML output is canonicalised."""
    virsh = find_virsh()
    require_peer(virsh is not None, "virsh")
    assert virsh is not None
    result = subprocess.run(
        [virsh, "-q", "-c", uri, *command], input=stdin, capture_output=True, text=True,
        timeout=30, check=False,
    )
    output = result.stdout.replace(uri, "<uri>")
    if output.lstrip().startswith("<"):
        output = canonical_xml(output)
    if command and command[0] in _UNORDERED:
        # one block per object, in the order of libvirtd's hash table (random)
        output = "\n\n".join(sorted(block.strip() for block in output.split("\n\n")))
    error = result.stderr.replace(uri, "<uri>")
    return VirshOutcome(tuple(command), result.returncode, mask(output).strip(),
                        mask(error).strip())


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


# -- libvirt-python's test suite ------------------------------------------------

_OUTCOME_LINE = re.compile(
    r"^(?P<test>test\w+) \((?P<where>[\w.]+?)(?:\.(?P=test))?\)(?:\n.*?)? \.\.\. "
    r"(?P<outcome>ok|FAIL|ERROR|skipped|expected failure|unexpected success)", re.M)


def unittest_outcomes(suite_dir: Path, uri: str, *, pattern: str = "test_*.py",
                      timeout: float = 120.0) -> dict[str, str]:
    """Each test's outcome when the unittest suite in ``suite_dir`` runs with
    ``/usr/bin/python3`` (libvirt-python) and ``test:///default`` rewritten
    to ``uri``.  Keys are ``module.Class.test``."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with tempfile.TemporaryDirectory(prefix="vrpc-suite-") as directory:
        copy = Path(directory) / "tests"
        shutil.copytree(suite_dir, copy)
        for source in copy.glob("*.py"):
            text = source.read_text()
            if "test:///default" in text:
                source.write_text(text.replace("test:///default", uri))
        result = subprocess.run(
            [SYSTEM_PYTHON, "-m", "unittest", "discover", "-v", "-s", str(copy), "-p", pattern],
            capture_output=True, text=True, timeout=timeout, check=False, cwd=directory,
        )
    outcomes: dict[str, str] = {}
    for match in _OUTCOME_LINE.finditer(result.stderr):
        outcomes[f"{match['where']}.{match['test']}"] = match["outcome"]
    if not outcomes:
        raise AssertionError(f"no test outcomes in the suite's output:\n{result.stderr}")
    return outcomes
