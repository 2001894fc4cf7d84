"""Live migration between two `virtrpc serve` hypervisors (issue 16).

The referee is libvirt's own client library: libvirt-python (C) and virsh
drive the v3 phases (managed, peer-to-peer, tunnelled) between two test
servers; virtrpc's client does the same, and its calls, recorded by
`virtrpc proxy`, equal the C library's phase by phase.  Failures in a phase
leave both sides as libvirt leaves them.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import virtrpc.client as vclient
from tests.support.fdcount import FdLeakCheck
from tests.support.migration_hosts import DOMAIN_XML, Host, create_domain, serve_host, two_hosts
from virtrpc.client.errors import LibvirtError
from virtrpc.client.migration import migrate
from virtrpc.errors import ConnectionLost
from virtrpc.protocols import remote
from virtrpc.server.errors import ErrorCode


@pytest.fixture
async def hosts(tmp_path: Path) -> AsyncIterator[tuple[Host, Host]]:
    async with two_hosts(tmp_path) as pair:
        yield pair


MIGRATE_LIVE, MIGRATE_P2P, MIGRATE_TUNNELLED = 1, 2, 4
MIGRATE_PERSIST_DEST, MIGRATE_UNDEFINE_SOURCE, MIGRATE_PAUSED = 8, 16, 32
# Lifecycle (event, detail) pairs.
STARTED_MIGRATED, SUSPENDED_MIGRATED, RESUMED_MIGRATED = (2, 1), (3, 1), (4, 1)
STOPPED_MIGRATED, STOPPED_FAILED = (5, 3), (5, 5)


C_MIGRATE = r"""
import sys, libvirt
src_uri, dst_uri, name, flags, how = sys.argv[1:6]
src = libvirt.open(src_uri)
dom = src.lookupByName(name)
try:
    if how == "migrate":
        new = dom.migrate(libvirt.open(dst_uri), int(flags), None, None, 0)
    elif how == "migrate3":
        new = dom.migrate3(libvirt.open(dst_uri), {}, int(flags))
    else:
        dom.migrateToURI3(dst_uri, {}, int(flags))
        new = libvirt.open(dst_uri).lookupByName(name)
    print("ok", new.name(), new.state()[0])
except libvirt.libvirtError as e:
    print("error", e.get_error_code(), e.get_error_domain(), e.get_error_message())
"""


C_MIGRATE_WATCHED = r"""
import json, sys, threading, libvirt
src_uri, dst_uri, name, flags, how, want_src, want_dst = sys.argv[1:8]
libvirt.virEventRegisterDefaultImpl()
def run_loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=run_loop, daemon=True).start()
src, dst = libvirt.open(src_uri), libvirt.open(dst_uri)
seen = {"src": [], "dst": []}
changed = threading.Condition()
def watcher(side):
    def callback(conn, dom, event, detail, opaque):
        if dom.name() == name:
            with changed:
                seen[side].append([event, detail])
                changed.notify_all()
    return callback
src.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, watcher("src"), None)
dst.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, watcher("dst"), None)
dom = src.lookupByName(name)
if how == "migrate":
    new = dom.migrate(dst, int(flags), None, None, 0)
elif how == "migrate3":
    new = dom.migrate3(dst, {}, int(flags))
else:
    dom.migrateToURI3(dst_uri, {}, int(flags))
    new = dst.lookupByName(name)
with changed:
    changed.wait_for(lambda: len(seen["src"]) >= int(want_src)
                     and len(seen["dst"]) >= int(want_dst), timeout=10)
