"""Forms of the people pages: quick actions, bulk actions, segments, health settings."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator

from opsroom.core.errors import DomainError
from opsroom.revenue.selectors import COMP_MAX_MONTHS
from opsroom.user360.bulk import BULK_ACTIONS
from opsroom.user360.health import COMPONENTS


def _choices(pairs: list[tuple[str, str]], empty: str = "") -> list[tuple[str, str]]:
    return ([("", empty)] if empty else []) + pairs


class EmailActionForm(forms.Form):
    template = forms.ChoiceField(
        required=False,
        label="Template",
        help_text="Filled in for this person; you read the result before it is sent.",
    )
    subject = forms.CharField(
        required=False, max_length=300, help_text="Without a template: your own subject."
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Message",
        help_text="Without a template: your own message, sent as written.",
    )

    def __init__(self, *args: Any, templates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["template"])
        field.choices = _choices(templates, "— free text (write below) —")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("template") and not (data.get("subject") and data.get("body")):
            raise ValidationError("Choose a template, or write a subject and a message.")
        return data


class CompActionForm(forms.Form):
    plan = forms.TypedChoiceField(coerce=int, label="Plan to give", required=False)
    months = forms.IntegerField(min_value=1, max_value=COMP_MAX_MONTHS, initial=1)
    reason = forms.CharField(max_length=300, help_text="Kept in the audit log.")

    def __init__(
        self, *args: Any, plans: list[tuple[int, str]], current: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["plan"])
        field.choices = [("", "—"), *((str(pk), label) for pk, label in plans)]
        field.empty_value = None
        if current:
            # A comp makes their current subscription free: there is no plan to choose (one
            # sent anyway, e.g. through the API, is refused unless it is theirs).
            field.widget = forms.HiddenInput()
            months = self.fields["months"]
            months.help_text = f"Their current subscription ({current}) is free for these months."
            return
        field.required = True
        field.help_text = "They have no subscription: they get a new one, free for the months."


class NoteActionForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Note", max_length=5000)
    is_pinned = forms.BooleanField(required=False, label="Pin to the top of the page")


class TicketActionForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), label="Description")
    priority = forms.ChoiceField(
        choices=[("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent")],
        initial="normal",
    )


class TagActionForm(forms.Form):
    tags = forms.CharField(max_length=200, help_text="Comma-separated, e.g. beta-tester, vip-care")

    def clean_tags(self) -> list[str]:
        tags = [tag.strip().lower() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]
        if not tags:
            raise ValidationError("Give at least one tag.")
        if any(len(tag) > 50 for tag in tags):
            raise ValidationError("A tag is at most 50 characters.")
        return tags


class ImpersonateForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text="Why you need to see their account; kept in the audit log.",
    )
    minutes = forms.IntegerField(min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        most = settings.OPSROOM_IMPERSONATION_MAX_MINUTES
        field = self.fields["minutes"]
        field.initial = settings.OPSROOM_IMPERSONATION_MINUTES
        field.validators.append(MaxValueValidator(most))
        field.widget.attrs["max"] = most
        field.help_text = f"At most {most} minutes."


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(key, action.label) for key, action in BULK_ACTIONS.items()]
    )
    tags = forms.CharField(required=False, max_length=200)
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    template = forms.CharField(required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = BULK_ACTIONS.get(data.get("action") or "")
        if action is not None:
            try:
                data.update(action.clean(data))
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
        return data


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=100)
    is_shared = forms.BooleanField(required=False, label="Share with all staff")


class HealthConfigForm(forms.Form):
    core_features = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Event names, one per line. Empty: the 10 most widely used events.",
    )
    healthy_min = forms.IntegerField(min_value=1, max_value=100, label="Healthy from")
    at_risk_min = forms.IntegerField(min_value=1, max_value=99, label="At risk from")
    new_days = forms.IntegerField(
        min_value=0,
        max_value=90,
        label="New for (days)",
        help_text="People who signed up fewer days ago are New: not judged yet. 0: never.",
    )
    target_days_per_week = forms.FloatField(
        min_value=0.5, max_value=7, label="Full usage (active days per week)"
    )
    login_event = forms.CharField(
        max_length=200,
        label="Login events",
        help_text="Events that mean they came into the app, comma-separated, e.g. login, app_open.",
    )
    usage_counters = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="30-day counters on the person page, one per line: event_name = Label.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in COMPONENTS:
            self.fields[f"weight_{key}"] = forms.FloatField(
                min_value=0, max_value=1000, label=f"{label} weight"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weights = {key: data.get(f"weight_{key}") or 0 for key, _label in COMPONENTS}
        if sum(weights.values()) <= 0:
            raise ValidationError("At least one component needs a positive weight.")
        data["weights"] = weights
        healthy, at_risk = data.get("healthy_min"), data.get("at_risk_min")
        if healthy is not None and at_risk is not None and at_risk >= healthy:
            raise ValidationError("'At risk from' must be below 'Healthy from'.")
        data["core_list"] = [
            line.strip() for line in (data.get("core_features") or "").splitlines() if line.strip()
        ]
        counters = []
        for number, line in enumerate((data.get("usage_counters") or "").splitlines(), start=1):
            if not line.strip():
                continue
            event, _sep, label = line.partition("=")
            if not event.strip():
                raise ValidationError(f"Usage counter line {number}: write event_name = Label.")
            counters.append({"event": event.strip(), "label": label.strip() or event.strip()})
        data["counter_list"] = counters
        return data


class SegmentFromFunnelForm(forms.Form):
    funnel_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    step = forms.IntegerField(min_value=1, max_value=7)
    name = forms.CharField(max_length=100, required=False)
    is_shared = forms.BooleanField(required=False)
