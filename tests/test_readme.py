"""The README's examples run as written against ``virtrpc serve``, twice in a
row, and leave the server as they found it.

Every fenced ``python`` and ``sh`` block of README.md runs, unless the line
before it is an HTML comment (invisible on GitHub) that says otherwise:

* ``<!-- readme-test: skip (REASON) -->``: not run (it installs packages,
  runs until Ctrl-C, needs a real libvirtd or an ssh/TLS host...); the reason
  is required;
* ``<!-- readme-test: needs virsh -->``: runs where virsh is installed (a
  missing virsh skips it, or fails it under ``CI=true``).

The README talks to ``virtrpc serve --socket /tmp/vrpc.sock``; the test starts
its own server on a private socket and substitutes that path.  Each block runs
twice in the same temporary folder, as a reader would run it twice (the
second run finds the first one's files), with this venv's
``virtrpc`` and ``python3`` first on PATH.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import virtrpc.sync
from tests.support.peers import find_virsh, require_peer, serve_process

README = Path(__file__).resolve().parents[1] / "README.md"
README_SOCKET = "/tmp/vrpc.sock"
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!--\s*readme-test:\s*(.*?)\s*-->\s*$")
_SKIP = re.compile(r"skip \((.+)\)")


@dataclass(frozen=True)
class Example:
    language: str  # "python" or "sh"
    code: str
    line: int  # where the block starts in README.md
    mark: str  # "" (run), "needs virsh" or "skip (...)"

    @property
    def label(self) -> str:
        return f"README.md:{self.line} ({self.language})"


def readme_examples(text: str) -> list[Example]:
    examples = []
    for match in _FENCE.finditer(text):
        language = match.group(1)
        if language not in ("python", "sh"):
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        line = text.count("\n", 0, match.start()) + 1
        examples.append(Example(language, match.group(2), line, mark.group(1) if mark else ""))
    return examples


EXAMPLES = readme_examples(README.read_text(encoding="utf-8"))
RUN = [example for example in EXAMPLES if not example.mark.startswith("skip")]


def test_every_example_is_run_or_skipped_for_a_stated_reason() -> None:
    assert len(RUN) >= 5  # the tour, the blocking script, the command line, virsh, gen
    assert all(printed_comments(e.code) for e in RUN if e.language == "python")
    for example in EXAMPLES:
        assert example.mark in ("", "needs virsh") or _SKIP.fullmatch(example.mark), example
    # The README's first block is the two set-up commands, names unchanged.
    first = EXAMPLES[0].code
    assert first.startswith("bash tools/demo.sh") and "\nbash tools/test.sh" in first
    # What the tests cannot run is still there for the reader.
    skipped = "".join(e.code for e in EXAMPLES if e.mark.startswith("skip"))
    for needed in ("qemu:///system", "qemu+ssh://", "qemu+tls://", "pip install ."):
        assert needed in skipped, needed


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("readme-serve")
    with serve_process(directory) as (uri, _process):
        yield uri, directory / "sock"


def server_state(uri: str) -> dict[str, Any]:
    """What an example could change on the test hypervisor (not cpuTime,
    which runs on by itself)."""
    with virtrpc.sync.connect(uri) as client:
        domains = client.connect_list_all_domains(need_results=1, flags=0).domains
        networks = client.connect_list_all_networks(need_results=1, flags=0).nets
        pools = client.connect_list_all_storage_pools(need_results=1, flags=0).pools
        return {
            "domains": {
                d.name: (
                    d.id,
                    client.domain_get_state(dom=d, flags=0).state,
                    client.domain_get_xml_desc(dom=d, flags=0),
                )
                for d in domains
            },
            "networks": {
                n.name: (
                    client.network_is_active(net=n),
                    client.network_get_xml_desc(net=n, flags=0),
                )
                for n in networks
            },
            "pools": {
                p.name: (
                    client.storage_pool_get_info(pool=p).state,
                    sorted(
                        v.name
                        for v in client.storage_pool_list_all_volumes(
                            pool=p, need_results=1, flags=0
                        ).vols
                    ),
                )
                for p in pools
            },
        }


def run_example(
    example: Example, socket_path: Path, workdir: Path
) -> subprocess.CompletedProcess[str]:
    code = example.code.replace(README_SOCKET, str(socket_path))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    if example.language == "python":
        argv = [sys.executable, "-c", code]
    else:
        # -e: a failing command fails the example; no pipefail, because
        # `| head` ending a writer early is how the README means it.
        argv = ["bash", "-e", "-c", code]
    return subprocess.run(
        argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def printed_comments(code: str) -> list[str]:
    """The ``# ...`` comments of the ``print(...)`` lines, in order."""
    return [
        line.partition("  # ")[2].strip()
        for line in code.splitlines()
        if line.lstrip().startswith("print(") and "  # " in line
    ]


@pytest.mark.parametrize("example", RUN, ids=[e.label for e in RUN])
def test_example_runs_twice_and_leaves_the_server_as_it_was(
    example: Example, served: tuple[str, Path], tmp_path: Path
) -> None:
    if example.mark == "needs virsh":
        require_peer(find_virsh() is not None, "virsh")
    uri, socket_path = served
    before = server_state(uri)
    for attempt in (1, 2):
        result = run_example(example, socket_path, tmp_path)
        assert result.returncode == 0, (
            f"{example.label}, run {attempt}:\n{result.stdout}\n{result.stderr}"
        )
        assert "Traceback" not in result.stderr
        if example.language == "python":
            # `print(...)  # what it prints`: the README shows real output.
            assert result.stdout.splitlines() == printed_comments(example.code), example.label
        assert server_state(uri) == before, f"{example.label}, run {attempt} changed the server"
