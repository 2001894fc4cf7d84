"""virDomain.migrate* of virtrpc.libvirt against libvirt-python (C): the same
script, each on a fresh pair of test servers, prints the same results and
errors, and leaves the servers in the same states."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.support.migration_hosts import create_domain, two_hosts

SCRIPT = r"""
import json, sys
if sys.argv[1] == "libvirt":
    import libvirt
else:
    import virtrpc.libvirt as libvirt
src_uri, dst_uri = sys.argv[2:4]
src, dst = libvirt.open(src_uri), libvirt.open(dst_uri)
out = []

def attempt(label, call):
    try:
        value = call()
        out.append([label, "ok", value.name() if hasattr(value, "name") else value])
    except libvirt.libvirtError as e:
        out.append([label, "error", e.get_error_code(), e.get_error_domain(),
                    e.get_error_message()])
    except Exception as e:
        out.append([label, "exception", type(e).__name__])

L, P2P, TUN = libvirt.VIR_MIGRATE_LIVE, libvirt.VIR_MIGRATE_PEER2PEER, libvirt.VIR_MIGRATE_TUNNELLED
attempt("migrate", lambda: src.lookupByName("m1").migrate(dst, L, None, None, 0))
attempt("migrate dname", lambda: src.lookupByName("m2").migrate(dst, L, "m2-renamed", None, 0))
attempt("migrate2", lambda: src.lookupByName("m3").migrate2(dst, None, L, None, None, 0))
attempt("migrate3", lambda: src.lookupByName("m4").migrate3(
    dst, {libvirt.VIR_MIGRATE_PARAM_DEST_NAME: "m4-new"}, L))
attempt("migrate p2p", lambda: src.lookupByName("m5").migrate(dst, L | P2P, None, None, 0))
attempt("toURI", lambda: src.lookupByName("m6").migrateToURI(dst_uri, L | P2P, None, 0))
attempt("toURI2", lambda: src.lookupByName("m7").migrateToURI2(dst_uri, None, None,
                                                               L | P2P | TUN, None, 0))
attempt("toURI3", lambda: src.lookupByName("m8").migrateToURI3(dst_uri, {}, L | P2P))
dom = src.lookupByName("test")
attempt("refused prepare", lambda: dom.migrate(dst, L, None, None, 0))
attempt("migrate3 p2p", lambda: dom.migrate3(dst, {}, L | P2P))
attempt("toURI direct", lambda: dom.migrateToURI(dst_uri, L, None, 0))
attempt("toURI3 no uri", lambda: dom.migrateToURI3(None, {}, L | P2P))
attempt("tunnelled managed", lambda: dom.migrate(dst, L | TUN, None, None, 0))
attempt("unknown flag", lambda: dom.migrate3(dst, {}, 1 << 22))
attempt("set speed", lambda: dom.migrateSetMaxSpeed(7, 0))
attempt("get speed", lambda: dom.migrateGetMaxSpeed(0))
attempt("set downtime", lambda: dom.migrateSetMaxDowntime(40, 0))
attempt("get downtime", lambda: dom.migrateGetMaxDowntime(0))
attempt("job info", lambda: dom.jobInfo())
attempt("job stats", lambda: dom.jobStats(0))
attempt("abort no job", lambda: dom.abortJob())
out.append(["source", sorted((d.name(), d.state()[0]) for d in src.listAllDomains())])
out.append(["destination", sorted((d.name(), d.state()[0]) for d in dst.listAllDomains())])
print(json.dumps(out))
"""


async def _run_script(interpreter: str, module: str, tmp_path: Path) -> list[object]:
    tmp_path.mkdir()
    async with two_hosts(tmp_path) as (source, destination):
        for index in range(1, 9):
            create_domain(source, f"m{index}")
        process = await asyncio.create_subprocess_exec(
            interpreter, "-c", SCRIPT, module, source.uri, destination.uri,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 0, err.decode()
        result: list[object] = json.loads(out)
        return result


async def test_migrate_methods_equal_libvirt_python(tmp_path: Path,
                                                    libvirt_python: str) -> None:
    theirs = await _run_script(libvirt_python, "libvirt", tmp_path / "c")
    ours = await _run_script(sys.executable, "virtrpc", tmp_path / "v")
    for their_line, our_line in zip(theirs, ours, strict=True):
        assert our_line == their_line
    # what the script proves: migrations happened and the errors are libvirt's
    results = {line[0]: line[1:] for line in theirs if isinstance(line, list)}
    assert results["migrate3"] == ["ok", "m4-new"]
    assert results["toURI direct"][:2] == ["error", 74]
    assert results["unknown flag"][:2] == ["error", 8]


@pytest.mark.parametrize("flags", [1, 3, 7])
async def test_aio_twin_migrates(tmp_path: Path, flags: int) -> None:
    from virtrpc.libvirt import aio

    async with two_hosts(tmp_path) as (source, destination):
        create_domain(source, "twin")
        src = await aio.open(source.uri)
        dst = await aio.open(destination.uri)
        try:
            dom = await src.lookupByName("twin")
            new = await dom.migrate(dst, flags, None, None, 0)
            assert await new.name() == "twin"
            with pytest.raises(aio.libvirtError) as caught:
                await (await src.lookupByName("test")).migrate3(dst, {}, 1)
            assert caught.value.get_error_code() == 55  # "test" runs there already
        finally:
            await src.close()
            await dst.close()
        assert "twin" in destination.driver.hv.domains
        assert "twin" not in source.driver.hv.domains
