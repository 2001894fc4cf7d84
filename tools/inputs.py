#!/usr/bin/env python3
"""Foreign inputs: libvirt's files that the tests and tools/regen read, fetched
from the real distributions, checked against sha256 pins kept here, and cached
under ``<repo>/.cache/inputs/`` (git-ignored) so that a second run is offline.

Nothing from libvirt or libvirt-python is committed to this repository; this
module is the one place that knows where those files come from:

* ``libvirt-9.0.0``, ``libvirt-11.3.0``: libvirt's release tarballs as Debian's
  source archive serves them (``apt-get source --download-only``; bookworm has
  9.0.0, trixie 11.3.0).  Unpacked: the ``.x`` and ``*-structs`` files under
  ``src/`` and ``examples/xml/test/*.xml``, plus a flat folder of the ``.x`` and
  ``*-structs`` files (:func:`protocol_dir`), which is what ``virtrpc gen DIR``
  and the structs oracle read.
* ``libvirt-python-9.0.0``: libvirt-python's sdist from PyPI (``pip download``),
  unpacked whole (``tests/``, ``examples/``, ...).
* ``libvirt-python-12.4.0``: the same for 12.4.0, whose ``tests/test_api_coverage.py``
  is the API coverage test that passes against the real libvirt-python 9.0.
* ``libvirt-api-9.0.0``: the API XML files Debian's ``libvirt-dev`` installs in
  ``/usr/share/libvirt/api/`` (copied from there when that exact version is
  installed, otherwise taken from the ``.deb`` that ``apt-get download`` gets).

Usage::

    python tools/inputs.py fetch [NAME...]        # all inputs when none is named
    python tools/inputs.py path [--protocol] NAME # prints the folder (fetches if needed)
    python tools/inputs.py list
    python tools/inputs.py verify [NAME...]       # re-hash what is cached

``VIRTRPC_INPUTS_CACHE`` overrides the cache folder.  How to refresh a pin:
docs/inputs.md.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = REPO_ROOT / ".cache" / "inputs"
CACHE_ENV = "VIRTRPC_INPUTS_CACHE"

#: The command that fetches an input, as error messages print it.
FETCH_COMMAND = "python tools/inputs.py fetch"

#: The ``.x`` files of a libvirt release (9.0.0 and 11.3.0 have the same set).
LIBVIRT_X_FILES = (
    "admin_protocol.x",
    "lock_protocol.x",
    "log_protocol.x",
    "lxc_monitor_protocol.x",
    "lxc_protocol.x",
    "qemu_protocol.x",
    "remote_protocol.x",
    "virkeepaliveprotocol.x",
    "virnetprotocol.x",
)
#: libvirt's dumps of the C structs its rpcgen made (log_protocol has none).
LIBVIRT_STRUCTS_FILES = tuple(
    name.removesuffix(".x") + "-structs" for name in LIBVIRT_X_FILES if name != "log_protocol.x"
)

DEBIAN_SOURCE = "debian-source"  # apt-get source --download-only PACKAGE
PYPI_SDIST = "pypi-sdist"  # pip download --no-binary :all: PACKAGE
DEBIAN_FILES = "debian-files"  # files a Debian binary package installs

STAMP = ".inputs-stamp.json"
#: Where ``fetch`` writes the deb-src entry when apt has none for a pinned package.
DEB_SRC_FILE = Path("/etc/apt/sources.list.d/virtrpc-inputs-src.sources")
DEB_SRC_SUITES = "bookworm trixie"


class InputError(Exception):
    """An input is missing, cannot be fetched or fails its sha256 check.

    The message is one line and says what to run to get the input."""


@dataclass(frozen=True)
class Input:
    """One pinned foreign input."""

    name: str
    kind: str  # DEBIAN_SOURCE, PYPI_SDIST or DEBIAN_FILES
    package: str  # as apt/pip take it: "libvirt=9.0.0-4+deb12u2", "libvirt-python==9.0.0"
    files: Mapping[str, str]  # what the download gives: file name -> sha256
    #: archive members to unpack (fnmatch patterns below the archive's top
    #: folder, ``*`` crosses ``/``); empty: the whole archive.
    keep: tuple[str, ...] = ()
    #: patterns of unpacked files also copied flat into ``protocol/NAME/``
    flat: tuple[str, ...] = ()
    #: DEBIAN_FILES: where the package installs ``files``
    installed_dir: str = ""

    @property
    def fetch_hint(self) -> str:
        if self.kind == DEBIAN_SOURCE:
            return f"run as root with network access: {FETCH_COMMAND} {self.name}"
        return f"run with network access: {FETCH_COMMAND} {self.name}"


def _libvirt_release(version: str, debian_version: str, sha256: str) -> Input:
    return Input(
        name=f"libvirt-{version}",
        kind=DEBIAN_SOURCE,
        package=f"libvirt={debian_version}",
        files={f"libvirt_{version}.orig.tar.xz": sha256},
        keep=("src/*.x", "src/*-structs", "examples/xml/test/*.xml"),
        flat=("src/*.x", "src/*-structs"),
    )


INPUTS: dict[str, Input] = {
    spec.name: spec
    for spec in (
        _libvirt_release(
            "9.0.0",
            "9.0.0-4+deb12u2",  # bookworm
            "deca5cff1b7baac297bca9663907c61f71a47183371dc7ac019c107806d5435a",
        ),
        _libvirt_release(
            "11.3.0",
            "11.3.0-3+deb13u3",  # trixie
            "6bcb0c42c4580436fea262ced56f68a6afe20f7390b1bea2116718cc034a0283",
        ),
        Input(
            name="libvirt-python-9.0.0",
            kind=PYPI_SDIST,
            package="libvirt-python==9.0.0",
            files={
                "libvirt-python-9.0.0.tar.gz": (
                    "49702d33fa8cbcae19fa727467a69f7ae2241b3091324085ca1cc752b2b414ce"
                )
            },
        ),
        # libvirt-python's API coverage test as it is today (commit 2ef29704f3da,
        # the copy that passes against the real libvirt-python 9.0; 9.0.0's own
        # copy does not) ships unchanged in this release's sdist.
        Input(
            name="libvirt-python-12.4.0",
            kind=PYPI_SDIST,
            package="libvirt-python==12.4.0",
            files={
                "libvirt_python-12.4.0.tar.gz": (
                    "e24ade7e9b774b56ce3ea6c69ea06b99103391b09c8d9f77a308584b79c9a00d"
                )
            },
        ),
        Input(
            name="libvirt-api-9.0.0",
            kind=DEBIAN_FILES,
            package="libvirt-dev=9.0.0-4+deb12u2",
            installed_dir="/usr/share/libvirt/api",
            files={
                "libvirt-api.xml": (
                    "86c06dfb68f15c2c84e562d3afc3b08f84a19a65accc2f57dc41d7b58b911521"
                ),
                "libvirt-admin-api.xml": (
                    "bf8fdaad95222b9caef523f06bc0b627e1e64d7f2bcf2eeed36534b2d9343969"
                ),
                "libvirt-lxc-api.xml": (
                    "ad864380ce2df7b21e0ab4d52ca0bf873aaf26ebb5f297af43bd73e39af7fdc0"
                ),
                "libvirt-qemu-api.xml": (
                    "efb67112f81405841f0a4bca0e057f407383a0ed6b3725ad4b1dd61c9eaddb6a"
                ),
            },
        ),
    )
}

#: Puts every file named in ``spec.files`` into ``folder`` (an empty temporary
#: folder) or raises InputError.  Injected by tests; :func:`download` by default.
Downloader = Callable[[Input, Path], None]
Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cache_root() -> Path:
    """The cache folder: ``$VIRTRPC_INPUTS_CACHE`` or ``<repo>/.cache/inputs``."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).resolve() if override else DEFAULT_CACHE


