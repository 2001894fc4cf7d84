"""``python -m virtrpc``: the same as the ``virtrpc`` command."""

import sys

from virtrpc.cli import main

sys.exit(main())
