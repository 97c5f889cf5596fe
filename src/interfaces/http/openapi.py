"""What the OpenAPI document (/schema/openapi.json) says beyond the handlers' signatures: the key
as a security scheme (never a key's value), and every error answer with the envelope's shape."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)

from interfaces.http.auth import HEADER
from interfaces.http.presenters import Failure
from interfaces.http.schemas import MONTH, YEAR, Bound

API_KEY_SCHEME = "apiKey"
KEYED: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}]

_MEANING = {
    400: "A parameter or body field is missing, out of range or of the wrong type; the message names it",
    401: "No valid API key in the x-api-key header (or, with signed triggers on, no valid signature)",
    404: "No such job, or no such endpoint",
    409: "The job is not in a state that allows this action",
    413: "The request body is larger than the limit",
    415: "The request body is not JSON",
    422: "The month has not ended yet",
    429: "Too many requests from this address; Retry-After says when to try again",
    500: "An unexpected error; the message gives an id to look up in the service's log",
    503: "The database is unavailable; try again later",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The route's possible error answers, each the envelope with success false."""
    return {
        status: ResponseSpec(
            data_container=Failure, description=_MEANING[status], generate_examples=False
        )
        for status in statuses
    }


def _whole(bound: Bound, description: str) -> Schema:
    return Schema(
        type=OpenAPIType.INTEGER, minimum=bound.low, maximum=bound.high, description=description
    )


@dataclass
class PeriodBodyOperation(Operation):
    """The POSTs read their body themselves, strictly (schemas.period_body), so Litestar cannot
    see it in their signature: this declares it."""

    def __post_init__(self) -> None:
        schema = Schema(
            type=OpenAPIType.OBJECT,
            properties={
                "month": _whole(MONTH, "Month 1-12; give month and year together"),
                "year": _whole(YEAR, "Year, from 2020 to the current year; with month"),
            },
            additional_properties=False,
        )
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=schema)},
            description="The month to reward; empty means the month that has just ended",
            required=False,
        )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Monthly Rewards Service",
        version="0.1.0",
        components=Components(
            security_schemes={
                API_KEY_SCHEME: SecurityScheme(
                    type="apiKey",
                    name=HEADER,
                    security_scheme_in="header",
                    description="A scheduler key, or an admin key (which may also retry)",
                )
            }
        ),
        # The JSON document only: no HTML viewer that would load scripts from elsewhere.
        path="/schema",
        render_plugins=[JsonRenderPlugin()],
        create_examples=False,
    )
