"""Generator of :mod:`virtrpc.libvirt` from libvirt's API description.

``python -m virtrpc.apigen [--api-dir DIR] [--check]`` reads
``libvirt-api.xml`` and ``libvirt-qemu-api.xml`` and rewrites the generated
modules of ``src/virtrpc/libvirt/`` (see :mod:`virtrpc.apigen.emit`).
"""
