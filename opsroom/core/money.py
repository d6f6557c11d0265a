"""Money is an integer count of minor units plus an ISO 4217 currency code."""

from decimal import ROUND_HALF_EVEN, Decimal

# Currencies whose minor unit is not a hundredth (ISO 4217); Stripe uses the same exponents.
_EXPONENTS = {
    "bif": 0, "clp": 0, "djf": 0, "gnf": 0, "jpy": 0, "kmf": 0, "krw": 0, "mga": 0,
    "pyg": 0, "rwf": 0, "ugx": 0, "vnd": 0, "vuv": 0, "xaf": 0, "xof": 0, "xpf": 0,
    "bhd": 3, "jod": 3, "kwd": 3, "omr": 3, "tnd": 3,
}  # fmt: skip
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


def currency_exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit."""
    return _EXPONENTS.get(currency.lower(), 2)


def money_to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Convert minor units to a Decimal in major units."""
    return Decimal(amount_minor).scaleb(-currency_exponent(currency))


def money_format(amount_minor: int | None, currency: str, *, cents: bool = True) -> str:
    """Format for display, e.g. 2900 usd -> '$29.00'; cents=False rounds to whole units."""
    if amount_minor is None:
        return "—"
    exponent = currency_exponent(currency) if cents else 0
    value = money_to_decimal(amount_minor, currency).quantize(
        Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_EVEN
    )
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,.{exponent}f}"
    symbol = _SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency.upper()}"


def money_round(value: Decimal) -> int:
    """Round a Decimal count of minor units to an int, half to even (banker's rounding)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
