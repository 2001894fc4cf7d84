"""The cases of the differential harness (tests/support/libvirt_coverage.py), grouped by class.

Each case is a Python expression (its value is compared) or an assignment
(``name = ...``, later cases use the name), evaluated in the worker with
``libvirt``, ``conn`` (read-write), ``ro`` (read-only), ``uri``, ``ro_uri``,
``scratch`` (an empty folder, the same path on both sides) and ``keep`` (a
callback) in scope.  The groups run in this order in one worker per side;
stateful sequences leave the test driver's default objects (domain ``test``,
network ``default``, pool ``default-pool``, interface ``eth1``, node device
``computer``) as they found them, for the groups after them.
"""

from __future__ import annotations

DOMAIN_XML = (
    "<domain type='test'><name>diff1</name><uuid>8f07fdd4-6d2e-4c1b-9a43-2b8d0e1c5a01</uuid>"
    "<memory>65536</memory>"
    "<os><type>hvm</type></os></domain>"
)
SCRATCH_XML = (
    "<domain type='test'><name>cov1</name><uuid>5708d220-a87d-42d7-9e73-b6c3fcc368fb</uuid>"
    "<memory>65536</memory><vcpu>2</vcpu>"
    "<os><type>hvm</type></os><devices>"
    "<disk type='file' device='disk'><source file='/guest/cov.img'/>"
    "<target dev='vda' bus='virtio'/></disk>"
    "<interface type='network'><mac address='aa:bb:cc:dd:ee:01'/>"
    "<source network='default'/><target dev='covnet0'/></interface>"
    "</devices></domain>"
)
NETWORK_XML = ("<network><name>diffnet</name><uuid>8f07fdd4-6d2e-4c1b-9a43-2b8d0e1c5a02</uuid>"
               "<bridge name='diffbr0'/></network>")
POOL_XML = "<pool type='dir'><name>diffpool</name><target><path>/diff-pool</path></target></pool>"
SECRET_XML = ("<secret ephemeral='no' private='no'><usage type='volume'>"
              "<volume>/diff/vol</volume></usage></secret>")
INTERFACE_XML = ("<interface type='ethernet' name='eth9'><start mode='onboot'/>"
                 "<mac address='aa:bb:cc:dd:ee:09'/></interface>")
VOLUME_XML = "<volume><name>diff.img</name><capacity unit='M'>10</capacity></volume>"
VOLUME2_XML = "<volume><name>copy.img</name><capacity unit='M'>10</capacity></volume>"
DISK_XML = ("<disk type='file' device='disk'><source file='/guest/extra.img'/>"
            "<target dev='vdb' bus='virtio'/></disk>")
NWFILTER_XML = "<filter name='difffilter' chain='root'><rule action='accept' direction='in'/></filter>"
BINDING_XML = ("<filterbinding><owner><name>test</name>"
               "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid></owner>"
               "<portdev name='vnet9'/><mac address='aa:bb:cc:dd:ee:ff'/>"
               "<filterref filter='clean-traffic'/></filterbinding>")
PORT_XML = ("<networkport><owner><name>test</name>"
            "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid></owner>"
            "<mac address='aa:bb:cc:dd:ee:ff'/><plug type='network' bridge='virbr0'/></networkport>")
NODEDEV_XML = ("<device><parent>scsi_host11</parent><capability type='scsi_host'>"
               "<capability type='fc_host'><wwnn>2000000012341234</wwnn>"
               "<wwpn>1000000012341234</wwpn></capability></capability></device>")
MISSING_UUID = "00000000-0000-0000-0000-00000000abcd"

