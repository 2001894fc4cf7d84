"""Sans-I/O core of libvirt's RPC protocol.

* :mod:`virtrpc.rpc.packet`: header, message types, limits, packet encoding;
* :mod:`virtrpc.rpc.connection`: the connection state machine (bytes and fds
  in, events out; messages out as bytes);
* :mod:`virtrpc.rpc.events`: the events it emits;
* :mod:`virtrpc.rpc.keepalive`: keepalive timing rules, clock supplied by the caller.

See docs/protocol.md for the wire format and docs/architecture.md for the contract.
"""