print(json.dumps({"state": new.state()[0], "src": seen["src"], "dst": seen["dst"]}))
"""


async def c_migrate_watched(source: Host, destination: Host, name: str, flags: int,
                            how: str, want_src: int, want_dst: int) -> dict[str, object]:
    """Migrate with libvirt-python, and the lifecycle events its two connections received."""
    out = await _run("/usr/bin/python3", "-c", C_MIGRATE_WATCHED, source.uri, destination.uri,
                     name, str(flags), how, str(want_src), str(want_dst))
    result: dict[str, object] = json.loads(out)
    return result


async def _run(*argv: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def c_migrate(source_uri: str, dest_uri: str, name: str, flags: int, how: str) -> str:
    return (await _run("/usr/bin/python3", "-c", C_MIGRATE, source_uri, dest_uri, name,
                       str(flags), how)).strip()


@pytest.mark.parametrize(("flags", "how"), [
    (MIGRATE_LIVE, "migrate"),
    (MIGRATE_LIVE, "migrate3"),
    (MIGRATE_LIVE | MIGRATE_P2P, "migrate"),
    (MIGRATE_LIVE | MIGRATE_P2P | MIGRATE_TUNNELLED, "migrate"),
    (MIGRATE_LIVE | MIGRATE_P2P, "toURI3"),
])
async def test_libvirt_python_migrates(hosts: tuple[Host, Host], libvirt_python: str,
                                       flags: int, how: str) -> None:
    source, destination = hosts
    create_domain(source, "guest")
    seen = await c_migrate_watched(source, destination, "guest", flags, how, 2, 2)
    # the events libvirt's client received on each connection
    assert seen == {"state": 1, "src": [list(SUSPENDED_MIGRATED), list(STOPPED_MIGRATED)],
                    "dst": [list(STARTED_MIGRATED), list(RESUMED_MIGRATED)]}
    assert "guest" not in source.driver.hv.domains
    assert destination.state("guest") == 1
    assert source.domain_events("guest") == [SUSPENDED_MIGRATED, STOPPED_MIGRATED]
    assert destination.domain_events("guest") == [STARTED_MIGRATED, RESUMED_MIGRATED]
    assert not source.driver.outgoing and not destination.driver.incoming


async def test_libvirt_python_flags_persist_undefine_paused(
        hosts: tuple[Host, Host], libvirt_python: str) -> None:
    source, destination = hosts
    source.driver.hv.define_domain(DOMAIN_XML.format(name="kept"))
    source.driver.hv.start_domain(source.driver.hv.domains["kept"])
    source.events.clear()
    flags = MIGRATE_LIVE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE | MIGRATE_PAUSED
    seen = await c_migrate_watched(source, destination, "kept", flags, "migrate3", 3, 3)
    assert seen == {"state": 3, "src": [list(SUSPENDED_MIGRATED), list(STOPPED_MIGRATED), [1, 0]],
                    "dst": [list(STARTED_MIGRATED), [0, 0], [3, 0]]}
    assert "kept" not in source.driver.hv.domains
    assert source.domain_events("kept") == [SUSPENDED_MIGRATED, STOPPED_MIGRATED, (1, 0)]
    assert destination.driver.hv.domains["kept"].persistent
    assert destination.domain_events("kept") == [STARTED_MIGRATED, (0, 0), (3, 0)]


@pytest.mark.parametrize("options", [[], ["--p2p"], ["--p2p", "--tunnelled"]])
async def test_virsh_migrates(hosts: tuple[Host, Host], virsh: str, options: list[str]) -> None:
    source, destination = hosts
    create_domain(source, "vm")
    await _run(virsh, "-c", source.uri, "migrate", "--live", *options, "vm", destination.uri)
    assert "vm" not in source.driver.hv.domains
    assert destination.state("vm") == 1
    assert destination.domain_events("vm") == [STARTED_MIGRATED, RESUMED_MIGRATED]


# -- virtrpc's client, and its wire against the C library's ---------------------------

async def test_virtrpc_client_migrates(hosts: tuple[Host, Host]) -> None:
    source, destination = hosts
    create_domain(source, "a")
    create_domain(source, "b")
    async with vclient.connect(source.uri) as src, vclient.connect(destination.uri) as dst:
        dom = await src.domain_lookup_by_name(name="a")
        new = await src.migrate(dom, dst, MIGRATE_LIVE)
        assert new is not None and new.name == "a"
        dom = await src.domain_lookup_by_name(name="b")
        new = await migrate(src, dom, dst, MIGRATE_LIVE | MIGRATE_P2P)
        assert new is not None and new.name == "b"
    assert set(destination.driver.hv.domains) == {"test", "a", "b"}
    assert set(source.driver.hv.domains) == {"test"}
    assert destination.domain_events("a") == [STARTED_MIGRATED, RESUMED_MIGRATED]


def test_blocking_client_migrates(tmp_path: Path) -> None:
    import virtrpc.sync

    async def serve_and_migrate() -> tuple[set[str], set[str]]:
        source = await serve_host(tmp_path / "s.sock")
        destination = await serve_host(tmp_path / "d.sock")
        create_domain(source, "blk")
        try:
            def blocking() -> None:
                with virtrpc.sync.connect(source.uri) as src, \
                        virtrpc.sync.connect(destination.uri) as dst:
                    dom = src.domain_lookup_by_name(name="blk")
                    new = src.migrate(dom, dst, MIGRATE_LIVE, {"bandwidth": 0})
                    assert new.name == "blk"
            await asyncio.to_thread(blocking)
            return set(source.driver.hv.domains), set(destination.driver.hv.domains)
        finally:
            await source.server.shutdown()
            await destination.server.shutdown()

    assert asyncio.run(serve_and_migrate()) == ({"test"}, {"test", "blk"})


PROXY_CALL = re.compile(r"C>S CALL\s+remote\.(\w+) serial=\d+ status=\w+ ?(.*)$")
# What each side of the sequence calls: the phases, the features probed for
# migration, and the state query; connection set-up and teardown differ.
PHASE_CALLS = re.compile(r"domain_migrate_\w+|domain_get_state|domain_get_info|domain_lookup_by_name")


class Proxy:
    def __init__(self, listen: Path, upstream: Path) -> None:
        self.listen, self.upstream = listen, upstream
        self.lines: list[str] = []

    async def __aenter__(self) -> Proxy:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "virtrpc", "proxy", "--listen", str(self.listen),
            "--upstream", str(self.upstream),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        assert self.process.stdout is not None
        first = await asyncio.wait_for(self.process.stdout.readline(), 10)
        assert b"proxying" in first
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace"))

    def calls(self) -> list[str]:
        out = []
        for line in self.lines:
            match = PROXY_CALL.search(line)
            if match is None:
                continue
            name, body = match.groups()
            if PHASE_CALLS.fullmatch(name):
                out.append(name)
            elif name == "connect_supports_feature":
                feature = int(re.search(r'"feature":\s*(\d+)', body).group(1))  # type: ignore[union-attr]
                if feature in (4, 6, 7, 12, 13):
                    out.append(f"feature {feature}")
        self.lines.clear()
        return out

    async def __aexit__(self, *exc: object) -> None:
        self.process.terminate()
        await self.process.wait()
        await self.reader


V_MIGRATE = """
import asyncio, sys
import virtrpc.client as vc
async def main(src_uri, dst_uri, name, flags, how):
    async with vc.connect(src_uri) as src, vc.connect(dst_uri) as dst:
        dom = await src.domain_lookup_by_name(name=name)
        try:
            params = {} if how == "migrate3" else None
            new = await src.migrate(dom, dst, int(flags), params)
            await dst.domain_get_state(dom=new, flags=0)  # as the C script's new.state()
            print("ok", new.name)
        except vc.LibvirtError as e:
            print("error", e.code, e.domain, e.message)
