"""Helpers shared by the test modules, imported as ``tests.support.NAME``:

- ``peers``: real peers (private libvirtd, virsh, libvirt-python), ``require_peer``
- ``served``: the test hypervisor (or any Server) served in-process
- ``connpair``: two sans-I/O connections pumped into each other
- ``fdcount``: fd leak checks
- ``peek``: the one place tests read a client's internals
- ``rawclient`` / ``rawpeer``: raw asyncio / blocking wire clients for bad input
- ``inputs``: foreign inputs (libvirt releases, libvirt-python's sdist)
- ``differential``: one workload against libvirtd and ``virtrpc serve``
- ``tls_fixtures``: PKI, TLS/TCP libvirtd, private sshd
- ``eventqueue``, ``libvirt_compat``, ``migration_hosts``, ``tmppackage``
"""
