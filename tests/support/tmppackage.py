"""Import a package written to a temporary folder without touching ``sys.path``.

Tests that compile ``.x`` files write the generated modules into a folder with
an ``__init__.py`` and import them from there.  Putting the folder's parent on
``sys.path`` would leak into every later import of the process; instead the
package is registered in ``sys.modules`` from its own location (its
``__path__`` is that folder, so ``importlib.import_module("NAME.sub")`` and the
generated modules' relative imports resolve inside it) and removed again,
with every submodule, when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["temporary_package"]


@contextlib.contextmanager
def temporary_package(folder: Path) -> Iterator[str]:
    """Make the package in ``folder`` importable as ``folder.name``; yield that name."""
    name = folder.name
    if name in sys.modules:
        raise ValueError(f"a module named {name!r} is already imported")
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"{folder} is not a package folder")
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    try:
        spec.loader.exec_module(package)
        yield name
    finally:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
