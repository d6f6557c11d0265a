from datetime import datetime

from django import forms

from opsroom.people.selectors import person_ids_by_email, person_ids_by_external_id
from opsroom.telemetry.selectors import RequestFilter

STATUS_CHOICES = [("", "any status"), ("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"),
                  ("5xx", "5xx")]  # fmt: skip


class RequestFilterForm(forms.Form):
    person = forms.CharField(required=False, max_length=254, label="Person (user id or email)")
    route = forms.CharField(required=False, max_length=200, label="Route contains")
    method = forms.CharField(required=False, max_length=8)
    status = forms.CharField(required=False, max_length=3, help_text="e.g. 500 or 5xx")
    min_ms = forms.FloatField(required=False, min_value=0, label="Slower than (ms)")
    max_ms = forms.FloatField(required=False, min_value=0, label="Faster than (ms)")
    release = forms.CharField(required=False, max_length=100)
    action = forms.CharField(required=False, max_length=100, label="User action")
    n_plus_one = forms.BooleanField(required=False, label="N+1 suspects only")
    since = forms.DateTimeField(required=False, label="From (UTC)")
    until = forms.DateTimeField(required=False, label="Until (UTC)")

    def clean_status(self) -> str:
        status = str(self.cleaned_data.get("status", "")).strip().lower()
        if status and not (
            (status.endswith("xx") and status[0] in "12345" and len(status) == 3)
            or (status.isdigit() and 100 <= int(status) <= 599)
        ):
            raise forms.ValidationError("A status code (100-599) or a class such as 5xx.")
        return status

    def clean_person(self) -> int | None:
        text = self.cleaned_data.get("person", "").strip()
        if not text:
            return None
        found = person_ids_by_external_id(external_ids=[text]).get(text)
        if found is None and "@" in text:
            found = person_ids_by_email(emails=[text.lower()]).get(text.lower())
        if found is None:
            raise forms.ValidationError("No person with this user id or email.")
        return found

    def filters(self) -> RequestFilter:
        data = self.cleaned_data if self.is_bound else {}
        since: datetime | None = data.get("since")
        until: datetime | None = data.get("until")
        return RequestFilter(
            person_id=data.get("person"),
            route=data.get("route", ""),
            method=data.get("method", ""),
            status=data.get("status", ""),
            min_ms=data.get("min_ms"),
            max_ms=data.get("max_ms"),
            release=data.get("release", ""),
            since=since,
            until=until,
            action=data.get("action", ""),
            n_plus_one=bool(data.get("n_plus_one")),
        )
