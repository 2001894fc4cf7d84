"""Helpers shared by the test modules: real peers (``peers``), fd accounting
(``fdcount``), foreign inputs (``inputs``), differential runs
(``differential``), TLS/SSH daemons (``tls_fixtures``), a raw wire peer
(``rawpeer``), event queues (``eventqueue``), libvirt-python compatibility
(``libvirt_compat``) and two-host migration (``migration_hosts``)."""
