"""Tests use the one settings module; this only supplies environment defaults a test run lacks.

Production code never imports this. The fast password hasher keeps user creation cheap.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from promisekeeper.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than :memory:, so concurrency tests get real WAL locking and busy
    # timeouts across connections, as in production.
    # One file per run: a stale -shm/-wal beside a recreated file gives "disk I/O error".
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"pk-test-{os.getpid()}.sqlite3")
    }
