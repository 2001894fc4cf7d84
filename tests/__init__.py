"""virtrpc's test suite, a package so its modules import shared helpers as
``tests.support.NAME`` (pyproject.toml puts the repository root on pytest's
``pythonpath``; nothing here edits ``sys.path``)."""
