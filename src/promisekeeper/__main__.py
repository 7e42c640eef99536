"""The `promisekeeper` console script: Django's manage.py with our settings as the default."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command, e.g. `promisekeeper migrate` or `promisekeeper demo`.

    `promisekeeper engine ...` runs the engine on instance files and needs no database,
    so it skips Django entirely and starts fast; so does `promisekeeper simulate ...`, the
    replay of a business that compares quoting policies.
    """
    argv = argv if argv is not None else sys.argv
    if argv[1:2] == ["engine"]:
        from promisekeeper.engine_cli import main as engine_main

        sys.exit(engine_main(argv[2:]))
    if argv[1:2] == ["simulate"]:
        from promisekeeper.simulation.cli import main as simulate_main

        sys.exit(simulate_main(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promisekeeper.settings")
    if argv[1:2] == ["demo"]:
        # The demo is for trying it out locally: debug on, built-in development key.
        os.environ.setdefault("PROMISEKEEPER_DEV", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
