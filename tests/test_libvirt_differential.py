"""Differential test of virtrpc.libvirt against the real libvirt-python.

One script runs a list of calls against a private libvirtd's test driver and
prints each result, normalised to JSON (objects by class, name and UUID;
errors by code, domain and message; ``TypeError`` by type).  It runs twice on
Debian's /usr/bin/python3: with the real libvirt-python, then with
``libvirt`` resolving to virtrpc's (the shim directory on PYTHONPATH).  Each
run opens its own connections and closes them, so each starts from the test
driver's initial state; the results must be equal, call by call.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.libvirt_compat import shim_env
from tests.support.peers import PrivateLibvirtd, find_libvirtd, has_libvirt_python, require_peer

SCRIPT = r'''
import json, sys
import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)
uri, ro_uri = sys.argv[1], sys.argv[2]
cases = json.load(sys.stdin)

def norm(value):
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, (int, float, str)) or value is None:
        return value
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    if isinstance(value, tuple):
        return ["tuple", [norm(v) for v in value]]
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {str(k): norm(v) for k, v in sorted(value.items())}}
    cls = type(value).__name__
    ident = []
    for attr in ("name", "getName", "UUIDString", "key", "portDev", "usageID"):
        method = getattr(value, attr, None)
        if callable(method):
            try:
                ident.append(method())
            except Exception:
                pass
    return ["object", cls, ident]

scope = {"libvirt": libvirt, "conn": libvirt.open(uri), "ro": libvirt.openReadOnly(ro_uri)}
results = []
for case in cases:
    try:
        if "=" in case.split("(")[0]:
            exec(case, scope)
            results.append(None)
        else:
            results.append(norm(eval(case, scope)))
    except libvirt.libvirtError as e:
        results.append(["libvirtError", e.get_error_code(), e.get_error_domain(), str(e)])
    except TypeError:
        results.append(["TypeError"])  # messages differ: C argument parsing vs XDR
    except Exception as e:
        results.append([type(e).__name__, str(e)])
for name in ("conn", "ro"):
    scope[name].close()
print(json.dumps(results))
'''

DOMAIN_XML = (
    "<domain type='test'><name>diff1</name><memory>65536</memory>"
    "<os><type>hvm</type></os></domain>"
)
NETWORK_XML = "<network><name>diffnet</name><bridge name='diffbr0'/></network>"
POOL_XML = "<pool type='dir'><name>diffpool</name><target><path>/diff-pool</path></target></pool>"
SECRET_XML = ("<secret ephemeral='no' private='no'><usage type='volume'>"
              "<volume>/diff/vol</volume></usage></secret>")
INTERFACE_XML = ("<interface type='ethernet' name='eth9'><start mode='onboot'/>"
                 "<mac address='aa:bb:cc:dd:ee:09'/></interface>")
VOLUME_XML = (
    "<volume><name>diff.img</name><capacity unit='M'>10</capacity></volume>"
)

CASES = [
    # the connection and the host
    "conn.getInfo()", "conn.getType()", "conn.getVersion()", "conn.getLibVersion()",
    "conn.getHostname()", "conn.getURI()", "conn.getCapabilities()", "conn.getFreeMemory()",
    "conn.getCellsFreeMemory(0, 2)", "conn.getMaxVcpus(None)", "conn.isSecure()",
    "conn.isAlive()", "conn.getSecurityModel()", "conn.getSysinfo(0)",
    "conn.getDomainCapabilities()", "conn.getCPUModelNames('x86_64')",
    # listing
    "conn.listDomainsID()", "conn.listDefinedDomains()", "conn.numOfDomains()",
    "conn.numOfDefinedDomains()", "conn.listAllDomains()",
    "conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)",
    "conn.listNetworks()", "conn.listDefinedNetworks()", "conn.listAllNetworks()",
    "conn.listStoragePools()", "conn.listDefinedStoragePools()", "conn.listAllStoragePools()",
    "conn.listInterfaces()", "conn.listDefinedInterfaces()", "conn.listAllInterfaces()",
    "conn.listDevices(None, 0)", "conn.numOfDevices(None, 0)", "conn.listAllDevices()",
    "conn.listSecrets()", "conn.listAllSecrets()", "conn.listNWFilters()",
    "conn.listAllNWFilters()",
    # lookups, good and bad
    "dom = conn.lookupByName('test')", "conn.lookupByID(1)",
    "conn.lookupByUUIDString(dom.UUIDString())", "conn.lookupByUUID(dom.UUID())",
    "conn.lookupByName('nosuch')", "conn.lookupByID(999)", "conn.lookupByName(5)",
    "conn.lookupByUUID(b'0123456789abcdef')", "conn.lookupByID('x')",
    "conn.networkLookupByName(None)", "conn.lookupByName(None)", "conn.lookupByUUID('short')",
    "conn.lookupByUUID(None)", "conn.listAllDomains('x')", "conn.getCellsFreeMemory('a', 1)",
    "conn.networkLookupByName('nosuch')", "conn.storagePoolLookupByName('nosuch')",
    # a domain
    "dom.name()", "dom.ID()", "dom.UUID()", "dom.UUIDString()", "dom.OSType()",
    "dom.isActive()", "dom.isPersistent()", "dom.isUpdated()", "dom.maxMemory()",
    "dom.maxVcpus()", "dom.autostart()", "dom.XMLDesc()", "dom.XMLDesc(1)", "dom.state()",
    "dom.state(0)", "dom.schedulerType()", "dom.schedulerParameters()",
    "dom.schedulerParametersFlags(0)", "dom.memoryParameters()", "dom.blkioParameters()",
    "dom.numaParameters()", "dom.vcpusFlags(0)", "dom.vcpuPinInfo(0)",
    "dom.emulatorPinInfo()", "dom.blockInfo('/guest/diskimage1')",
    "dom.blockStats('vda')", "dom.interfaceStats('testnet0')", "dom.controlInfo()",
    "dom.jobInfo()", "dom.hasManagedSaveImage(0)", "dom.hasCurrentSnapshot()",
    "dom.snapshotNum()", "dom.snapshotListNames()", "dom.listAllSnapshots()",
    "dom.listAllCheckpoints()", "dom.securityLabel()", "dom.hostname()",
    "dom.setMemory('abc')", "dom.XMLDesc('x')", "dom.XMLDesc(-1)", "dom.state(2**40)",
    "dom.pinVcpu(0, 'x')",
    "dom.getCPUStats(True)", "dom.getCPUStats(False)", "dom.diskErrors()", "dom.fsInfo()",
    "dom.interfaceAddresses(0)", "dom.ioThreadInfo()", "dom.messages()", "dom.guestVcpus()",
    "dom.guestInfo()", "dom.memoryPeek(0, 16, 1)", "dom.blockPeek('vda', 0, 16)",
    "dom.perfEvents()", "dom.interfaceParameters('testnet0')", "dom.blockIoTune('vda')",
    "dom.launchSecurityInfo()", "dom.blockJobInfo('vda')", "dom.migrateGetMaxSpeed()",
    "dom.securityLabelList()", "dom.getTime()", "dom.jobStats()", "dom.blockStatsFlags('vda')",
    "conn.getCPUMap()", "conn.getAllDomainStats()", "conn.domainListGetStats([dom])",
    "conn.getCPUStats(-1)", "conn.getMemoryStats(-1)", "conn.getMemoryParameters()",
    "conn.getSEVInfo()", "conn.baselineCPU([])", "conn.getFreePages([4], 0, 1)",
    # other objects
    "net = conn.networkLookupByName('default')", "net.name()", "net.UUIDString()",
    "net.XMLDesc()", "net.isActive()", "net.isPersistent()", "net.autostart()",
    "net.bridgeName()", "conn.networkLookupByUUIDString(net.UUIDString())",
    "pool = conn.storagePoolLookupByName('default-pool')", "pool.name()", "pool.info()",
    "pool.XMLDesc()", "pool.isActive()", "pool.autostart()", "pool.numOfVolumes()",
    "pool.listVolumes()", "pool.listAllVolumes()",
    "dev = conn.nodeDeviceLookupByName('computer')", "dev.name()", "dev.XMLDesc()",
    "dev.listCaps()", "dev.numOfCaps()", "dev.parent()",
    "iface = conn.interfaceLookupByName('eth1')", "iface.name()", "iface.MACString()",
    "iface.XMLDesc()", "iface.isActive()",
    # changes, in order
    "dom.pinVcpu(0, (True, False))", "dom.vcpuPinInfo()", "dom.pinEmulator((True,))",
    "dom.emulatorPinInfo()", "dom.fsFreeze()", "dom.fsThaw()",
    "dom.setPerfEvents({'cmt': True})", "dom.perfEvents()",
    "dom.setBlockIoTune('vda', {'total_bytes_sec': 1000})", "dom.blockIoTune('vda')",
    "dom.suspend()", "dom.state()", "dom.suspend()", "dom.resume()", "dom.destroy()",
    "dom.state()", "dom.ID()", "dom.isActive()", "dom.create()", "dom.ID()", "dom.state()",
    "dom.setSchedulerParameters({'weight': 100})", "dom.schedulerParameters()",
    "dom.setSchedulerParameters({'nosuch': 1})", "dom.setMemory(4096)", "dom.info()[1:4]",
    "new = conn.defineXML(" + repr(DOMAIN_XML) + ")", "new.name()", "new.isActive()",
    "new.ID()", "new.create()", "new.ID()", "new.isActive()", "new.destroy()",
    "new.undefine()", "conn.lookupByName('diff1')",
    "snap = dom.snapshotCreateXML('<domainsnapshot><name>s1</name></domainsnapshot>')",
    "snap.getName()", "snap.getParent()", "dom.snapshotNum()", "dom.snapshotListNames()",
    "dom.snapshotCurrent().getName()", "snap.isCurrent()", "snap.delete()",
    "vol = pool.createXML(" + repr(VOLUME_XML) + ")", "vol.name()", "vol.key()",
    "vol.path()", "vol.info()", "pool.listVolumes()", "vol.delete()",
    "net.destroy()", "net.isActive()", "net.create()",
    # the lifecycle of other objects
    "n2 = conn.networkDefineXML(" + repr(NETWORK_XML) + ")", "n2.name()", "n2.isActive()",
    "n2.isPersistent()", "n2.create()", "n2.isActive()", "n2.bridgeName()",
    "n2.setAutostart(1)", "n2.autostart()", "n2.destroy()", "n2.undefine()",
    "conn.networkLookupByName('diffnet')", "conn.networkCreateXML(" + repr(NETWORK_XML) + ").name()",
    "conn.networkLookupByName('diffnet').destroy()",
    "p2 = conn.storagePoolDefineXML(" + repr(POOL_XML) + ")", "p2.name()", "p2.isActive()",
    "p2.build()", "p2.create()", "p2.info()", "p2.refresh()", "p2.numOfVolumes()",
    "p2.setAutostart(1)", "p2.autostart()", "p2.destroy()", "p2.undefine()",
    "conn.secretDefineXML(" + repr(SECRET_XML) + ")",  # the test driver has no secrets
    "conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_VOLUME, '/diff/vol')",
    "i2 = conn.interfaceDefineXML(" + repr(INTERFACE_XML) + ")", "i2.name()", "i2.isActive()",
    "i2.create()", "i2.isActive()", "i2.destroy()", "i2.undefine()",
    "conn.interfaceLookupByName('eth9')",
    "dev.isActive()", "dev.isPersistent()", "dev.autostart()",
    "cp = dom.checkpointCreateXML('<domaincheckpoint><name>c1</name></domaincheckpoint>')",
    "cp.getName()", "cp.getXMLDesc()[:20]", "dom.checkpointLookupByName('c1').getName()",
    "cp.listAllChildren()", "dom.listAllCheckpoints()", "cp.delete()",
    "dom.checkpointLookupByName('c1')",
    "dom.setAutostart(1)", "dom.autostart()", "dom.setAutostart(0)",
    "dom.setMemoryFlags(8192, libvirt.VIR_DOMAIN_AFFECT_CONFIG)", "dom.maxMemory()",
    "dom.setVcpusFlags(1, libvirt.VIR_DOMAIN_AFFECT_LIVE)", "dom.vcpusFlags(0)",
    "dom.shutdown()", "dom.state()", "dom.create()", "dom.reboot(0)", "dom.reset(0)",
    "dom.managedSave(0)", "dom.hasManagedSaveImage(0)", "dom.state()",
    "dom.managedSaveRemove(0)", "dom.create()", "dom.injectNMI(0)", "dom.sendKey(0, 10, [30, 31], 2, 0)",
    "dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, 'Title', None, None, 0)",
    "dom.metadata(libvirt.VIR_DOMAIN_METADATA_TITLE, None, 0)",
    "dom.rename('other', 0)", "dom.undefineFlags(0)",
    # setters typed by libvirt-api.xml's documentation (no getter to ask)
    "dom.blockCopy('vda', '<disk/>', {'bandwidth': 1, 'granularity': 512})",
    "dom.blockCopy('vda', '<disk/>', {'nosuch': 1})",
    "dom.setIOThreadParams(1, {'poll_max_ns': 100})", "dom.setLaunchSecurityState({})",
    "dom.saveParams({'file': '/nonexistent/dir/save.img'})", "conn.setIdentity({})",
    "conn.restoreParams({'file': '/nonexistent/save.img'})",
    # read-only connection
    "rodom = ro.lookupByName('test')", "rodom.info()[:4]", "rodom.destroy()",
    "ro.defineXML(" + repr(DOMAIN_XML) + ")",
]

#: Results that change with time (the test driver's counters follow the
#: clock): only their shape is compared.
VOLATILE = {"dom.blockStats('vda')", "dom.interfaceStats('testnet0')", "dom.getTime()",
            "dom.setMemory('abc')", "dom.XMLDesc('x')", "dom.XMLDesc(-1)", "dom.state(2**40)",
    "dom.pinVcpu(0, 'x')",
    "dom.getCPUStats(True)", "dom.getCPUStats(False)", "conn.getCPUStats(-1)"}


def shape_of(value: Any) -> Any:
    if isinstance(value, list):
        return [shape_of(v) for v in value]
    return type(value).__name__


@pytest.fixture(scope="module")
def daemon() -> Iterator[PrivateLibvirtd]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with PrivateLibvirtd() as daemon:
        yield daemon


def run_cases(daemon: PrivateLibvirtd, virtrpc: bool) -> list[Any]:
    env = shim_env() if virtrpc else None
    out = subprocess.run(
        ["/usr/bin/python3", "-c", SCRIPT, daemon.uri, daemon.readonly_uri],
        input=json.dumps(CASES), capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    results: list[Any] = json.loads(out.stdout)
    assert len(results) == len(CASES)
    return results


def test_same_results_as_libvirt_python(daemon: PrivateLibvirtd) -> None:
    real = run_cases(daemon, virtrpc=False)
    ours = run_cases(daemon, virtrpc=True)
    differences = {
        f"{i}: {case}": {"libvirt-python": theirs, "virtrpc": mine}
        for i, (case, theirs, mine) in enumerate(zip(CASES, real, ours, strict=True))
        if (shape_of(theirs) != shape_of(mine) if case in VOLATILE else theirs != mine)
    }
    assert differences == {}


def test_the_cases_exercise_errors_and_objects(daemon: PrivateLibvirtd) -> None:
    """The comparison above means something: errors and objects are among the results."""
    ours = run_cases(daemon, virtrpc=True)
    kinds = {r[0] for r in ours if isinstance(r, list) and r and isinstance(r[0], str)}
    assert {"libvirtError", "TypeError", "object", "bytes", "tuple"} <= kinds


ERRORS = r'''
import sys, libvirt
conn = libvirt.open(sys.argv[1])
ro = libvirt.openReadOnly(sys.argv[2])

def attempt(call):
    try:
        call()
    except libvirt.libvirtError as e:
        print("raised", e.get_error_code(), e.get_error_domain(), e.get_error_level(),
              e.get_str1(), e.get_str2(), e.get_str3(), e.get_int1(), e.get_int2(), str(e),
              file=sys.stderr)

# no handler registered: libvirt prints each error on stderr
attempt(lambda: conn.lookupByName("nosuch"))
attempt(lambda: ro.lookupByName("test").destroy())
attempt(lambda: conn.networkLookupByName("nosuch"))
attempt(lambda: conn.lookupByUUIDString("not-a-uuid"))
attempt(lambda: conn.networkLookupByUUIDString("0123"))
attempt(lambda: conn.nodeDeviceLookupByName("nosuch"))
attempt(lambda: conn.defineXML("<domain"))
print(libvirt.virGetLastError(), libvirt.virGetLastErrorCode(), libvirt.virGetLastErrorDomain(),
      libvirt.virGetLastErrorMessage())
libvirt.virResetLastError()
print(libvirt.virGetLastError(), libvirt.virGetLastErrorCode(), libvirt.virGetLastErrorMessage())
seen = []
libvirt.registerErrorHandler(lambda ctx, err: seen.append((ctx, err)), "ctx")
attempt(lambda: conn.lookupByName("nosuch"))
print(seen)
error = libvirt.libvirtError("custom")
print(str(error), error.err == libvirt.virGetLastError(), error.get_error_code())
libvirt.virResetLastError()
error = libvirt.libvirtError("custom")
print(str(error), error.err, error.get_error_code())
'''


def test_errors_print_and_record_as_libvirt_python(daemon: PrivateLibvirtd) -> None:
    """The default handler's stderr lines, every field of the error, the last
    error, a registered handler, libvirtError built by the program."""
    outputs = []
    for env in (None, shim_env()):
        out = subprocess.run(["/usr/bin/python3", "-c", ERRORS, daemon.uri, daemon.readonly_uri],
                             capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        outputs.append((out.stdout, out.stderr))
    assert "libvirt: Test Driver error : Domain not found" in outputs[0][1]
    assert outputs[1] == outputs[0]


QEMU_AND_LXC = r'''
import sys, libvirt, libvirt_qemu, libvirt_lxc
libvirt.registerErrorHandler(lambda *a: None, None)
print(sorted(n for n in dir(libvirt_qemu) if n.startswith(("VIR_", "qemu"))))
print(sorted(n for n in dir(libvirt_lxc) if n.startswith("lxc")))
print({n: getattr(libvirt_qemu, n) for n in dir(libvirt_qemu) if n.startswith("VIR_")})
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
for call in (lambda: libvirt_qemu.qemuMonitorCommand(dom, '{"execute": "query-status"}', 0),
             lambda: libvirt_qemu.qemuAgentCommand(dom, '{"execute": "guest-ping"}', 5, 0),
             lambda: libvirt_qemu.qemuAttach(conn, 1, 0),
             lambda: libvirt_lxc.lxcOpenNamespace(dom, 0)):
    try:
        print(call())
    except libvirt.libvirtError as e:
        print(e.get_error_code(), e.get_error_domain(), str(e))
'''


def test_libvirt_qemu_and_libvirt_lxc_as_libvirt_python(daemon: PrivateLibvirtd) -> None:
    outputs = []
    for env in (None, shim_env()):
        out = subprocess.run(["/usr/bin/python3", "-c", QEMU_AND_LXC, daemon.uri],
                             capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    assert "qemuMonitorCommandWithFiles" in outputs[0]
    assert outputs[1] == outputs[0]
