"""Foreign inputs for tests: libvirt's ``.x``/``*-structs`` files, libvirt-python's
sdist, libvirt-dev's API XML, through ``tools/inputs.py`` (fetched, sha256-checked,
cached under ``.cache/inputs/``).

A test asks for the folder it needs::

    from tests.support.inputs import require_input, require_protocol_dir

    folder = require_protocol_dir("libvirt-11.3.0")   # flat .x and *-structs files
    sdist = require_input("libvirt-python-9.0.0")     # unpacked sdist

When an input cannot be fetched (no network, not root for apt's deb-src entry)
the test is skipped with the one-line reason, or fails under ``CI=true``,
like :func:`peers.require_peer`.  Collection never fetches: parametrize over
the file names in :data:`LIBVIRT_X_FILES` / :data:`LIBVIRT_STRUCTS_FILES`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .peers import in_ci

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "inputs.py"
_MODULE_NAME = "virtrpc_tools_inputs"


def _load_tool() -> ModuleType:
    """tools/inputs.py as a module (tools/ is not a package; the name avoids
    a clash with this file, which tests import as ``inputs``)."""
    if _MODULE_NAME in sys.modules:
        return sys.modules[_MODULE_NAME]
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, _TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tool = _load_tool()

#: The release whose ``.x`` files the committed protocol modules come from.
GENERATED_FROM = "libvirt-11.3.0"
LIBVIRT_RELEASES = ("libvirt-11.3.0", "libvirt-9.0.0")
LIBVIRT_X_FILES: tuple[str, ...] = tool.LIBVIRT_X_FILES
LIBVIRT_STRUCTS_FILES: tuple[str, ...] = tool.LIBVIRT_STRUCTS_FILES

#: One attempt per input and process: a failed fetch is not retried by every
#: parametrized case (each would rerun apt or pip only to fail the same way).
#: (name, unpacked) -> the folder, or why it could not be had; a test of this
#: module replaces it (monkeypatch) to start from no attempts.
outcomes: dict[tuple[str, bool], Path | str] = {}


def _progress(message: str) -> None:
    # To stderr, which pytest shows for failing tests only.
    print(message, file=sys.stderr)


def _require(name: str, protocol: bool) -> Path:
    key = (name, protocol)
    if key not in outcomes:
        getter = tool.protocol_dir if protocol else tool.fetch
        try:
            outcomes[key] = Path(getter(name, log=_progress))
        except tool.InputError as error:
            outcomes[key] = str(error)
    outcome = outcomes[key]
    if isinstance(outcome, Path):
        return outcome
    if in_ci():
        pytest.fail(f"{outcome} (CI=true: missing inputs are failures)", pytrace=False)
    pytest.skip(outcome)


def require_input(name: str) -> Path:
    """The folder of input ``name`` (see ``python tools/inputs.py list``)."""
    return _require(name, protocol=False)


def require_protocol_dir(release: str) -> Path:
    """The flat folder of a libvirt release's ``.x`` and ``*-structs`` files,
    named after the release (``.../libvirt-11.3.0``)."""
    return _require(release, protocol=True)
