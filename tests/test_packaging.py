"""``python -m build`` makes an sdist and a wheel that install and work, and
the package's public surface is clean.

The build runs offline (``--no-isolation``: the setuptools and build of the
test extra, no index) on a copy of the checkout (without caches, venvs and
VCS data), so the build never writes into the checkout.  ``python -m build``
builds the wheel *from* the sdist, so a wheel that installs and runs also
proves the sdist complete; the sdist is checked to hold nothing else.
The wheel goes into a fresh venv without pip and without the checkout on
``sys.path``.
"""

from __future__ import annotations

import email
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import virtrpc

ROOT = Path(__file__).resolve().parents[1]
# Not copied: what no build should see (and what would make the copy slow).
NOT_COPIED = (".git", ".venv*", ".cache", ".*_cache", ".hypothesis", "__pycache__", "*.egg-info",
              "build", "dist", "results")  # fmt: skip
# Any attempt to reach an index or the network fails fast instead of hanging.
OFFLINE = {
    "PIP_NO_INDEX": "1",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
}


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    venv_python: Path
    venv_bin: Path


def _clean_env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))
    }
    env.update(OFFLINE)
    return env


def _run(
    argv: list[str | Path], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=_clean_env(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{argv}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    for module in ("build", "setuptools"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(f"{module} is missing: pip install -e '.[test]'", pytrace=False)
    base = tmp_path_factory.mktemp("packaging")
    tree = base / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    dist = base / "dist"
    _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, tree],
        cwd=base,
        timeout=120,
    )
    (wheel,) = dist.glob("virtrpc-*.whl")
    (sdist,) = dist.glob("virtrpc-*.tar.gz")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    venv_python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", venv_python, "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", "--no-compile", wheel], cwd=base)  # fmt: skip
    return Built(wheel, sdist, venv_python, venv / "bin")


def test_wheel_metadata_spdx_licence_urls_and_pythons(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = wheel.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(wheel.read(metadata_name))
    assert metadata["License-Expression"] == "LGPL-2.1-or-later"
    classifiers = metadata.get_all("Classifier") or []
    assert not [c for c in classifiers if c.startswith("License ::")]  # deprecated with SPDX
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert metadata["Requires-Python"] == ">=3.11"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert set(urls) == {"Homepage", "Source", "Issues", "Documentation"}
    assert all(url.startswith("https://github.com/") for url in urls.values())
    # No runtime dependency: only the test extra's.
    assert all("extra ==" in requirement for requirement in metadata.get_all("Requires-Dist") or [])
    assert any(n.endswith(".dist-info/licenses/COPYING") for n in names)
    assert "virtrpc/py.typed" in names
    for module in ("remote", "remote_calls", "qemu", "lxc", "admin", "keepalive", "virnet"):
        assert f"virtrpc/protocols/{module}.py" in names


def test_sdist_holds_what_pip_install_needs_and_nothing_else(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in ("pyproject.toml", "README.md", "COPYING", "PKG-INFO", "src/virtrpc/__init__.py",
                   "src/virtrpc/py.typed", "src/virtrpc/protocols/remote.py"):  # fmt: skip
        assert needed in names, needed
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level <= {"pyproject.toml", "README.md", "COPYING", "PKG-INFO", "MANIFEST.in",
                         "setup.cfg", "src"}, top_level  # fmt: skip
    assert not [
        n for n in names if "shared" in n.split("/") or "__pycache__" in n or n.endswith(".pyc")
    ]


def test_installed_wheel_runs(built: Built, tmp_path: Path) -> None:
    version = _run([built.venv_bin / "virtrpc", "--version"], cwd=tmp_path)
    assert version.stdout.strip() == f"virtrpc {virtrpc.__version__}"
    procedures = _run([built.venv_bin / "virtrpc", "procedures", "remote"], cwd=tmp_path)
    assert procedures.stdout.splitlines()[0] == "1 connect_open priority=high"
    probe = _run([built.venv_python, "-c", (
        "import os, virtrpc, virtrpc.sync, virtrpc.protocols.remote as remote\n"
        "print(os.path.dirname(virtrpc.__file__))\n"
        "print(len(remote.PROGRAM.procedures))\n"
        "print(' '.join(dir(virtrpc)))\n"
    )], cwd=tmp_path)  # fmt: skip
    location, count, names = probe.stdout.splitlines()
    installed = Path(location)
    assert installed.is_relative_to(built.venv_python.parent.parent)  # not the checkout
    assert (installed / "py.typed").is_file()
    assert int(count) > 400
    assert names.split() == sorted(virtrpc.__all__)


def test_dir_of_the_package_is_its_public_api() -> None:
    names = dir(virtrpc)
    assert names == sorted(virtrpc.__all__)
    for leftover in ("Any", "TYPE_CHECKING", "annotations", "importlib", "_LAZY"):
        assert leftover not in names
    for name in virtrpc.__all__:
        assert getattr(virtrpc, name) is not None  # each named thing exists (lazy ones load)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        virtrpc.nope  # noqa: B018
