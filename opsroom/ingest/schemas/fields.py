"""Field types every ingest schema shares: bounded text, money, timestamps with a time zone.

Bounds match the database columns, so an item that validates can always be stored.
"""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo
from pydantic import StringConstraints as S

from opsroom.core import clock

# Timestamps more than this far ahead of the clock are refused (clock skew is allowed for).
FUTURE_ALLOWANCE = timedelta(days=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MONEY_LIMIT = 2**53  # minor units; JSON numbers are exact up to here


class ItemIn(BaseModel):
    """One item of a batch. Unknown fields are refused, so a misspelt field is not lost."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def validation_context() -> dict[str, Any]:
    """The context a batch is validated in: the latest timestamp accepted."""
    return {"latest": clock.now() + FUTURE_ALLOWANCE}


def _in_range(value: datetime) -> datetime:
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must be between 1970-01-01 and 9000-01-01")
    return value


def _happened(value: datetime, info: ValidationInfo) -> datetime:
    value = _in_range(value)
    context = info.context or {}
    latest = context.get("latest") or clock.now() + FUTURE_ALLOWANCE
    if value > latest:
        raise ValueError("is more than a day in the future")
    return value


def _email(value: str) -> str:
    # Lower-casing can lengthen text ("İ" becomes two characters): check the stored form.
    value = value.lower()
    if len(value) > 254:
        raise ValueError("must be at most 254 characters")
    return value


def _moment(value: datetime) -> datetime:
    return _in_range(value)


def _month(value: str) -> str:
    if not 1970 <= int(value[:4]) < 9000:
        raise ValueError("must be a month between 1970-01 and 8999-12")
    return value


# A calendar month as YYYY-MM.
Month = Annotated[str, S(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), AfterValidator(_month)]


# When something happened: with a time zone, and not more than a day ahead.
Happened = Annotated[AwareDatetime, AfterValidator(_happened)]
# A scheduled time (a period end, a due date, a trial end): with a time zone, may be ahead.
Moment = Annotated[AwareDatetime, AfterValidator(_moment)]


# Text of at most N characters; Required* also refuses an empty string.
Text32 = Annotated[str, S(max_length=32)]
Text40 = Annotated[str, S(max_length=40)]
Text64 = Annotated[str, S(max_length=64)]
Text100 = Annotated[str, S(max_length=100)]
Text128 = Annotated[str, S(max_length=128)]
Text200 = Annotated[str, S(max_length=200)]
Text254 = Annotated[str, S(max_length=254)]
Text255 = Annotated[str, S(max_length=255)]
Text300 = Annotated[str, S(max_length=300)]
Text500 = Annotated[str, S(max_length=500)]
TextLong = Annotated[str, S(max_length=1_000_000)]
# An email address as stored: lower-case, at most 254 characters.
Email = Annotated[str, S(max_length=254), AfterValidator(_email)]
# An HTTP method (RFC 9110 token, letters only here), stored upper-case: GET, POST, PROPFIND.
HttpMethod = Annotated[str, S(min_length=1, max_length=8, pattern=r"^[A-Za-z]+$", to_upper=True)]
Required64 = Annotated[str, S(min_length=1, max_length=64)]
Required100 = Annotated[str, S(min_length=1, max_length=100)]
Required200 = Annotated[str, S(min_length=1, max_length=200)]
Required254 = Annotated[str, S(min_length=1, max_length=254)]
Required255 = Annotated[str, S(min_length=1, max_length=255)]
Required300 = Annotated[str, S(min_length=1, max_length=300)]
Required500 = Annotated[str, S(min_length=1, max_length=500)]
RequiredLong = Annotated[str, S(min_length=1, max_length=1_000_000)]
Key = Annotated[str, S(min_length=1, max_length=128)]
Currency = Annotated[str, S(pattern=r"^[A-Za-z]{3}$", to_lower=True)]
Money = Annotated[int, Field(ge=-MONEY_LIMIT, le=MONEY_LIMIT)]
PositiveMoney = Annotated[int, Field(ge=0, le=MONEY_LIMIT)]
SmallCount = Annotated[int, Field(ge=0, le=32767)]
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]
Milliseconds = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
# A JSON object; its keys are strings already (validating each one costs a third of a batch).
if TYPE_CHECKING:
    JsonObject = dict[str, Any]
else:
    JsonObject = dict