asyncio.run(main(*sys.argv[1:6]))
"""
V_MIGRATE = V_MIGRATE.replace("vc.LibvirtError", "Exception")


@pytest.mark.parametrize(("flags", "how"), [
    (MIGRATE_LIVE, "migrate"),
    (MIGRATE_LIVE, "migrate3"),
    (MIGRATE_LIVE | MIGRATE_P2P, "migrate"),
    (MIGRATE_LIVE | MIGRATE_P2P | MIGRATE_TUNNELLED, "migrate"),
])
async def test_wire_sequence_equals_libvirt(hosts: tuple[Host, Host], libvirt_python: str,
                                            tmp_path: Path, flags: int, how: str) -> None:
    source, destination = hosts
    create_domain(source, "c-lib")
    create_domain(source, "ours")
    async with Proxy(tmp_path / "ps.sock", source.socket) as psrc, \
            Proxy(tmp_path / "pd.sock", destination.socket) as pdst:
        src_uri = f"test+unix:///default?socket={psrc.listen}"
        dst_uri = f"test+unix:///default?socket={pdst.listen}"
        assert (await c_migrate(src_uri, dst_uri, "c-lib", flags, how)).startswith("ok")
        c_calls = (psrc.calls(), pdst.calls())
        if flags & MIGRATE_TUNNELLED:
            # The source's own p2p connection prepares as libvirt's does with a
            # destination that has VIR_DRV_FEATURE_MIGRATION_PARAMS.
            assert "domain_migrate_prepare_tunnel3_params" in c_calls[1]
        out = await _run(sys.executable, "-c", V_MIGRATE, src_uri, dst_uri, "ours",
                         str(flags), how)
        assert out.startswith("ok"), out
        assert (psrc.calls(), pdst.calls()) == c_calls
    assert "domain_migrate_confirm3" in " ".join(c_calls[0]) or flags & MIGRATE_P2P
    assert {"c-lib", "ours"} <= set(destination.driver.hv.domains)


# -- failures -------------------------------------------------------------------------

async def test_destination_refuses_prepare(hosts: tuple[Host, Host],
                                           libvirt_python: str) -> None:
    source, destination = hosts
    create_domain(source, "twin")
    create_domain(destination, "twin")  # the name is taken there: Prepare3 refuses
    c_out = await c_migrate(source.uri, destination.uri, "twin", MIGRATE_LIVE, "migrate3")
    assert c_out.startswith("error 9 20 operation failed: domain 'twin' already exists"), c_out
    async with vclient.connect(source.uri) as src, vclient.connect(destination.uri) as dst:
        dom = await src.domain_lookup_by_name(name="twin")
        with pytest.raises(LibvirtError) as caught:
            await src.migrate(dom, dst, MIGRATE_LIVE, {})
    assert caught.value.code == 9 and str(caught.value.message) in c_out
    assert source.state("twin") == 1 and destination.state("twin") == 1
    assert source.domain_events("twin") == [] and destination.domain_events("twin") == []
    assert not source.driver.outgoing and not destination.driver.incoming


async def _job_running(client: vclient.Client, dom: object) -> None:
    """Wait until the source reports the migration job (condition polling).
    Before the migration begins the domain has no job, and the test driver,
    like libvirtd's, has no job information for it (VIR_ERR_NO_SUPPORT)."""
    for _ in range(1000):
        try:
            info = await client.domain_get_job_info(dom=dom)  # type: ignore[arg-type]
        except LibvirtError as error:
            assert error.code == ErrorCode.NO_SUPPORT
        else:
            if info.type == 2 and info.dataProcessed > 0:
                return
        await asyncio.sleep(0.005)
    raise AssertionError("the migration job never started")


