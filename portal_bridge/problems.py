"""Errors as RFC 9457 problem details: a status, a title, and what the client can do.

Every error the bridge answers goes through here, including FastAPI's validation errors
(422, one entry per bad parameter with what would be accepted) and anything unforeseen
(500, logged, without internals in the answer).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("portal_bridge")
PROBLEM_JSON = "application/problem+json"


class InvalidParam(BaseModel):
    """One parameter that could not be used."""

    name: str = Field(description="Where it was: query.from, path.meter_id, body.index ...")
    reason: str = Field(description="What is wrong with it and what would be accepted")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field("about:blank", description="URI of the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="HTTP status code")
    detail: str = Field(description="What happened here and what to do about it")
    instance: str | None = Field(None, description="The request path")
    invalid_params: list[InvalidParam] | None = Field(None, description="Parameters refused")
    extra: dict[str, Any] | None = Field(None, description="Figures behind the problem")


class ApiError(Exception):
    """An answer other than success, with what the client can do about it."""

    def __init__(
        self, status: int, title: str, detail: str, *, extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.extra, self.headers = extra, headers


def not_found(kind: str, object_id: object) -> ApiError:
    """The one answer for an object that is unknown or not the token's: ids cannot be probed."""
    return ApiError(404, "Not Found", f"no {kind} {object_id} is visible to this token")


def unprocessable(name: str, reason: str) -> ApiError:
    """422 for one parameter the handler itself refuses."""
    error = ApiError(422, "Unprocessable Content", f"{name}: {reason}")
    error.extra = {"invalid_params": [{"name": name, "reason": reason}]}
    return error


def problem_response(
    request: Request, problem: Problem, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The problem as a JSON response of its status."""
    problem.instance = request.url.path
    body = problem.model_dump(exclude_none=True)
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM_JSON)


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    extra = dict(exc.extra or {})
    params = extra.pop("invalid_params", None)
    problem = Problem(title=exc.title, status=exc.status, detail=exc.detail,
                      invalid_params=params, extra=extra or None)  # fmt: skip
    return problem_response(request, problem, exc.headers)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not Found", 405: "Method Not Allowed", 401: "Unauthorized"}
    detail = str(exc.detail)
    if exc.status_code == 404:
        detail = f"{request.url.path} is not a route of this API; see /v1/openapi.json"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}; see /v1/openapi.json"
    problem = Problem(title=titles.get(exc.status_code, detail), status=exc.status_code,
                      detail=detail)  # fmt: skip
    return problem_response(request, problem, getattr(exc, "headers", None))


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    params = [InvalidParam(name=_location(e["loc"]), reason=_reason(e)) for e in exc.errors()]
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params[:5])
    problem = Problem(title="Unprocessable Content", status=422, detail=detail,
                      invalid_params=params)  # fmt: skip
    return problem_response(request, problem)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def _reason(error: dict[str, Any]) -> str:
    """Pydantic's message, with the value given (cut short) so the person sees what was sent."""
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    given = error.get("input")
    if given is None or isinstance(given, dict | list):
        return message
    return f"{message} (given {str(given)[:60]!r})"


def _unforeseen(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unforeseen error on %s %s", request.method, request.url.path, exc_info=exc)
    problem = Problem(title="Internal Server Error", status=500,
                      detail="the bridge failed to answer; the error is logged, try again later")  # fmt: skip
    return problem_response(request, problem)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem detail."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unforeseen)
