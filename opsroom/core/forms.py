from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from opsroom.core.models import ApiKey
from opsroom.core.selectors import AuditFilter


class SignInForm(AuthenticationForm):
    """Username and password; only active staff accounts may sign in."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise ValidationError("This account is not a staff account.", code="not_staff")


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Where the key is used, e.g. 'backend ingest'."
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150)
    action = forms.ChoiceField(required=False)
    target_type = forms.CharField(required=False, max_length=50)
    target_id = forms.CharField(required=False, max_length=100)
    ip = forms.GenericIPAddressField(required=False, label="IP address")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", "any action"), *((a, a) for a in actions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise ValidationError("'until' must not be before 'since'.")
        return data

    def filters(self) -> AuditFilter:
        data = self.cleaned_data if self.is_bound else {}

        def day(value: date | None, *, end: bool = False) -> datetime | None:
            if not value:
                return None
            # 'until' is inclusive: it runs to the end of that day (UTC).
            return datetime.combine(value, time.min, tzinfo=UTC) + timedelta(days=1 if end else 0)

        return AuditFilter(
            actor=data.get("actor", ""),
            action=data.get("action", ""),
            target_type=data.get("target_type", ""),
            target_id=data.get("target_id", ""),
            ip=data.get("ip") or "",
            since=day(data.get("since")),
            until=day(data.get("until"), end=True),
        )
