# GENERATED FILE - DO NOT EDIT.
# Source: libvirt-api.xml (sha256 86c06dfb68f15c2c84e562d3afc3b08f84a19a65accc2f57dc41d7b58b911521)
# Regenerate: python -m virtrpc.apigen

"""Types of the typed parameters that setters without a getter take,
from libvirt-api.xml's macros (and virtrpc/apigen/shapes.py PARAM_TYPES)."""

GROUPS: dict[str, dict[str, int]] = {
    'block_copy': {
        'bandwidth': 4,  # VIR_DOMAIN_BLOCK_COPY_BANDWIDTH
        'buf-size': 4,  # VIR_DOMAIN_BLOCK_COPY_BUF_SIZE
        'granularity': 2,  # VIR_DOMAIN_BLOCK_COPY_GRANULARITY
    },
    'identity': {
        'group-name': 7,  # VIR_CONNECT_IDENTITY_GROUP_NAME
        'process-id': 3,  # VIR_CONNECT_IDENTITY_PROCESS_ID
        'process-time': 4,  # VIR_CONNECT_IDENTITY_PROCESS_TIME
        'sasl-user-name': 7,  # VIR_CONNECT_IDENTITY_SASL_USER_NAME
        'selinux-context': 7,  # VIR_CONNECT_IDENTITY_SELINUX_CONTEXT
        'unix-group-id': 4,  # VIR_CONNECT_IDENTITY_UNIX_GROUP_ID
        'unix-user-id': 4,  # VIR_CONNECT_IDENTITY_UNIX_USER_ID
        'user-name': 7,  # VIR_CONNECT_IDENTITY_USER_NAME
        'x509-distinguished-name': 7,  # VIR_CONNECT_IDENTITY_X509_DISTINGUISHED_NAME
    },
    'iothread': {
        'poll_grow': 2,  # VIR_DOMAIN_IOTHREAD_POLL_GROW
        'poll_max_ns': 4,  # VIR_DOMAIN_IOTHREAD_POLL_MAX_NS
        'poll_shrink': 2,  # VIR_DOMAIN_IOTHREAD_POLL_SHRINK
        'thread_pool_max': 1,  # VIR_DOMAIN_IOTHREAD_THREAD_POOL_MAX
        'thread_pool_min': 1,  # VIR_DOMAIN_IOTHREAD_THREAD_POOL_MIN
    },
    'launch_security': {
        'sev-secret': 7,  # VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET
        'sev-secret-header': 7,  # VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_HEADER
        'sev-secret-set-address': 4,  # VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_SET_ADDRESS
    },
    'migrate': {
        'auto_converge.increment': 1,  # VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT
        'auto_converge.initial': 1,  # VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL
        'bandwidth': 4,  # VIR_MIGRATE_PARAM_BANDWIDTH
        'bandwidth.postcopy': 4,  # VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY
        'compression': 7,  # VIR_MIGRATE_PARAM_COMPRESSION
        'compression.mt.dthreads': 1,  # VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS
        'compression.mt.level': 1,  # VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL
        'compression.mt.threads': 1,  # VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS
        'compression.xbzrle.cache': 4,  # VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE
        'destination_name': 7,  # VIR_MIGRATE_PARAM_DEST_NAME
        'destination_xml': 7,  # VIR_MIGRATE_PARAM_DEST_XML
        'disks_port': 1,  # VIR_MIGRATE_PARAM_DISKS_PORT
        'disks_uri': 7,  # VIR_MIGRATE_PARAM_DISKS_URI
        'graphics_uri': 7,  # VIR_MIGRATE_PARAM_GRAPHICS_URI
        'listen_address': 7,  # VIR_MIGRATE_PARAM_LISTEN_ADDRESS
        'migrate_disks': 7,  # VIR_MIGRATE_PARAM_MIGRATE_DISKS
        'parallel.connections': 1,  # VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS
        'persistent_xml': 7,  # VIR_MIGRATE_PARAM_PERSIST_XML
        'tls.destination': 7,  # VIR_MIGRATE_PARAM_TLS_DESTINATION
        'migrate_uri': 7,  # VIR_MIGRATE_PARAM_URI
    },
    'network_port': {
        'inbound.average': 2,  # VIR_NETWORK_PORT_BANDWIDTH_IN_AVERAGE
        'inbound.burst': 2,  # VIR_NETWORK_PORT_BANDWIDTH_IN_BURST
        'inbound.floor': 2,  # VIR_NETWORK_PORT_BANDWIDTH_IN_FLOOR
        'inbound.peak': 2,  # VIR_NETWORK_PORT_BANDWIDTH_IN_PEAK
        'outbound.average': 2,  # VIR_NETWORK_PORT_BANDWIDTH_OUT_AVERAGE
        'outbound.burst': 2,  # VIR_NETWORK_PORT_BANDWIDTH_OUT_BURST
        'outbound.peak': 2,  # VIR_NETWORK_PORT_BANDWIDTH_OUT_PEAK
    },
    'save': {
        'dxml': 7,  # VIR_DOMAIN_SAVE_PARAM_DXML
        'file': 7,  # VIR_DOMAIN_SAVE_PARAM_FILE
    },
}