async def test_abort_during_the_job(hosts: tuple[Host, Host]) -> None:
    source, destination = hosts
    create_domain(source, "slow")
    async with vclient.connect(source.uri) as src, vclient.connect(destination.uri) as dst:
        dom = await src.domain_lookup_by_name(name="slow")
        job = asyncio.ensure_future(src.migrate(dom, dst, MIGRATE_LIVE, {"bandwidth": 1}))
        await _job_running(src, dom)
        stats = await src.domain_get_job_stats(dom=dom, flags=0)
        fields = {p.field: p.value.value for p in stats.params if isinstance(p.value.value, int)}
        assert stats.type == 2 and fields["data_total"] == 1024**3
        assert 0 < fields["data_processed"] < fields["data_total"]
        await src.domain_abort_job(dom=dom)
        with pytest.raises(LibvirtError) as caught:
            await job
        assert caught.value.code == 78  # VIR_ERR_OPERATION_ABORTED
        info = await src.domain_get_job_info(dom=dom)
        assert info.type == 0
    assert source.state("slow") == 1 and "slow" not in destination.driver.hv.domains
    assert destination.domain_events("slow") == [STARTED_MIGRATED, STOPPED_FAILED]
    assert source.domain_events("slow") == []
    assert not source.driver.outgoing and not destination.driver.incoming


C_SLOW_MIGRATE = r"""
import sys, libvirt
src, dst = libvirt.open(sys.argv[1]), libvirt.open(sys.argv[2])
try:
    src.lookupByName(sys.argv[3]).migrate3(dst, {libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 1}, 1)
    print("ok")
except libvirt.libvirtError as e:
    print("error", e.get_error_code(), e.get_error_domain(), e.get_error_message())
"""


