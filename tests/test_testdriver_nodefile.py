"""Custom node files (``test:///path/to/node.xml``) and the state rule, as
libvirtd 9.0's test driver has them.

The same libvirt-python workload runs against a private libvirtd and against
``virtrpc serve`` (tests/support/differential.py) and the results must be equal:
libvirt's own example node files (from the libvirt 9.0.0 release, through
tests/support/inputs.py) give the same listings; bad files give the same errors
(code, domain, the message naming the file and line; the parser's own
wording of malformed XML differs: libxml2 there, expat here); a file with an
``<auth>`` block is refused as libvirtd refuses it; each connection to a
node file has a state of its own (only ``test:///default`` is shared, and
reset when its last connection closes).  The
comparison also runs against two libvirtds, so it cannot invent differences.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.differential import differences, on_node, python_workload, run_on_both
from tests.support.inputs import require_input
from tests.support.peers import serve_process

LISTINGS = """
    sorted((d.name(), d.ID(), d.state(0), d.info()[:4]) for d in conn.listAllDomains(0))
    sorted((n.name(), n.isActive(), n.bridgeName()) for n in conn.listAllNetworks(0))
    sorted((p.name(), p.isActive(), p.info()) for p in conn.listAllStoragePools(0))
    sorted((p.name(), sorted(p.listVolumes())) for p in conn.listAllStoragePools(0))
    [conn.storageVolLookupByPath(v.path()).info() for p in conn.listAllStoragePools(0) for v in p.listAllVolumes(0)]
    sorted(conn.listDevices(None, 0))
    [conn.nodeDeviceLookupByName(n).XMLDesc(0) for n in sorted(conn.listDevices(None, 0))]
    sorted((i.name(), i.isActive(), i.MACString()) for i in conn.listAllInterfaces(0))
    [i.XMLDesc(0) for i in conn.listAllInterfaces(0)]
    conn.getInfo()
    conn.getFreeMemory()
    conn.getCellsFreeMemory(0, 8)
    conn.getCellsFreeMemory(0, 0)
    conn.lookupByName('nope')
"""

EXAMPLES = ("testnode.xml", "testnodeinline.xml", "custom.xml")

# A node with every kind inline, domains in several run states.
CUSTOM_NODE = """<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <test:runstate>5</test:runstate>
    <name>stopped</name>
    <uuid>11111111-2222-3333-4444-000000000001</uuid>
    <memory>65536</memory>
    <os><type>hvm</type></os>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <test:runstate>3</test:runstate>
    <name>paused</name>
    <uuid>11111111-2222-3333-4444-000000000002</uuid>
    <memory>65536</memory>
    <os><type>hvm</type></os>
  </domain>
  <domain type='test'>
    <name>running</name>
    <uuid>11111111-2222-3333-4444-000000000003</uuid>
    <memory>65536</memory>
    <vcpu>3</vcpu>
    <os><type>hvm</type></os>
  </domain>
  <network>
    <name>lan</name>
    <uuid>11111111-2222-3333-4444-000000000004</uuid>
    <bridge name='br-lan'/>
  </network>
  <interface type='ethernet' name='eth7'>
    <mac address='52:54:00:00:00:07'/>
  </interface>
  <device>
    <name>custom_device</name>
    <capability type='system'>
      <hardware><vendor>Acme</vendor><uuid>11111111-2222-3333-4444-000000000005</uuid></hardware>
    </capability>
  </device>
  <pool type='dir'>
    <name>data</name>
    <uuid>11111111-2222-3333-4444-000000000006</uuid>
    <capacity unit='GiB'>10</capacity>
    <target><path>/data</path></target>
    <volume>
      <name>a.img</name>
      <capacity unit='MiB'>8</capacity>
      <allocation unit='KiB'>100</allocation>
    </volume>
  </pool>
  <cpu><model>custom</model><active>7</active><mhz>1234</mhz></cpu>
  <memory>1048576</memory>
</node>
"""

# Files that are no usable node; each is opened, then test:///default still works.
BAD_FILES = {
    "malformed.xml": '<node>\n  <domain type="test">\n    <name>x</name>\n',
    "not-a-node.xml": "<domain/>\n",
    "bad-domain.xml": '<node>\n  <domain type="test"><name>y</name></domain>\n</node>\n',
    "with-auth.xml": ('<node>\n  <auth>\n    <user password="pass">alice</user>\n'
                      "  </auth>\n</node>\n"),
}

STATE_RULE = r"""
    !import sys, libvirt
    !other = libvirt.open(sys.argv[1])
    !conn.lookupByName('fv0').destroy()
    other.lookupByName('fv0').isActive()
    !other.close()
    conn.lookupByName('fv0').isActive()
    !default = libvirt.open(sys.argv[1].replace(sys.argv[1].split('?')[0].split('//', 1)[1], '/default'))
    sorted(d.name() for d in default.listAllDomains(0))
    !conn.close()
    !conn = libvirt.open(sys.argv[1])
    conn.lookupByName('fv0').isActive()
    !default.close()
"""


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """libvirt's example node files, copied to one folder for both servers."""
    source = require_input("libvirt-9.0.0") / "examples" / "xml" / "test"
    folder = tmp_path_factory.mktemp("nodes")
    for path in source.glob("*.xml"):
        shutil.copy(path, folder / path.name)
    for name, text in {**BAD_FILES, "custom.xml": CUSTOM_NODE}.items():
        (folder / name).write_text(text)
    return folder