CONNECT = [
    # the connection and the host
    "conn.getInfo()", "conn.getType()", "conn.getVersion()", "conn.getLibVersion()",
    "conn.getHostname()", "conn.getURI()", "conn.getCapabilities()", "conn.getFreeMemory()",
    "conn.getCellsFreeMemory(0, 2)", "conn.getMaxVcpus(None)", "conn.isSecure()",
    "conn.isEncrypted()", "conn.isAlive()", "conn.getSecurityModel()", "conn.getSysinfo(0)",
    "conn.getDomainCapabilities()", "conn.getCPUModelNames('x86_64')", "conn.c_pointer() > 0",
    "conn.getCPUMap()", "conn.getCPUStats(-1)", "conn.getMemoryStats(-1)",
    "conn.getMemoryParameters()", "conn.setMemoryParameters({'shm_pages_to_scan': 10})",
    "conn.getSEVInfo()", "conn.baselineCPU([])", "conn.getFreePages([4], 0, 1)",
    "conn.allocPages({4: 10}, 0, 1)", "conn.compareCPU('<cpu/>')",
    "conn.compareHypervisorCPU(None, None, None, None, '<cpu/>')",
    "conn.baselineHypervisorCPU(None, None, None, None, ['<cpu/>'])",
    "conn.suspendForDuration(0, 1)", "conn.getStoragePoolCapabilities()",
    "conn.findStoragePoolSources('logical', None, 0)",
    "conn.domainXMLFromNative('qemu-argv', 'x', 0)",
    "conn.domainXMLToNative('qemu-argv', '<domain/>', 0)",
    "conn.changeBegin()", "conn.changeCommit()", "conn.changeRollback()",
    "conn.virConnGetLastError()", "conn.virConnResetLastError()",
    "conn.setKeepAlive(5, 3)",  # no event loop registered yet: refused
    # listing and counting
    "conn.listDomainsID()", "conn.listDefinedDomains()", "conn.numOfDomains()",
    "conn.numOfDefinedDomains()", "conn.listAllDomains()",
    "conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)",
    "conn.listNetworks()", "conn.listDefinedNetworks()", "conn.listAllNetworks()",
    "conn.numOfNetworks()", "conn.numOfDefinedNetworks()",
    "conn.listStoragePools()", "conn.listDefinedStoragePools()", "conn.listAllStoragePools()",
    "conn.numOfStoragePools()", "conn.numOfDefinedStoragePools()",
    "conn.listInterfaces()", "conn.listDefinedInterfaces()", "conn.listAllInterfaces()",
    "conn.numOfInterfaces()", "conn.numOfDefinedInterfaces()",
    "conn.listDevices(None, 0)", "conn.numOfDevices(None, 0)", "conn.listAllDevices()",
    "conn.listSecrets()", "conn.listAllSecrets()", "conn.numOfSecrets()",
    "conn.listNWFilters()", "conn.listAllNWFilters()", "conn.numOfNWFilters()",
    "conn.listAllNWFilterBindings()",
    # lookups, good and bad
    "dom = conn.lookupByName('test')", "conn.lookupByID(1)",
    "conn.lookupByUUIDString(dom.UUIDString())", "conn.lookupByUUID(dom.UUID())",
    "conn.lookupByName('nosuch')", "conn.lookupByID(999)", "conn.lookupByName(5)",
    "conn.lookupByUUID(b'0123456789abcdef')", "conn.lookupByID('x')",
    "conn.lookupByUUIDString('6695eb01f6a4830479aa97f2502e193f').name()",
    "conn.lookupByUUIDString('6695EB01-F6A4-8304-79AA-97F2502E193F').name()",
    "conn.lookupByUUIDString(' 6695eb01-f6a4-8304-79aa-97f2502e193f').name()",
    "conn.lookupByUUIDString('6695eb01-f6a4-8304-79aa-97f2502e193f0')",
    "conn.lookupByUUIDString('not-a-uuid')", "conn.lookupByUUIDString(None)",
    "conn.lookupByUUID(bytearray(16))", "conn.lookupByUUID(b'x' * 17)",
    "conn.lookupByUUID('0123456789abcdef')", "conn.lookupByID(-2**31 - 1)",
    "conn.networkLookupByUUIDString(None)", "conn.networkLookupByUUID(5)",
    "conn.networkLookupByUUIDString('0123')", "conn.storagePoolLookupByUUIDString('')",
    "conn.lookupByID(-1)", "conn.lookupByID(2**31)", "conn.lookupByID(2**63)",
    "conn.networkLookupByName(None)", "conn.lookupByName(None)", "conn.lookupByUUID('short')",
    "conn.lookupByUUID(None)", "conn.listAllDomains('x')", "conn.getCellsFreeMemory('a', 1)",
    "conn.networkLookupByName('nosuch')", "conn.storagePoolLookupByName('nosuch')",
    "conn.networkLookupByUUID(b'0123456789abcdef')",
    f"conn.networkLookupByUUIDString({MISSING_UUID!r})",
    "conn.storagePoolLookupByUUID(b'0123456789abcdef')",
    f"conn.storagePoolLookupByUUIDString({MISSING_UUID!r})",
    "conn.storagePoolLookupByTargetPath('/default-pool')",
    "conn.storagePoolLookupByTargetPath('/nosuch')",
    "conn.storageVolLookupByKey('/nosuch/vol')", "conn.storageVolLookupByPath('/nosuch/vol')",
    "conn.interfaceLookupByMACString('aa:bb:cc:dd:ee:ff')",
    "conn.interfaceLookupByMACString('00:00:00:00:00:01')",
    "conn.interfaceLookupByName('nosuch')", "conn.nodeDeviceLookupByName('nosuch')",
    "conn.nodeDeviceLookupSCSIHostByWWN('2000000012341234', '1000000012341234', 0)",
    "conn.nodeDeviceLookupSCSIHostByWWN('0', '0', 0)",
    "conn.secretLookupByUUID(b'0123456789abcdef')",
    f"conn.secretLookupByUUIDString({MISSING_UUID!r})",
    "conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_VOLUME, '/diff/vol')",
    "conn.nwfilterLookupByName('nosuch')", "conn.nwfilterLookupByUUID(b'0123456789abcdef')",
    f"conn.nwfilterLookupByUUIDString({MISSING_UUID!r})",
    "conn.nwfilterBindingLookupByPortDev('vnet9')",
    # None where libvirt requires a string
    "conn.defineXML(None)", "conn.createXML(None, 0)", "conn.networkDefineXML(None)",
    "conn.networkCreateXML(None)", "conn.storagePoolLookupByName(None)",
    "conn.storagePoolDefineXML(None, 0)", "conn.storagePoolCreateXML(None, 0)",
    "conn.interfaceLookupByName(None)", "conn.interfaceDefineXML(None, 0)",
    "conn.nodeDeviceLookupByName(None)", "conn.nodeDeviceCreateXML(None, 0)",
    "conn.storageVolLookupByKey(None)", "conn.storageVolLookupByPath(None)",
    "conn.getCPUModelNames(None)", "conn.compareCPU(None)",
    "conn.compareHypervisorCPU(None, None, None, None, None)",
    "conn.domainXMLFromNative(None, 'x', 0)", "conn.findStoragePoolSources(None, None, 0)",
    "conn.secretLookupByUsage(1, None)", "conn.nwfilterLookupByName(None)",
    "conn.storagePoolLookupByTargetPath(None)", "conn.saveImageGetXMLDesc(None, 0)",
    "conn.restore(None)", "conn.getDomainCapabilities(5)",
    # a second connection, opened and closed
    "extra = libvirt.open(uri)", "extra.getURI() == conn.getURI()", "extra.close()",
    "extra.getType()",
    "extra.lookupByName('test')", "extra.listAllNetworks()", "extra.numOfStoragePools()",
    "extra.listAllDevices()", "extra.interfaceLookupByName('eth1')",
    # the last error: kept after a failure, reset by the next call
    "conn.lookupByName('nosuch')", "libvirt.virGetLastErrorMessage()", "conn.getType()",
    "libvirt.virGetLastError()",
]

