"""JSON forms of XDR values (compatibility module: the code is
:mod:`virtrpc.jsonvalues`, below the client so that the capture decoder in
:mod:`virtrpc.wire` can use it without importing the client layer)."""

from __future__ import annotations

from virtrpc.jsonvalues import from_json, to_json, value_to_json

__all__ = ["from_json", "to_json", "value_to_json"]
