"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from promisekeeper.api.selectors import api_token_get_active


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_get_active(key=token)
        if api_token is None:
            return None
        request.user = api_token.user
        return api_token.user