def _mask_parser_wording(text: str) -> str:
    # "PATH:LINE: reason\n(null)\n^" (libxml2) vs "PATH:LINE: reason" (expat):
    # the file and line must agree, the parser's wording may not.
    return re.sub(r"^(/\S+:\d+:) .*", r"\1 PARSER", text, flags=re.S)


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("reference", [False, True], ids=["virtrpc", "two-libvirtds"])
def test_example_node_file_loads_as_on_libvirtd(examples: Path, name: str,
                                                reference: bool) -> None:
    workload = on_node(python_workload(LISTINGS), str(examples / name))
    first, second = run_on_both(workload, reference=reference)
    assert differences(first, second) == []
    assert first[0][1] == "ok" and ("fv0" in str(first[0][2]) or "paused" in str(first[0][2]))


@pytest.mark.parametrize("reference", [False, True], ids=["virtrpc", "two-libvirtds"])
def test_bad_node_files_are_refused_as_on_libvirtd(examples: Path, reference: bool) -> None:
    paths = [*(examples / name for name in BAD_FILES), examples / "missing.xml", examples]

    def workload(uri: str) -> list[tuple[str, str, object]]:
        results: list[tuple[str, str, object]] = []
        for path in paths:
            results.extend(on_node(python_workload("conn.getInfo()",
                                                   mask=_mask_parser_wording), str(path))(uri))
        # The server still serves the default node.
        results.extend(python_workload("conn.lookupByName('test').name()")(uri))
        return results

    first, second = run_on_both(workload, reference=reference)
    assert differences(first, second) == []
    assert [outcome for _line, outcome, _value in first] == ["error"] * (len(paths)) + ["ok"]


@pytest.mark.parametrize("reference", [False, True], ids=["virtrpc", "two-libvirtds"])
def test_each_connection_to_a_node_file_has_its_own_state(
        examples: Path, reference: bool) -> None:
    workload = on_node(python_workload(STATE_RULE), str(examples / "testnode.xml"))
    first, second = run_on_both(workload, reference=reference)
    assert differences(first, second) == []
    assert [value for _line, _outcome, value in first] == ["1", "0", "['test']", "1"]


def test_serve_node_option_serves_the_file_as_default(examples: Path) -> None:
    node = str(examples / "testnodeinline.xml")
    on_libvirtd, _ = run_on_both(on_node(python_workload(LISTINGS), node), reference=True)
    _, on_virtrpc = run_on_both(python_workload(LISTINGS), serve_args=["--node", node])
    assert differences(on_libvirtd, on_virtrpc) == []


def test_keep_state_shares_a_node_file_between_connections(examples: Path,
                                                            tmp_path: Path) -> None:
    node = str(examples / "testnode.xml")
    workload = on_node(python_workload("""
        !conn.lookupByName('fv0').destroy()
        conn.lookupByName('fv0').isActive()
    """), node)
    again = on_node(python_workload("conn.lookupByName('fv0').isActive()"), node)
    with serve_process(tmp_path, extra_args=["--keep-state"]) as (uri, _process):
        assert workload(uri) == [("conn.lookupByName('fv0').isActive()", "ok", "0")]
        # A new connection, after the first closed: the same, changed state.
        assert again(uri) == [("conn.lookupByName('fv0').isActive()", "ok", "0")]
    with serve_process(tmp_path) as (uri, _process):
        workload(uri)
        assert again(uri) == [("conn.lookupByName('fv0').isActive()", "ok", "1")]


async def test_a_node_file_that_goes_bad_keeps_the_default_state(tmp_path: Path) -> None:
    from virtrpc.testdriver import build_test_server

    node = tmp_path / "node.xml"
    node.write_text("<node><cpu><model>custom</model></cpu></node>\n")
    server, driver = build_test_server(reset_when_unused=True, default_node=str(node))
    try:
        state = driver.hv
        node.write_text("<node>")  # broken after the server started
        driver.reset()
        assert driver.hv is state  # kept, not replaced by nothing
        node.write_text("<node/>\n")
        driver.reset()
        assert driver.hv is not state
    finally:
        await server.shutdown()


def test_serve_refuses_a_bad_node_option(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.xml"
    bad.write_text("<domain/>\n")
    done = subprocess.run([sys.executable, "-m", "virtrpc", "serve", "--socket",
                           str(tmp_path / "sock"), "--node", str(bad)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert f"--node {bad}: XML error: expecting root element of 'node', not 'domain'" \
        in done.stderr
    assert not (tmp_path / "sock").exists()


async def test_node_file_connections_and_save_images_leak_no_fds(
        examples: Path, tmp_path: Path) -> None:
    import virtrpc
    from tests.support.fdcount import assert_no_fd_leak
    from virtrpc.client.errors import LibvirtError
    from virtrpc.testdriver import build_test_server

    server, driver = build_test_server(reset_when_unused=True)
    path = tmp_path / "sock"
    await server.listen_unix(str(path))
    node_uri = f"test+unix://{examples / 'testnode.xml'}?socket={path}"
    bad_uri = f"test+unix://{examples / 'malformed.xml'}?socket={path}"
    image = str(tmp_path / "fv0.img")

    async def session() -> None:
        async with virtrpc.connect(node_uri) as client:
            fv0 = await client.domain_lookup_by_name(name="fv0")
            await client.domain_save(dom=fv0, to=image)
            await client.domain_restore(from_=image)
            assert (await client.domain_get_state(dom=fv0, flags=0)).state == 1
        try:
            async with virtrpc.connect(bad_uri):
                raise AssertionError("a malformed node file opened")
        except LibvirtError as error:
            assert "malformed.xml:4:" in str(error)

    try:
        await session()  # warm up what is created lazily
        with assert_no_fd_leak():
            for _ in range(3):
                await session()
        assert driver.file_states == {}  # each connection's state went with it
    finally:
        await server.shutdown()