def lookup(name: str) -> Input:
    try:
        return INPUTS[name]
    except KeyError:
        raise InputError(f"unknown input {name!r} (known: {', '.join(INPUTS)})") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- the cache ---------------------------------------------------------------


def fetch(
    name: str,
    *,
    cache: Path | None = None,
    downloader: Downloader | None = None,
    log: Log = _stderr,
) -> Path:
    """The folder of input ``name``, downloaded, checked and unpacked if needed."""
    return ensure(lookup(name), cache=cache, downloader=downloader, log=log)


def protocol_dir(
    name: str,
    *,
    cache: Path | None = None,
    downloader: Downloader | None = None,
    log: Log = _stderr,
) -> Path:
    """A libvirt release's ``.x`` and ``*-structs`` files in one flat folder
    named after the release (``virtrpc gen`` labels its output with it)."""
    spec = lookup(name)
    if not spec.flat:
        raise InputError(f"{name} has no protocol folder (only libvirt releases do)")
    return ensure(spec, cache=cache, downloader=downloader, log=log) / "protocol" / name


def ensure(
    spec: Input,
    *,
    cache: Path | None = None,
    downloader: Downloader | None = None,
    log: Log = _stderr,
) -> Path:
    """Like :func:`fetch` for an :class:`Input` that need not be in the table."""
    root = cache if cache is not None else cache_root()
    target = root / spec.name
    if _stamp_matches(target, spec):  # the quick, offline path
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root / ".lock"):
            if _stamp_matches(target, spec):  # another process did it meanwhile
                return target
            downloads = root / "downloads" / spec.name
            _drop_bad_downloads(spec, downloads)
            missing = [f for f in spec.files if not (downloads / f).is_file()]
            if missing:
                _download_into(spec, downloads, downloader or download, log)
            _unpack(spec, downloads, target, log)
    except OSError as error:  # e.g. a cache folder this user may not write
        raise InputError(f"{spec.name}: cannot fill the cache {root}: {error}") from None
    return target


