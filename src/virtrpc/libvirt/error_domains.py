# GENERATED FILE - DO NOT EDIT.
# Source: virerror.c (sha256 32e03790b69e75119df214ff3466dbdaeaf09a5defe5862419afba178087fe6e)
# Regenerate: python -m virtrpc.apigen --libvirt-source $(python tools/inputs.py path libvirt-9.0.0)

"""What libvirt's default error handler prints for each error domain
(``libvirt: <label> <level> : <message>``), from libvirt's virerror.c."""

DOMAIN_LABELS: tuple[str, ...] = (
    '',  # 0 VIR_FROM_NONE
    'Xen Driver',  # 1 VIR_FROM_XEN
    'Xen Daemon',  # 2 VIR_FROM_XEND
    'Xen Store',  # 3 VIR_FROM_XENSTORE
    'S-Expression',  # 4 VIR_FROM_SEXPR
    'XML Util',  # 5 VIR_FROM_XML
    'Domain',  # 6 VIR_FROM_DOM
    'XML-RPC',  # 7 VIR_FROM_RPC
    'Proxy Daemon',  # 8 VIR_FROM_PROXY
    'Config File',  # 9 VIR_FROM_CONF
    'QEMU Driver',  # 10 VIR_FROM_QEMU
    'Network',  # 11 VIR_FROM_NET
    'Test Driver',  # 12 VIR_FROM_TEST
    'Remote Driver',  # 13 VIR_FROM_REMOTE
    'OpenVZ Driver',  # 14 VIR_FROM_OPENVZ
    'Xen XM Driver',  # 15 VIR_FROM_XENXM
    'Linux Statistics',  # 16 VIR_FROM_STATS_LINUX
    'LXC Driver',  # 17 VIR_FROM_LXC
    'Storage Driver',  # 18 VIR_FROM_STORAGE
    'Network Driver',  # 19 VIR_FROM_NETWORK
    'Domain Config',  # 20 VIR_FROM_DOMAIN
    'User Mode Linux Driver',  # 21 VIR_FROM_UML
    'Node Device Driver',  # 22 VIR_FROM_NODEDEV
    'Xen Inotify Driver',  # 23 VIR_FROM_XEN_INOTIFY
    'Security Driver',  # 24 VIR_FROM_SECURITY
    'VirtualBox Driver',  # 25 VIR_FROM_VBOX
    'Network Interface Driver',  # 26 VIR_FROM_INTERFACE
    'Open Nebula Driver',  # 27 VIR_FROM_ONE
    'ESX Driver',  # 28 VIR_FROM_ESX
    'Power Hypervisor Driver',  # 29 VIR_FROM_PHYP
    'Secrets Driver',  # 30 VIR_FROM_SECRET
    'CPU Driver',  # 31 VIR_FROM_CPU
    'XenAPI Driver',  # 32 VIR_FROM_XENAPI
    'Network Filter Driver',  # 33 VIR_FROM_NWFILTER
    'Lifecycle Hook',  # 34 VIR_FROM_HOOK
    'Domain Snapshot',  # 35 VIR_FROM_DOMAIN_SNAPSHOT
    'Audit Utils',  # 36 VIR_FROM_AUDIT
    'Sysinfo Utils',  # 37 VIR_FROM_SYSINFO
    'I/O Stream Utils',  # 38 VIR_FROM_STREAMS
    'VMware Driver',  # 39 VIR_FROM_VMWARE
    'Event Loop',  # 40 VIR_FROM_EVENT
    'Xen Light Driver',  # 41 VIR_FROM_LIBXL
    'Lock Driver',  # 42 VIR_FROM_LOCKING
    'Hyper-V Driver',  # 43 VIR_FROM_HYPERV
    'Capabilities Utils',  # 44 VIR_FROM_CAPABILITIES
    'URI Utils',  # 45 VIR_FROM_URI
    'Authentication Utils',  # 46 VIR_FROM_AUTH
    'DBus Utils',  # 47 VIR_FROM_DBUS
    'Parallels Cloud Server',  # 48 VIR_FROM_PARALLELS
    'Device Config',  # 49 VIR_FROM_DEVICE
    'SSH transport layer',  # 50 VIR_FROM_SSH
    'Lock Space',  # 51 VIR_FROM_LOCKSPACE
    'Init control',  # 52 VIR_FROM_INITCTL
    'Identity',  # 53 VIR_FROM_IDENTITY
    'Cgroup',  # 54 VIR_FROM_CGROUP
    'Access Manager',  # 55 VIR_FROM_ACCESS
    'Systemd',  # 56 VIR_FROM_SYSTEMD
    'Bhyve',  # 57 VIR_FROM_BHYVE
    'Crypto',  # 58 VIR_FROM_CRYPTO
    'Firewall',  # 59 VIR_FROM_FIREWALL
    'Polkit',  # 60 VIR_FROM_POLKIT
    'Thread jobs',  # 61 VIR_FROM_THREAD
    'Admin Interface',  # 62 VIR_FROM_ADMIN
    'Log Manager',  # 63 VIR_FROM_LOGGING
    'Xen XL Config',  # 64 VIR_FROM_XENXL
    'Perf',  # 65 VIR_FROM_PERF
    'Libssh transport layer',  # 66 VIR_FROM_LIBSSH
    'Resource control',  # 67 VIR_FROM_RESCTRL
    'FirewallD',  # 68 VIR_FROM_FIREWALLD
    'Domain Checkpoint',  # 69 VIR_FROM_DOMAIN_CHECKPOINT
    'TPM',  # 70 VIR_FROM_TPM
    'BPF',  # 71 VIR_FROM_BPF
    'Cloud-Hypervisor Driver',  # 72 VIR_FROM_CH
)
