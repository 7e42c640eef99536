"""Look up API tokens."""

from __future__ import annotations

from promisekeeper.api.models import ApiToken
from promisekeeper.api.services import token_hash


def api_token_get_active(*, key: str) -> ApiToken | None:
    """The token with this plain key whose user is active, or None."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(key), user__is_active=True)
        .first()
    )
