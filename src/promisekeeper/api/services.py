"""Issue and check API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User

from promisekeeper.api.models import ApiToken


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token and return it with its plain key, which is shown once and never stored."""
    key = "pk_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, key_hash=token_hash(key))
    token.full_clean()
    token.save()
    return token, key
