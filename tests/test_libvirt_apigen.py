"""The generator of virtrpc.libvirt (python -m virtrpc.apigen): reproducible,
and naming, signatures and constants equal to the real libvirt-python's."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

import virtrpc.libvirt as vlibvirt
from tests.support.libvirt_compat import api_dir, real_libvirt_api
from virtrpc.apigen.__main__ import generate
from virtrpc.apigen.emit import Method, plan_methods
from virtrpc.apigen.model import load_api
from virtrpc.apigen.naming import python_name
from virtrpc.apigen.shapes import SHAPES
from virtrpc.protocols import remote


@pytest.fixture(scope="module")
def methods() -> list[Method]:
    return plan_methods(load_api(api_dir() / "libvirt-api.xml"), remote.PROGRAM)


def test_regeneration_gives_the_committed_files() -> None:
    for path, text in generate(api_dir()).items():
        assert path.read_text() == text, f"{path} is stale: run python -m virtrpc.apigen"


def test_generation_is_deterministic() -> None:
    assert generate(api_dir()) == generate(api_dir())


def test_every_constant_has_libvirt_pythons_value() -> None:
    real: dict[str, Any] = real_libvirt_api()["constants"]  # type: ignore[assignment]
    ours = {n: getattr(vlibvirt, n) for n in dir(vlibvirt) if n.startswith("VIR_")}
    assert len(real) == 1194
    assert ours == real


def test_every_class_and_method_of_libvirt_python_exists() -> None:
    real: dict[str, dict[str, Any]] = real_libvirt_api()["classes"]  # type: ignore[assignment]
    for cls, real_methods in real.items():
        ours = getattr(vlibvirt, cls)
        assert isinstance(ours, type)
        missing = [m for m in real_methods if not callable(getattr(ours, m, None))]
        assert not missing, f"{cls} lacks {missing}"
        if cls != "libvirtError":
            extra = {m for m in dir(ours) if not m.startswith("_") and callable(getattr(ours, m))}
            assert extra - set(real_methods) == set(), f"{cls} has methods libvirt-python lacks"
    public = sum(len(v) for k, v in real.items() if k.startswith("vir"))
    assert public == 461


def test_every_module_function_exists() -> None:
    real: dict[str, Any] = real_libvirt_api()["functions"]  # type: ignore[assignment]
    assert sorted(n for n in real if not callable(getattr(vlibvirt, n, None))) == []


def test_signatures_match_libvirt_python(methods: list[Method]) -> None:
    """Parameter names and defaults of every generated or shaped method, so
    keyword calls written for libvirt-python work."""
    real: dict[str, dict[str, Any]] = real_libvirt_api()["classes"]  # type: ignore[assignment]
    wrong = {}
    for method in methods:
        if method.kind == "missing":
            continue
        signature = inspect.signature(getattr(getattr(vlibvirt, method.cls), method.name))
        ours = [[name, None if p.default is p.empty else repr(p.default)]
                for name, p in signature.parameters.items()]
        theirs = real[method.cls][method.name]
        if theirs is not None and ours != theirs:
            wrong[f"{method.cls}.{method.name}"] = (ours, theirs)
    assert wrong == {}


def test_counts(methods: list[Method]) -> None:
    kinds = {k: sum(1 for m in methods if m.kind == k) for k in ("plain", "shape", "missing")}
    assert kinds["plain"] + kinds["shape"] >= 377
    assert kinds["shape"] == len(SHAPES)
    # a ratchet: methods still raising VIR_ERR_NO_SUPPORT (migration)
    assert kinds["missing"] <= 6  # the six migrate* calls


@pytest.mark.parametrize(("cname", "args", "expected"), [
    ("virDomainGetInfo", ("virDomainPtr",), ("virDomain", "info")),
    ("virNodeGetInfo", ("virConnectPtr",), ("virConnect", "getInfo")),
    ("virDomainSnapshotNum", ("virDomainPtr", "unsigned int"), ("virDomain", "snapshotNum")),
    ("virNetworkLookupByName", ("virConnectPtr", "const char *"),
     ("virConnect", "networkLookupByName")),
    ("virDomainLookupByName", ("virConnectPtr", "const char *"), ("virConnect", "lookupByName")),
    ("virDomainGetUUIDString", ("virDomainPtr", "char *"), ("virDomain", "UUIDString")),
    ("virDomainFSFreeze", ("virDomainPtr",), ("virDomain", "fsFreeze")),
    ("virDomainFSTrim", ("virDomainPtr",), ("virDomain", "fSTrim")),
    ("virStoragePoolLookupByVolume", ("virStorageVolPtr",),
     ("virStorageVol", "storagePoolLookupByVolume")),
    ("virConnectListDomains", ("virConnectPtr",), ("virConnect", "listDomainsID")),
    ("virDomainFree", ("virDomainPtr",), None),
    ("virTypedParamsAddInt", (), None),
])
def test_naming_rules(cname: str, args: tuple[str, ...], expected: tuple[str, str] | None) -> None:
    assert python_name(cname, args) == expected


def test_a_shape_with_a_wrong_argument_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from virtrpc.apigen import emit
    from virtrpc.apigen.shapes import Shape

    bad = Shape("virDomainGetInfo", "", "domain_get_info", "domain=self._o", "r", "int")
    monkeypatch.setattr(emit, "SHAPES", (bad,))
    with pytest.raises(ValueError, match="arguments"):
        plan_methods(load_api(api_dir() / "libvirt-api.xml"), remote.PROGRAM)


def test_generated_files_are_committed_under_the_package() -> None:
    package = Path(vlibvirt.__file__).parent
    for name in ("constants.py", "qemu_constants.py", "_classes.py", "libvirtmod.py"):
        assert (package / name).read_text().startswith("# GENERATED FILE - DO NOT EDIT.")


def test_check_mode_reports_stale_files_and_writes_nothing(tmp_path: Path) -> None:
    """``python -m virtrpc.apigen --check`` against a changed libvirt-api.xml
    exits 1 naming the stale files, and leaves the committed files alone."""
    import shutil
    import subprocess
    import sys

    changed = tmp_path / "api"
    shutil.copytree(api_dir(), changed)
    xml = changed / "libvirt-api.xml"
    xml.write_text(xml.read_text().replace(
        "name='VIR_DOMAIN_RUNNING' file='libvirt-domain' value='1'",
        "name='VIR_DOMAIN_RUNNING' file='libvirt-domain' value='77'"))
    package = Path(vlibvirt.__file__).parent
    before = (package / "constants.py").read_text()
    ok = subprocess.run([sys.executable, "-m", "virtrpc.apigen", "--check", "--api-dir",
                         str(api_dir())], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    stale = subprocess.run([sys.executable, "-m", "virtrpc.apigen", "--check", "--api-dir",
                            str(changed)], capture_output=True, text=True, timeout=120)
    assert stale.returncode == 1
    assert "constants.py" in stale.stderr
    assert (package / "constants.py").read_text() == before