async def test_libvirt_python_abort_during_the_job(hosts: tuple[Host, Host],
                                                   libvirt_python: str) -> None:
    """libvirt's own client, aborted mid-Perform3, leaves what virtrpc's leaves."""
    source, destination = hosts
    create_domain(source, "slow")
    process = await asyncio.create_subprocess_exec(
        "/usr/bin/python3", "-c", C_SLOW_MIGRATE, source.uri, destination.uri, "slow",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with vclient.connect(source.uri) as src:
        dom = await src.domain_lookup_by_name(name="slow")
        await _job_running(src, dom)
        await src.domain_abort_job(dom=dom)
    out, err = await asyncio.wait_for(process.communicate(), 15)
    assert out.decode().startswith("error 78 20 operation aborted"), err.decode()
    assert source.state("slow") == 1 and "slow" not in destination.driver.hv.domains
    assert destination.domain_events("slow") == [STARTED_MIGRATED, STOPPED_FAILED]
    assert not source.driver.outgoing and not destination.driver.incoming


async def test_failure_wire_equals_libvirt(hosts: tuple[Host, Host], libvirt_python: str,
                                           tmp_path: Path) -> None:
    """A refused Prepare3: Begin3, Prepare3, then Confirm3(cancelled) from both libraries."""
    source, destination = hosts
    async with Proxy(tmp_path / "ps.sock", source.socket) as psrc, \
            Proxy(tmp_path / "pd.sock", destination.socket) as pdst:
        src_uri = f"test+unix:///default?socket={psrc.listen}"
        dst_uri = f"test+unix:///default?socket={pdst.listen}"
        for how in ("migrate", "migrate3"):
            c_out = await c_migrate(src_uri, dst_uri, "test", MIGRATE_LIVE, how)
            assert c_out.startswith("error 55"), c_out
            c_calls = (psrc.calls(), pdst.calls())
            out = await _run(sys.executable, "-c", V_MIGRATE, src_uri, dst_uri, "test",
                             str(MIGRATE_LIVE), how)
            assert out.startswith("error 55"), out
            assert (psrc.calls(), pdst.calls()) == c_calls
            assert c_calls[0][-1].startswith("domain_migrate_confirm3")
    assert source.state("test") == 1 and destination.state("test") == 1


async def test_source_dies_during_perform(tmp_path: Path) -> None:
    destination = await serve_host(tmp_path / "dst.sock")
    src_socket = tmp_path / "src.sock"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "virtrpc", "serve", "--socket", str(src_socket),
        "--migration-seconds", "60",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), 10)
        src = await vclient.connect(f"test+unix:///default?socket={src_socket}")
        dst = await vclient.connect(destination.uri)
        try:
            dom = await src.domain_create_xml(xml_desc=DOMAIN_XML.format(name="lost"), flags=0)
            job = asyncio.ensure_future(src.migrate(dom, dst, MIGRATE_LIVE))
            await _job_running(src, dom)
            process.kill()
            with pytest.raises(ConnectionLost):
                await job
        finally:
            src.abort()
            await dst.close()
        # Finish3(cancelled) ran on the destination: the half-arrived domain is gone.
        assert "lost" not in destination.driver.hv.domains
        assert destination.domain_events("lost") == [STARTED_MIGRATED, STOPPED_FAILED]
        assert not destination.driver.incoming
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await destination.server.shutdown()


# -- bad input ------------------------------------------------------------------------

