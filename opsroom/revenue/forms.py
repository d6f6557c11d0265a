"""Forms of the revenue pages: targets, exchange rates, marketing spend and its CSV import."""

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from opsroom.core.money import currency_exponent
from opsroom.revenue.services import SpendRow

MONTH_HELP = "YYYY-MM"
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise ValidationError(f"'{text[:20]}' is not a month (YYYY-MM).") from None


def _minor(amount: Decimal, currency: str) -> int:
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValidationError(f"{amount} has more than {exponent} decimals for {currency.upper()}.")
    return int(minor)


class TargetsForm(forms.Form):
    growth_target_percent = forms.DecimalField(
        label="MRR growth target (% a month)", min_value=-100, max_value=1000, decimal_places=2
    )
    ltv_cac_healthy = forms.DecimalField(
        label="Healthy LTV:CAC from", min_value=Decimal("0.01"), max_value=100, decimal_places=2
    )


class RateForm(forms.Form):
    currency = forms.RegexField(regex=r"^[A-Za-z]{3}$", max_length=3, label="Currency")
    day = forms.DateField(label="From day", widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.DecimalField(
        label="1 unit is worth (headline currency)",
        min_value=Decimal("0.0000000001"),
        max_digits=20,
        decimal_places=10,
    )


class SpendForm(forms.Form):
    channel = forms.CharField(max_length=64)
    campaign = forms.CharField(max_length=128, required=False)
    month = forms.CharField(max_length=7, help_text=MONTH_HELP)
    amount = forms.DecimalField(min_value=0, max_digits=15, decimal_places=3, label="Amount")
    currency = forms.RegexField(regex=r"^[A-Za-z]{3}$", max_length=3, initial="usd")
    note = forms.CharField(max_length=300, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.errors:
            return data
        currency = str(data["currency"]).lower()
        data["row"] = SpendRow(
            channel=str(data["channel"]),
            campaign=str(data.get("campaign") or ""),
            month=_month(str(data["month"])),
            amount=_minor(Decimal(data["amount"]), currency),
            currency=currency,
            note=str(data.get("note") or ""),
        )
        return data


class SpendImportForm(forms.Form):
    """A CSV of spend: channel, campaign, month (YYYY-MM), amount (e.g. 1250.00), currency,
    note; a header row naming the columns."""

    file = forms.FileField(label="CSV file")

    def clean_file(self) -> list[SpendRow]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError("The file is over 1 MB: split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text.") from None
        reader = csv.DictReader(io.StringIO(text))
        needed = {"channel", "month", "amount", "currency"}
        missing = needed - set(reader.fieldnames or [])
        if missing:
            raise ValidationError(f"Missing column(s): {', '.join(sorted(missing))}.")
        rows: list[SpendRow] = []
        for number, record in enumerate(reader, start=2):
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ValidationError(f"At most {MAX_IMPORT_ROWS} rows at a time.")
            try:
                currency = (record.get("currency") or "").strip().lower()
                amount = Decimal((record.get("amount") or "").strip())
                if not amount.is_finite() or not 0 <= amount < Decimal(10) ** 12:
                    raise ValidationError("the amount must be between 0 and a trillion")
                rows.append(
                    SpendRow(
                        channel=(record.get("channel") or "").strip()[:64],
                        campaign=(record.get("campaign") or "").strip()[:128],
                        month=_month(record.get("month") or ""),
                        amount=_minor(amount, currency),
                        currency=currency,
                        note=(record.get("note") or "").strip()[:300],
                    )
                )
            except (InvalidOperation, ValidationError) as exc:
                reason = exc.messages[0] if isinstance(exc, ValidationError) else "bad amount"
                raise ValidationError(f"Line {number}: {reason}.") from None
        if not rows:
            raise ValidationError("The file has no rows.")
        return rows


class DigestForm(forms.Form):
    recipients = forms.ModelMultipleChoiceField(
        queryset=get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Staff who get the weekly digest (Monday 07:00 UTC)",
    )