DOMAIN_READ = [
    "dom.name()", "dom.ID()", "dom.UUID()", "dom.UUIDString()", "dom.OSType()",
    "dom.isActive()", "dom.isPersistent()", "dom.isUpdated()", "dom.maxMemory()",
    "dom.maxVcpus()", "dom.autostart()", "dom.XMLDesc()", "dom.XMLDesc(1)", "dom.state()",
    "dom.state(0)", "dom.info()", "dom.connect().getURI() == conn.getURI()",
    "dom.c_pointer() > 0", "dom.schedulerType()", "dom.schedulerParameters()",
    "dom.schedulerParametersFlags(0)", "dom.memoryParameters()", "dom.blkioParameters()",
    "dom.numaParameters()", "dom.vcpusFlags(0)", "dom.vcpuPinInfo(0)", "dom.vcpus()",
    "dom.emulatorPinInfo()", "dom.blockInfo('/guest/diskimage1')",
    "dom.blockStats('vda')", "dom.interfaceStats('testnet0')", "dom.controlInfo()",
    "dom.memoryStats()", "dom.jobInfo()", "dom.hasManagedSaveImage(0)",
    "dom.hasCurrentSnapshot()", "dom.snapshotNum()", "dom.snapshotListNames()",
    "dom.listAllSnapshots()", "dom.listAllCheckpoints()", "dom.securityLabel()",
    "dom.hostname()", "dom.setMemory('abc')", "dom.XMLDesc('x')", "dom.XMLDesc(-1)",
    "dom.state(2**40)", "dom.pinVcpu(0, 'x')", "dom.getCPUStats(True)",
    "dom.getCPUStats(False)", "dom.diskErrors()", "dom.fsInfo()",
    "dom.interfaceAddresses(0)", "dom.ioThreadInfo()", "dom.messages()", "dom.guestVcpus()",
    "dom.guestInfo()", "dom.memoryPeek(0, 16, 1)", "dom.blockPeek('vda', 0, 16)",
    "dom.perfEvents()", "dom.interfaceParameters('testnet0')", "dom.blockIoTune('vda')",
    "dom.launchSecurityInfo()", "dom.blockJobInfo('vda')", "dom.migrateGetMaxSpeed()",
    "dom.migrateGetMaxDowntime(0)", "dom.migrateGetCompressionCache(0)",
    "dom.securityLabelList()", "dom.getTime()", "dom.jobStats()", "dom.blockStatsFlags('vda')",
    "dom.blockInfo(None)", "dom.interfaceStats(None)", "dom.blockStats(None)",
    "dom.rename(None, 0)", "dom.snapshotCreateXML(None, 0)", "dom.checkpointCreateXML(None, 0)",
    "dom.attachDevice(None)", "dom.setUserPassword(None, 'x', 0)", "dom.blockPeek(None, 0, 1)",
    "dom.sendKey(0, 10, 'x', 1, 0)", "dom.sendKey(0, 10, [30] * 20, 20, 0)",
    "dom.pinVcpu(0, (True,) * 100)", "dom.pinVcpu(9, (True,))", "dom.memoryPeek(0, 2**20, 1)",
    "dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None, None, 0)",
    "dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, 0)", "dom.metadata(99, None, 0)",
    "dom.authorizedSSHKeysGet('root', 0)", "dom.managedSaveGetXMLDesc(0)",
    "dom.backupGetXMLDesc(0)", "dom.snapshotLookupByName('nosuch')",
    "conn.getAllDomainStats()", "conn.domainListGetStats([dom])",
    # flags, filters, other arguments
    "dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)", "dom.XMLDesc(2**32)", "dom.XMLDesc(2**64)",
    "dom.memoryParameters(libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    "dom.blkioParameters(libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    "dom.numaParameters(libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    "dom.vcpuPinInfo(libvirt.VIR_DOMAIN_AFFECT_CONFIG)", "dom.vcpusFlags(libvirt.VIR_DOMAIN_VCPU_MAXIMUM)",
    "dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)",
    "dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP)",
    "dom.blockInfo('vda')", "dom.blockStats('nosuch')", "dom.interfaceStats('nosuch')",
    "dom.interfaceParameters('nosuch')", "dom.blockIoTune('nosuch')", "dom.blockIoTune(None)",
    "dom.metadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, None, 0)",
    "dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, 'http://example.org/', 0)",
    "dom.getCPUStats(True, 0)", "dom.getCPUStats(1)", "dom.state(libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    "dom.schedulerParametersFlags(libvirt.VIR_DOMAIN_AFFECT_CURRENT)",
    "dom.listAllSnapshots(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_ROOTS)",
    "conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE)",
    "conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE,"
    " libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)",
    "conn.domainListGetStats([dom], libvirt.VIR_DOMAIN_STATS_VCPU)", "conn.domainListGetStats([])",
    "conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)",
    "conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT"
    " | libvirt.VIR_CONNECT_LIST_DOMAINS_RUNNING)",
    "conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_TRANSIENT)",
    "conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT)",
    "conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_INACTIVE)",
    "conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)",
    "conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_DIR)",
    "conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE)",
    "conn.listAllInterfaces(libvirt.VIR_CONNECT_LIST_INTERFACES_INACTIVE)",
    "conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST)",
    "conn.listDevices('scsi_host', 0)", "conn.numOfDevices('scsi_host', 0)",
    "conn.listDevices('nosuch', 0)",
    "conn.getCellsFreeMemory(0, 10)", "conn.getCellsFreeMemory(5, 1)",
    "conn.getFreePages([4, 2048], 0, 2)", "conn.getMaxVcpus('test')", "conn.getMaxVcpus('kvm')",
    "conn.getCPUModelNames('nosuch')", "conn.getCPUStats(0)", "conn.getCPUStats(99)",
    "conn.getDomainCapabilities(None, 'x86_64', None, 'kvm', 0)",
    "conn.getCapabilities() == ro.getCapabilities()",
]

DOMAIN_WRITE = [
    "dom.pinVcpu(0, (True, False))", "dom.vcpuPinInfo()", "dom.pinEmulator((True,))",
    "dom.emulatorPinInfo()", "dom.pinVcpuFlags(1, (True, True), 0)", "dom.vcpuPinInfo()",
    "dom.pinIOThread(1, (True,), 0)", "dom.addIOThread(5, 0)", "dom.ioThreadInfo()",
    "dom.delIOThread(5, 0)", "dom.fsFreeze()", "dom.fsThaw()", "dom.fSTrim(None, 0, 0)",
    "dom.setPerfEvents({'cmt': True})", "dom.perfEvents()",
    "dom.setBlockIoTune('vda', {'total_bytes_sec': 1000})", "dom.blockIoTune('vda')",
    "dom.setBlkioParameters({'weight': 500})", "dom.blkioParameters()",
    "dom.setMemoryParameters({'hard_limit': 1 << 30})", "dom.memoryParameters()",
    "dom.setNumaParameters({'numa_mode': 1})", "dom.numaParameters()",
    "dom.setInterfaceParameters('testnet0', {'inbound.average': 100})",
    "dom.interfaceParameters('testnet0')",
    "dom.setSchedulerParametersFlags({'weight': 30}, 0)", "dom.schedulerParameters()",
    "dom.setMemoryStatsPeriod(5, 0)", "dom.setBlockThreshold('vda', 1000, 0)",
    "dom.setLifecycleAction(libvirt.VIR_DOMAIN_LIFECYCLE_POWEROFF,"
    " libvirt.VIR_DOMAIN_LIFECYCLE_ACTION_RESTART, libvirt.VIR_DOMAIN_AFFECT_LIVE)",
    "dom.setUserPassword('root', 'secret', 0)", "dom.setTime({'seconds': 5, 'nseconds': 0}, 0)",
    "dom.setGuestVcpus('0', 1, 0)", "dom.authorizedSSHKeysSet('root', ['ssh-rsa AAAA'], 0)",
    "dom.agentSetResponseTimeout(5, 0)", "dom.sendProcessSignal(1, 15, 0)",
    "dom.pMSuspendForDuration(libvirt.VIR_NODE_SUSPEND_TARGET_MEM, 0, 0)", "dom.pMWakeup(0)",
    "dom.startDirtyRateCalc(1, 0)", "dom.migrateSetMaxSpeed(7, 0)",
    "dom.migrateSetMaxDowntime(40, 0)", "dom.migrateSetCompressionCache(1 << 20, 0)",
    "dom.migrateStartPostCopy(0)", "dom.abortJob()", "dom.abortJobFlags(0)",
    "dom.blockResize('vda', 1 << 20, 0)", "dom.blockPull('vda', 0, 0)",
    "dom.blockRebase('vda', None, 0, 0)", "dom.blockCommit('vda', None, None, 0, 0)",
    "dom.blockJobSetSpeed('vda', 1, 0)", "dom.blockJobAbort('vda', 0)",
    "dom.blockCopy('vda', '<disk/>', {'bandwidth': 1, 'granularity': 512})",
    "dom.blockCopy('vda', '<disk/>', {'nosuch': 1})",
    "dom.backupBegin('<domainbackup/>', None, 0)",
    "dom.setIOThreadParams(1, {'poll_max_ns': 100})", "dom.setLaunchSecurityState({})",
    "dom.openGraphicsFD(0, 0)", "dom.openGraphics(0, 0, 0)", "dom.FDAssociate('x', [], 0)",
    "dom.createWithFiles([], 0)", "dom.injectNMI(0)", "dom.sendKey(0, 10, [30, 31], 2, 0)",
    "dom.coreDump(scratch + '/core', 0)",
    "dom.coreDumpWithFormat(scratch + '/core2', libvirt.VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, 0)",
    # migration needs a second daemon (tests/test_migration_compat.py): here, its refusals
    "dom.migrate(conn, 0, None, None, 0)", "dom.migrate2(conn, None, 0, None, None, 0)",
    "dom.migrate3(conn, {}, 0)", "dom.migrateToURI('test:///nosuch', 0, None, 0)",
    "dom.migrateToURI2(None, 'tcp:nosuch', None, 0, None, 0)",
    "dom.migrateToURI3('test:///nosuch', {}, 0)",
    # a scratch domain for device, memory and vcpu changes
    f"cov = conn.defineXML({SCRATCH_XML!r})", "cov.create()", "cov.isActive()",
    f"cov.attachDevice({DISK_XML!r})", "cov.XMLDesc().count('<disk')",
    f"cov.detachDevice({DISK_XML!r})", "cov.XMLDesc().count('<disk')",
    f"cov.attachDeviceFlags({DISK_XML!r}, libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    f"cov.updateDeviceFlags({DISK_XML!r}, libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    f"cov.detachDeviceFlags({DISK_XML!r}, libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    "cov.detachDeviceAlias('nosuch', 0)", "cov.setMaxMemory(131072)", "cov.maxMemory()",
    "cov.setVcpus(1)", "cov.vcpusFlags(0)", "cov.setVcpu('1', 0, 0)", "cov.vcpusFlags(0)",
    "cov.setVcpusFlags(2, libvirt.VIR_DOMAIN_AFFECT_CONFIG)",
    "cov.shutdownFlags(0)", "cov.state()", "cov.createWithFlags(0)", "cov.destroyFlags(0)",
    "cov.state()", "cov.create()", "cov.save(scratch + '/cov.save')", "cov.isActive()",
    "conn.saveImageGetXMLDesc(scratch + '/cov.save', 0)[:20]",
    f"conn.saveImageDefineXML(scratch + '/cov.save', {SCRATCH_XML!r}, 0)",
    "conn.restore(scratch + '/cov.save')", "cov.isActive()",
    "cov.saveFlags(scratch + '/cov2.save', None, 0)",
    "conn.restoreFlags(scratch + '/cov2.save', None, 0)", "cov.isActive()",
    "cov.saveParams({'file': scratch + '/cov3.save'})",
    "conn.restoreParams({'file': scratch + '/cov3.save'})", "cov.isActive()",
    "cov.managedSave(0)", f"cov.managedSaveDefineXML({SCRATCH_XML!r}, 0)",
    "cov.managedSaveGetXMLDesc(0)[:20]", "cov.managedSaveRemove(0)",
    "cov.destroy()", "cov.undefine()", "cov.undefine()", "conn.lookupByName('cov1')",
    "conn.defineXMLFlags('<domain', 0)", "conn.createXML('<domain', 0)",
    "conn.createXMLWithFiles('<domain', [], 0)", "conn.createLinux('<domain', 0)",
    # the default domain's lifecycle
    "dom.suspend()", "dom.state()", "dom.suspend()", "dom.resume()", "dom.destroy()",
    "dom.state()", "dom.ID()", "dom.isActive()", "dom.create()", "dom.ID()", "dom.state()",
    "dom.setSchedulerParameters({'weight': 100})", "dom.schedulerParameters()",
    "dom.setSchedulerParameters({'nosuch': 1})", "dom.setSchedulerParameters({'weight': 'x'})",
    "dom.setSchedulerParameters({'weight': 2**40})", "dom.setSchedulerParameters({})",
    "dom.setMemoryParameters({'hard_limit': 'x'})",
    "dom.setMemoryParameters({'hard_limit': -1})", "dom.setBlkioParameters({'weight': 'x'})",
    "dom.setNumaParameters({'numa_nodeset': 5})", "dom.setNumaParameters({'numa_nodeset': '0'})",
    "dom.numaParameters()", "dom.setInterfaceParameters('testnet0', {'inbound.average': 2**40})",
    "dom.setPerfEvents({'cmt': 'x'})", "dom.setPerfEvents({'nosuch': True})",
    "dom.setBlockIoTune('vda', {'total_bytes_sec': 'x'})", "dom.setMemory(4096)", "dom.info()[1:4]",
    f"new = conn.defineXML({DOMAIN_XML!r})", "new.name()", "new.isActive()",
    "new.ID()", "new.create()", "new.ID()", "new.isActive()", "new.destroy()",
    "new.undefine()", "conn.lookupByName('diff1')", "new.name()", "new.UUIDString()",
    "new.XMLDesc()", "new.isActive()", "new.create()", "new.undefine()",
    f"conn.createXML({DOMAIN_XML!r}, 0).ID() > 0", "conn.lookupByName('diff1').destroy()",
    "conn.lookupByName('diff1')",
    "dom.setAutostart(1)", "dom.autostart()", "dom.setAutostart(0)",
    "dom.setMemoryFlags(8192, libvirt.VIR_DOMAIN_AFFECT_CONFIG)", "dom.maxMemory()",
    "dom.setVcpusFlags(1, libvirt.VIR_DOMAIN_AFFECT_LIVE)", "dom.vcpusFlags(0)",
    "dom.shutdown()", "dom.state()", "dom.create()", "dom.reboot(0)", "dom.reset(0)",
    "dom.managedSave(0)", "dom.hasManagedSaveImage(0)", "dom.state()",
    "dom.managedSaveRemove(0)", "dom.create()",
    "dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, 'Title', None, None, 0)",
    "dom.metadata(libvirt.VIR_DOMAIN_METADATA_TITLE, None, 0)",
    "dom.saveParams({'file': '/nonexistent/dir/save.img'})", "conn.setIdentity({})",
    "conn.restoreParams({'file': '/nonexistent/save.img'})",
]

SNAPSHOT_AND_CHECKPOINT = [
    "snap = dom.snapshotCreateXML('<domainsnapshot><name>s1</name></domainsnapshot>')",
    "snap.getName()", "snap.getParent()", "dom.snapshotNum()", "dom.snapshotListNames()",
    "dom.snapshotCurrent().getName()", "snap.isCurrent()", "snap.hasMetadata()",
    "snap.getXMLDesc()[:18]", "snap.getDomain().name()", "snap.domain().name()",
    "snap.getConnect().getURI() == conn.getURI()", "snap.connect().getURI() == conn.getURI()",
    "snap.c_pointer() > 0", "snap.getXMLDesc('x')", "dom.snapshotLookupByName(None)",
    "dom.revertToSnapshot(None)",
    "child = dom.snapshotCreateXML('<domainsnapshot><name>s2</name></domainsnapshot>')",
    "snap.numChildren()", "snap.listChildrenNames()", "snap.listAllChildren()",
    "child.getParent().getName()", "dom.snapshotNum(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_ROOTS)",
    "dom.snapshotListNames(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_LEAVES)",
    "dom.listAllSnapshots(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL)",
    "snap.listAllChildren(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS)",
    "snap.numChildren(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS)",
    "dom.snapshotCreateXML('<domainsnapshot><name>s1</name></domainsnapshot>')",
    "dom.snapshotCreateXML('<domainsnapshot', 0)",
    "dom.snapshotCreateXML('<domainsnapshot/>', libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)",
    "snap.getXMLDesc(libvirt.VIR_DOMAIN_SNAPSHOT_XML_SECURE)[:18]", "dom.snapshotLookupByName('s2').getName()",
    "dom.revertToSnapshot(snap)", "dom.state()", "dom.snapshotCurrent().getName()",
    "child.delete()", "snap.delete()", "snap.delete()", "dom.snapshotNum()",
    "cp = dom.checkpointCreateXML('<domaincheckpoint><name>c1</name></domaincheckpoint>')",
    "cp.getName()", "cp.getXMLDesc()[:20]", "dom.checkpointLookupByName('c1').getName()",
    "cp.getParent()", "cp.getDomain().name()", "cp.domain().name()",
    "cp.getConnect().getURI() == conn.getURI()", "cp.connect().getURI() == conn.getURI()",
    "cp.c_pointer() > 0", "dom.checkpointCreateXML('<domaincheckpoint', 0)",
    "dom.checkpointCreateXML('<domaincheckpoint><name>c1</name></domaincheckpoint>')",
    "cp2 = dom.checkpointCreateXML('<domaincheckpoint><name>c2</name></domaincheckpoint>')",
    "cp2.getParent().getName()", "cp.listAllChildren(0)", "dom.listAllCheckpoints(1)",
    "cp.delete(libvirt.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN)", "cp2.getName()",
    "cp2.getXMLDesc()[:20]", "cp.getXMLDesc('x')", "dom.checkpointLookupByName(5)", "cp.listAllChildren()", "dom.listAllCheckpoints()", "cp.delete()",
    "dom.checkpointLookupByName('c1')",
]

NETWORK = [
    "net = conn.networkLookupByName('default')", "net.name()", "net.UUID()", "net.UUIDString()",
    "net.XMLDesc()", "net.isActive()", "net.isPersistent()", "net.autostart()",
    "net.bridgeName()", "net.connect().getURI() == conn.getURI()", "net.c_pointer() > 0",
    "conn.networkLookupByUUIDString(net.UUIDString())", "conn.networkLookupByUUID(net.UUID())",
    "net.DHCPLeases()", "net.DHCPLeases('aa:bb:cc:dd:ee:ff')", "net.listAllPorts()",
    f"net.portCreateXML({PORT_XML!r})",
    "net.portLookupByUUID(b'0123456789abcdef')",
    f"net.portLookupByUUIDString({MISSING_UUID!r})",
    "net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,"
    " -1, \"<host mac='00:16:3e:77:e2:ed' name='h' ip='192.168.122.10'/>\", 0)",
    "net.XMLDesc().count('<host')",
    "net.setAutostart('x')", "net.XMLDesc('x')", "conn.networkLookupByUUID(None)",
    "net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)", "net.listAllPorts(1)",
    "net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,"
    " -1, \"<host mac='00:16:3e:77:e2:ed' name='h' ip='192.168.122.10'/>\", 0)",
    "net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,"
    " -1, \"<host mac='00:16:3e:77:e2:ed' name='h' ip='192.168.122.10'/>\", 0)",
    "net.update(99, 99, -1, '<x/>', 0)",
    "net.destroy()", "net.isActive()", "net.create()",
    f"n2 = conn.networkDefineXML({NETWORK_XML!r})", "n2.name()", "n2.isActive()",
    "n2.isPersistent()", "n2.create()", "n2.isActive()", "n2.bridgeName()",
    "n2.setAutostart(1)", "n2.autostart()", "n2.destroy()", "n2.undefine()",
    "n2.undefine()", "conn.networkLookupByName('diffnet')",
    f"conn.networkCreateXML({NETWORK_XML!r}).name()",
    "conn.networkLookupByName('diffnet').destroy()",
    f"conn.networkDefineXMLFlags({NETWORK_XML!r}, 0).name()",
    "conn.networkLookupByName('diffnet').undefine()",
    f"conn.networkCreateXMLFlags({NETWORK_XML!r}, 0).name()",
    "conn.networkLookupByName('diffnet').destroy()",
]

INTERFACE = [
    "iface = conn.interfaceLookupByName('eth1')", "iface.name()", "iface.MACString()",
    "iface.XMLDesc()", "iface.isActive()", "iface.connect().getURI() == conn.getURI()",
    "iface.c_pointer() > 0", "iface.XMLDesc('x')", "conn.interfaceLookupByMACString(None)",
    f"i2 = conn.interfaceDefineXML({INTERFACE_XML!r})", "i2.name()", "i2.isActive()",
    "i2.create()", "i2.isActive()", "i2.create()", "i2.XMLDesc(libvirt.VIR_INTERFACE_XML_INACTIVE)[:10]",
    "conn.interfaceDefineXML('<interface', 0)", "i2.destroy()", "i2.undefine()", "i2.undefine()",
    "conn.interfaceLookupByName('eth9')",
]

STORAGE = [
    "pool = conn.storagePoolLookupByName('default-pool')", "pool.name()", "pool.info()",
    "pool.UUID()", "pool.UUIDString()", "pool.XMLDesc()", "pool.isActive()",
    "pool.isPersistent()", "pool.autostart()", "pool.numOfVolumes()", "pool.listVolumes()",
    "pool.listAllVolumes()", "pool.connect().getURI() == conn.getURI()",
    "pool.c_pointer() > 0", "conn.storagePoolLookupByUUID(pool.UUID()).name()",
    "conn.storagePoolLookupByUUIDString(pool.UUIDString()).name()",
    "pool.storageVolLookupByName('nosuch')", "pool.storageVolLookupByName(1)",
    "pool.storageVolLookupByName(None)", "pool.createXML(None, 0)",
    "pool.createXMLFrom(None, None, 0)",
    "pool.XMLDesc(libvirt.VIR_STORAGE_XML_INACTIVE)", "pool.refresh(0)", "pool.build(0)",
    "pool.create()", "pool.info()", "pool.listAllVolumes(1)", "pool.createXML('<volume', 0)",
    f"pool.createXML({VOLUME_XML!r}, 99)",
    "pool.setAutostart('x')", "pool.listAllVolumes('x')",
    f"vol = pool.createXML({VOLUME_XML!r})", "vol.name()", "vol.key()",
    "vol.path()", "vol.info()", "vol.infoFlags(0)", "vol.XMLDesc()[:8]",
    "vol.connect().getURI() == conn.getURI()", "vol.c_pointer() > 0",
    "vol.storagePoolLookupByVolume().name()", "pool.storageVolLookupByName('diff.img').key()",
    "conn.storageVolLookupByKey(vol.key()).name()",
    "conn.storageVolLookupByPath(vol.path()).name()", "pool.listVolumes()",
    "vol.XMLDesc(0)[:8]", "vol.info()[0]", f"pool.createXML({VOLUME_XML!r})", "vol.wipePattern('x', 0)", "vol.resize(20 << 20, 0)", "vol.info()", "vol.wipe(0)",
    "vol.wipePattern(libvirt.VIR_STORAGE_VOL_WIPE_ALG_ZERO, 0)",
    f"copy = pool.createXMLFrom({VOLUME2_XML!r}, vol, 0)", "copy.name()", "copy.delete()",
    "vol.upload(None, 0, 10, 0)", "vol.download(None, 0, 10, 0)",
    "st = conn.newStream(0)", "vol.upload(st, 0, 10, 0)", "st.abort()",
    "st = conn.newStream(0)", "vol.download(st, 0, 10, 0)", "st.abort()",
    "vol.delete()", "vol.delete()",
    f"p2 = conn.storagePoolDefineXML({POOL_XML!r})", "p2.name()", "p2.isActive()",
    "p2.build()", "p2.create()", "p2.info()", "p2.refresh()", "p2.numOfVolumes()",
    "p2.setAutostart(1)", "p2.autostart()", "p2.destroy()", "p2.delete(0)", "p2.undefine()",
    "p2.undefine()", f"conn.storagePoolCreateXML({POOL_XML!r}, 0).name()",
    "conn.storagePoolLookupByName('diffpool').destroy()",
]

NODEDEV = [
    "dev = conn.nodeDeviceLookupByName('computer')", "dev.name()", "dev.XMLDesc()",
    "dev.listCaps()", "dev.numOfCaps()", "dev.parent()", "dev.isActive()", "dev.XMLDesc('x')",
    "dev.isPersistent()", "dev.autostart()", "dev.setAutostart(1)",
    "dev.connect().getURI() == conn.getURI()", "dev.c_pointer() > 0",
    "dev.dettach()", "dev.detachFlags(None, 0)", "dev.reAttach()", "dev.reset()",
    "dev.create(0)", "dev.destroy()", "dev.undefine(0)", "dev.XMLDesc(0)[:8]",
    "conn.nodeDeviceLookupByName('scsi_host1').parent()",
    "conn.nodeDeviceLookupByName('scsi_host1').listCaps()",
    "conn.nodeDeviceLookupByName('scsi_host11').XMLDesc().count('vport')",
    "conn.nodeDeviceLookupByName('scsi_host2').destroy()",
    f"conn.nodeDeviceCreateXML({NODEDEV_XML!r}, 0)",
    f"conn.nodeDeviceDefineXML({NODEDEV_XML!r}, 0)",
]

SECRET_AND_NWFILTER = [
    # the test driver has neither secrets nor network filters: their refusals
    f"conn.secretDefineXML({SECRET_XML!r})",
    "conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_VOLUME, '/diff/vol')",
    f"conn.nwfilterDefineXML({NWFILTER_XML!r})",
    f"conn.nwfilterDefineXMLFlags({NWFILTER_XML!r}, 0)",
    f"conn.nwfilterBindingCreateXML({BINDING_XML!r}, 0)",
]

STREAM = [
    "st = conn.newStream()", "dom.screenshot(st, 0, 0)", "st.recv(8)",
    "st.recvFlags(8, 0)", "st.recvHole(0)",
    "chunks = []", "st.recvAll(lambda s, data, acc: acc.append(len(data)) or 0, chunks)",
    "sum(chunks) > 0", "st.finish()", "st.connect().getURI() == conn.getURI()",
    "st.c_pointer() > 0", "st.recv('x')", "dom.screenshot(None, 0, 0)",
    "unused = conn.newStream()", "unused.recv(10)", "unused.send(b'x')", "unused.finish()",
    "unused.abort()", "unused.recvHole()", "unused.sendHole(5)", "unused.recvFlags(10)",
    "unused = conn.newStream()", "unused.sendAll(lambda s, n, q: b'', None)",
    "unused = conn.newStream()",
    "unused.sparseRecvAll(lambda s, d, o: 0, lambda s, n, o: 0, None)",
    "unused = conn.newStream()",
    "unused.sparseSendAll(lambda s, n, o: b'', lambda s, o: (True, 0), lambda s, n, o: 0, None)",
    "unused = conn.newStream()", "unused.eventAddCallback(1, keep, None)",
    "unused.eventUpdateCallback(1)", "unused.eventRemoveCallback()", "unused.abort()",
    "dom.openConsole(None, None, 0)", "dom.openChannel(None, None, 0)",
    "st = conn.newStream()", "dom.openConsole(None, st, 0)", "st.abort()",
    "st = conn.newStream()", "dom.openChannel(None, st, 0)", "st.abort()",
]

READ_ONLY = [
    "rodom = ro.lookupByName('test')", "rodom.info()[:4]", "rodom.destroy()",
    f"ro.defineXML({DOMAIN_XML!r})", "rodom.setMemory(4096)", "rodom.suspend()",
    "ro.networkLookupByName('default').destroy()",
    f"ro.networkDefineXML({NETWORK_XML!r})",
    "ro.storagePoolLookupByName('default-pool').refresh()",
    "ro.interfaceLookupByName('eth1').destroy()",
    "ro.nodeDeviceLookupByName('computer').XMLDesc()[:8]",
    "rodom.snapshotCreateXML('<domainsnapshot/>')", "rodom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE)",
]

EVENTS = [
    # without an event loop libvirt refuses event registrations
    "conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, keep, None)",
    "conn.domainEventRegister(keep, None)",
    "libvirt.virEventRegisterDefaultImpl()",
    "ev = libvirt.open(uri)",
    "ev.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, keep, None)",
    # objects of another connection are refused
    "ev.networkEventRegisterAny(net, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.storagePoolEventRegisterAny(pool, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, keep,"
    " None)",
    "ev.nodeDeviceEventRegisterAny(dev, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.domainEventRegisterAny(ev.lookupByName('test'), libvirt.VIR_DOMAIN_EVENT_ID_REBOOT,"
    " keep, None)",
    "ev.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.secretEventRegisterAny(None, libvirt.VIR_SECRET_EVENT_ID_LIFECYCLE, keep, None)",
    "ev.domainEventRegisterAny(None, 99, keep, None)",
    "ev.domainEventRegister(keep, None)", "ev.domainEventDeregister(keep)",
    "ev.domainEventDeregisterAny(0)", "ev.domainEventDeregisterAny(0)",
    "ev.domainEventDeregisterAny(2)", "ev.networkEventDeregisterAny(3)",
    "ev.networkEventDeregisterAny(2)", "ev.storagePoolEventDeregisterAny(3)",
    "ev.nodeDeviceEventDeregisterAny(4)", "ev.domainEventDeregisterAny(1)",
    "ev.secretEventDeregisterAny(5)", "ev.secretEventDeregisterAny(5)",
    "ev.registerCloseCallback(keep, None)", "ev.registerCloseCallback(keep, None)",
    "ev.unregisterCloseCallback()", "ev.unregisterCloseCallback()",
    "ev.setKeepAlive(5, 3)", "ev.close()",
]

LOOP = [
    # the event loop functions, on the default loop registered above
    "tick = libvirt.virEventAddTimeout(0, lambda timer, opaque: opaque.append('tick'), seen)",
    "tick > 0", "while 'tick' not in seen: libvirt.virEventRunDefaultImpl()",
    "libvirt.virEventUpdateTimeout(tick, -1)", "libvirt.virEventRemoveTimeout(tick)",
    "os = __import__('os')", "pipe = os.pipe()",
    "watch = libvirt.virEventAddHandle(pipe[0], libvirt.VIR_EVENT_HANDLE_READABLE,"
    " lambda w, fd, events, opaque: opaque.append(os.read(fd, 4)), seen)",
    "watch > 0", "os.write(pipe[1], b'ping')",
    "while b'ping' not in seen: libvirt.virEventRunDefaultImpl()", "libvirt.virEventUpdateHandle(watch, 0)",
    "libvirt.virEventRemoveHandle(watch)", "os.close(pipe[0])", "os.close(pipe[1])",
    "libvirt.virEventAddTimeout('x', keep, None)", "libvirt.virEventAddHandle(-1, 1, None, None)",
]

MODULE = [
    "libvirt.getVersion()", "libvirt.getVersion('Test')", "libvirt.getVersion('nosuch')",
    "libvirt.virInitialize()",
    "other = libvirt.openReadOnly(ro_uri)", "other.getType()", "other.close()",
    "other = libvirt.openAuth(uri, [[libvirt.VIR_CRED_AUTHNAME], keep, None], 0)",
    "other.getType()", "other.close()",  # openAuth(uri, 'x', 0) crashes libvirt-python
    "libvirt.open('test+unix:///default?socket=/nonexistent/sock')",
    "libvirt.openReadOnly('test+unix:///default?socket=/nonexistent/sock')",
    "libvirt.open('nosuch://')", "libvirt.open(5)",
    "libvirt.virGetLastErrorCode()", "libvirt.virGetLastErrorDomain()",
    "libvirt.virGetLastErrorMessage()", "libvirt.virGetLastError()[:3]",
    "libvirt.virResetLastError()", "libvirt.virGetLastError()", "libvirt.virGetLastErrorCode()",
    "libvirt.registerErrorHandler(lambda ctx, err: seen.append(err[0]), None)",
    "conn.lookupByName('nosuch')", "seen[-1]",
    "libvirt.registerErrorHandler(lambda ctx, err: None, None)",
    "err = libvirt.libvirtError('custom')", "str(err)", "err.get_error_code()",
    "err.get_error_domain()", "err.get_error_message()", "err.get_error_level()",
    "err.get_str1()", "err.get_str2()", "err.get_str3()", "err.get_int1()", "err.get_int2()",
    "qemu = __import__('libvirt_qemu')", "lxc = __import__('libvirt_lxc')",
    "qemu.qemuMonitorCommand(dom, '{\"execute\": \"query-status\"}', 0)",
    "qemu.qemuAgentCommand(dom, '{\"execute\": \"guest-ping\"}', 5, 0)",
    "qemu.qemuAttach(conn, 1, 0)", "qemu.qemuMonitorCommandWithFiles(dom, '{}', [], 0)",
    "qemu.qemuMonitorEventRegister(conn, dom, None, keep, None, 0)",
    "qemu.qemuMonitorEventDeregister(conn, 0)",
    "lxc.lxcOpenNamespace(dom, 0)",
]

LAST = [
    # the default domain goes last: renamed, then undefined
    "dom.rename('other', 0)", "dom.undefineFlags(0)", "dom.undefine()",
]

#: The groups, in the order they run.
GROUPS: dict[str, list[str]] = {
    "connect": CONNECT, "domain_read": DOMAIN_READ, "domain_write": DOMAIN_WRITE,
    "snapshot_checkpoint": SNAPSHOT_AND_CHECKPOINT, "network": NETWORK,
    "interface": INTERFACE, "storage": STORAGE, "nodedev": NODEDEV,
    "secret_nwfilter": SECRET_AND_NWFILTER, "stream": STREAM, "read_only": READ_ONLY,
    "events": EVENTS, "loop": LOOP, "module": MODULE, "last": LAST,
}

#: Results that change with time (the test driver's counters follow the
#: clock): only their shape is compared.
VOLATILE = {"dom.blockStats('vda')", "dom.interfaceStats('testnet0')", "dom.getTime()",
            "dom.getCPUStats(True)", "dom.getCPUStats(False)", "conn.getCPUStats(-1)",
            "dom.info()", "dom.vcpus()", "dom.memoryStats()", "conn.getAllDomainStats()",
            "conn.domainListGetStats([dom])", "dom.blockStatsFlags('vda')"}