async def test_bad_input(hosts: tuple[Host, Host], libvirt_python: str) -> None:
    source, destination = hosts
    create_domain(source, "bad")
    c_out = await c_migrate(source.uri, destination.uri, "bad", 1 << 22, "migrate3")
    assert c_out.startswith("error 8 12 unsupported flags"), c_out
    async with vclient.connect(source.uri) as src, vclient.connect(destination.uri) as dst:
        dom = await src.domain_lookup_by_name(name="bad")
        with pytest.raises(LibvirtError) as caught:
            await src.migrate(dom, dst, 1 << 22, {})
        assert caught.value.code == 8 and "unsupported flags" in str(caught.value)
        with pytest.raises(LibvirtError) as caught:
            await src.migrate(dom, None, MIGRATE_LIVE)
        assert caught.value.code == 6  # VIR_ERR_INVALID_CONN: no destination
        with pytest.raises(LibvirtError) as caught:
            await src.migrate(dom, dst, MIGRATE_LIVE | MIGRATE_TUNNELLED)
        assert caught.value.code == 55
        # A cookie from another migration is refused, and the right one still works.
        first = await src.domain_migrate_begin3_params(dom=dom, params=[], flags=MIGRATE_LIVE)
        await src.domain_migrate_confirm3_params(dom=dom, params=[], cookie_in=first.cookie_out,
                                                 flags=MIGRATE_LIVE, cancelled=1)
        second = await src.domain_migrate_begin3_params(dom=dom, params=[], flags=MIGRATE_LIVE)
        with pytest.raises(LibvirtError) as caught:
            await src.domain_migrate_perform3_params(dom=dom, dconnuri=None, params=[],
                                                     cookie_in=first.cookie_out,
                                                     flags=MIGRATE_LIVE)
        assert caught.value.code == 1 and "another migration" in str(caught.value)
        with pytest.raises(LibvirtError) as caught:
            await src.domain_migrate_perform3_params(dom=dom, dconnuri=None, params=[],
                                                     cookie_in=b"not ours", flags=MIGRATE_LIVE)
        assert caught.value.code == 1 and "invalid migration cookie" in str(caught.value)
        await src.domain_migrate_confirm3_params(dom=dom, params=[], cookie_in=second.cookie_out,
                                                 flags=MIGRATE_LIVE, cancelled=1)
        new = await src.migrate(dom, dst, MIGRATE_LIVE, {})
        assert new is not None and new.name == "bad"
    assert source.domain_events("bad") == [SUSPENDED_MIGRATED, STOPPED_MIGRATED]


async def test_speed_and_downtime_settings(hosts: tuple[Host, Host]) -> None:
    source, _ = hosts
    async with vclient.connect(source.uri) as src:
        dom = await src.domain_lookup_by_name(name="test")
        assert await src.domain_migrate_get_max_speed(dom=dom, flags=0) == 0
        await src.domain_migrate_set_max_speed(dom=dom, bandwidth=42, flags=0)
        assert await src.domain_migrate_get_max_speed(dom=dom, flags=0) == 42
        await src.domain_migrate_set_max_downtime(dom=dom, downtime=50, flags=0)
        assert await src.domain_migrate_get_max_downtime(dom=dom, flags=0) == 50
        # A domain that never migrated has no jobs: refused as libvirtd's test
        # driver refuses it (test_differential_virsh's refusals sweep checks that).
        with pytest.raises(LibvirtError) as caught:
            await src.domain_abort_job(dom=dom)
        assert caught.value.code == ErrorCode.NO_SUPPORT
        # Once a migration has begun, a job can exist; with none active: 55.
        await src.domain_migrate_begin3_params(dom=dom, params=[], flags=MIGRATE_LIVE)
        with pytest.raises(LibvirtError) as caught:
            await src.domain_abort_job(dom=dom)
        assert caught.value.code == 55  # VIR_ERR_OPERATION_INVALID: no job is active


async def test_migrations_leak_no_fds(tmp_path: Path, fd_leak_check: FdLeakCheck) -> None:
    """Both servers and both clients closed: every fd of every form is gone,
    the source server's own connection to the destination (p2p) included."""

    async def every_form(folder: Path) -> None:
        folder.mkdir()
        async with two_hosts(folder) as (source, destination):
            for name in ("managed", "p2p", "tunnelled", "aborted"):
                create_domain(source, name)
            async with vclient.connect(source.uri) as src, \
                    vclient.connect(destination.uri) as dst:
                for name, flags in (("managed", MIGRATE_LIVE),
                                    ("p2p", MIGRATE_LIVE | MIGRATE_P2P),
                                    ("tunnelled", MIGRATE_LIVE | MIGRATE_P2P | MIGRATE_TUNNELLED)):
                    dom = await src.domain_lookup_by_name(name=name)
                    await src.migrate(dom, dst, flags)
                dom = await src.domain_lookup_by_name(name="aborted")
                job = asyncio.ensure_future(
                    src.migrate(dom, dst, MIGRATE_LIVE | MIGRATE_P2P, bandwidth=1))
                await _job_running(src, dom)
                await src.domain_abort_job(dom=dom)
                with pytest.raises(LibvirtError):
                    await job
                # the source server closed its own connections to the destination
                assert len(destination.driver.connections) == 1
            assert set(destination.driver.hv.domains) == {"test", "managed", "p2p", "tunnelled"}

    await every_form(tmp_path / "warm-up")
    with fd_leak_check("every form of migration"):
        await every_form(tmp_path / "checked")