def _stamp_matches(target: Path, spec: Input) -> bool:
    try:
        stamp = json.loads((target / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("pins") == _pins(spec)


def _pins(spec: Input) -> dict[str, object]:
    """What the unpacked folder depends on: a change re-unpacks it."""
    return {"files": dict(spec.files), "keep": list(spec.keep), "flat": list(spec.flat)}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise fetches of one cache across processes (pytest workers, worktrees)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_hash(spec: Input, path: Path, expected: str, how: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        path.unlink()
        if how == "cached":  # damaged since: downloading again cures it
            remedy = spec.fetch_hint
        else:  # the source serves other bytes than the pin names
            remedy = "the source or the pin in tools/inputs.py changed: see docs/inputs.md"
        raise InputError(
            f"{spec.name}: {how} {path} has sha256 {actual}, pinned {expected}; "
            f"deleted it ({remedy})"
        )


def _drop_bad_downloads(spec: Input, downloads: Path) -> None:
    for file_name, expected in spec.files.items():
        path = downloads / file_name
        if path.is_file():
            _check_hash(spec, path, expected, "cached")


def _download_into(spec: Input, downloads: Path, downloader: Downloader, log: Log) -> None:
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads.parent, prefix=".download-") as tmp:
        # apt warns that it downloads "unsandboxed as root" into a folder its
        # _apt user cannot write: harmless, and the file is checked anyway.
        folder = Path(tmp)
        log(f"{spec.name}: downloading {', '.join(spec.files)}")
        downloader(spec, folder)
        for file_name, expected in spec.files.items():
            path = folder / file_name
            if not path.is_file():
                raise InputError(
                    f"{spec.name}: the download gave no {file_name} ({spec.fetch_hint})"
                )
            _check_hash(spec, path, expected, "downloaded")
            os.replace(path, downloads / file_name)


# -- unpacking ---------------------------------------------------------------


def _unpack(spec: Input, downloads: Path, target: Path, log: Log) -> None:
    """Unpack into a fresh folder beside ``target``, then swap it in.  Every
    file in ``downloads`` has had its sha256 checked in this call already."""
    log(f"{spec.name}: unpacking into {target}")
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{spec.name}-"))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would hide it from other users
        if spec.kind == DEBIAN_FILES:
            for file_name in spec.files:
                shutil.copyfile(downloads / file_name, staging / file_name)
        else:
            (archive,) = spec.files
            _extract(spec, downloads / archive, staging)
        if spec.flat:
            _lay_out_flat(spec, staging)
        tree = {
            str(p.relative_to(staging)): sha256_of(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        stamp = {"name": spec.name, "pins": _pins(spec), "tree": tree}
        (staging / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _extract(spec: Input, archive: Path, into: Path) -> None:
    """Write the regular files of ``archive`` that ``spec.keep`` selects, without
    the archive's top folder.  Links and special files are skipped; a member
    path leaving the folder is an error."""
    top: str | None = None
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if not parts or member.name.startswith("/") or ".." in parts:
                    raise InputError(f"{spec.name}: {archive} has an unsafe member {member.name!r}")
                top = top or parts[0]
                if parts[0] != top:
                    raise InputError(f"{spec.name}: {archive} has members outside {top}/")
                relative = "/".join(parts[1:])
                if not member.isfile() or not relative:
                    continue
                if spec.keep and not any(fnmatch.fnmatchcase(relative, p) for p in spec.keep):
                    continue
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                destination = into / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                with source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
                destination.chmod(0o755 if member.mode & 0o111 else 0o644)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise InputError(f"{spec.name}: cannot unpack {archive}: {error}") from None


def _lay_out_flat(spec: Input, staging: Path) -> None:
    flat = staging / "protocol" / spec.name
    flat.mkdir(parents=True)
    for path in sorted(staging.rglob("*")):
        relative = str(path.relative_to(staging))
        if path.is_file() and any(fnmatch.fnmatchcase(relative, p) for p in spec.flat):
            if (flat / path.name).exists():
                raise InputError(f"{spec.name}: two files are called {path.name} ({relative})")
            shutil.copyfile(path, flat / path.name)
    expected = set(LIBVIRT_X_FILES) | set(LIBVIRT_STRUCTS_FILES)
    found = {p.name for p in flat.iterdir()}
    if found != expected:
        raise InputError(
            f"{spec.name}: protocol files differ from the expected set: "
            f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
        )


def verify(name: str, *, cache: Path | None = None) -> list[str]:
    """Re-hash a cached input (downloads against the pins, unpacked files against
    the stamp written when they were unpacked).  Returns the problems found."""
    return verify_spec(lookup(name), cache=cache)


def verify_spec(spec: Input, *, cache: Path | None = None) -> list[str]:
    """Like :func:`verify` for an :class:`Input` that need not be in the table."""
    name = spec.name
    root = cache if cache is not None else cache_root()
    problems: list[str] = []
    for file_name, expected in spec.files.items():
        path = root / "downloads" / name / file_name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif sha256_of(path) != expected:
            problems.append(f"{path}: sha256 differs from the pin")
    target = root / name
    if not _stamp_matches(target, spec):
        return [*problems, f"{target}: not unpacked ({FETCH_COMMAND} {name})"]
    tree: dict[str, str] = json.loads((target / STAMP).read_text())["tree"]
    for relative, expected in tree.items():
        path = target / relative
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif sha256_of(path) != expected:
            problems.append(f"{path}: changed since it was unpacked")
    return problems


# -- downloading from the distributions --------------------------------------


def download(spec: Input, folder: Path) -> None:
    """The real downloader: apt or pip, by the input's kind."""
    if spec.kind == DEBIAN_SOURCE:
        _download_debian_source(spec, folder)
    elif spec.kind == PYPI_SDIST:
        _download_pypi_sdist(spec, folder)
    elif spec.kind == DEBIAN_FILES:
        _get_debian_files(spec, folder)
    else:
        raise InputError(f"{spec.name}: unknown kind {spec.kind!r}")


def _run(command: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive")
    try:
        return subprocess.run(
            list(command), cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise InputError(f"cannot run {command[0]}: {error}") from None


def _last_error(result: subprocess.CompletedProcess[str], about: str = "") -> str:
    """The most telling line of a failed command's output: its last error line,
    or the first error line that names ``about`` (apt reports every file it
    could not fetch, then a summary)."""
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("E:", "ERROR:", "error:"))]
    naming = [line for line in errors if about and f"/{about} " in line]
    return (naming[:1] or errors or lines or [f"exit status {result.returncode}"])[-1]


def _require_tool(spec: Input, tool: str) -> None:
    if shutil.which(tool) is None:
        raise InputError(
            f"{spec.name}: needs {tool} (Debian) to fetch {spec.package}; or put "
            f"{', '.join(spec.files)} into {cache_root() / 'downloads' / spec.name}/ "
            f"and run {FETCH_COMMAND} {spec.name}"
        )


def apt_knows_source(package: str) -> bool:
    """True if apt's lists have source package ``name=version``."""
    name, _, version = package.partition("=")
    result = _run(["apt-cache", "showsrc", "--only-source", name])
    return f"Version: {version}" in result.stdout.splitlines()


def is_root() -> bool:
    return os.geteuid() == 0


def _download_debian_source(spec: Input, folder: Path) -> None:
    _require_tool(spec, "apt-get")
    if not apt_knows_source(spec.package):
        if not is_root():
            raise InputError(
                f"{spec.name}: apt knows no source package {spec.package} (needs a deb-src "
                f"entry for {DEB_SRC_SUITES} and apt-get update); {spec.fetch_hint}"
            )
        sources = add_deb_src_entry()
        update = _run(
            [
                "apt-get",
                "update",
                "-q",
                f"-oDir::Etc::SourceList={sources}",
                "-oDir::Etc::SourceParts=-",
                "-oAPT::Get::List-Cleanup=0",
            ]
        )
        if not apt_knows_source(spec.package):
            raise InputError(
                f"{spec.name}: apt-get update with {sources} did not make {spec.package} "
                f"known: {_last_error(update)}"
            )
    # The archive answers 404 for some side files (a .dsc, .asc signatures) while
    # the tarball arrives, and apt then exits non-zero: judge by the tarball.
    result = _run(["apt-get", "source", "--download-only", "-q", spec.package], cwd=folder)
    (tarball,) = spec.files
    if not (folder / tarball).is_file():
        raise InputError(
            f"{spec.name}: `apt-get source --download-only {spec.package}` gave no {tarball}: "
            f"{_last_error(result, about=tarball)} ({spec.fetch_hint})"
        )


def add_deb_src_entry(sources_dir: Path = Path("/etc/apt/sources.list.d")) -> Path:
    """Write :data:`DEB_SRC_FILE` (deb-src only: it adds no binary packages) with
    the URIs and key of the machine's Debian ``deb`` entry.  Idempotent."""
    path = sources_dir / DEB_SRC_FILE.name
    if path.exists():
        return path
    uri, signed_by = debian_deb_entry(sources_dir)
    path.write_text(
        "# Written by virtrpc's tools/inputs.py: libvirt's source packages (release\n"
        "# tarballs) for the test suite.  Sources only; safe to delete.\n"
        "Types: deb-src\n"
        f"URIs: {uri}\n"
        f"Suites: {DEB_SRC_SUITES}\n"
        "Components: main\n"
        f"Signed-By: {signed_by}\n"
    )
    return path


def debian_deb_entry(sources_dir: Path = Path("/etc/apt/sources.list.d")) -> tuple[str, str]:
    """(URI, Signed-By) of the machine's main Debian archive ``deb`` entry
    (deb822 ``*.sources`` files; deb.debian.org when none is found)."""
    for path in sorted(sources_dir.glob("*.sources")):
        if path == sources_dir / DEB_SRC_FILE.name:
            continue
        for stanza in path.read_text(errors="replace").split("\n\n"):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                key, sep, value = line.partition(":")
                if sep and not line.startswith(("#", " ")):
                    fields[key.strip().lower()] = value.strip()
            suites = fields.get("suites", "").split()
            if "deb" in fields.get("types", "").split() and "bookworm" in suites:
                uri = fields.get("uris", "").split()
                if uri and "security" not in uri[0]:
                    signed = fields.get(
                        "signed-by", "/usr/share/keyrings/debian-archive-keyring.gpg"
                    )
                    return uri[0], signed
    return "http://deb.debian.org/debian", "/usr/share/keyrings/debian-archive-keyring.gpg"


def _download_pypi_sdist(spec: Input, folder: Path) -> None:
    # pip prepares the sdist's metadata even to download it, which runs
    # libvirt-python's setup.py, which exits at once without a pkg-config binary.
    if shutil.which("pkg-config") is None:
        raise InputError(
            f"{spec.name}: pip download {spec.package} needs pkg-config (the sdist's setup.py "
            f"checks for it; Debian: apt-get install pkgconf), then {FETCH_COMMAND} {spec.name}"
        )
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--disable-pip-version-check", "-q", "-d", str(folder), spec.package]
    result = _run(command)
    if not all((folder / f).is_file() for f in spec.files):
        raise InputError(
            f"{spec.name}: `pip download --no-deps --no-binary :all: {spec.package}` failed: "
            f"{_last_error(result)} (it needs network access; then {FETCH_COMMAND} {spec.name})"
        )


def installed_version(package: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    result = _run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package])
    status, _, version = result.stdout.partition("\t")
    return version if result.returncode == 0 and status.endswith(" installed") else None


def _get_debian_files(spec: Input, folder: Path) -> None:
    name, _, version = spec.package.partition("=")
    installed = Path(spec.installed_dir)
    if installed_version(name) == version:
        for file_name in spec.files:
            shutil.copyfile(installed / file_name, folder / file_name)
        return
    _require_tool(spec, "apt-get")
    result = _run(["apt-get", "download", "-q", spec.package], cwd=folder)
    debs = sorted(folder.glob(f"{name}_*.deb"))
    if not debs:
        raise InputError(
            f"{spec.name}: `apt-get download {spec.package}` gave no .deb: "
            f"{_last_error(result)} ({spec.fetch_hint})"
        )
    unpacked = folder / "deb"
    result = _run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)])
    for file_name in spec.files:
        source = unpacked / installed.relative_to("/") / file_name
        if not source.is_file():
            raise InputError(f"{spec.name}: {debs[0].name} has no {installed / file_name}")
        shutil.copyfile(source, folder / file_name)


# -- command line ------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tools/inputs.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser("fetch", help="fetch inputs (all when none is named)")
    fetch_cmd.add_argument("names", nargs="*", metavar="NAME")
    path_cmd = commands.add_parser("path", help="print an input's folder, fetching it if needed")
    path_cmd.add_argument("name", metavar="NAME")
    path_cmd.add_argument(
        "--protocol", action="store_true", help="the flat folder of .x and *-structs files"
    )
    commands.add_parser("list", help="the pinned inputs and whether they are cached")
    verify_cmd = commands.add_parser("verify", help="re-hash cached inputs (all when none named)")
    verify_cmd.add_argument("names", nargs="*", metavar="NAME")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            for name in args.names or INPUTS:
                print(f"{name}: {fetch(name)}")
        elif args.command == "path":
            print(protocol_dir(args.name) if args.protocol else fetch(args.name))
        elif args.command == "list":
            for spec in INPUTS.values():
                state = "cached" if _stamp_matches(cache_root() / spec.name, spec) else "missing"
                files = ", ".join(f"{f} {h[:12]}" for f, h in spec.files.items())
                print(f"{spec.name:22} {state:8} {spec.kind}: {spec.package} ({files})")
        else:
            failed = False
            for name in args.names or INPUTS:
                problems = verify(name)
                failed = failed or bool(problems)
                print(f"{name}: " + ("ok" if not problems else "; ".join(problems)))
            return 1 if failed else 0
    except InputError as error:
        print(f"tools/inputs.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
