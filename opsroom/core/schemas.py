"""Schemas every API router shares: the error body and text the database can store."""

from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


# Text the database will store: PostgreSQL refuses NUL characters, so they are refused here.
Text = Annotated[str, AfterValidator(_no_nul)]


class ErrorOut(Schema):
    detail: str
