"""The routers of ``/v1``: each route module makes its own with ``v1_router``, so every
route carries its full path (the audit log and the metrics name routes by it), the
bearer scheme and the error answers in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPBearer

from portal_bridge.problems import Problem

# the error answers every authenticated route may give, in its OpenAPI document
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": why}
    for code, why in ((401, "No valid token"), (404, "Unknown, or not this token's"),
                      (422, "A parameter or the body cannot be used"),
                      (429, "Too many requests for this token"))
}  # fmt: skip
# declares the scheme in the document; the token is checked by ``access.claims``
BEARER = HTTPBearer(auto_error=False, bearerFormat="JWT",
                    description="A JWT from the portal: sub (the account), scope, exp")  # fmt: skip


def v1_router(tag: str, *, secured: bool = True) -> APIRouter:
    """A router of ``/v1`` routes tagged ``tag``, behind the bearer scheme unless public."""
    if not secured:
        return APIRouter(prefix="/v1", tags=[tag])
    return APIRouter(prefix="/v1", tags=[tag], dependencies=[Depends(BEARER)], responses=ERRORS)
