"""The `promisekeeper` console script: Django's manage.py with our settings as the default."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command, e.g. `promisekeeper migrate` or `promisekeeper demo`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promisekeeper.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
