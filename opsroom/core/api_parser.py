"""How the JSON API reads request bodies: orjson, and no value nested or sized past the limits."""

from typing import Any, cast

import orjson
from django.http import HttpRequest
from ninja.parser import Parser

from opsroom.core.errors import InvalidInput
from opsroom.core.jsonshape import json_parse


class BodyRefused(InvalidInput):
    """A request body the API does not read; the message says why."""


class BoundedJsonParser(Parser):
    """Python's json module recurses: 5,000 nested brackets would end in a 500. orjson does not."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            return cast(dict[str, Any], json_parse(request.body, what="The request body"))
        except InvalidInput as exc:
            raise BodyRefused(exc.message) from None
        except orjson.JSONDecodeError as exc:  # pragma: no cover - json_parse catches it
            raise BodyRefused(f"The request body is not valid JSON: {exc}.") from None