async def test_client_gone_between_phases(hosts: tuple[Host, Host]) -> None:
    """The client dies after Prepare3: the destination kills the half-arrived
    domain, the source ends the job with its domain running; nothing is stale."""
    source, destination = hosts
    create_domain(source, "orphan")
    src = await vclient.connect(source.uri)
    dst = await vclient.connect(destination.uri)
    dom = await src.domain_lookup_by_name(name="orphan")
    begun = await src.domain_migrate_begin3_params(dom=dom, params=[], flags=MIGRATE_LIVE)
    await dst.domain_migrate_prepare3_params(
        params=[remote.RemoteTypedParam("destination_xml",
                                        remote.RemoteTypedParamValue(7, begun.xml))],
        cookie_in=begun.cookie_out, flags=MIGRATE_LIVE)
    assert destination.state("orphan") == 3  # paused, receiving
    dst.abort()
    src.abort()
    await dst.wait_closed()
    await src.wait_closed()
    for _ in range(1000):  # the servers notice the closed sockets (condition polling)
        if not destination.driver.incoming and not source.driver.outgoing:
            break
        await asyncio.sleep(0.005)
    assert "orphan" not in destination.driver.hv.domains
    assert destination.domain_events("orphan") == [STARTED_MIGRATED, STOPPED_FAILED]
    assert source.state("orphan") == 1 and not source.driver.outgoing
    async with vclient.connect(source.uri) as src2, vclient.connect(destination.uri) as dst2:
        new = await src2.migrate(dom, dst2, MIGRATE_LIVE, {})
        assert new.name == "orphan"


@pytest.mark.parametrize("with_params", [False, True])
async def test_tunnelled_prepare_both_forms(hosts: tuple[Host, Host], with_params: bool) -> None:
    """PrepareTunnel3 (what a source without MIGRATION_PARAMS sends) and
    PrepareTunnel3Params (what libvirt's p2p sends otherwise) both open a write
    stream that carries the memory, then Finish3 brings the domain up."""
    source, destination = hosts
    create_domain(source, "tun")
    flags = MIGRATE_LIVE | MIGRATE_P2P | MIGRATE_TUNNELLED
    async with vclient.connect(source.uri) as src, vclient.connect(destination.uri) as dst:
        dom = await src.domain_lookup_by_name(name="tun")
        begun = await src.domain_migrate_begin3_params(dom=dom, params=[], flags=flags)
        if with_params:
            xml_param = remote.RemoteTypedParam(
                field="destination_xml",
                value=remote.RemoteTypedParamValue(type=7, value=begun.xml))
            stream = await dst.domain_migrate_prepare_tunnel3_params(
                params=[xml_param], cookie_in=begun.cookie_out, flags=flags)
        else:
            stream = await dst.domain_migrate_prepare_tunnel3(
                cookie_in=begun.cookie_out, flags=flags, dname=None, resource=0,
                dom_xml=begun.xml)
        assert "tun" in destination.driver.hv.domains
        await stream.send(b"\0" * 4096)
        await stream.finish()
        new = await dst.domain_migrate_finish3_params(
            params=[remote.RemoteTypedParam(
                field="destination_name", value=remote.RemoteTypedParamValue(type=7, value="tun"))],
            cookie_in=bytes(stream.reply), flags=flags, cancelled=0)
        assert new.dom.name == "tun"
        await src.domain_migrate_confirm3_params(dom=dom, params=[], cookie_in=begun.cookie_out,
                                                 flags=flags, cancelled=0)
    assert destination.state("tun") == 1  # VIR_DOMAIN_RUNNING
    assert "tun" not in source.driver.hv.domains
