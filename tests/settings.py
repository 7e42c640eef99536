"""Tests use the one settings module; this only supplies environment defaults a test run lacks.

Production code never imports this. The fast password hasher keeps user creation cheap.
"""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from promisekeeper.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
